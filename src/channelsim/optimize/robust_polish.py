"""Polish of a robust plan: its continuous spends refined on the exact curves of every future, every
discrete choice of the robust MILP kept, to raise the risk measure of the futures' exact values.

The model. A future's value of the plan with source s at spend x is its exact forecast at the
current plan x⁰ plus, for each moved source, the change of
`G_f(x) = Σ_t w_ft·f_f(e_t(x)) − [profit] weeks·cost(x) + c_f·x`: the source's exact curve in that
future at its adstocked spend week by week (`e_t = a^(t+1)·e_0 + (1 − a^(t+1))·x`, as the forecast
runs it), times what a lead of week t brings there (`w_ft`, the forecast's per-lead values at x⁰,
as the MILP's coefficients), and a linear term `c_f` that makes the slope at x⁰ the exact
forecast's (a finite difference of `STEP`): what a source's leads do to the worth of the others'
(word of mouth, the unaware left, service levels), which the per-lead values alone leave out
(on the coffee chain's fitted draws they overstated the slopes by 1.2 to 2.8 per unit of spend,
and unevenly). So each future's model is exact in value and slope at the plan. A source moves on
the stretch of its curve that holds its spend and is concave in every future (`polish.around`),
with units, locks, tiers, programmes, win-back and sources off kept, under the base's budget,
shares, spend bounds and floors of "used", its capacities and kept partners (`keep_partner`:
their orders with the per-lead values, on the exact curves).

The LP. Each spend cut into chords of a grid (`x = g_0 + Σ_k δ_k`, `0 ≤ δ_k ≤ h_k`), every
future's value is linear in the δ and the risk measure is its epigraph (`risk.risk_objective`:
t ≤ v_f for the worst case, Rockafellar–Uryasev for CVaR). Where every `G_f` is concave and
the cost convex (checked on the grid; a source that fails stays put), filling a source's chords in
order never loses (moving spend to an earlier chord frees budget and gains in every future, and
each measure is non-decreasing in every value), so the LP's optimum is the exact optimum of the
measure of the chord interpolants on the grid. Chords lie under a concave curve, so the answer's
model measure is at least the LP's. Grids as the point polish's: the MILP's pieces cut
`SUBDIVIDE`-fold, then `REFINEMENTS` finer grids around the answer, each holding the previous
answer (no stage loses); spends rounded down to cents, and cents given back where they gain.

Rounds. The answer is valued with the full forecast in every future and kept only if within the
limits and better by the exact measure (else a half and a quarter of the step, `SHRINKS`); the
model is then rebuilt there, until a round gains less than `SETTLED` of the measure or `ROUNDS`.
What it gives: never worse than the MILP's plan, exactly; at a plan where the LP moves no more,
no feasible direction of the continuous spends raises the exact measure to first order (the
model has the exact value and slopes there and the measure is concave in the model's values):
a stationary point of the exact measure in the MILP's basin, to the grid's resolution and the
finite difference's. Not a global optimum: the exact values' curvature is the curves', not the
forecast's, and the discrete choices are the MILP's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pulp

from channelsim import valuation as va
from channelsim.curves import leads_at
from channelsim.model.media import source_cost
from channelsim.optimize.coefficients import Coefficients
from channelsim.optimize.levers import Levers
from channelsim.optimize.polish import (
    LINE_STEPS,
    REFINEMENTS,
    TOLERANCE,
    TOP_UP_PASSES,
    Free,
    around,
    costs,
    first_grid,
    refine,
    spend_range,
    stretches,
)
from channelsim.optimize.risk import measure, risk_objective
from channelsim.optimize.solvers import solve
from channelsim.scenario.schema import Scenario

ROUNDS = 5  # re-linearisations at an accepted answer
SETTLED = 1e-6  # a round that gains less (relative to the measure) is the last
SHRINKS = (1.0, 0.5, 0.25)  # steps tried towards the LP's answer, each valued exactly
STEP = 1.0  # spend per week of the exact slope's finite difference (the curves bend over hundreds)
NOISE = 1e-9  # relative: slopes out of order by less are rounding, not a kink

Forecasts = Callable[[Levers], list[va.Forecast]]


@dataclass(frozen=True)
class Linear:
    """The model at a plan: each future's exact value there, and per moved source and future the
    weekly worth of a lead (None: the source is not in that future); per limit of the base
    (capacity or kept partner) its orders' column, current orders and bound."""

    values: list[float]
    worth: list[list[np.ndarray | None]]  # [source][future] → [week]
    orders: list[list[np.ndarray]]  # [limit][source] → [week]: one lead's orders in the column
    limits: list[tuple[float, float, int]]  # (orders now, bound, +1: at most / −1: at least)
    columns: list[int]  # [limit]: its orders' column of the base's forecast
    fix: np.ndarray | None = None  # [source, future]: the exact slope at the plan less the model's


