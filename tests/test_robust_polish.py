"""The polish of a robust plan against brute force on the exact valuation.

Two concave sources (hill, exponential) share a budget of 3,000 a week in three futures that move
their curves; the MILP cuts them into 6 pieces, so its plan leaves more than the tolerance below. Every euro of the budget earns more than it costs in every future here (checked at
the optimum below), so the best plan spends the whole budget and brute force runs along that line:
spend a on source a, 3,000 − a on b, each future valued by the exact forecast (`value_in`), the
risk measure of those values (`risk.measure`) maximised on grids of steps 50, then 5, then 0.5 around
the best point.

The tolerance is derived, not guessed. Along the line the measure is concave (each future's value
is concave in the spends, and expected, worst case and CVaR are concave non-decreasing in the
values). A concave function lies under each chord's line extended beyond its cell, so on the cell
on either side of the best grid point it lies under the lower of the lines of the chords on its two
sides: the highest point of that envelope bounds the true optimum (`upper`). The polished plan is in
cents and spends the budget to within one cent a source: that costs it at most a cent's worth of the
measure's steepest slope along the line, plus a cent a source of its steepest slope along one spend.
So: brute − (upper − brute) − cents ≤ polished ≤ upper, and polished ≥ the MILP's plan, exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from builders import scenario, segment
from channelsim.model.media import source_cost
from channelsim.optimize.levers import Levers
from channelsim.optimize.risk import measure
from channelsim.optimize.robust import forecasts_in, optimize_robust, solve_robust, value_in
from channelsim.optimize.robust_polish import STEP, polish_robust
from channelsim.scenario.schema import Scenario
from test_polish import instance

BUDGET = 3000.0
ALPHA = 0.4  # with three equal futures: the worst one and a fifth of the next
STEPS = (50.0, 5.0, 0.5)


def three_futures():
    people = segment(population=50_000_000, conversion=0.5, purchases_per_week=0.1, churn_per_week=0.02,
                     order_value=100)  # fmt: skip
    sources = [
        {"id": "a", "spend_per_week": 1000, "max_spend_per_week": 4000,
         "response": {"curve": "hill", "max_leads_per_week": 300, "half_saturation": 1500, "shape": 0.8}},
        {"id": "b", "spend_per_week": 1000, "max_spend_per_week": 4000,
         "response": {"curve": "exponential", "max_leads_per_week": 200, "scale": 1200}},
    ]  # fmt: skip
    variants = {
        "low": {"set": {"sources.a.response.max_leads_per_week": 200, "sources.b.response.scale": 900}},
        "high": {"set": {"sources.a.response.half_saturation": 2500, "sources.b.response.max_leads_per_week": 260}},
    }  # fmt: skip
    return scenario(horizon_weeks=12, gross_margin=0.5, segments=[people], sources=sources,
                    budget={"marketing_per_week": BUDGET}, optimize={"breakpoints": 6}, variants=variants)  # fmt: skip


class Line:
    """The exact values of the futures along the budget line (cached: brute force asks again)."""

    def __init__(self) -> None:
        sc = three_futures()
        self.futures = [sc, sc.variant("low"), sc.variant("high")]
        self.seen: dict[tuple[float, float], list[float]] = {}

    def values(self, a: float, b: float | None = None) -> list[float]:
        key = (round(a, 6), round(BUDGET - a if b is None else b, 6))
        if key not in self.seen:
            levers = Levers({"a": [key[0]], "b": [key[1]]}, {}, {}, None)
            self.seen[key] = [value_in(f, levers, "profit") for f in self.futures]
        return self.seen[key]


@pytest.fixture(scope="module")
def line() -> Line:
    return Line()


def upper_bound(xs: np.ndarray, ys: np.ndarray, k: int) -> float:
    """The most a concave function with values `ys` at `xs` reaches on the cells either side of `k`."""
    slope = np.diff(ys) / np.diff(xs)
    top = float(ys[k])
    for cell in (k - 1, k):  # the cell [x_cell, x_cell+1]
        if cell < 0 or cell >= len(slope):
            continue
        left = slope[cell - 1] if cell >= 1 else np.inf  # the chord before it, extended
        right = slope[cell + 1] if cell + 1 < len(slope) else -np.inf  # the chord after it, back
        x0, x1, y0, y1 = xs[cell], xs[cell + 1], ys[cell], ys[cell + 1]
        if np.isfinite(left) and np.isfinite(right) and left > right:
            # the lines y0 + left·(x − x0) and y1 + right·(x − x1) meet at x*
            at = (y1 - y0 + left * x0 - right * x1) / (left - right)
            top = max(top, y0 + left * (min(max(at, x0), x1) - x0))
        else:  # an end cell: the one line there is, at the cell's far end
            top = max(top, y0 + left * (x1 - x0) if np.isfinite(left) else y1 - right * (x1 - x0))
    return top


def brute_force(line: Line, risk: str) -> tuple[float, float, float, float]:
    """(a, measure, upper bound, steepest slope along the line near it) of the best grid point."""
    weights = [1 / 3] * 3
    lo, hi = 0.0, BUDGET
    for step in STEPS:
        xs = np.arange(lo, hi + step / 2, step)
        ys = np.array([measure(line.values(a), weights, risk, ALPHA) for a in xs])
        k = int(np.argmax(ys))
        lo, hi = max(0.0, xs[k] - 2 * step), min(BUDGET, xs[k] + 2 * step)
    steep = float(np.abs(np.diff(ys) / np.diff(xs)).max())
    return float(xs[k]), float(ys[k]), upper_bound(xs, ys, k), steep


@pytest.mark.parametrize("risk", ["expected", "worst", "cvar"])
def test_polished_robust_plan_reaches_the_brute_force_optimum(line: Line, risk: str) -> None:
    a, best, upper, steep = brute_force(line, risk)
    weights = [1 / 3] * 3
    here = line.values(a)
    # the premise of searching the line only: a step of spend less on either source loses in every future
    for fewer in (line.values(a - STEPS[-1], BUDGET - a), line.values(a, BUDGET - a - STEPS[-1])):
        assert all(v < h for v, h in zip(fewer, here, strict=True))
    per_spend = max(
        (measure(here, weights, risk, ALPHA) - measure(fewer, weights, risk, ALPHA)) / STEPS[-1]
        for fewer in (line.values(a - STEPS[-1], BUDGET - a), line.values(a, BUDGET - a - STEPS[-1]))
    )
    plan = optimize_robust(line.futures[0], ["low", "high"], risk, alpha=ALPHA, solver="highs")
    polish = plan.robust["polish"]
    x = {s: v[0] for s, v in plan.spend.items()}
    polished = measure(line.values(x["a"], x["b"]), weights, risk, ALPHA)
    assert polished == pytest.approx(plan.objective_value, abs=1e-6)  # the plan is valued exactly
    assert polish["measure"] == pytest.approx(polished, abs=0.01)
    assert x["a"] + x["b"] <= BUDGET + 1e-9 and min(x.values()) >= 0
    assert polished >= polish["milp_measure"] - 0.005  # never worse than the MILP's plan (to rounding)
    cents = 0.01 * steep + 2 * 0.01 * per_spend
    assert (
        best - polish["milp_measure"] > (upper - best) + cents
    )  # the MILP's pieces leave more (the test tells)
    assert best - (upper - best) - cents <= polished <= upper + 1e-9
    assert polish["measure"] >= polish["milp_measure"]


def futures_of(seed: int) -> tuple[list[Scenario], str]:
    """`test_polish`'s random instance (every curve form, rate cards with rising and falling prices,
    setup costs, minimums, locks, units, shares, a count of active sources) and two futures that
    scale each curve's level."""
    sc, objective = instance(seed)
    rng = np.random.default_rng(seed + 1000)
    out = [sc]
    for _ in range(2):
        moves = {f"sources.{s.id}.response.max_leads_per_week": round(s.response.max_leads_per_week * float(f), 3)
                 for s, f in zip(sc.sources, rng.uniform(0.7, 1.3, len(sc.sources)), strict=True)
                 if hasattr(s.response, "max_leads_per_week")}  # fmt: skip
        out.append(sc.with_overrides(moves))
    return out, objective


