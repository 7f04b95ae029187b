"""Polish: refine the MILP's spends on the exact curves, keeping every discrete choice it made.

The MILP finds the right basin (which sources are on, how many units, which tiers); the
pieces leave up to the stated error bound on the table. A local search (SLSQP) from the
MILP's plan, with the sources it switched off kept off, units and locked spends fixed and
the same budget and share limits, closes that gap. It is kept only if it is feasible and
better on the exact curves, so the plan is never worse than the MILP's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import minimize

from channelsim.model.media import media_cost, source_cost
from channelsim.optimize.coefficients import Coefficients, SourceTerm

if TYPE_CHECKING:
    from scipy.optimize._typing import Constraint  # scipy-stubs only

TOLERANCE = 1e-6  # feasibility slack on limits, in currency per week
MAX_SOURCES = 60  # SLSQP's cost grows fast with the dimension; beyond, the MILP's plan stands


def worth(problem: Coefficients, term: SourceTerm, column: int, net: bool) -> float:
    """What one lead of `term` in the first period is worth: the column, or for profit (`net`) the
    contribution less the member cost of the member-weeks it brings."""
    values = term.value[0]
    return float(problem.worth(values)) if net else float(values[column])


def value(problem: Coefficients, spend: dict[str, list[float]], column: int, net: bool) -> float:
    """The sources' part of a metric over the horizon, with the exact curves (one period)."""
    weeks = problem.periods[0].weeks
    total = 0.0
    for term in problem.sources:
        x = spend[term.id][0]
        total += weeks * worth(problem, term, column, net) * term.source.response.leads(x)
        if net:
            total -= weeks * source_cost(term.source, x)
    return total


def _movable(term: SourceTerm, x: float) -> bool:
    """Spends the polish may move: continuous ones the MILP kept on, and concave sources it left off
    without a setup cost (a chord from 0 understates a concave curve's first euros)."""
    if term.units or term.source.locked or term.source.adstock != 0:
        return False
    return x > 0 or (term.leads.concave and term.source.setup_cost_per_week == 0 and term.lower == 0)


def polish(problem: Coefficients, spend: dict[str, list[float]], column: int, net: bool,
           reserved: float = 0.0) -> dict[str, list[float]]:  # fmt: skip
    """Better spends on the exact curves, or `spend` itself (one period, no adstock, no capacity limits).

    `reserved`: weekly marketing budget already taken by other levers (win-back spend)."""
    if len(problem.periods) != 1 or problem.capacities:
        return spend
    free = [t for t in problem.sources if _movable(t, spend[t.id][0])]
    if not free or len(free) > MAX_SOURCES:
        return spend
    budget = problem.marketing_budget
    share = problem.scenario.budget.max_share_per_source
    lower = np.array([max(t.floor, t.lower) if spend[t.id][0] > 0 and t.floor > 0 else t.lower for t in free])
    upper = np.array(
        [min(t.upper, share * budget) if budget is not None and share < 1 else t.upper for t in free]
    )
    fixed_cost = reserved + sum(
        source_cost(t.source, spend[t.id][0]) for t in problem.sources if t not in free
    )
    setup = np.array([t.source.setup_cost_per_week for t in free])  # paid by sources kept on (x ≥ floor > 0)
    weeks = problem.periods[0].weeks
    gains = weeks * np.array([worth(problem, t, column, net) for t in free])
    leads = [t.source.response.leads for t in free]
    media = [partial(media_cost, t.source.rate_card) for t in free]
    step = np.maximum(1e-3, 1e-7 * upper)
    scale = max(1.0, float(upper.max()))  # the search runs on spends / scale

    def each(fns: Sequence[Callable[[float], float]], x: np.ndarray) -> np.ndarray:
        return np.array([f(v) for f, v in zip(fns, x, strict=True)])

    def slope(fns: Sequence[Callable[[float], float]], x: np.ndarray) -> np.ndarray:
        low = np.maximum(x - step, 0.0)
        return (each(fns, x + step) - each(fns, low)) / (x + step - low)

    def spent(x: np.ndarray) -> float:
        return fixed_cost + float(each(media, x).sum() + setup[x > 0].sum())

    def objective(y: np.ndarray) -> tuple[float, np.ndarray]:
        x = y * scale
        gain, grad = gains @ each(leads, x), gains * slope(leads, x)
        if net:
            gain, grad = gain - weeks * spent(x), grad - weeks * slope(media, x)
        return -gain / scale, -grad

    limits: list[Constraint] = []
    if budget is not None:

        def room(y: np.ndarray) -> float:  # the budget left (scaled): SLSQP keeps it ≥ 0
            return (budget - spent(y * scale)) / scale

        def room_slope(y: np.ndarray) -> np.ndarray:
            return -slope(media, y * scale)

        limits.append({"type": "ineq", "fun": room, "jac": room_slope})
    start = np.array([spend[t.id][0] for t in free])
    result = minimize(objective, start / scale, jac=True, method="SLSQP",
                      bounds=list(zip(lower / scale, upper / scale, strict=True)), constraints=limits,
                      options={"maxiter": 200, "ftol": 1e-12})  # fmt: skip
    x = np.clip(np.floor(result.x * scale * 100) / 100, lower, upper)  # cents, rounded down
    x[(x > 0) & (x < np.array([t.floor for t in free]))] = 0.0  # below the floor of "used": off
    x[(x <= 0) & (lower > 0)] = lower[(x <= 0) & (lower > 0)]
    candidate = spend | {t.id: [float(v)] for t, v in zip(free, x, strict=True)}
    feasible = budget is None or spent(x) <= budget + TOLERANCE
    better = value(problem, candidate, column, net) > value(problem, spend, column, net)
    return candidate if feasible and better else spend