def polish_robust(futures: list[Scenario], problem: Coefficients, levers: Levers, forecasts: Forecasts,
                  objective: str, risk: str, alpha: float, weights: list[float],
                  solver: str, limit: float) -> tuple[Levers, list[float], dict[str, Any]]:  # fmt: skip
    """Better spends on the exact curves for the risk measure, or `levers` itself; with the exact
    values in each future and what the polish did (`polish` of plan.json's `robust`).

    `problem`: the base future's coefficients of the MILP that chose `levers`; `forecasts`: the
    exact forecast of a plan in each future (the base's levers, as `robust.value_in`)."""
    started = time.perf_counter()
    now = forecasts(levers)
    values = [fc.metric(objective) for fc in now]
    first = measure(values, weights, risk, alpha)
    report: dict[str, Any] = {"milp_measure": round(first, 2), "measure": round(first, 2), "rounds": 0,
                              "path": [], "moved": [], "kept": False}  # fmt: skip
    why = _unsupported(problem)
    items = [] if why else _movable(futures, problem, levers)
    if why or not items:
        report["skipped"] = why or "no continuous spend the polish may move"
        return levers, values, report | {"seconds": round(time.perf_counter() - started, 3)}
    best, best_value = levers, first
    for _ in range(ROUNDS):
        lin = _linear(futures, problem, best, now, items, objective)
        lin = replace(
            lin, fix=_slope_fix(futures, lin, items, best, forecasts, objective, objective == "profit")
        )
        spend = _improve(
            futures, problem, lin, items, best, (risk, alpha, weights), solver, limit, objective == "profit"
        )
        if spend is None:
            break
        step = _accept(futures, lin, items, best, spend, forecasts, objective, (risk, alpha, weights))
        if step is None or not step[1] > best_value:
            break
        gain = step[1] - best_value
        best, best_value, now, values = step
        report["path"].append(round(best_value, 2))
        report["rounds"] += 1
        items = [replace(i, start=best.spend[i.term.id][0]) for i in items]
        if gain <= SETTLED * max(1.0, abs(best_value)):
            break
    report |= {"measure": round(best_value, 2), "kept": best != levers,
               "moved": sorted(i.term.id for i in items if best.spend[i.term.id] != levers.spend[i.term.id]),
               "seconds": round(time.perf_counter() - started, 3)}  # fmt: skip
    return best, values, report


def _accept(futures: list[Scenario], lin: Linear, items: list[Free], levers: Levers, spend: dict[str, list[float]],
            forecasts: Forecasts, objective: str,
            judged: tuple[str, float, list[float]]) -> tuple[Levers, float, list[va.Forecast], list[float]] | None:  # fmt: skip
    """The first of the steps `SHRINKS` towards `spend` that the exact measure says is better than
    `levers` (the exact values bend more than the model's: a shorter step may gain), with its
    exact measure, forecasts and values; None: none is."""
    risk, alpha, weights = judged
    first = measure(lin.values, weights, risk, alpha)
    for shrink in SHRINKS:
        trial = _toward(futures, lin, items, levers, spend, shrink, objective == "profit")
        if trial is None or trial == levers:
            continue
        found = forecasts(trial)
        if not _kept_exactly(lin, found[0]):
            continue  # the model's orders missed a capacity or a kept partner the exact forecast sees
        values = [fc.metric(objective) for fc in found]
        score = measure(values, weights, risk, alpha)
        if score > first:
            return trial, score, found, values
    return None


