"""The MILP: decision variables, named constraint groups and the objective, built from a `Coefficients`.

Every constraint belongs to a group with a planner's name (`marketing_budget`,
`min_spend:search`, `capacity:webshop`, ...), so binding constraints and infeasibility
are explained in the planner's words, and a group can be left out (`drop`) to diagnose.

The metrics are built from decisions a `Decider` gives: `build` makes its own (`OwnDecisions`:
variables, bounds, limits, objective); robust planning (`optimize.robust`) values the same
decisions in other futures through `add_metrics` with a decider of its own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

import pulp

from channelsim.optimize.coefficients import (
    METRIC_INDEX,
    Coefficients,
    Period,
    ProgrammeTerm,
    SourceTerm,
    WinbackTerm,
)
from channelsim.optimize.pieces import add_piecewise
from channelsim.scenario.planning import Target

#: A linear expression of the MILP's variables (a variable or a number also serves).
Expr: TypeAlias = pulp.LpAffineExpression


@dataclass
class Built:
    """The PuLP problem and handles on what the plan, the explanations and the diagnosis read."""

    prob: pulp.LpProblem
    problem: Coefficients | None = None
    spend: dict[tuple[str, int], Expr] = field(default_factory=dict)  # (source, period) → weekly spend
    used: dict[tuple[str, int], pulp.LpVariable | float] = field(default_factory=dict)
    leads: dict[tuple[str, int], Expr] = field(default_factory=dict)
    marketing: dict[int, Expr] = field(default_factory=dict)  # period → weekly marketing cost
    choose: dict[tuple[int, int], pulp.LpVariable] = field(default_factory=dict)  # (group, combo)
    running: dict[str, pulp.LpVariable | float] = field(default_factory=dict)  # programme id → on
    winback: Expr | None = None  # win-back spend per week
    reactivations: Expr | None = None  # win-back reactivations per week (the curve's pieces)
    metrics: dict[str, Expr] = field(default_factory=dict)  # horizon totals
    groups: dict[str, list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )  # group → constraint names
    ordered: set[str] = field(default_factory=set)  # sources whose curve needed binaries
    drop: frozenset[str] = frozenset()  # groups left out (the diagnosis)
    prefix: str = ""  # of this problem's variable and constraint names (several in one PuLP problem)

    def add(self, group: str, constraint: pulp.LpConstraint, suffix: str = "") -> None:
        if group in self.drop:
            return
        name = _name(f"{group}_{suffix}" if suffix else group)
        self.prob += (constraint, name)
        self.groups[group].append(name)


class Decider(Protocol):
    """Where a problem's decisions come from: its own variables (`OwnDecisions`), or another
    problem's (robust planning values one plan's decisions in several futures)."""

    def spend(
        self, built: Built, term: SourceTerm, period: Period
    ) -> tuple[Expr, pulp.LpVariable | float, Expr | None]:
        """(weekly spend, used, exact leads or None) of a source in a period."""

    def link_tiers(self, built: Built, problem: Coefficients) -> None:
        """Tie the problem's tier combinations to the decisions (nothing when they are its own)."""

    def running(self, built: Built, term: ProgrammeTerm) -> pulp.LpVariable | float:
        """Whether a loyalty programme runs (a binary, or a constant)."""

    def winback(self, built: Built, term: WinbackTerm) -> Expr:
        """Win-back spend per week."""


class OwnDecisions:
    """The problem decides for itself: variables with their bounds and the planner's limits."""

    def spend(
        self, built: Built, term: SourceTerm, period: Period
    ) -> tuple[Expr, pulp.LpVariable | float, Expr | None]:
        prob, p, sid = built.prob, period.index, _name(built.prefix + term.id)
        used = prob.add_variable(f"use_{sid}_{p}", 0, 1, pulp.LpBinary)
        leads: Expr | None = None
        if term.units and term.source.adstock == 0:
            leads, spend = _units_exact(prob, term, sid, p)
        else:
            spend = _spend_variable(prob, term, sid, p)
        if period.weeks == 0:  # a period past the horizon (periods do not divide it): nothing to buy
            prob += (spend == 0, f"none_{sid}_{p}")
        prob += (spend <= term.upper * used, f"on_{sid}_{p}")
        prob += (spend >= term.floor * used, f"floor_{sid}_{p}")
        return spend, used, leads

    def link_tiers(self, built: Built, problem: Coefficients) -> None:
        return None

    def running(self, built: Built, term: ProgrammeTerm) -> pulp.LpVariable | float:
        return built.prob.add_variable(f"{built.prefix}run_{_name(term.id)}", 0, 1, pulp.LpBinary)

    def winback(self, built: Built, term: WinbackTerm) -> Expr:
        spend = pulp.lpSum([built.prob.add_variable(f"{built.prefix}winback", 0, term.upper)])
        if term.lower > 0:
            built.add("winback_min", spend >= term.lower)
        return spend


