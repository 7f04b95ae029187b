"""`channelsim.optimize`: build the MILP at the current plan, solve, re-linearise at the answer, explain.

Round 0 linearises at the scenario as written. The value of a lead depends on the tiers
and the tiers' effect on the orders forecast, so each round re-linearises at the plan the
previous one found; rounds stop when the plan repeats (at most `MAX_ROUNDS`). The plan
kept is the best by its analytic value (the forecast with the exact curves).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pulp

from channelsim import valuation as va
from channelsim.choices import OBJECTIVES, SOLVERS
from channelsim.errors import UsageError
from channelsim.optimize import explain
from channelsim.optimize.coefficients import (
    Coefficients,
    build_coefficients,
    current_programmes,
    period_levels,
    weekly_spend,
)
from channelsim.optimize.diagnose import InfeasibleError, conflicting_groups, explain_conflict
from channelsim.optimize.milp import Built, build
from channelsim.optimize.plan import Plan
from channelsim.optimize.polish import polish
from channelsim.optimize.solvers import Outcome, solve
from channelsim.scenario.schema import Scenario

MAX_ROUNDS = 4


@dataclass(frozen=True)
class Levers:
    """A plan's decisions: spend per source and period, tiers, programmes running, win-back per week."""

    spend: dict[str, list[float]]
    tiers: dict[str, str]
    programmes: dict[str, bool] = field(default_factory=dict)
    winback: float | None = None  # None: the scenario has no win-back

    @classmethod
    def of(cls, sc: Scenario) -> Levers:
        """The scenario as written."""
        return cls({s.id: [s.spend_per_week] * sc.optimize.periods for s in sc.sources}, va.baseline_tiers(sc),
                   current_programmes(sc, None), sc.winback.spend_per_week if sc.winback else None)  # fmt: skip


def read_decisions(built: Built, problem: Coefficients) -> Levers:
    """Spend per source and period (rounded to cents), the tier of every eligible partner, which
    programmes run, and the win-back spend (cents)."""
    spend = {t.id: [round(max(pulp.value(built.spend[(t.id, p.index)]) or 0.0, 0.0), 2) for p in problem.periods]
             for t in problem.sources}  # fmt: skip
    tiers = dict(problem.tiers)
    for (g, c), var in built.choose.items():
        if (var.varValue or 0.0) > 0.5:
            tiers |= problem.groups[g].combos[c].levels
    programmes = {pid: (var.varValue or 0.0) > 0.5 for pid, var in built.running.items()}
    winback = round(max(pulp.value(built.winback) or 0.0, 0.0), 2) if built.winback is not None else None
    return Levers(spend, tiers, programmes, winback)


def forecast_of(sc: Scenario, spend: dict[str, list[float]], tiers: dict[str, str],
                calibration: dict[str, float] | None = None, programmes: dict[str, bool] | None = None,
                winback: float | None = None) -> va.Forecast:  # fmt: skip
    rescue = [winback] * sc.horizon_weeks if winback is not None and sc.winback is not None else None
    return va.forecast(sc, weekly_spend(sc, spend), tiers, calibration, programmes, rescue)


def forecast_levers(sc: Scenario, levers: Levers, calibration: dict[str, float] | None = None) -> va.Forecast:
    return forecast_of(sc, levers.spend, levers.tiers, calibration, levers.programmes, levers.winback)


def score(fc: va.Forecast, objective: str, target: Any | None) -> float:
    """What the plan is judged by: the objective, or in target mode the money spent."""
    if target is not None:
        return fc.marketing + fc.incentives + fc.crm
    return fc.metric(objective)


def expected_figures(sc: Scenario, fc: va.Forecast, tiers: dict[str, str]) -> dict[str, Any]:
    """Forecast figures a planner reads next to the simulation's: totals, orders per seller, diversion."""
    sellers = va.sellers(sc)
    orders = {s.id: round(float(fc.totals[fc.layout.seller(j)]), 2) for j, s in enumerate(sellers)}
    return {
        "profit": round(fc.profit, 2), "contribution": round(fc.contribution, 2),
        "revenue": round(fc.revenue, 2), "new_customers": round(fc.customers, 3),
        "marketing_spend": round(fc.marketing, 2), "incentive_cost": round(fc.incentives, 2),
        "member_cost": round(fc.crm, 2),
        "member_weeks": {p.id: round(float(fc.totals[fc.layout.member(k)]), 2)
                         for k, p in enumerate(sc.loyalty_programs)},
        "winback_reactivations": round(float(fc.reactivations.sum()), 3) if fc.reactivations is not None else 0.0,
        "orders": orders, "diverted_orders_per_week": round(fc.diverted_per_week, 4),
    }  # fmt: skip


def check_choices(objective: str | None, solver: str | None) -> None:
    if objective is not None and objective not in OBJECTIVES:
        raise UsageError(f"objective: must be one of {', '.join(OBJECTIVES)} (got {objective!r})")
    if solver is not None and solver not in SOLVERS:
        raise UsageError(f"solver: must be one of {', '.join(SOLVERS)} (got {solver!r})")