def _toward(futures: list[Scenario], lin: Linear, items: list[Free], levers: Levers, spend: dict[str, list[float]],
            shrink: float, net: bool) -> Levers | None:  # fmt: skip
    """The plan moved `shrink` of the way to `spend` (cents, down), or None where that breaks a
    capacity or kept partner (the cost is convex, so the budget holds on the way)."""
    if shrink == 1.0:
        return replace(levers, spend=levers.spend | spend)
    start = np.array([levers.spend[i.term.id][0] for i in items])
    end = np.array([spend.get(i.term.id, [levers.spend[i.term.id][0]])[0] for i in items])
    x = _cents(items, start + shrink * (end - start), start)
    at = _stage(futures, lin, items, [np.array([v]) for v in start], 1.0 if net else 0.0)
    if not _limits_kept(futures, lin, items, x, at, 1.0 if net else 0.0):
        return None
    return replace(
        levers, spend=levers.spend | {i.term.id: [float(v)] for i, v in zip(items, x, strict=True)}
    )


def _unsupported(problem: Coefficients) -> str | None:
    """Why the polish leaves a plan as it is, if it does."""
    if len(problem.periods) != 1:
        return "a plan with periods (optimize.periods > 1) is not polished"
    if problem.scenario.optimize.max_diverted_orders_per_week is not None and problem.diversions:
        return "a diversion cap (optimize.max_diverted_orders_per_week) is not polished"
    return None


def _movable(futures: list[Scenario], problem: Coefficients, levers: Levers) -> list[Free]:
    """Sources whose spend moves: continuous, not locked, on (or off where switching on pays no
    setup and needs no minimum), each on the stretch holding its spend that is concave in every future."""
    out = []
    for t in problem.sources:
        x = levers.spend[t.id][0]
        if t.units or t.source.locked or (x <= 0 and (t.source.setup_cost_per_week > 0 or t.lower > 0)):
            continue
        lo, hi = spend_range(problem, t, x)
        a, b = lo, hi
        for f in futures:
            src = next((s for s in f.sources if s.id == t.id), None)
            found = stretches(src, lo, hi) if src is not None else ((lo, hi), 0.0)
            if found is None:
                break
            start, end, on_foot = around(Free(t, x, lo, hi, 0.0, *found), min(max(x, lo), hi))
            if on_foot:
                break
            a, b = max(a, start), min(b, end)
        else:
            if b - a > 1e-9 * max(1.0, b) and a <= x <= b:
                out.append(Free(t, x, a, b, 0.0, (a, b)))
    return out


def _linear(futures: list[Scenario], problem: Coefficients, levers: Levers, fcs: list[va.Forecast],
            items: list[Free], objective: str) -> Linear:  # fmt: skip
    """The model at `levers` (each future's forecast there in `fcs`)."""
    values = [fc.metric(objective) for fc in fcs]
    worth = []
    for item in items:
        row: list[np.ndarray | None] = []
        for f, fc in zip(futures, fcs, strict=True):
            if item.term.id not in fc.per_lead:
                row.append(None)
                continue
            # the future's own worth of an output vector (its programmes' member cost, terminal value)
            here = replace(problem, scenario=f, base=fc, objective=objective)
            row.append(np.asarray(here.worth(fc.per_lead[item.term.id]), float))
        worth.append(row)
    base = fcs[0]
    limits, orders, columns = [], [], []
    bounds = [(c, w, 1) for c, w in problem.capacities.values()] + [
        (c, w, -1) for c, w in problem.exit_floors.values()
    ]
    for column, per_week, sign in bounds:
        now = float(base.totals[column])
        limits.append((now, per_week * problem.horizon, sign))
        orders.append([base.per_lead[i.term.id][:, column] for i in items])
        columns.append(column)
    return Linear(values, worth, orders, limits, columns)


