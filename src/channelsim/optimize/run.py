"""`channelsim.optimize`: build the MILP at the current plan, solve, re-linearise at the answer, explain.

Round 0 linearises at the scenario as written. The value of a lead depends on the tiers
and the tiers' effect on the orders forecast, so each round re-linearises at the plan the
previous one found; rounds stop when the plan repeats (at most `MAX_ROUNDS`). The plan
kept is the best by its analytic value (the forecast with the exact curves).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pulp

from channelsim.model.adstock import period_levels
from channelsim.optimize import explain
from channelsim.optimize.coefficients import Coefficients, build_coefficients
from channelsim.optimize.diagnose import InfeasibleError, conflicting_groups, explain_conflict
from channelsim.optimize.levers import (
    Levers,
    check_choices,
    expected_figures,
    forecast_levers,
    read_decisions,
    score,
)
from channelsim.optimize.milp import Built, build
from channelsim.optimize.plan import Plan
from channelsim.optimize.polish import kept_slack, polish
from channelsim.optimize.solvers import Outcome, solve
from channelsim.scenario.design import opened
from channelsim.scenario.planning import Target
from channelsim.scenario.schema import Scenario

MAX_ROUNDS = 4


@dataclass(frozen=True)
class Round:
    """One linearise-and-solve round: the plan's exact value, its coefficients, MILP, outcome and levers."""

    value: float
    problem: Coefficients
    built: Built
    outcome: Outcome
    levers: Levers


def optimize_plan(
    sc: Scenario, objective: str | None = None, solver: str | None = None, time_limit: float | None = None,
    calibration: dict[str, float] | None = None,
) -> Plan:  # fmt: skip
    """The best plan for the scenario's budget and limits (or the least spend reaching its target).

    `calibration`: per source, a factor on what its leads bring (`valuation.calibration` from a
    simulation's attribution); default: the analytic values as they are."""
    check_choices(objective, solver)
    sc = opened(sc)  # today's design: candidates closed (a design's own scenario has no decisions left)
    settings = sc.optimize
    objective, solver = objective or settings.objective, solver or settings.solver
    limit = float(time_limit or settings.time_limit_seconds)
    target = settings.target
    now = Levers.of(sc)
    rounds: list[Round] = []
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
            polished = polish(
                problem, found.spend, column, objective == "profit", reserved, kept_slack(built)
            )
            found = replace(found, spend=polished)
        value = score(forecast_levers(sc, found, calibration), objective, target)
        rounds.append(Round(value, problem, built, outcome, found))
        if found == now or any(found == r.levers for r in rounds[:-1]):
            break
        now = found
    best = min(rounds, key=lambda r: r.value) if target is not None else max(rounds, key=lambda r: r.value)
    plan = explain_plan(sc, best, objective, solver, target, limit, seconds, len(rounds), calibration)
    return plan


def explain_plan(sc: Scenario, best: Round, objective: str, solver: str, target: Target | None, limit: float,
                 seconds: float, rounds: int, calibration: dict[str, float] | None) -> Plan:  # fmt: skip
    """The plan of the best round, with what a planner asks of it (duals, binding limits, forecasts)."""
    value, problem, built, outcome, levers = best.value, best.problem, best.built, best.outcome, best.levers
    spend, tiers = levers.spend, levers.tiers
    base = Levers.of(sc)
    base_tiers = base.tiers
    plan_fc = forecast_levers(sc, levers, calibration)
    base_fc = forecast_levers(sc, base, calibration)
    prices = explain.shadow_prices(problem, built, solver, target, limit)
    leads = {t.id: [round(t.source.response.leads(e), 4)
                    for e in period_levels(t.source.spend_per_week, spend[t.id], t.carry, t.mix)]
             for t in problem.sources}  # fmt: skip
    details = {"rounds": rounds, "baseline_tiers": base_tiers, "periods": [p.weeks for p in problem.periods],
               "curves_with_binaries": sorted(built.ordered),
               "target": target.model_dump() if target is not None else None,
               "marketing_budget_per_week": problem.marketing_budget,
               "incentive_budget_per_week": problem.incentive_budget,
               "calibration": {k: round(v, 6) for k, v in (calibration or {}).items()} or None,
               "partners_kept": sorted(problem.exit_floors), "exits_at_risk": problem.exits_at_risk}  # fmt: skip
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
