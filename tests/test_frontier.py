"""Frontiers: the optimal value is monotone in a limit, and today's point is the plain plan."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import channelsim as cs
from channelsim.optimize.frontier import frontier, write_frontier


def test_budget_frontier_is_monotone_and_hits_the_plain_plan(tmp_path) -> None:
    sc = cs.load("scenarios/coffee_chain.yaml")
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