@pytest.mark.parametrize("seed", range(1, 7))  # two of each risk measure
def test_polish_keeps_every_choice_and_limit_and_never_loses(seed: int) -> None:
    futures, objective = futures_of(seed)
    risk = ("expected", "worst", "cvar")[seed % 3]
    weights = [1 / 3] * 3
    levers, best, _, _ = solve_robust(futures, objective, "highs", 30, risk, ALPHA, weights)
    polished, values, report = polish_robust(futures, best.problem, levers, lambda lev: forecasts_in(futures, lev),
                                             objective, risk, ALPHA, weights, "highs", 30)  # fmt: skip
    before = measure([value_in(f, levers, objective) for f in futures], weights, risk, ALPHA)
    after = measure([value_in(f, polished, objective) for f in futures], weights, risk, ALPHA)
    assert after == pytest.approx(measure(values, weights, risk, ALPHA), abs=1e-6)
    assert after >= before
    assert after > before or not report["kept"]  # kept only when it gains exactly
    assert (polished.tiers, polished.programmes, polished.winback) == (
        levers.tiers,
        levers.programmes,
        levers.winback,
    )
    problem, sc = best.problem, futures[0]
    for t in problem.sources:
        x, was = polished.spend[t.id][0], levers.spend[t.id][0]
        if t.units or t.source.locked or (was <= 0 and (t.source.setup_cost_per_week > 0 or t.lower > 0)):
            assert x == was  # discrete choices and what is off with a price to switch on stay
        assert t.lower - 1e-9 <= x <= t.upper + 1e-9
        if was > 0:
            assert x >= min(t.floor, was) - 1e-9  # a source on stays used
        if (
            sc.budget.max_share_per_source < 1
            and problem.marketing_budget is not None
            and not t.source.locked
        ):
            assert x <= sc.budget.max_share_per_source * problem.marketing_budget + 1e-6
    if problem.marketing_budget is not None:
        spent = sum(source_cost(s, polished.spend[s.id][0]) for s in sc.sources) + (polished.winback or 0.0)
        assert spent <= problem.marketing_budget + 1e-6


