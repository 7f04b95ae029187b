"""Channel design in the optimizer: which candidate and closable outlets a plan opens.

Each design (the open state of every candidate and closable outlet) is a scenario of its own
(`scenario.design.opened`): its spend, tiers and programmes are optimised by the MILP as for
any scenario, and its value is that plan's less the design's opening and closing costs. With
up to `MAX_DESIGNS` designs every one is solved, so the design chosen is the best of all of
them; with more, a local search from today's design flips one decision at a time while a flip
improves the plan (`details.design.search` says which, and how many designs were solved).
With `--robust`, each design's plan is the robust one, and designs compare by its risk measure
(one-off costs are the same in every future). The limits a planner sets on the design, `budget.fixed_per_week` and
`budget.min_open_channels`, rule designs out before they are solved.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any

from channelsim.optimize.diagnose import InfeasibleError
from channelsim.optimize.levers import Levers, expected_figures, forecast_levers, score
from channelsim.optimize.plan import Plan
from channelsim.optimize.robust import optimize_robust
from channelsim.optimize.run import optimize_plan
from channelsim.scenario.design import (
    Decision,
    Design,
    decisions,
    fixed_per_week,
    one_off_cost,
    open_channels,
    opened,
    today,
)
from channelsim.scenario.schema import Scenario

#: Designs solved one by one at most (2^4: four outlets to open or close); above, a local search.
MAX_DESIGNS = 16


@dataclass(frozen=True)
class Tried:
    """One design: its plan and value (one-off costs counted), or why it was ruled out."""

    design: Design
    plan: Plan | None
    value: float | None
    reason: str = ""


@dataclass(frozen=True)
class Robust:
    """Plan each design for several futures (`optimize.robust`): variant names, risk measure, weights."""

    futures: list[str]
    risk: str = "expected"
    alpha: float = 0.2
    weights: list[float] | None = None


def optimize_design(sc: Scenario, objective: str | None = None, solver: str | None = None,
                    time_limit: float | None = None, calibration: dict[str, float] | None = None,
                    robust: Robust | None = None) -> Plan:  # fmt: skip
    """The best plan over the designs (see the module), as a plan of `sc` with `design` set; with
    `robust`, each design's plan is the robust one and designs compare by its risk measure."""
    choices = decisions(sc)
    least = sc.optimize.target is not None  # least spend: one-off costs are spend, lower is better
    tried: dict[tuple[bool, ...], Tried] = {}

    def attempt(design: Design) -> Tried:
        key = tuple(design[d.id] for d in choices)
        if key not in tried:
            tried[key] = _solve(sc, design, objective, solver, time_limit, calibration, least, robust)
        return tried[key]

    if 2 ** len(choices) <= MAX_DESIGNS:
        search = "every design"
        for states in itertools.product((False, True), repeat=len(choices)):
            attempt({d.id: s for d, s in zip(choices, states, strict=True)})
    else:
        search = "local search from today's design (one flip at a time): not proven the best design"
        _local_search(today(sc), choices, attempt, least)
    feasible = [t for t in tried.values() if t.plan is not None and t.value is not None]
    if not feasible:
        reasons = sorted({t.reason for t in tried.values() if t.reason})
        raise InfeasibleError("no design of the candidate and closable outlets meets the limits: " + "; ".join(reasons))
    best = (min if least else max)(feasible, key=lambda t: t.value or 0.0)
    return _as_plan_of(sc, best, list(tried.values()), choices, search, calibration, objective)


def _better(value: float | None, than: float | None, least: bool) -> bool:
    if value is None:
        return False
    return than is None or (value < than - 1e-6 if least else value > than + 1e-6)


def _local_search(start: Design, choices: list[Decision], attempt: Any, least: bool) -> None:
    """Flip the decision that improves most, until none does."""
    current = attempt(start)
    while True:
        flips = [attempt(current.design | {d.id: not current.design[d.id]}) for d in choices]
        best = next(iter(sorted(flips, key=lambda t: (t.value is None, t.value if least else -(t.value or 0.0)))))
        if not _better(best.value, current.value, least):
            return
        current = best