def _name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def needs_binaries(term: SourceTerm, problem: Coefficients) -> bool:
    """Segment fills are in order by themselves only for concave curves whose leads are always wanted."""
    if not term.leads.concave or problem.capacities:
        return True
    return bool((problem.worth(term.value) <= 0).any())


def add_source(built: Built, problem: Coefficients, term: SourceTerm, decider: Decider) -> None:
    """Spend, use, effective spend (adstock), leads and media cost of one source in every period."""
    prob, src = built.prob, term.source
    level: Expr | float = src.spend_per_week  # the adstock level carried in from before the plan
    own = isinstance(decider, OwnDecisions)
    for period in problem.periods:
        key, p, sid = (term.id, period.index), period.index, _name(built.prefix + term.id)
        spend, used, leads = decider.spend(built, term, period)
        average = term.mix[p] * level + (1 - term.mix[p]) * spend
        level = term.carry[p] * level + (1 - term.carry[p]) * spend
        if leads is None:
            ordered = needs_binaries(term, problem) or bool(term.units)
            leads, _ = add_piecewise(prob, f"lead_{sid}_{p}", average, term.leads, ordered)
            if ordered:
                built.ordered.add(term.id)
        cost: Expr = spend
        if term.cost is not None:
            cost, _ = add_piecewise(prob, f"rate_{sid}_{p}", spend, term.cost, not term.cost.convex)
        built.spend[key], built.used[key], built.leads[key] = spend, used, leads
        built.marketing[p] = built.marketing.get(p, 0) + cost + src.setup_cost_per_week * used
        if period.weeks == 0 or not own:
            continue
        if src.locked:
            built.add(f"locked:{term.id}", spend == src.spend_per_week, str(p))
        elif term.lower > 0:
            built.add(f"min_spend:{term.id}", spend >= term.lower, str(p))


def _spend_variable(prob: pulp.LpProblem, term: SourceTerm, sid: str, p: int) -> Expr:
    units = term.source.units
    if units is not None:  # term.units
        count = prob.add_variable(f"n_{sid}_{p}", 0, units.max, pulp.LpInteger)
        return units.cost * count
    return pulp.lpSum([prob.add_variable(f"x_{sid}_{p}", 0, term.upper)])


def _units_exact(prob: pulp.LpProblem, term: SourceTerm, sid: str, p: int) -> tuple[Expr, Expr]:
    """Whole units without carry-over: one binary per count, leads exact at each count."""
    units = term.source.units
    assert units is not None  # called only for a source bought in whole units (term.units)
    pick = [prob.add_variable(f"k_{sid}_{p}_{k}", 0, 1, pulp.LpBinary) for k in range(units.max + 1)]
    prob += (pulp.lpSum(pick) == 1, f"one_{sid}_{p}")
    spend = pulp.lpSum(k * units.cost * v for k, v in enumerate(pick))
    leads = pulp.lpSum(term.source.response.leads(k * units.cost) * v for k, v in enumerate(pick))
    return leads, spend


def add_tiers(built: Built, problem: Coefficients, decider: Decider) -> Expr:
    """One combination per group; returns the weekly incentive cost."""
    prob, cost, prefix = built.prob, 0, built.prefix
    for g, group in enumerate(problem.groups):
        picks = [
            prob.add_variable(f"{prefix}z_{g}_{c}", 0, 1, pulp.LpBinary) for c in range(len(group.combos))
        ]
        prob += (pulp.lpSum(picks) == 1, f"{prefix}combo_{g}")
        for c, var in enumerate(picks):
            built.choose[(g, c)] = var
            cost += group.combos[c].cost * var
    decider.link_tiers(built, problem)
    return cost


def add_programmes(built: Built, problem: Coefficients, decider: Decider) -> None:
    """Whether each loyalty programme runs."""
    for term in problem.programmes:
        built.running[term.id] = decider.running(built, term)