def _slope_fix(futures: list[Scenario], lin: Linear, items: list[Free], levers: Levers, forecasts: Forecasts,
               objective: str, net: bool) -> np.ndarray:  # fmt: skip
    """Per moved source and future, the exact forecast's slope in the source's spend at the plan less
    the model's (both over the same `STEP`): what a lead's extra leads do to the others' worth (word of
    mouth, the unaware left, service levels), which the first-order model leaves out."""
    out = np.zeros((len(items), len(futures)))
    for s, item in enumerate(items):
        x = levers.spend[item.term.id][0]
        step = STEP if x + STEP <= item.hi else -STEP
        moved = replace(levers, spend=levers.spend | {item.term.id: [x + step]})
        exact = np.array([fc.metric(objective) for fc in forecasts(moved)]) - np.array(lin.values)
        model = _curves(futures, lin, [item], [np.array([x, x + step])], 1.0 if net else 0.0, only=s)[0][0]
        out[s] = exact / step - (model[:, 1] - model[:, 0]) / step
    return out


def _leads(futures_source: Any, x: np.ndarray, weeks: int) -> np.ndarray:
    """Leads per week [week, spend] of a source at constant spends `x` (its adstock from today's)."""
    carry = futures_source.adstock ** np.arange(1, weeks + 1)[:, None]
    level = carry * futures_source.spend_per_week + (1.0 - carry) * x[None, :]
    return leads_at(futures_source.response, level)


def _curves(futures: list[Scenario], lin: Linear, items: list[Free], grids: list[np.ndarray], net: float,
            only: int | None = None) -> tuple[list[np.ndarray], list[np.ndarray], list[list[np.ndarray]]]:  # fmt: skip
    """On each grid: every future's model value G_f [future, spend] (relative), the cost [spend],
    and each limit's orders [spend] (`only`: `items` is that one moved source)."""
    gains, costs, orders = [], [], []
    for k, (item, xs) in enumerate(zip(items, grids, strict=True)):
        s = k if only is None else only
        cost = item.cost(xs)
        weeks = len(next(w for w in lin.worth[s] if w is not None))
        rows = []
        for f, (future, w) in enumerate(zip(futures, lin.worth[s], strict=True)):
            if w is None:
                rows.append(np.zeros_like(xs))
                continue
            src = next(x for x in future.sources if x.id == item.term.id)
            fix = float(lin.fix[s, f]) if lin.fix is not None else 0.0
            rows.append(w @ _leads(src, xs, weeks) - net * weeks * cost + fix * xs)
        gains.append(np.array(rows))
        costs.append(cost)
        base = next(x for x in futures[0].sources if x.id == item.term.id)
        orders.append([o[s] @ _leads(base, xs, weeks) for o in lin.orders])
    return gains, costs, orders


def _concave(gain: np.ndarray, cost: np.ndarray, xs: np.ndarray) -> bool:
    """Every future's value concave and the cost convex on the grid (up to rounding)."""
    dx = np.diff(xs)
    slope, rate = np.diff(gain, axis=1) / dx, np.diff(cost) / dx
    scale = NOISE * max(1.0, float(np.abs(slope).max(initial=0.0)))
    return bool(np.all(np.diff(slope, axis=1) <= scale)) and bool(
        np.all(np.diff(rate) >= -NOISE * max(1.0, rate.max()))
    )


@dataclass
class _Stage:
    """One LP over the moved sources' grids: the chords' slopes and the values at the grids' first spends."""

    grids: list[np.ndarray]
    gains: list[np.ndarray]  # [source]: [future, spend]
    costs: list[np.ndarray]  # [source]: [spend]
    orders: list[list[np.ndarray]]  # [source][limit]: [spend]


def _improve(futures: list[Scenario], problem: Coefficients, lin: Linear, items: list[Free], levers: Levers,
             judged: tuple[str, float, list[float]], solver: str, limit: float,
             net: bool) -> dict[str, list[float]] | None:  # fmt: skip
    """The LP's best spends for the moved sources (cents, within every limit), or None: no move."""
    start = np.array([levers.spend[i.term.id][0] for i in items])
    price = 1.0 if net else 0.0
    grids = [first_grid(i, x) for i, x in zip(items, start, strict=True)]
    stage = _stage(futures, lin, items, grids, price)
    keep = [_concave(g, c, xs) for g, c, xs in zip(stage.gains, stage.costs, grids, strict=True)]
    items = [i for i, k in zip(items, keep, strict=True) if k]
    if not items:
        return None
    lin, start = _only(lin, keep), start[np.array(keep)]
    grids = [g for g, k in zip(grids, keep, strict=True) if k]
    at = _stage(futures, lin, items, [np.array([x]) for x in start], price)
    room = _room(problem, levers, {i.term.id for i in items})
    x = start
    for k in range(REFINEMENTS + 1):
        if k:
            grids = refine(items, grids, x)
        stage = _stage(futures, lin, items, grids, price)
        found = _solve_lp(stage, at, lin, room, judged, solver, limit)
        if found is None:
            return None
        x = found
    x = _within_limits(futures, lin, items, start, x, at, price)
    x = _top_up(futures, lin, items, _cents(items, x, start), at, price, room, judged)
    spent = float(costs(items, x).sum())
    if np.array_equal(x, start) or spent > room + TOLERANCE:
        return None
    return {i.term.id: [float(v)] for i, v in zip(items, x, strict=True)}


