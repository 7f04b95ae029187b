"""What a planner asks of a plan: marginal returns, the budget's shadow price, binding constraints, error bounds."""

from __future__ import annotations

import pulp

from channelsim.model.adstock import period_levels
from channelsim.model.media import media_cost
from channelsim.optimize.coefficients import METRIC_INDEX, Coefficients, SourceTerm
from channelsim.optimize.milp import Built, build
from channelsim.optimize.solvers import dual_sign, solve
from channelsim.scenario.planning import Target


def objective_column(problem: Coefficients) -> int:
    return METRIC_INDEX["contribution" if problem.objective == "profit" else problem.objective]


def winback_return(problem: Coefficients, spend: float | None) -> dict[str, list[float]]:
    """`winback`: objective gained per extra unit of weekly win-back spend at the plan (profit: net of
    the spend itself, so 0 is break-even); nothing without a win-back."""
    term = problem.winback
    if term is None or spend is None:
        return {}
    wb = problem.scenario.winback
    assert wb is not None  # problem.winback is built only for a scenario with a winback section
    curve, step = wb.response, max(1.0, 1e-4 * term.upper)
    # per week, as the sources' returns: the value of a reactivation a week, averaged over the horizon
    per_week = float(problem.worth(term.value)) / max(problem.horizon, 1)
    gain = per_week * (curve.leads(spend + step) - curve.leads(spend)) / step
    if problem.objective == "profit":
        gain -= 1.0
    return {"winback": [round(gain, 6)]}


def approximation_bounds(problem: Coefficients) -> dict[str, float]:
    """Per source: the most the piecewise-linear leads can misstate the objective over the horizon."""
    column = objective_column(problem)
    out = {}
    for term in problem.sources:
        exact = term.units and term.source.adstock == 0  # leads exact at each whole unit
        out[term.id] = (
            0.0
            if exact
            else float(
                sum(p.weeks * abs(_worth(problem, term, p.index, column)) for p in problem.periods)
                * term.leads.error
            )
        )
    return out


def marginal_returns(problem: Coefficients, spend: dict[str, list[float]]) -> dict[str, list[float]]:
    """Per source and period: objective gained per extra unit of weekly spend (profit: net of its cost).

    Within the period (carry-over into later periods left out); the exact curve, not its pieces.
    """
    column = objective_column(problem)
    out = {}
    for term in problem.sources:
        out[term.id] = [_marginal(problem, term, spend[term.id], p.index, column) for p in problem.periods]
    return out


def _worth(problem: Coefficients, term: SourceTerm, p: int, column: int) -> float:
    """A lead's worth in period p: its column, or for profit contribution less its members' cost."""
    return float(problem.worth(term.value[p]) if problem.objective == "profit" else term.value[p, column])


def _marginal(problem: Coefficients, term: SourceTerm, spend: list[float], p: int, column: int) -> float:
    net = problem.objective == "profit"
    step = max(1.0, 1e-4 * term.upper)
    up = list(spend)
    up[p] += step
    curve = term.source.response
    before = curve.leads(period_levels(term.source.spend_per_week, spend, term.carry, term.mix)[p])
    after = curve.leads(period_levels(term.source.spend_per_week, up, term.carry, term.mix)[p])
    gain = _worth(problem, term, p, column) * (after - before) / step
    if net:
        card = term.source.rate_card
        gain -= (media_cost(card, up[p]) - media_cost(card, spend[p])) / step
    return round(float(gain), 6)


def binding(built: Built, tolerance: float = 1e-6) -> list[str]:
    """Groups with a constraint at its limit, plus sources at their spend bound."""
    out = set()
    for group, names in built.groups.items():
        for name in names:
            c = built.prob.get_constraint_by_name(name)
            if abs(c.value()) <= tolerance * max(1.0, abs(c.constant)):
                out.add(group)
    return sorted(out)


def at_bounds(problem: Coefficients, spend: dict[str, list[float]]) -> list[str]:
    """Sources whose spend sits at their maximum in some period."""
    return sorted(f"max_spend:{t.id}" for t in problem.sources
                  if not t.source.locked and any(x >= t.upper - 1e-6 * max(1.0, t.upper) for x in spend[t.id]))  # fmt: skip


def shadow_prices(problem: Coefficients, built: Built, solver: str, target: Target | None,
                  time_limit: float) -> dict[str, float | None]:  # fmt: skip
    """Objective gained per extra unit of budget spent evenly over the horizon, from the LP with the
    integers fixed: Σ_periods dual / horizon (each period's limit is per week; the objective is a
    horizon total). Duals are normalised to d(objective)/d(limit): HiGHS reports them for the
    minimisation form of a maximisation (solvers.dual_sign)."""
    fixed = build(problem, target=target)
    values = {v.name: v.varValue for v in built.prob.variables()}
    for var in fixed.prob.variables():
        if var.cat != pulp.LpContinuous:
            value = round(values.get(var.name) or 0.0)
            var.cat, var.lowBound, var.upBound = pulp.LpContinuous, value, value
    if solve(fixed.prob, solver, time_limit, mip=False).status != "optimal":
        return {"marketing": None, "incentives": None}
    flip = dual_sign(solver, fixed.prob.sense == pulp.LpMaximize)
    out: dict[str, float | None] = {}
    for key, group in (("marketing", "marketing_budget"), ("incentives", "incentive_budget")):
        names = fixed.groups.get(group, [])
        duals = [fixed.prob.get_constraint_by_name(n).pi for n in names]
        out[key] = (
            None
            if not names or any(d is None for d in duals)
            else round(flip * sum(duals) / max(problem.horizon, 1), 6) + 0.0  # never -0.0
        )
    return out
