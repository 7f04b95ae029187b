"""The app's charts: the report's own figures (same data preparation, same drawing), as PNG bytes."""

from __future__ import annotations

import textwrap
import threading
from typing import Any

import pandas as pd

from channelsim.report import prepare
from channelsim.report.charts import draw, set_title
from channelsim.report.data import Chart
from channelsim.report.style import png_bytes
from channelsim.scenario.schema import Scenario

APP_WIDTH = 6.5  # inches: half a laptop screen; the report's 11 would shrink its text below legibility
TITLE_CHARACTERS = 46  # what fits on one line of a bold title at that width
# one chart at a time, whatever thread asks: the style is set in matplotlib's global rcParams
# (style.styled() sets and restores them) and its fonts are shared, so two drawings would mix
_DRAWING = threading.Lock()


def _png(chart: Chart) -> bytes:
    """The report's figure, narrower: same point sizes on a smaller canvas, so the text stays readable."""
    with _DRAWING:
        figure = draw(chart)
        _, height = figure.get_size_inches()
        figure.set_size_inches(APP_WIDTH, max(3.0, height * 0.8))
        # the report's titles are written for 11 inches: wrap them rather than cut them off
        set_title(figure, textwrap.fill(figure.get_suptitle(), TITLE_CHARACTERS))
        return png_bytes(figure)


def simulation_charts(sc: Scenario, summary: dict[str, Any], kpis: pd.DataFrame) -> dict[str, bytes]:
    """Weekly orders, channel mix, funnel, and the conflict charts when there was conflict."""
    charts: dict[str, Chart | None] = {
        "weekly_orders": prepare.weekly_orders(kpis),
        "channel_mix": prepare.channel_mix(summary),
        "funnel": prepare.funnel(summary, sc),
        "diversion": prepare.diversion(summary, list(sc.regions)),
        "price_paths": prepare.price_paths(kpis, sc),
    }
    return {name: _png(chart) for name, chart in charts.items() if chart is not None}


def plan_charts(sc: Scenario, plan: dict[str, Any], today: Scenario | None = None) -> dict[str, bytes]:
    """The optimizer's story: where each source sits on its curve, and how the budget moves from today's
    spend (`today`: the scenario as written; `sc` is it with the sliders' settings)."""
    charts: dict[str, Chart | None] = {
        "budget_shift": prepare.budget_shift(sc, plan, sc.currency, today),
        "response_curves": prepare.response_curves(sc, plan, sc.currency, today),
    }
    return {name: _png(chart) for name, chart in charts.items() if chart is not None}