def _solve(sc: Scenario, design: Design, objective: str | None, solver: str | None, time_limit: float | None,
           calibration: dict[str, float] | None, least: bool, robust: Robust | None = None) -> Tried:  # fmt: skip
    """Optimise the plan of one design, or say which limit rules it out."""
    limit, minimum = sc.budget.fixed_per_week, sc.budget.min_open_channels
    if limit is not None and fixed_per_week(sc, design) > limit + 1e-9:
        return Tried(design, None, None, f"fixed costs {fixed_per_week(sc, design):,.0f} a week over budget.fixed_per_week {limit:,.0f}")
    if open_channels(sc, design) < minimum:
        return Tried(design, None, None, f"{open_channels(sc, design)} channels open, under budget.min_open_channels {minimum}")
    try:
        if robust is not None:
            plan = optimize_robust(sc, robust.futures, robust.risk, robust.alpha, robust.weights, objective,
                                   solver, time_limit, design)  # fmt: skip
        else:
            plan = optimize_plan(opened(sc, design), objective, solver, time_limit, calibration)
    except InfeasibleError as err:
        return Tried(design, None, None, str(err))
    once = one_off_cost(sc, design)
    counted = plan.objective in ("profit", "least_spend")  # revenue and customers do not pay the costs
    value = plan.objective_value + (once if least else -once) if counted else plan.objective_value
    return Tried(design, plan, value)


def _as_plan_of(sc: Scenario, best: Tried, tried: list[Tried], choices: list[Decision], search: str,
                calibration: dict[str, float] | None, objective: str | None) -> Plan:  # fmt: skip
    """The best design's plan as a plan of `sc`: today's baseline, one-off costs in profit, and what
    each decision is worth."""
    assert best.plan is not None and best.value is not None
    plan, once = best.plan, one_off_cost(sc, best.design)
    base_sc = opened(sc)
    base_fc = forecast_levers(base_sc, Levers.of(base_sc), calibration)
    expected = dict(plan.expected)
    expected["plan"] = expected["plan"] | {"profit": round(expected["plan"]["profit"] - once, 2), "one_off_cost": round(once, 2)}
    expected["baseline"] = expected_figures(base_sc, base_fc, Levers.of(base_sc).tiers) | {"one_off_cost": 0.0}
    details = plan.details | {"design": {
        "search": search, "designs_solved": sum(t.plan is not None for t in tried),
        "designs": [{"open": t.design, "value": None if t.value is None else round(t.value, 2),
                     "ruled_out": t.reason or None} for t in tried],
        "decisions": {d.id: worth(sc, d, best, tried, calibration, plan.objective) for d in choices},
        "one_off_cost": round(once, 2), "fixed_cost_per_week": round(fixed_per_week(sc, best.design), 2),
    }}  # fmt: skip
    base_value = score(base_fc, objective or sc.optimize.objective, sc.optimize.target)
    return replace(plan, scenario=sc, objective_value=best.value, baseline_value=base_value, expected=expected,
                   details=details, design=dict(best.design))  # fmt: skip


def worth(sc: Scenario, d: Decision, best: Tried, tried: list[Tried], calibration: dict[str, float] | None,
          objective: str) -> dict[str, Any]:  # fmt: skip
    """What one decision is worth: the plan's value against the same plan with the decision flipped
    (the other levers as they are), and against the best plan with it flipped (re-optimised)."""
    assert best.plan is not None and best.value is not None
    flipped = best.design | {d.id: not best.design[d.id]}
    flipped_sc = opened(sc, flipped)
    partners = {p.id for p in flipped_sc.partners}
    levers = Levers(best.plan.spend, {k: v for k, v in best.plan.tiers.items() if k in partners}
                    | {k: v for k, v in Levers.of(flipped_sc).tiers.items() if k not in best.plan.tiers},
                    best.plan.programmes, best.plan.winback)  # fmt: skip
    metric = objective if objective != "least_spend" else "profit"
    same = score(forecast_levers(flipped_sc, levers, calibration), metric, None) - one_off_cost(sc, flipped)
    alternatives = [t.value for t in tried if t.value is not None and t.design[d.id] != best.design[d.id]]
    reoptimised = (max(alternatives) if objective != "least_spend" else min(alternatives)) if alternatives else None
    return {"open": best.design[d.id], "today": d.today,
            "worth": round(best.value - same, 2) if objective == "profit" else None,
            "worth_reoptimised": None if reoptimised is None else round(best.value - reoptimised, 2)}  # fmt: skip