def add_winback(built: Built, problem: Coefficients, decider: Decider) -> None:
    """Win-back spend per week and its reactivations on the curve's pieces (binaries when not concave
    or when a reactivation is worth nothing, as for a source's leads)."""
    term = problem.winback
    if term is None:
        return
    spend = decider.winback(built, term)
    ordered = (
        not term.reactivations.concave or bool(problem.worth(term.value) <= 0) or bool(problem.capacities)
    )
    built.reactivations, _ = add_piecewise(
        built.prob, f"{built.prefix}react", spend, term.reactivations, ordered
    )
    built.winback = spend


def tier_indicator(built: Built, problem: Coefficients, partner: str, level: str) -> Expr:
    """1 when `partner` gets `level` (a sum of its group's combination variables)."""
    return pulp.lpSum(var for (g, c), var in built.choose.items()
                      if problem.groups[g].combos[c].levels.get(partner) == level)  # fmt: skip


def add_diversion(built: Built, problem: Coefficients) -> tuple[Expr, list[Expr]]:
    """Expected diverted orders per week and (contribution, revenue) per week, as linear expressions.

    A term that needs both the diverter's tier and the victims' combination is the product of
    two binaries, linearised exactly: w ≤ y, w ≤ z, w ≥ y + z − 1."""
    orders: Expr = pulp.lpSum([])
    money: list[Expr] = [pulp.lpSum([]), pulp.lpSum([])]
    for k, term in enumerate(problem.diversions):
        y = tier_indicator(built, problem, term.partner, term.level) if term.level is not None else None
        z = built.choose[term.combo] if term.combo is not None else None
        if y is not None and z is not None:
            prefix = built.prefix
            w = built.prob.add_variable(f"{prefix}div_{k}", 0, 1)
            built.prob += (w <= y, f"{prefix}div_{k}_y")
            built.prob += (w <= z, f"{prefix}div_{k}_z")
            built.prob += (w >= y + z - 1, f"{prefix}div_{k}_yz")
            on: Expr | float = w
        else:
            on = y if y is not None else z if z is not None else 1.0
        orders += term.orders * on
        money[0] += float(term.effect[0]) * on
        money[1] += float(term.effect[1]) * on
    return orders, money


def output(built: Built, problem: Coefficients, column: int) -> Expr:
    """A horizon total of the valuation's output vector (a metric, or a seller's orders) as an expression."""
    base = problem.base.totals
    expr = float(base[column]) + pulp.lpSum(
        period.weeks * float(term.value[period.index, column]) * (built.leads[(term.id, period.index)]
                                                                  - float(term.leads_now[period.index]))
        for term in problem.sources for period in problem.periods
    )  # fmt: skip
    for g, group in enumerate(problem.groups):
        now = group.combos[group.current].effect[column]
        expr += pulp.lpSum(float(combo.effect[column] - now) * built.choose[(g, c)]
                           for c, combo in enumerate(group.combos))  # fmt: skip
    for prog in problem.programmes:  # switching a programme moves the totals by its effect
        expr += float(prog.effect[column]) * (built.running[prog.id] - float(prog.current))
    wb = problem.winback
    if wb is not None:
        assert built.reactivations is not None  # add_winback set them for this problem's win-back
        expr += float(wb.value[column]) * (built.reactivations - wb.reactivations_now)
    return expr


def build(problem: Coefficients, drop: frozenset[str] = frozenset(), target: Target | None = None) -> Built:
    """The MILP of `problem` without the constraint groups in `drop` (for the diagnosis)."""
    target_mode = target is not None
    prob = pulp.LpProblem("channelsim", pulp.LpMinimize if target_mode else pulp.LpMaximize)
    built = Built(prob, drop=drop, problem=problem)
    weekly_incentives, diverted = add_metrics(built, problem, OwnDecisions())
    _add_limits(built, problem, weekly_incentives, diverted)
    m = built.metrics
    if target is not None:
        _add_target(built, target)
        prob += m["marketing"] + m["incentives"] + m["crm"]
    else:
        prob += m[problem.objective] - _tie_break(problem) * (m["marketing"] + m["incentives"])
    return built


