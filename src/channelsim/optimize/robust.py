"""Robust planning: one plan (the same decisions) judged in several futures (the base and variants).

Each future values the deciding future's decisions with its own valuation (`milp.add_metrics`
with a `FollowDecisions`): its curves, prices, margins and costs. A decision that does not
exist in a future (a removed source, partner or programme) contributes nothing there; a
lever that exists only in a future is not decided, it stays as written there. The objective is the expected value,
the worst case or the CVaR at level α (`risk`). Limits are the base scenario's. The plan the
rounds keep is then polished on the exact curves of every future (`robust_polish`).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import Any

import pulp

from channelsim import valuation as va
from channelsim.choices import RISKS
from channelsim.errors import UsageError
from channelsim.optimize.coefficients import (
    Coefficients,
    Period,
    ProgrammeTerm,
    SourceTerm,
    WinbackTerm,
    build_coefficients,
)
from channelsim.optimize.levers import Levers, check_choices, forecast_levers, read_decisions
from channelsim.optimize.milp import Built, Expr, add_metrics, build, tier_indicator
from channelsim.optimize.plan import Plan, risk_label
from channelsim.optimize.risk import measure, risk_objective
from channelsim.optimize.robust_polish import polish_robust
from channelsim.optimize.run import MAX_ROUNDS, Round, explain_plan, optimize_plan
from channelsim.optimize.solvers import solve
from channelsim.results_io import write_bytes_atomic
from channelsim.scenario.design import Design, opened
from channelsim.scenario.schema import Scenario


def restrict(levers: Levers, sc: Scenario) -> Levers:
    """The levers as they exist in future `sc`: its sources, partners and programmes only; what the
    plan does not decide there (a source or partner only in this future) stays as written."""
    own = Levers.of(sc)
    spend = {s.id: levers.spend.get(s.id, own.spend[s.id]) for s in sc.sources}
    tiers = {p: levers.tiers.get(p, level) for p, level in own.tiers.items()}
    programmes = {p: levers.programmes.get(p, on) for p, on in own.programmes.items()}
    winback = own.winback if own.winback is None or levers.winback is None else levers.winback
    return Levers(spend, tiers, programmes, winback)


def complete(levers: Levers, sc: Scenario) -> Levers:
    """A plan made for another future, over the levers of `sc` (the base): what that future did not
    have (a removed source, partner or programme) gets nothing: the source its least spend (its
    minimum; today's when locked), the partner the cheapest tier, the programme off, win-back its
    minimum. Not the scenario as written: the plan never chose to pay for it, and today's tier or
    spend on top of the plan's own may not fit the budgets (a plan optimal for a future without a
    partner, with every other lever as the base plan's, is worth the base plan's value in the base)."""
    spend = dict(levers.spend)
    for s in sc.sources:
        if s.id not in spend:
            spend[s.id] = [s.spend_per_week if s.locked else s.min_spend_per_week] * sc.optimize.periods
    tiers = dict(levers.tiers)
    for partner in va.baseline_tiers(sc):
        if partner not in tiers:
            incentive = va.incentive_of(sc, partner)
            assert incentive is not None  # baseline_tiers lists eligible partners only
            tiers[partner] = min(incentive.tiers, key=lambda t: t.cost_per_week).level
    programmes = {p.id: False for p in sc.loyalty_programs} | levers.programmes
    winback = levers.winback
    if winback is None and sc.winback is not None:
        winback = sc.winback.min_spend_per_week
    return Levers(spend, tiers, programmes, winback)


def check_robust(
    futures: list[Scenario], risk: str, alpha: float, weights: list[float] | None
) -> list[float]:
    """Validated weights (normalised), or a UsageError naming the bad flag."""
    if risk not in RISKS:
        raise UsageError(f"--risk: must be one of {', '.join(RISKS)} (got {risk!r})")
    if not 0 < alpha <= 1:
        raise UsageError(f"--alpha: must be in (0, 1] (got {alpha:g})")
    if weights is None:
        return [1.0 / len(futures)] * len(futures)
    if len(weights) != len(futures) or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise UsageError(f"--weights: need {len(futures)} non-negative numbers, one per future (base first); "
                         f"got {weights}")  # fmt: skip
    return [w / sum(weights) for w in weights]


class FollowDecisions:
    """A future's decisions are the deciding future's (`master`), lever by lever; a lever the
    master does not have stays as written in this future (a constant, not a decision)."""

    def __init__(self, master: Built) -> None:
        self.master = master

    def spend(
        self, built: Built, term: SourceTerm, period: Period
    ) -> tuple[Expr, pulp.LpVariable | float, Expr | None]:
        key = (term.id, period.index)
        if key in self.master.spend:
            return self.master.spend[key], self.master.used[key], None
        now = term.source.spend_per_week
        return pulp.lpSum([]) + now, 1.0 if now > 0 else 0.0, None

    def link_tiers(self, built: Built, problem: Coefficients) -> None:
        """Each partner's tier here is the master's for it (its current one where the master has none)."""
        master = self.master
        assert master.problem is not None
        decided = {p for g in master.problem.groups for p in g.partners}
        for group in problem.groups:
            for partner in group.partners:
                for level in {c.levels[partner] for c in group.combos}:
                    here = tier_indicator(built, problem, partner, level)
                    there = (tier_indicator(master, master.problem, partner, level)
                             if partner in decided else float(problem.tiers[partner] == level))  # fmt: skip
                    built.prob += (here == there, re.sub(r"\W", "_", f"{built.prefix}tier_{partner}_{level}"))

    def running(self, built: Built, term: ProgrammeTerm) -> pulp.LpVariable | float:
        return self.master.running.get(term.id, float(term.current))

    def winback(self, built: Built, term: WinbackTerm) -> Expr:
        if self.master.winback is not None:
            return self.master.winback
        return pulp.lpSum([]) + term.current


def value_in(sc: Scenario, levers: Levers, objective: str) -> float:
    """A plan's exact forecast of the objective in future `sc`."""
    return forecast_levers(sc, restrict(levers, sc)).metric(objective)