def _only(lin: Linear, keep: list[bool]) -> Linear:
    """The model of the sources `keep` marks (the others stay where they are)."""
    mask = np.array(keep)
    return replace(lin, worth=[w for w, k in zip(lin.worth, keep, strict=True) if k],
                   orders=[[o for o, k in zip(row, keep, strict=True) if k] for row in lin.orders],
                   fix=None if lin.fix is None else lin.fix[mask])  # fmt: skip


def _stage(
    futures: list[Scenario], lin: Linear, items: list[Free], grids: list[np.ndarray], price: float
) -> _Stage:
    return _Stage(grids, *_curves(futures, lin, items, grids, price))


def _room(problem: Coefficients, levers: Levers, moved: set[str]) -> float:
    """What the moved sources may cost a week: the budget less win-back and the other sources (inf: none)."""
    if problem.marketing_budget is None:
        return float("inf")
    others = sum(source_cost(t.source, levers.spend[t.id][0]) for t in problem.sources if t.id not in moved)
    return problem.marketing_budget - (levers.winback or 0.0) - others


def _solve_lp(stage: _Stage, at: _Stage, lin: Linear, room: float, judged: tuple[str, float, list[float]],
              solver: str, limit: float) -> np.ndarray | None:  # fmt: skip
    """The LP over the stage's chords (module docstring): the spends it chooses, or None (no plan)."""
    prob = pulp.LpProblem("robust_polish", pulp.LpMaximize)
    fill = [[prob.add_variable(f"d_{s}_{k}", 0.0, float(h)) for k, h in enumerate(np.diff(xs))]
            for s, xs in enumerate(stage.grids)]  # fmt: skip

    def line(per_source: list[np.ndarray], offset: float) -> pulp.LpAffineExpression:
        """`offset` + Σ chords' slopes of `per_source` (values on each grid) × their fill."""
        terms, constant = [], offset
        for xs, ys, ds in zip(stage.grids, per_source, fill, strict=True):
            constant += float(ys[0])
            terms += list(zip(ds, (np.diff(ys) / np.diff(xs)).tolist(), strict=True))
        return pulp.LpAffineExpression(terms, constant=constant)

    futures = range(len(lin.values))
    values = [line([g[f] for g in stage.gains], lin.values[f] - sum(float(g[f, 0]) for g in at.gains))
              for f in futures]  # fmt: skip
    if np.isfinite(room):
        prob += (line(stage.costs, 0.0) <= room, "marketing_budget")
    for j, (now, bound, sign) in enumerate(lin.limits):
        orders = line([o[j] for o in stage.orders], now - sum(float(o[j][0]) for o in at.orders))
        prob += (
            (orders <= max(bound, now), f"limit_{j}")
            if sign > 0
            else (orders >= min(bound, now), f"limit_{j}")
        )
    risk, alpha, weights = judged
    risk_objective(prob, values, weights, risk, alpha)
    outcome = solve(prob, solver, limit, mip=False)
    if outcome.status != "optimal":
        return None
    return np.array(
        [
            xs[0] + sum(max(pulp.value(d) or 0.0, 0.0) for d in ds)
            for xs, ds in zip(stage.grids, fill, strict=True)
        ]
    )