def add_metrics(built: Built, problem: Coefficients, decider: Decider) -> tuple[Expr, Expr]:
    """The plan's horizon totals (`built.metrics`) as expressions of the decisions `decider` gives;
    returns the weekly incentive cost and the expected diverted orders per week (for the limits)."""
    sc = problem.scenario
    for term in problem.sources:
        add_source(built, problem, term, decider)
    weekly_incentives = add_tiers(built, problem, decider)
    add_programmes(built, problem, decider)
    add_winback(built, problem, decider)
    diverted, diversion_money = add_diversion(built, problem)
    horizon = problem.horizon
    m = built.metrics
    for name, column in METRIC_INDEX.items():
        m[name] = output(built, problem, column) + (horizon * diversion_money[column] if column < 2 else 0)
    winback = horizon * built.winback if built.winback is not None else 0.0
    m["marketing"] = pulp.lpSum(p.weeks * built.marketing.get(p.index, 0) for p in problem.periods) + winback
    m["incentives"] = horizon * weekly_incentives
    layout = problem.base.layout
    m["crm"] = pulp.lpSum(prog.cost_per_member_per_week * output(built, problem, layout.member(k))
                          for k, prog in enumerate(sc.loyalty_programs))  # fmt: skip
    m["profit"] = m["contribution"] - m["marketing"] - m["incentives"] - m["crm"] - problem.base.fixed
    m["equity"] = pulp.lpSum(output(built, problem, layout.equity_cell(s, r))
                             for s in range(len(sc.segments)) for r in range(len(sc.regions)))  # fmt: skip
    if sc.optimize.terminal_value:
        m["profit"] += m["equity"]
    return weekly_incentives, diverted


def _tie_break(problem: Coefficients) -> float:
    """A negligible price on spend so that revenue or customers objectives leave unneeded money unspent."""
    if problem.objective == "profit":
        return 0.0
    base = problem.base
    return 1e-7 * max(1.0, abs(base.metric(problem.objective))) / max(1.0, base.marketing + base.incentives)


def _add_limits(built: Built, problem: Coefficients, incentives: Expr, diverted: Expr) -> None:
    """Budgets, shares, active sources, capacity and the diversion cap (each a named group)."""
    sc = problem.scenario
    budget = sc.budget
    live = [p for p in problem.periods if p.weeks > 0]
    groups: list[tuple[str, pulp.LpConstraint, str]] = []
    for p in live:
        if problem.marketing_budget is not None and (problem.sources or built.winback is not None):
            # win-back spend is marketing spend: it shares each period's budget with the sources
            spent = built.marketing.get(p.index, 0) + (built.winback if built.winback is not None else 0)
            groups.append(("marketing_budget", spent <= problem.marketing_budget, str(p.index)))
        total = pulp.lpSum(built.spend[(t.id, p.index)] for t in problem.sources)
        cap = problem.marketing_budget if problem.marketing_budget is not None else total
        if budget.max_share_per_source < 1:
            for t in problem.sources:
                if not t.source.locked:
                    groups.append((f"max_share:{t.id}", built.spend[(t.id, p.index)] <= budget.max_share_per_source * cap,
                                   str(p.index)))  # fmt: skip
        if budget.min_active_sources > 0:
            active = pulp.lpSum(built.used[(t.id, p.index)] for t in problem.sources)
            groups.append(("min_active_sources", active >= budget.min_active_sources, str(p.index)))
    if problem.incentive_budget is not None and problem.groups:
        groups.append(("incentive_budget", incentives <= problem.incentive_budget, ""))
    for seller, (column, per_week) in problem.capacities.items():
        groups.append(
            (f"capacity:{seller}", output(built, problem, column) <= per_week * problem.horizon, "")
        )
    for partner, (column, per_week) in problem.exit_floors.items():  # keep the partners the plan can keep
        groups.append(
            (f"keep_partner:{partner}", output(built, problem, column) >= per_week * problem.horizon, "")
        )
    cap = sc.optimize.max_diverted_orders_per_week
    if cap is not None and problem.diversions:
        groups.append(("diversion_cap", diverted <= cap, ""))
    for group, constraint, suffix in groups:
        built.add(group, constraint, suffix)


def _add_target(built: Built, target: Target) -> None:
    """The target of least-spend mode: a metric over the horizon at least the target (ROAS: revenue/marketing)."""
    metric, at_least = target.metric, target.at_least
    m = built.metrics
    if metric == "roas":
        built.add("target", m["revenue"] >= at_least * m["marketing"])
    else:
        built.add("target", m[metric] >= at_least)