def optimize(
    sc: Scenario, objective: str | None = None, solver: str | None = None, time_limit: float | None = None,
    calibration: dict[str, float] | None = None, robust: list[str] | None = None, risk: str = "expected",
    alpha: float = 0.2, weights: list[float] | None = None,
) -> Plan:  # fmt: skip
    """The best plan for the scenario's budget and limits (or the least spend reaching its target).

    `calibration`: per source, a factor on what its leads bring (`valuation.calibration` from a
    simulation's attribution); default: the analytic values as they are. `robust`: variant names;
    one plan for the base and these futures by `risk` (expected, worst, cvar at level `alpha`),
    with futures weighted by `weights` (default equal), see `optimize.robust`."""
    if robust:
        from channelsim.optimize.robust import optimize_robust  # robust builds on this module

        return optimize_robust(sc, robust, risk, alpha, weights, objective, solver, time_limit)
    check_choices(objective, solver)
    settings = sc.optimize
    objective, solver = objective or settings.objective, solver or settings.solver
    limit = float(time_limit or settings.time_limit_seconds)
    target = settings.target
    now = Levers.of(sc)
    rounds: list[tuple[float, Coefficients, Built, Outcome, Levers]] = []
    seconds = 0.0
    for _ in range(MAX_ROUNDS):
        problem = build_coefficients(sc, objective, now.spend, now.tiers, target is not None, calibration,
                                now.programmes, now.winback)  # fmt: skip
        built = build(problem, target=target)
        outcome = solve(built.prob, solver, limit)
        seconds += outcome.seconds
        if outcome.status == "infeasible":
            groups = conflicting_groups(problem, target, solver, limit)
            raise InfeasibleError(explain_conflict(problem, groups, target))
        if not outcome.has_plan:
            raise InfeasibleError(f"no plan found: {solver} stopped with status {outcome.status} "
                                  f"within the time limit of {limit:g} s (optimize.time_limit_seconds)")  # fmt: skip
        found = read_decisions(built, problem)
        if target is None:
            reserved = found.winback or 0.0  # win-back's share of the budget stays as the MILP set it
            column = explain.objective_column(problem)
            found = replace(
                found, spend=polish(problem, found.spend, column, objective == "profit", reserved)
            )
        value = score(forecast_levers(sc, found, calibration), objective, target)
        rounds.append((value, problem, built, outcome, found))
        if found == now or any(found == r[4] for r in rounds[:-1]):
            break
        now = found
    best = min(rounds, key=lambda r: r[0]) if target is not None else max(rounds, key=lambda r: r[0])
    plan = explain_plan(sc, best, objective, solver, target, limit, seconds, len(rounds), calibration)
    return plan


def explain_plan(sc: Scenario, best: tuple, objective: str, solver: str, target: Any | None, limit: float,
             seconds: float, rounds: int, calibration: dict[str, float] | None) -> Plan:  # fmt: skip
    value, problem, built, outcome, levers = best
    spend, tiers = levers.spend, levers.tiers
    base = Levers.of(sc)
    base_tiers = base.tiers
    plan_fc = forecast_levers(sc, levers, calibration)
    base_fc = forecast_levers(sc, base, calibration)
    prices = explain.shadow_prices(problem, built, solver, target, limit)
    leads = {t.id: [round(t.source.response.leads(e), 4) for e in period_levels(t.source, spend[t.id], t.carry, t.mix)]
             for t in problem.sources}  # fmt: skip
    details = {"rounds": rounds, "baseline_tiers": base_tiers, "periods": [p.weeks for p in problem.periods],
               "curves_with_binaries": sorted(built.ordered),
               "target": target.model_dump() if target is not None else None,
               "marketing_budget_per_week": problem.marketing_budget,
               "incentive_budget_per_week": problem.incentive_budget,
               "calibration": {k: round(v, 6) for k, v in (calibration or {}).items()} or None}  # fmt: skip
    metric = (
        built.metrics["marketing"] + built.metrics["incentives"] + built.metrics["crm"]
        if target is not None
        else built.metrics[objective]
    )
    return Plan(
        sc, outcome.status, "least_spend" if target is not None else objective, solver, value,
        score(base_fc, objective, target), spend, tiers, mip_gap=outcome.mip_gap, solve_seconds=seconds,
        budget_shadow_price=prices["marketing"], incentive_shadow_price=prices["incentives"],
        binding=sorted(explain.binding(built) + explain.at_bounds(problem, spend)),
        marginal_return=explain.marginal_returns(problem, spend)
        | explain.winback_return(problem, levers.winback),
        approximation_bound=explain.approximation_bounds(problem),
        milp_objective=float(pulp.value(metric) or 0.0), leads=leads, programmes=levers.programmes,
        winback=levers.winback,
        expected={"plan": expected_figures(sc, plan_fc, tiers), "baseline": expected_figures(sc, base_fc, base_tiers)},
        details=details,
    )  # fmt: skip
