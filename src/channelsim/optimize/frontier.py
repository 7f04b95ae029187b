"""Frontiers: the optimal value as one limit moves (the marketing budget, or the diversion cap).

Each point re-solves the optimizer with the limit set to x. A plan feasible at a limit is
feasible at every looser one, so a point keeps the better of its own plan and the previous
point's (`carried`): the frontier is monotone by construction, as the true one is, even where
the rounds of linearisation stop short.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from channelsim.choices import FRONTIER_KINDS as KINDS
from channelsim.errors import UsageError
from channelsim.optimize.coefficients import baseline_marketing
from channelsim.optimize.diagnose import InfeasibleError
from channelsim.optimize.plan import Plan
from channelsim.optimize.run import optimize_plan as optimize
from channelsim.results_io import write_bytes_atomic
from channelsim.scenario.schema import Scenario


@dataclass
class Point:
    x: float
    value: float | None
    status: str
    spend: dict[str, float]
    carried: bool = False  # the previous (tighter) point's plan was better and is kept


def limited(sc: Scenario, kind: str, x: float) -> Scenario:
    """The scenario with the marketing budget (budget) or the diversion cap (conflict) set to x."""
    if kind == "budget":
        return sc.model_copy(update={"budget": sc.budget.model_copy(update={"marketing_per_week": x})})
    return sc.model_copy(
        update={"optimize": sc.optimize.model_copy(update={"max_diverted_orders_per_week": x})}
    )


def grid(sc: Scenario, kind: str, points: int) -> tuple[np.ndarray, float]:
    """(the x values, today's x): budget 50%–150% of today's; diversion 0 to the unconstrained plan's."""
    if kind == "budget":
        now = sc.budget.marketing_per_week or baseline_marketing(sc)
        return np.linspace(0.5 * now, 1.5 * now, points), now
    free = optimize(limited(sc, "conflict", None))  # type: ignore[arg-type]
    top = float(free.expected["plan"]["diverted_orders_per_week"])
    if top <= 0:
        raise UsageError(
            "--frontier conflict: the unconstrained plan diverts no orders (nothing to trade off)"
        )
    return np.linspace(0.0, top, points), top


def frontier(sc: Scenario, kind: str, points: int = 11) -> tuple[list[Point], float, Plan]:
    """The frontier points, today's x, and the plan at today's limit (the point marked)."""
    if kind not in KINDS:
        raise UsageError(f"--frontier: must be one of {', '.join(KINDS)} (got {kind!r})")
    xs, now = grid(sc, kind, points)
    xs = np.unique(np.append(xs, now))
    out: list[Point] = []
    at_now: Plan | None = None  # the budget's plan at today's x is the one marked: solved once
    for x in xs:
        try:
            plan = optimize(limited(sc, kind, float(x)))
            point = Point(
                float(x), plan.objective_value, plan.status, {k: v[0] for k, v in plan.spend.items()}
            )
            if float(x) == now:
                at_now = plan
        except InfeasibleError:
            point = Point(float(x), None, "infeasible", {})
        prev = out[-1] if out else None
        if prev is not None and prev.value is not None and (point.value is None or prev.value > point.value):
            point = Point(float(x), prev.value, prev.status, prev.spend, carried=True)
        out.append(point)
    if kind == "budget":
        current = at_now if at_now is not None else optimize(limited(sc, kind, now))
    else:  # the scenario's own limits, which `limited` at today's x need not repeat exactly
        current = optimize(sc)
    return out, now, current


def write_frontier(folder: str | os.PathLike[str], kind: str, points: list[Point], now: float) -> list[str]:
    """frontier.csv: x, value, status, carried, then the plan's spend per source."""
    sources = sorted({s for p in points for s in p.spend})
    lines = [",".join(["kind", "x", "value", "status", "carried", "current_x", *sources])]
    for p in points:
        value = "" if p.value is None else f"{p.value:.2f}"
        row = [kind, f"{p.x:.6g}", value, p.status, str(p.carried).lower(), f"{now:.6g}"]
        lines.append(",".join(row + [f"{p.spend.get(s, 0.0):.2f}" if p.spend else "" for s in sources]))
    path = os.path.join(folder, "frontier.csv")
    os.makedirs(folder, exist_ok=True)
    write_bytes_atomic(path, ("\n".join(lines) + "\n").encode())
    return [path]