#: Each moved source's spend may sit up to this far from where the exact measure stops rising: the
#: exact slope's forward difference over `STEP` is the tangent's somewhere in that step (mean value
#: theorem), and a cent of rounding.
OFF = STEP + 0.01


def test_polished_plan_is_a_stationary_point_of_the_exact_measure() -> None:
    """No transfer of spend between two moved sources raises the exact CVaR: concave along the
    transfer and within `OFF` of its top, a move of 2·OFF or more can only lose. The S-curve with
    adstock started low is not concave on its grid in the early weeks: it stays put, the others move."""
    people = segment(population=50_000_000, conversion=0.5, purchases_per_week=0.1, churn_per_week=0.02,
                     order_value=100)  # fmt: skip
    sources = [
        {"id": "a", "spend_per_week": 1000, "max_spend_per_week": 4000,
         "response": {"curve": "hill", "max_leads_per_week": 300, "half_saturation": 1500, "shape": 0.8}},
        {"id": "s", "spend_per_week": 100, "max_spend_per_week": 4000, "adstock": 0.8,
         "response": {"curve": "hill", "max_leads_per_week": 400, "half_saturation": 1200, "shape": 2.5}},
        {"id": "c", "spend_per_week": 1000, "max_spend_per_week": 4000,
         "response": {"curve": "exponential", "max_leads_per_week": 200, "scale": 1200}},
    ]  # fmt: skip
    sc = scenario(horizon_weeks=12, gross_margin=0.5, segments=[people], sources=sources,
                  budget={"marketing_per_week": 4000})  # fmt: skip
    futures = [sc, sc.with_overrides({"sources.a.response.max_leads_per_week": 220}),
               sc.with_overrides({"sources.c.response.scale": 800})]  # fmt: skip
    weights = [1 / 3] * 3
    levers, best, _, _ = solve_robust(futures, "profit", "highs", 30, "cvar", ALPHA, weights)
    polished, _, report = polish_robust(futures, best.problem, levers, lambda lev: forecasts_in(futures, lev),
                                        "profit", "cvar", ALPHA, weights, "highs", 30)  # fmt: skip
    assert report["moved"] == ["a", "c"] and polished.spend["s"] == levers.spend["s"]

    def gains(plan: Levers) -> list[float]:
        """What moving 2·OFF of spend from one moved source to the other does to the exact CVaR."""
        here = measure([value_in(f, plan, "profit") for f in futures], weights, "cvar", ALPHA)
        out = []
        for give, take in (("a", "c"), ("c", "a")):
            spend = plan.spend | {
                give: [plan.spend[give][0] - 2 * OFF],
                take: [plan.spend[take][0] + 2 * OFF],
            }
            moved = Levers(spend, plan.tiers, plan.programmes, plan.winback)
            out.append(
                measure([value_in(f, moved, "profit") for f in futures], weights, "cvar", ALPHA) - here
            )
        return out

    assert max(gains(polished)) <= 1e-9 * abs(report["measure"])  # (floating-point rounding of the sums)
    assert max(gains(levers)) > 0  # the MILP's plan is not stationary: the test tells them apart


