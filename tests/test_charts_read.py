"""Charts a person reads at a glance: no two labels on top of each other, a label never inside its bar,
the Money waterfall adds up to profit. Checked on the drawn figure (text extents), not its pixels."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

import channelsim as cs
from builders import scenario, segment
from channelsim.report import charts
from channelsim.report import prepare as results
from channelsim.report.data import Bars
from channelsim.report.prepare_experiments import tornado_chart
from conftest import ROOT


def _extents(figure: Figure) -> list[tuple[Text, Bbox]]:
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    return [(t, t.get_window_extent(renderer)) for ax in figure.axes for t in ax.texts if t.get_text()]


def _overlaps(boxes: list[tuple[Text, Bbox]]) -> list[tuple[str, str]]:
    return [(a.get_text(), b.get_text()) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1 :]
            if box_a.overlaps(box_b)]  # fmt: skip


def tornado_table() -> pd.DataFrame:
    """The issue's case: small changes of the same sign on one row (+10%: 0.0066, −10%: 0.0054), and a row
    whose two changes are almost equal."""
    rows = [("gross_margin", 0.45, 0.405, 0.495, -18589.0, 18589.0, 600.0),
            ("channels.webshop.price_index", 1.0, 0.9, 1.1, -1000.0, -4563.0, 900.0),
            ("segments.a.churn_per_week", 0.006, 0.0054, 0.0066, 653.0, -513.0, 400.0),
            ("segments.b.churn_per_week", 0.01, 0.009, 0.011, 30.0, 25.0, 300.0)]  # fmt: skip
    return pd.DataFrame([{"parameter": p, "base_value": b, "low_value": lo, "high_value": hi,
                          "low_change": dl, "low_change_ci95_lo": dl - h, "low_change_ci95_hi": dl + h,
                          "high_change": dh, "high_change_ci95_lo": dh - h, "high_change_ci95_hi": dh + h,
                          "profit_base": 27436.0, "swing": abs(dh - dl)}
                         for p, b, lo, hi, dl, dh, h in rows])  # fmt: skip


def test_tornado_labels_do_not_overlap_and_show_intervals() -> None:
    chart = tornado_chart(tornado_table(), {"pct": 10, "currency": "EUR", "replications": 5})
    figure = charts.draw(chart)
    boxes = _extents(figure)
    assert len(boxes) == 8  # a label for each side of each parameter
    assert _overlaps(boxes) == []
    ax = figure.axes[0]
    assert len(ax.collections) == 2  # whiskers: the 95% interval of each side's paired change
    # the legend sits right under the axes: no empty band between
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    legend = figure.legends[0].get_window_extent(renderer)
    label = ax.xaxis.label.get_window_extent(renderer)
    assert 0 <= label.y0 - legend.y1 < 0.3 * figure.dpi


def test_negative_bar_labels_are_outside_the_bar_and_its_whisker() -> None:
    data = Bars("Profit", "Profit (EUR)", ["today", "plan"], [-143000.0, 25000.0], [-160000.0, 10000.0],
                [-126000.0, 40000.0], currency="EUR")  # fmt: skip
    figure = charts.draw(data)
    boxes = dict((t.get_text(), box) for t, box in _extents(figure))
    ax = figure.axes[0]
    to_pixels = ax.transData.transform
    loss = boxes["-143k EUR"]
    assert loss.x1 < to_pixels((-160000.0, 0))[0]  # left of the low whisker, so left of the bar too
    assert boxes["25,000 EUR"].x0 > to_pixels((40000.0, 0))[0]


@pytest.fixture(scope="module")
def losing_summary() -> dict:
    sc = scenario(replications=2, segments=[segment(initial_customers=200, purchases_per_week=0.3, order_value=80)],
                  channels=[{"id": "shop", "variable_cost": 0.05, "fixed_cost_per_week": 4000},
                            {"id": "dist", "type": "indirect", "partner_margin": 0.2}],
                  partners=[{"id": "d", "channel": "dist", "region": "all"}],
                  sources=[{"id": "ads", "spend_per_week": 300,
                            "response": {"curve": "linear", "leads_per_unit_spend": 0.1}}])  # fmt: skip
    return cs.simulate(sc, replications=2, seed=1).summary


def test_the_money_waterfall_adds_up_to_profit(losing_summary: dict) -> None:
    totals = losing_summary["totals"]
    assert totals["profit"]["mean"] < 0 < totals["contribution"]["mean"]  # a loss: a total left of 0 too
    data = results.money_waterfall(totals, "EUR")
    first, steps = data.values[0], [v for v, total in zip(data.values, data.totals, strict=True) if not total]
    assert data.labels[0].startswith("Revenue") and data.labels[-1] == "Profit"
    assert first == pytest.approx(totals["revenue"]["mean"])
    assert first + math.fsum(steps) == pytest.approx(totals["profit"]["mean"])  # the steps sum to profit
    # every total on the way is the running sum of the steps before it
    level = 0.0
    for value, total in zip(data.values, data.totals, strict=True):
        level = value if total else level + value
        if total:
            assert value == pytest.approx(level)
    contribution = data.values[data.labels.index("Contribution")]
    assert contribution == pytest.approx(totals["contribution"]["mean"])
    # the drawn bars: each step spans from the running total to the next, the totals from 0
    figure = charts.draw(data)
    ends = [bar.get_x() + bar.get_width() if value >= 0 or not total else bar.get_x()
            for bar, value, total in zip(figure.axes[0].patches, data.values, data.totals, strict=True)]  # fmt: skip
    assert ends[-1] == pytest.approx(totals["profit"]["mean"])
    assert _overlaps(_extents(figure)) == []


def test_after_optimize_in_the_app_today_is_the_scenarios_spend_not_the_sliders(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from channelsim.app import images
    from channelsim.app.workbench import Workbench

    scenario = tmp_path / "workbench.yaml"  # a copy: saved variants must sit beside their scenario
    shutil.copy(ROOT / "tests" / "data" / "workbench.yaml", scenario)
    bench = Workbench.open(str(scenario), save_to=str(tmp_path / "saved.yaml"))
    written = {s.id: s.spend_per_week for s in bench.scenario.sources}
    drawn = {}

    def capture(sc: cs.Scenario, plan: dict, today: cs.Scenario | None = None) -> dict[str, bytes]:
        drawn["shift"] = results.budget_shift(sc, plan, sc.currency, today)
        return {}

    monkeypatch.setattr(images, "plan_charts", capture)
    first = next(iter(written))
    bench.optimize({f"sources.{first}.spend_per_week": written[first] + 1000})  # a slider moved
    shift = drawn["shift"]
    assert shift.names[0] == "today"
    assert dict(zip(shift.labels, shift.current, strict=True)) == written
