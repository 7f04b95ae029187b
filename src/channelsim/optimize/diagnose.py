"""Why there is no feasible plan: the smallest set of constraint groups in conflict that we can find.

A deletion filter over the named groups: drop each group in turn and keep it dropped if
the rest is still infeasible. What remains is irreducible (remove any one group and a plan
exists), said in the planner's words, with the figures that clash.
"""

from __future__ import annotations

from channelsim.errors import ChannelsimError
from channelsim.optimize.coefficients import Coefficients, SourceTerm
from channelsim.optimize.milp import build
from channelsim.optimize.solvers import solve
from channelsim.scenario.crm import Winback
from channelsim.scenario.planning import Target
from channelsim.scenario.schema import Scenario

EXIT_INFEASIBLE = 3


class InfeasibleError(ChannelsimError):
    """The optimization has no feasible plan (exit code 3); the message names the conflict."""

    exit_code = EXIT_INFEASIBLE


def conflicting_groups(
    problem: Coefficients, target: Target | None, solver: str, time_limit: float
) -> list[str]:
    """An irreducible set of constraint groups that cannot hold together (empty: bounds alone conflict)."""
    everything = build(problem, target=target).groups
    kept: list[str] = sorted(everything)
    for group in sorted(everything):
        trial = frozenset(g for g in everything if g not in kept or g == group)
        built = build(problem, drop=trial, target=target)
        built.prob.setObjective(built.metrics["marketing"] * 0)
        if solve(built.prob, solver, time_limit).status == "infeasible":
            kept.remove(group)
    return kept


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _source(problem: Coefficients, name: str) -> SourceTerm:
    """The source a `min_spend:NAME` or `locked:NAME` group is about."""
    return next(t for t in problem.sources if t.id == name)


def _winback(sc: Scenario) -> Winback:
    """The win-back section behind a `winback_min` group."""
    assert sc.winback is not None  # the MILP has win-back spend only for a scenario with a winback section
    return sc.winback


def _target(target: Target | None) -> str:
    """The `target` group in the planner's words."""
    assert target is not None  # the MILP has a target group only in target mode
    return f"target {target.metric} ≥ {target.at_least:,.6g}"


def describe(problem: Coefficients, group: str, target: Target | None) -> str:
    """One group in the planner's words, with its figures."""
    sc = problem.scenario
    kind, _, name = group.partition(":")
    texts = {
        "marketing_budget": lambda: f"marketing budget {_money(problem.marketing_budget or 0)}/week",
        "incentive_budget": lambda: f"incentive budget {_money(problem.incentive_budget or 0)}/week",
        "min_spend": lambda: f"minimum spend of {name} {_money(_source(problem, name).lower)}/week",
        "locked": lambda: (
            f"locked spend of {name} {_money(_source(problem, name).source.spend_per_week)}/week"
        ),
        "max_share": lambda: f"{name} at most {sc.budget.max_share_per_source:.0%} of the marketing budget",
        "min_active_sources": lambda: f"at least {sc.budget.min_active_sources} active sources",
        "capacity": lambda: (
            f"capacity of {name} ({problem.capacities[name][1]:,.1f} orders/week on average, so the busiest week fits)"
        ),
        "keep_partner": lambda: (
            f"{name} kept above its exit threshold ({problem.exit_floors[name][1]:,.1f} orders/week)"
        ),
        "winback_min": lambda: f"minimum win-back spend {_money(_winback(sc).min_spend_per_week)}/week",
        "diversion_cap": lambda: f"at most {sc.optimize.max_diverted_orders_per_week:g} diverted orders/week",
        "target": lambda: _target(target),
    }
    return texts[kind]()


def explain_conflict(problem: Coefficients, groups: list[str], target: Target | None) -> str:
    """The message of an infeasible problem: a summary line for the classic clash, then each group."""
    if not groups:
        return "no feasible plan: the sources' own spend bounds (units, maximums) cannot be met"
    fixed = [t for t in problem.sources if f"min_spend:{t.id}" in groups or f"locked:{t.id}" in groups]
    rest = [g for g in groups if not g.startswith(("min_spend:", "locked:")) and g != "winback_min"]
    if (fixed or "winback_min" in groups) and rest == ["marketing_budget"]:
        floors = [(t.id, t.source.spend_per_week if t.source.locked else t.lower) for t in fixed]
        if "winback_min" in groups:
            floors.append(("win-back", _winback(problem.scenario).min_spend_per_week))
        total = sum(x for _, x in floors)
        parts = ", ".join(f"{name} {_money(x)}" for name, x in floors)
        return (f"no feasible plan: minimum and locked spends {_money(total)}/week ({parts}) exceed "
                f"marketing budget {_money(problem.marketing_budget or 0)}/week")  # fmt: skip
    if groups == ["target"]:
        return f"no feasible plan: {describe(problem, 'target', target)} is out of reach even with every source at its maximum spend"
    listed = "; ".join(describe(problem, g, target) for g in groups)
    return f"no feasible plan: these constraints conflict: {listed}"