def test_a_robust_headline_says_what_the_polish_did() -> None:
    from channelsim.cli.optimize_verbs import headline

    plan = optimize_robust(three_futures(), ["low", "high"], risk="cvar", alpha=ALPHA, solver="highs")
    polish = plan.robust["polish"]
    assert polish["kept"]  # the MILP's pieces leave something here (the brute-force test above)
    line = next(x for x in headline(plan).splitlines() if "polish on the exact curves" in x)
    assert f"{polish['milp_measure']:,.0f} → {polish['measure']:,.0f}" in line
    assert polish["moved"] and all(term in line for term in polish["moved"])


def test_the_polish_keeps_a_binding_capacity_on_the_exact_forecast() -> None:
    # the shop's queue (30 servers of 0.1 week) binds the MILP's plan: whatever the polish moves, the
    # base's exact forecast must keep the orders within the capacity the MILP kept (its own orders
    # model is first order, so each trial is checked on the exact forecast too)
    futures = [f.with_overrides({"channels": [{"id": "shop", "fulfilment": {"servers": 30, "mean_service_weeks": 0.1}}]})
               for f in (three_futures(), *(three_futures().variant(v) for v in ("low", "high")))]  # fmt: skip
    weights = [1 / 3] * 3
    levers, best, _, _ = solve_robust(futures, "profit", "highs", 30, "cvar", ALPHA, weights)
    problem = best.problem
    assert "shop" in problem.capacities
    column, per_week = problem.capacities["shop"]
    milp_orders = float(forecasts_in(futures, levers)[0].totals[column])
    # it binds (its pieces even put it 0.8% past the capacity on the exact curves: the polish may
    # not go further)
    assert milp_orders >= per_week * problem.horizon * (1 - 1e-3)
    polished, _, report = polish_robust(futures, problem, levers, lambda lev: forecasts_in(futures, lev),
                                        "profit", "cvar", ALPHA, weights, "highs", 30)  # fmt: skip
    assert report["kept"]
    orders = float(forecasts_in(futures, polished)[0].totals[column])
    assert orders <= max(per_week * problem.horizon, milp_orders) * (1 + 1e-9)