def forecasts_in(futures: list[Scenario], levers: Levers) -> list[va.Forecast]:
    """A plan's exact forecast in each future (`value_in`'s)."""
    return [forecast_levers(f, restrict(levers, f)) for f in futures]


def solve_robust(futures: list[Scenario], objective: str, solver: str, limit: float, risk: str, alpha: float,
                 weights: list[float]) -> tuple[Levers, Round, int, float]:  # fmt: skip
    """Rounds as in `optimize_plan`: linearise every future at the plan, solve, repeat until it repeats."""
    now, rounds, seconds = Levers.of(futures[0]), [], 0.0
    for _ in range(MAX_ROUNDS):
        problems = [_coefficients(f, objective, restrict(now, f)) for f in futures]
        master = build(problems[0])
        values = [master.metrics[objective]]
        for k, problem in enumerate(problems[1:], start=1):
            future = Built(master.prob, problem=problem, prefix=f"f{k}_")
            add_metrics(future, problem, FollowDecisions(master))
            values.append(future.metrics[objective])
        risk_objective(master.prob, values, weights, risk, alpha)
        outcome = solve(master.prob, solver, limit)
        seconds += outcome.seconds
        if not outcome.has_plan:
            raise UsageError(f"robust plan: {solver} found no plan (status {outcome.status})")
        found = read_decisions(master, problems[0])
        exact = [value_in(f, found, objective) for f in futures]
        rounds.append(Round(measure(exact, weights, risk, alpha), problems[0], master, outcome, found))
        if found == now or any(found == r.levers for r in rounds[:-1]):
            break
        now = found
    best = max(rounds, key=lambda r: r.value)
    return best.levers, best, len(rounds), seconds


def _coefficients(sc: Scenario, objective: str, levers: Levers) -> Coefficients:
    return build_coefficients(
        sc, objective, levers.spend, levers.tiers, False, None, levers.programmes, levers.winback
    )


