"""Polish: refine the MILP's spends on the exact curves, keeping every discrete choice it made.

The MILP finds the right basin (which sources are on, how many units, which tiers, which
side of an S-curve's slow start or of a volume discount); its pieces leave up to the stated
error bound on the table. The polish moves the continuous spends the MILP kept on (and
concave sources it left off without a setup cost), with units, locks, tiers and every other
lever fixed, under the same budget, share and spend bounds.

Where value for cost is concave (a source's stretch of curve between kinks: an S-curve's
inflection, a volume discount's edge, a `points` curve steepening), the exact optimum with one
budget equalises marginal returns: every source between its bounds returns the budget's
shadow price μ per unit of cost (what SLSQP converges to). With the curves cut into fine
chords that is a separable LP, solved exactly by a greedy merge: every chord of every source
sorted by what it returns per unit of cost, the budget filled in that order while a chord
returns more than it costs (the last chord filled sets μ; no bisection needed). A source on
an S-curve's convex slow start, or held at a kink, gets a 1-D search instead: its spend on a
grid against the value of the rest of the budget to the others' chords (a concave function
of the budget). Grids: the MILP's pieces cut `SUBDIVIDE`-fold, then `REFINEMENTS` times
`REFINE` chords over the few cells around the answer. The MILP's plan is a point of the first
grid and each answer a point of the next, and chords lie under a concave curve, so no stage
is worse than the one before on the exact curves. The result is kept only if it is feasible
and better, and keeps every partner the plan keeps (`keep_partner`) above its floor with the
exact leads (given the MILP's slack; else with no fewer orders than the MILP's plan gave it).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from channelsim.curves import PointsCurve, leads_at
from channelsim.model.media import source_cost
from channelsim.optimize.coefficients import Coefficients, SourceTerm
from channelsim.optimize.milp import Built
from channelsim.scenario.demand import Source

TOLERANCE = 1e-6  # feasibility slack on limits, in currency per week
SUBDIVIDE = 16  # chords per MILP piece in the first pass
REFINE = 64  # chords over the cells around the previous answer in each refinement
REFINEMENTS = 4  # each shrinks the cells 13-fold: the chords' error falls ~170-fold
AROUND = 2  # cells either side of the previous answer that a refinement covers
SWITCHES = 3  # rounds of moving sources held at a kink into a 1-D search (and back)
TOP_UP_PASSES = 5  # rounds of a cent more per source (the rounding took less than one each)
LINE_STEPS = 40  # bisection steps of the step back towards the MILP's plan (partners kept)


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


def spend_range(problem: Coefficients, term: SourceTerm, now: float) -> tuple[float, float]:
    """Where a source may move from the MILP's spend `now` keeping its choices: on stays at or above
    the least spend that counts as used (`min_active_sources` keeps its count), within its bound
    and its share of the budget."""
    budget, share = problem.marketing_budget, problem.scenario.budget.max_share_per_source
    lo = max(term.floor, term.lower) if now > 0 and term.floor > 0 else term.lower
    hi = min(term.upper, share * budget) if budget is not None and share < 1 else term.upper
    return lo, hi


def _movable(term: SourceTerm, x: float) -> bool:
    """Spends the polish may move: continuous ones the MILP kept on, and concave sources it left off
    without a setup cost (a chord from 0 understates a concave curve's first euros)."""
    if term.units or term.source.locked or term.source.adstock != 0:
        return False
    return x > 0 or (term.leads.concave and term.source.setup_cost_per_week == 0 and term.lower == 0)


@dataclass(frozen=True)
class Free:
    """A source the polish moves: on `[lo, hi]` from the MILP's spend `start`; `gain` per lead a week.

    `bounds`: the ends of its concave stretches over the spends it may have (`kinks`); `foot`: the
    end of an S-curve's convex slow start (0: none)."""

    term: SourceTerm
    start: float
    lo: float
    hi: float
    gain: float
    bounds: tuple[float, ...]
    foot: float = 0.0

    def cost(self, x: np.ndarray) -> np.ndarray:
        """Weekly cost (media under the rate card, plus setup when used) at spends `x`."""
        return _media(self.term, x) + self.term.source.setup_cost_per_week * (x > 0)

    def gains(self, x: np.ndarray) -> np.ndarray:
        """The objective's gain over the horizon from the leads at spends `x`."""
        return self.gain * leads_at(self.term.source.response, x)


def _media(term: SourceTerm, x: np.ndarray) -> np.ndarray:
    """`media_cost` at many spends: the rate card's tiers, the last price beyond."""
    card = term.source.rate_card
    if not card:
        return x
    edges, costs = [0.0], [0.0]
    for tier in card:
        costs.append(costs[-1] + (tier.up_to - edges[-1]) * tier.price)
        edges.append(tier.up_to)
    beyond = costs[-1] + (x - edges[-1]) * card[-1].price
    return np.where(x > edges[-1], beyond, np.interp(x, edges, costs))


def kinks(source: Source) -> tuple[list[float], float] | None:
    """Spends where the source's value for cost stops being concave (a volume discount starts, a
    `points` curve steepens), and the end of an S-curve's convex slow start (0: none); None for
    a shape the polish does not know."""
    card = source.rate_card or []
    cuts = [a.up_to for a, b in itertools.pairwise(card) if b.price < a.price]
    curve = source.response
    if curve.concave:
        return cuts, 0.0
    if isinstance(curve, PointsCurve):
        xs = [s for s, _ in curve.points]
        ys = [y for _, y in curve.points]
        if xs[0] > 0:
            xs, ys = [0.0, *xs], [0.0, *ys]
        slopes = [*np.diff(ys) / np.diff(xs), 0.0]  # flat beyond the last point
        scale = 1e-12 * max(1.0, max(abs(s) for s in slopes))
        cuts += [xs[k + 1] for k in range(len(slopes) - 1) if slopes[k + 1] > slopes[k] + scale]
        return cuts, 0.0
    foot = float(getattr(curve, "inflection", 0.0))
    return ([*cuts, foot], foot) if foot > 0 else None


def stretches(source: Source, lo: float, hi: float) -> tuple[tuple[float, ...], float] | None:
    """The ends of the source's concave stretches on `[lo, hi]` and its S-curve foot (`kinks`);
    None where the source stays as the MILP set it."""
    found = kinks(source)
    if found is None or hi <= lo:
        return None
    cuts, foot = found
    return tuple(sorted({lo, hi, *(c for c in cuts if lo < c < hi)})), foot


def _start(term: SourceTerm, a: float, x: float) -> float:
    """A range's start: a source with a setup cost stays on (a cent: the least spend that pays it)."""
    return min(x, 0.01) if a <= 0 < term.source.setup_cost_per_week else a


def around(item: Free, x: float) -> tuple[float, float, bool]:
    """Where the source moves from `x`: the concave stretch that holds it (the one starting at `x`
    when `x` is a kink), or from an S-curve's slow start that and the stretch after it (then
    True: a 1-D search, the slow start being convex)."""
    bounds = item.bounds
    k = next((k for k in range(len(bounds) - 2, -1, -1) if bounds[k] <= x), 0)
    on_foot = bounds[k + 1] <= item.foot
    b = bounds[min(k + 2, len(bounds) - 1)] if on_foot else bounds[k + 1]
    return _start(item.term, bounds[k], x), b, on_foot


def _kink_at(item: Free, x: float) -> int | None:
    """The index in `bounds` of the kink where `x` sits at an end of the item's stretch, if any."""
    near = 1e-9 * max(1.0, item.hi)
    for end in (item.lo, item.hi):
        j = next((j for j, c in enumerate(item.bounds[1:-1], 1) if abs(c - end) <= near), None)
        if j is not None and abs(x - end) <= near:
            return j
    return None


def _grid(item: Free, inner: np.ndarray, a: float, b: float, keep: float) -> np.ndarray:
    """Spends from `a` to `b`: `inner`, `keep` (a spend the stage must be able to choose) and the
    rate card's edges, near-duplicates dropped (they give slopes of rounding noise)."""
    gap = 1e-9 * max(b, 1.0)
    card = item.term.source.rate_card or []
    protected = np.unique(np.clip([a, b, keep], a, b))
    pool = np.concatenate([inner, [t.up_to for t in card]])
    pool = pool[(pool > a) & (pool < b)]
    pool = pool[np.min(np.abs(pool[:, None] - protected[None, :]), axis=1, initial=np.inf) > gap]
    xs = np.unique(np.concatenate([pool, protected]))
    return xs[np.concatenate([[True], np.diff(xs) > gap])]


@dataclass(frozen=True)
class _Chords:
    """Every chord of the sources' grids in the order a budget fills them: `order` (into `owner`,
    `cost`), the first `useful` gaining more than the objective's price of spend, their running
    totals of cost `spent` and of the objective's net gain `net`."""

    order: np.ndarray
    owner: np.ndarray
    cost: np.ndarray
    useful: int
    spent: np.ndarray
    net: np.ndarray

    def best(self, room: np.ndarray) -> np.ndarray:
        """The most the chords gain within budgets `room` (−inf where a budget is short)."""
        gained = np.interp(np.maximum(room, 0.0), np.append(0.0, self.spent), np.append(0.0, self.net))
        return np.where(room >= -TOLERANCE, gained, -np.inf)


def _chords(items: list[Free], grids: list[np.ndarray], price: float) -> _Chords:
    cost = [item.cost(xs) for item, xs in zip(items, grids, strict=True)]
    gain = [item.gains(xs) for item, xs in zip(items, grids, strict=True)]
    dc = np.concatenate([np.maximum(np.diff(c), 1e-300) for c in cost] or [np.zeros(0)])
    # a source's chords in order: its slopes made non-increasing (rounding noise on a concave stretch)
    slope = np.concatenate([np.minimum.accumulate(np.diff(g) / np.maximum(np.diff(c), 1e-300))
                            for g, c in zip(gain, cost, strict=True)] or [np.zeros(0)])  # fmt: skip
    owner = np.concatenate([np.full(len(xs) - 1, i) for i, xs in enumerate(grids)] or [np.zeros(0, int)])
    index = np.concatenate([np.arange(len(xs) - 1) for xs in grids] or [np.zeros(0, int)])
    order = np.lexsort((index, owner, -slope))
    useful = int(np.count_nonzero(slope[order] > price))
    taken = order[:useful]
    return _Chords(
        order, owner, dc, useful, np.cumsum(dc[taken]), np.cumsum((slope[taken] - price) * dc[taken])
    )


def _fill(items: list[Free], grids: list[np.ndarray], room: float, price: float) -> np.ndarray:
    """The best spends on the chords of `grids` (each source from its grid's first spend): chords
    in order of gain per unit of cost while they gain more than `price` per unit (the objective's
    own price of spend), within `room` (budget left beyond the first spends; inf: no budget)."""
    ch = _chords(items, grids, price)
    order, spent = ch.order, ch.spent
    full = int(np.searchsorted(spent, room, side="right"))
    counts = np.bincount(ch.owner[order[:full]], minlength=len(items))
    x = np.array([xs[n] for xs, n in zip(grids, counts, strict=True)])
    if full < ch.useful:  # the chord the budget runs out in: filled in part
        s = order[full]
        i = ch.owner[s]
        share = (room - (spent[full - 1] if full else 0.0)) / ch.cost[s]
        x[i] += float(np.clip(share, 0.0, 1.0)) * (grids[i][counts[i] + 1] - grids[i][counts[i]])
    return x


def _search(item: Free, grid: np.ndarray, others: _Chords, room: float, price: float) -> float:
    """A source whose value for cost is not concave where it moves (an S-curve's slow start, or
    across a kink): its best spend on `grid`, the others' chords taking the rest of `room` (the
    budget left after the others' first spends). On a convex stretch at most one source sits
    between its ends at an optimum, taking what the budget leaves: a 1-D search finds it."""
    cost = item.cost(grid)
    total = item.gains(grid) - price * cost + others.best(room - cost)
    return float(grid[int(np.argmax(total))])


def refine(items: list[Free], grids: list[np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    """Finer grids on the cells around `x` (each holding its `x`)."""
    out = []
    for item, xs, at in zip(items, grids, x, strict=True):
        k = int(np.clip(np.searchsorted(xs, at, side="right") - 1, 0, len(xs) - 2))
        a, b = xs[max(k - AROUND, 0)], xs[min(k + 1 + AROUND, len(xs) - 1)]
        out.append(_grid(item, np.linspace(a, b, REFINE + 1), a, b, float(at)))
    return out


def _leads(items: list[Free], x: np.ndarray) -> np.ndarray:
    return np.array([i.term.source.response.leads(float(v)) for i, v in zip(items, x, strict=True)])


def kept_slack(built: Built) -> dict[str, float]:
    """Per partner the plan keeps (`keep_partner`): orders over the horizon the MILP's plan gives it
    above what keeps it, on the pieces."""
    out = {}
    for group, names in built.groups.items():
        if group.startswith("keep_partner:"):
            out[group.split(":", 1)[1]] = min(
                float(built.prob.get_constraint_by_name(n).value()) for n in names
            )
    return out


def _allowances(problem: Coefficients, items: list[Free], start: np.ndarray,
                slack: dict[str, float] | None) -> dict[int, float]:  # fmt: skip
    """Per partner kept (its orders' column): how many of its orders over the horizon the moves may
    take, its slack with the moved sources' exact leads (none without `slack`, or where the MILP's
    plan is at or below the floor on the exact curves)."""
    weeks, out = problem.periods[0].weeks, {}
    pieces = np.array([i.term.leads(float(v)) for i, v in zip(items, start, strict=True)])
    for partner, (col, per_week) in problem.exit_floors.items():
        per_lead = weeks * np.array([i.term.value[0, col] for i in items])
        exact = (slack or {}).get(partner, 0.0) + float(per_lead @ (_leads(items, start) - pieces))
        out[col] = max(0.0, exact - 1e-6 * max(1.0, per_week * problem.horizon)) if slack else 0.0
    return out


def _floors_kept(problem: Coefficients, items: list[Free], before: np.ndarray, after: np.ndarray,
                 allowance: dict[int, float]) -> bool:  # fmt: skip
    """Whether going from `before` to `after` takes from no partner the plan keeps more orders than
    its `allowance` (`_allowances`): its orders are linear in the leads."""
    weeks = problem.periods[0].weeks
    old = _leads(items, before)
    change = _leads(items, after) - old
    for col, room in allowance.items():
        per_lead = weeks * np.array([i.term.value[0, col] for i in items])
        if float(per_lead @ change) < -room - 1e-9 * max(1.0, float(np.abs(per_lead) @ old)):
            return False
    return True


def costs(items: list[Free], x: np.ndarray) -> np.ndarray:
    """What each item's spend in `x` costs a week (its rate card and setup)."""
    return np.array([i.cost(np.array([v]))[0] for i, v in zip(items, x, strict=True)])


def _gains(items: list[Free], x: np.ndarray) -> np.ndarray:
    return np.array([i.gains(np.array([v]))[0] for i, v in zip(items, x, strict=True)])


def _top_up(items: list[Free], x: np.ndarray, budget: float, price: float) -> np.ndarray:
    """Spends rounded down to cents given cents back where they gain most, while the budget
    (`budget`: what the moved sources may cost; inf: no budget) has room for them."""
    out, upper = x.copy(), np.array([i.hi for i in items])
    left = budget - float(costs(items, out).sum())
    for _ in range(TOP_UP_PASSES):
        cents = np.minimum(out + 0.01, upper)
        extra = costs(items, cents) - costs(items, out)
        gain = _gains(items, cents) - _gains(items, out) - price * extra
        before = left
        for k in np.argsort(-gain, kind="stable"):
            if gain[k] <= 0:
                break
            if extra[k] <= left + 1e-9:
                out[k], left = cents[k], left - extra[k]
        if left == before:
            break
    return out


def first_grid(item: Free, keep: float) -> np.ndarray:
    """The MILP's breakpoints (effective spend = spend: no adstock) cut `SUBDIVIDE`-fold, on the
    item's range, with `keep`."""
    xs = item.term.leads.xs
    cut = (xs[:-1, None] + np.diff(xs)[:, None] * np.linspace(0.0, 1.0, SUBDIVIDE + 1)[None, :-1]).ravel()
    return _grid(item, cut, item.lo, item.hi, min(max(keep, item.lo), item.hi))


def polish(problem: Coefficients, spend: dict[str, list[float]], column: int, net: bool,
           reserved: float = 0.0, slack: dict[str, float] | None = None) -> dict[str, list[float]]:  # fmt: skip
    """Better spends on the exact curves, or `spend` itself (one period, no adstock, no capacity limits).

    `reserved`: weekly marketing budget already taken by other levers (win-back spend). `slack`: the
    MILP's slack on each partner it keeps (`kept_slack`); without it the polish gives no such
    partner fewer orders than the MILP's plan."""
    if len(problem.periods) != 1 or problem.capacities:
        return spend
    budget = problem.marketing_budget
    weeks = problem.periods[0].weeks
    items: list[Free] = []  # equalised by the chords
    searched: list[Free] = []  # a 1-D search each
    for t in problem.sources:
        now = spend[t.id][0]
        if not _movable(t, now):
            continue
        lo, hi = spend_range(problem, t, now)
        gain = weeks * worth(problem, t, column, net)
        if gain <= 0:  # leads worth nothing (or less): as low as the MILP's choices allow
            if now > lo:
                items.append(Free(t, now, lo, now, gain, (lo, now)))
            continue
        found = stretches(t.source, lo, hi)
        if found is None:
            continue
        item = Free(t, now, lo, hi, gain, *found)
        a, b, on_foot = around(item, min(max(now, lo), hi))
        if b - a > 1e-9 * max(1.0, b):
            (searched if on_foot else items).append(replace(item, lo=a, hi=b))
    if not items + searched or all(i.term.leads.error <= 0 for i in items + searched):
        return spend  # exact pieces: the MILP's plan is exact
    ids = {i.term.id for i in items + searched}
    limit = np.inf if budget is None else budget  # what the moved sources may cost
    limit -= reserved + sum(source_cost(t.source, spend[t.id][0]) for t in problem.sources if t.id not in ids)
    price = float(weeks) if net else 0.0
    grids = [first_grid(i, i.start) for i in items]
    placed = [min(max(i.start, i.lo), i.hi) for i in searched]
    sgrids = [first_grid(i, v) for i, v in zip(searched, placed, strict=True)]

    def room(but: int | None = None) -> float:
        """The budget the items may spend beyond their grids' first spends (`but`: a searched
        source left out)."""
        rest = sum(float(i.cost(np.array([v]))[0]) for k, (i, v) in enumerate(zip(searched, placed, strict=True))
                   if k != but)  # fmt: skip
        return limit - rest - sum(float(i.cost(g[:1])[0]) for i, g in zip(items, grids, strict=True))

    def settle() -> np.ndarray:
        """Each searched source at its best against the items' chords, then the items filled."""
        chords = _chords(items, grids, price)
        for k, item in enumerate(searched):
            placed[k] = _search(item, sgrids[k], chords, room(but=k), price)
        return _fill(items, grids, room(), price) if items else np.zeros(0)

    x = settle()
    for _ in range(SWITCHES):  # an item held at a kink is searched across it; a search that
        changed = False  # lands inside a concave stretch is equalised there again
        for k in reversed(range(len(items))):
            j = _kink_at(items[k], float(x[k]))
            if j is not None:
                item, at = items.pop(k), float(x[k])
                grids.pop(k)
                wide = replace(item, lo=_start(item.term, item.bounds[j - 1], at), hi=item.bounds[j + 1])
                searched.append(wide)
                placed.append(at)
                sgrids.append(first_grid(wide, at))
                changed = True
        if not changed:
            break
        x = settle()
        for k in reversed(range(len(searched))):
            a, b, on_foot = around(searched[k], placed[k])
            if not on_foot and a < placed[k] < b:
                item, at = searched.pop(k), placed.pop(k)
                sgrids.pop(k)
                items.append(replace(item, lo=a, hi=b))
                grids.append(first_grid(items[-1], at))
        x = settle()
    for _ in range(REFINEMENTS):
        grids = refine(items, grids, x)
        sgrids = refine(searched, sgrids, np.array(placed))
        x = settle()
    moved = items + searched
    x = np.concatenate([x, placed])
    start = np.array([i.start for i in moved])
    allowance = _allowances(problem, moved, start, slack)
    if not _floors_kept(problem, moved, start, x, allowance):
        # step back towards the MILP's plan until they hold (a partner's orders are concave along
        # the step, so the steps that keep them are an interval [0, t])
        low, high = 0.0, 1.0
        for _ in range(LINE_STEPS):
            mid = 0.5 * (low + high)
            kept = _floors_kept(problem, moved, start, start + mid * (x - start), allowance)
            low, high = (mid, high) if kept else (low, mid)
        x = start + low * (x - start)
    lower = np.array([i.term.lower if i.start <= 0 else max(i.term.floor, i.term.lower) for i in moved])
    upper = np.array([i.hi for i in moved])
    x = np.clip(np.floor(x * 100) / 100, np.minimum(lower, upper), upper)  # cents, rounded down
    floors = np.array([i.term.floor for i in moved])
    x[(x > 0) & (x < floors)] = 0.0  # below the floor of "used": off
    x[(x <= 0) & (lower > 0)] = lower[(x <= 0) & (lower > 0)]
    if not problem.exit_floors:  # (with them, a cent more could take a partner's last order)
        x = _top_up(moved, x, limit, price)
    candidate = spend | {i.term.id: [float(v)] for i, v in zip(moved, x, strict=True)}
    spent = sum(source_cost(i.term.source, float(v)) for i, v in zip(moved, x, strict=True))
    feasible = spent <= limit + TOLERANCE and _floors_kept(problem, moved, start, x, allowance)
    better = value(problem, candidate, column, net) > value(problem, spend, column, net)
    return candidate if feasible and better else spend