def _within_limits(futures: list[Scenario], lin: Linear, items: list[Free], start: np.ndarray, x: np.ndarray,
                   at: _Stage, price: float) -> np.ndarray:  # fmt: skip
    """`x`, or the step towards it from `start` that keeps the capacities and kept partners on the
    exact curves (the chords under a concave curve may overstate what a capacity leaves)."""
    if _limits_kept(futures, lin, items, x, at, price):
        return x
    low, high = 0.0, 1.0
    for _ in range(LINE_STEPS):
        mid = 0.5 * (low + high)
        kept = _limits_kept(futures, lin, items, start + mid * (x - start), at, price)
        low, high = (mid, high) if kept else (low, mid)
    return start + low * (x - start)


def _limits_kept(futures: list[Scenario], lin: Linear, items: list[Free], x: np.ndarray, at: _Stage,
                 price: float) -> bool:  # fmt: skip
    """Whether spends `x` keep every capacity and kept partner of the base on the exact curves (each
    no worse than at the plan where the plan is already past it)."""
    if not lin.limits:
        return True
    point = _stage(futures, lin, items, [np.array([v]) for v in x], price)
    for j, (now, bound, sign) in enumerate(lin.limits):
        orders = now + sum(
            float(p[j][0]) - float(a[j][0]) for p, a in zip(point.orders, at.orders, strict=True)
        )
        if _breaks(orders, now, bound, sign):
            return False
    return True


def _kept_exactly(lin: Linear, base: va.Forecast) -> bool:
    """Whether the base's exact forecast keeps every capacity and kept partner, as `_limits_kept`
    asks of the model."""
    return not any(_breaks(float(base.totals[column]), now, bound, sign)
                   for column, (now, bound, sign) in zip(lin.columns, lin.limits, strict=True))  # fmt: skip


def _breaks(orders: float, now: float, bound: float, sign: int) -> bool:
    """Whether `orders` break a limit (+1: at most `bound`, −1: at least), or are worse than at the
    plan (`now`) where the plan is already past it; rounding aside."""
    slack = 1e-9 * max(1.0, abs(bound))
    return (sign > 0 and orders > max(bound, now) + slack) or (sign < 0 and orders < min(bound, now) - slack)


def _cents(items: list[Free], x: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Spends rounded down to cents within each stretch; below the least spend that counts as used: off."""
    lower = np.array([i.lo for i in items])
    upper = np.array([i.hi for i in items])
    out = np.clip(np.floor(x * 100 + 1e-6) / 100, lower, upper)
    floors = np.array([i.term.floor for i in items])
    out[(out > 0) & (out < floors) & (lower <= 0)] = 0.0
    return np.where(np.abs(out - start) < 0.005, start, out)


def _model(futures: list[Scenario], lin: Linear, items: list[Free], x: np.ndarray, at: _Stage, price: float,
           judged: tuple[str, float, list[float]]) -> float:  # fmt: skip
    """The risk measure of the model's values (exact curves, first order in the leads) at spends `x`."""
    point = _stage(futures, lin, items, [np.array([v]) for v in x], price)
    values = [v + sum(float(p[f, 0] - a[f, 0]) for p, a in zip(point.gains, at.gains, strict=True))
              for f, v in enumerate(lin.values)]  # fmt: skip
    risk, alpha, weights = judged
    return measure(values, weights, risk, alpha)


def _top_up(futures: list[Scenario], lin: Linear, items: list[Free], x: np.ndarray, at: _Stage, price: float,
            room: float, judged: tuple[str, float, list[float]]) -> np.ndarray:  # fmt: skip
    """Spends rounded down to cents given a cent back, one source at a time, where the model's
    measure gains most, while the budget has room (the rounding left less than a cent a source)."""
    best = _model(futures, lin, items, x, at, price, judged)
    for _ in range(TOP_UP_PASSES * len(items)):
        trials = []
        for s, item in enumerate(items):
            more = x.copy()
            more[s] = min(round(float(x[s]) + 0.01, 2), item.hi)
            fits = float(costs(items, more).sum()) <= room + TOLERANCE and _limits_kept(
                futures, lin, items, more, at, price
            )
            if more[s] > x[s] and fits:
                trials.append((_model(futures, lin, items, more, at, price, judged), -s, more))
        if not trials or max(t[:2] for t in trials)[0] <= best:
            break
        best, _, x = max(trials, key=lambda t: t[:2])
    return x