def regret_rows(futures: list[Scenario], names: list[str], plans: dict[str, Levers], objective: str,
                known: dict[tuple[str, str], float] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Each candidate plan in each future: its value, the best value there, and the regret. `known`:
    (plan, future) values already forecast (not forecast again)."""
    known = known or {}
    table = {
        (p, f): known[(p, f)] if (p, f) in known else value_in(sc, lev, objective)
        for p, lev in plans.items()
        for f, sc in zip(names, futures, strict=True)
    }
    rows = []
    for f in names:
        best = max(table[(p, f)] for p in plans)
        for p in plans:
            rows.append({"plan": p, "future": f, "value": round(table[(p, f)], 2), "best": round(best, 2),
                         "regret": round(best - table[(p, f)], 2)})  # fmt: skip
    return rows


def optimize_robust(sc: Scenario, robust: list[str], risk: str = "expected", alpha: float = 0.2,
                    weights: list[float] | None = None, objective: str | None = None, solver: str | None = None,
                    time_limit: float | None = None, design: Design | None = None) -> Plan:  # fmt: skip
    """One plan for the base scenario and the variants `robust`, by the risk measure `risk`; every
    future with the candidate and closable outlets as `design` has them (default: today's)."""
    check_choices(objective, solver)
    objective, solver = objective or sc.optimize.objective, solver or sc.optimize.solver
    if sc.optimize.target is not None:
        raise UsageError("--robust: target mode (optimize.target) is not supported; use an objective")
    futures = [opened(f, design) for f in [sc] + [sc.variant(v) for v in robust]]
    sc = futures[0]
    names = ["base", *robust]
    weights = check_robust(futures, risk, alpha, weights)
    limit = float(time_limit or sc.optimize.time_limit_seconds)
    levers, best, rounds, seconds = solve_robust(futures, objective, solver, limit, risk, alpha, weights)
    levers, values, polished = polish_robust(futures, best.problem, levers, lambda lev: forecasts_in(futures, lev),
                                             objective, risk, alpha, weights, solver, limit)  # fmt: skip
    best = replace(best, levers=levers, value=measure(values, weights, risk, alpha))
    plan = explain_plan(sc, best, objective, solver, None, limit, seconds, rounds, None)
    plan.budget_shadow_price = plan.incentive_shadow_price = (
        None  # the base future's duals alone would mislead
    )
    singles = {f"optimal_for_{n}": optimize_plan(f, objective=objective, solver=solver, time_limit=limit)
               for n, f in zip(names, futures, strict=True)}  # fmt: skip
    # every candidate over the base's levers, as the robust plan is: comparable plan by plan
    candidates = {"robust": levers} | {k: complete(_levers_of(p), sc) for k, p in singles.items()}
    today = [value_in(f, Levers.of(sc), objective) for f in futures]
    regret = regret_rows(futures, names, candidates, objective,
                         {("robust", n): v for n, v in zip(names, values, strict=True)})  # fmt: skip
    each = {p: [r["value"] for r in regret if r["plan"] == p] for p in candidates}  # in the futures' order
    plan.robust = {
        "futures": names, "weights": [round(w, 6) for w in weights], "risk": risk, "alpha": alpha,
        "label": risk_label(risk, alpha, objective),
        "values": {n: round(v, 2) for n, v in zip(names, values, strict=True)},
        "baseline_values": {n: round(v, 2) for n, v in zip(names, today, strict=True)},
        "measure": round(measure(values, weights, risk, alpha), 2),
        "measures": {p: round(measure(v, weights, risk, alpha), 2) for p, v in each.items()},
        "regret": regret, "polish": polished,
    }  # fmt: skip
    plan.objective_value = measure(values, weights, risk, alpha)
    plan.baseline_value = measure(today, weights, risk, alpha)
    return plan


def _levers_of(plan: Plan) -> Levers:
    return Levers(plan.spend, plan.tiers, plan.programmes, plan.winback)


def write_regret(plan: Plan, folder: str | os.PathLike[str]) -> list[str]:
    """regret.csv: one row per (plan, future) with value, best value there and regret."""
    if not plan.robust:
        return []
    path = os.path.join(folder, "regret.csv")
    lines = ["plan,future,value,best,regret"]
    lines += [
        f"{r['plan']},{r['future']},{r['value']},{r['best']},{r['regret']}" for r in plan.robust["regret"]
    ]
    write_bytes_atomic(path, ("\n".join(lines) + "\n").encode())
    return [path]


__all__ = ["RISKS", "measure", "optimize_robust", "write_regret"]
