"""Frontiers: the optimal value is monotone in a limit, and today's point is the plain plan."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import channelsim as cs
from channelsim.optimize.frontier import frontier, write_frontier
from channelsim.report.prepare_plan import frontier as frontier_chart
from conftest import ROOT


def test_budget_frontier_is_monotone_and_hits_the_plain_plan(tmp_path) -> None:
    sc = cs.load(ROOT / "scenarios" / "coffee_chain.yaml")
    points, now, current = frontier(sc, "budget", points=5)
    values = [p.value for p in points]
    assert all(v is not None for v in values)
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(values))  # non-decreasing
    here = next(p for p in points if p.x == pytest.approx(now))
    assert here.value == pytest.approx(cs.optimize(sc).objective_value, rel=1e-9)
    assert current.objective_value == pytest.approx(here.value, rel=1e-9)
    (path,) = write_frontier(tmp_path, "budget", points, now)
    lines = Path(path).read_text().splitlines()
    assert lines[0].startswith("kind,x,value,status,carried,current_x")
    assert len(lines) == len(points) + 1


def test_frontier_chart_marks_todays_plan_below_the_best_plan_at_todays_budget() -> None:
    import pandas as pd

    table = pd.DataFrame({"kind": ["budget"] * 3, "x": [100.0, 200.0, 300.0], "value": [10.0, 30.0, 35.0],
                          "current_x": [150.0] * 3})  # fmt: skip
    chart = frontier_chart(table, {"baseline_value": 12.0}, "EUR")
    assert chart is not None
    assert (chart.x, chart.y) == ([100.0, 200.0, 300.0], [10.0, 30.0, 35.0])
    assert chart.current == (150.0, 12.0)  # today's allocation, from plan.json
    assert chart.optimal == (150.0, 20.0)  # the frontier read at today's budget
    assert "budget" in chart.title.lower() and chart.y_currency == "EUR"
    assert frontier_chart(table, None, "EUR").current == (150.0, 20.0)  # no plan: on the curve
    # today's plan at its forecast (plan.json's expected baseline), named so, with the values written beside
    forecast = {"objective": "profit", "baseline_value": 12.0, "expected": {"baseline": {"profit": 11.0}}}
    chart = frontier_chart(table, forecast, "EUR")
    assert (
        chart.current == (150.0, 11.0) and chart.current_label == "today's plan (forecast)" and chart.annotate
    )
    # a robust plan's baseline value is its risk measure, not today's forecast: the base future's is used
    robust = {"objective": "profit", "baseline_value": 5.0, "robust": {"risk": "worst"},
              "expected": {"baseline": {"profit": 11.0}}}  # fmt: skip
    assert frontier_chart(table, robust, "EUR").current == (150.0, 11.0)
    assert frontier_chart(table.iloc[0:0], None, "EUR") is None
