"""The polish on a random instance family: it never loses the MILP's exact value, keeps every limit
(budget, shares, spend bounds, floors, locks, units, sources switched off), and on concave instances
reaches the optimum of the exact curves (SLSQP from many starts, which is global there).

Curves of every form (concave and S-shaped hill, exponential, logistic, tanh, concave and convex
`points`), rate cards with rising and falling prices, setup costs, minimum spends, locked and
lumpy sources, share limits and a count of active sources, under profit, revenue and customers.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from builders import scenario, segment
from channelsim.model.media import source_cost
from channelsim.optimize import explain
from channelsim.optimize.coefficients import Coefficients, build_coefficients
from channelsim.optimize.levers import read_decisions
from channelsim.optimize.milp import build
from channelsim.optimize.polish import kept_slack, polish, value
from channelsim.optimize.solvers import solve

MARKET = {
    "horizon_weeks": 12,
    "gross_margin": 0.5,
    "segments": [segment(population=50_000_000, conversion=0.5, purchases_per_week=0.1, churn_per_week=0.02,
                         order_value=100)],
}  # fmt: skip


def curve(rng: np.random.Generator, kind: str, top: float, half: float) -> dict:
    if kind == "hill":
        return {"curve": "hill", "max_leads_per_week": top, "half_saturation": half,
                "shape": float(rng.uniform(0.5, 1.0))}  # fmt: skip
    if kind == "s_curve":
        return {"curve": "hill", "max_leads_per_week": top, "half_saturation": half,
                "shape": float(rng.uniform(1.5, 3.5))}  # fmt: skip
    if kind == "exponential":
        return {"curve": "exponential", "max_leads_per_week": top, "scale": half}
    if kind == "logistic":
        return {"curve": "logistic", "max_leads_per_week": top, "lam": 2.0 / half}
    if kind == "tanh":
        return {"curve": "tanh", "max_leads_per_week": top, "c": half / top}
    spends = np.sort(rng.uniform(0.1, 4.0, 4)) * half
    gains = rng.uniform(0.2, 1.0, 4)
    if kind == "points":  # concave: falling slopes
        gains = np.sort(gains)[::-1] * np.diff(np.concatenate([[0.0], spends]))
    leads = np.cumsum(gains) / np.sum(gains) * top
    return {"curve": "points", "points": [[round(float(s), 2), round(float(y), 4)] for s, y in zip(spends, leads, strict=True)]}  # fmt: skip


def instance(seed: int, concave: bool = False) -> tuple[object, str]:
    rng = np.random.default_rng(seed)
    kinds = ["hill", "exponential", "logistic", "tanh", "points"]
    if not concave:
        kinds += ["s_curve", "s_curve", "convex_points"]
    sources = []
    for k in range(int(rng.integers(2, 8))):
        top, half = float(rng.uniform(50, 400)), float(rng.uniform(500, 5000))
        src = {"id": f"s{k}", "spend_per_week": round(half / 3), "max_spend_per_week": round(4 * half),
               "response": curve(rng, str(rng.choice(kinds)), top, half)}  # fmt: skip
        if not concave:
            draw = rng.uniform(size=6)
            if draw[0] < 0.25:
                prices = [1.0, 0.7] if draw[1] < 0.5 else [0.9, 1.2]  # a volume discount, or rising prices
                src["rate_card"] = [
                    {"up_to": round(half), "price": prices[0]},
                    {"up_to": round(3 * half), "price": prices[1]},
                ]
            if draw[2] < 0.2:
                src["setup_cost_per_week"] = round(float(rng.uniform(50, 500)))
            if draw[3] < 0.15:
                src["min_spend_per_week"] = round(half / 5)
            if draw[4] < 0.08:
                src["locked"] = True
            elif draw[4] < 0.16:
                src["units"] = {"cost": round(half), "max": 3}
                src.pop("max_spend_per_week")
                src["spend_per_week"] = 0
        sources.append(src)
    budget = {
        "marketing_per_week": round(
            float(rng.uniform(0.2, 0.6)) * sum(s.get("max_spend_per_week", 3000) for s in sources)
        )
    }
    if not concave and rng.uniform() < 0.3:
        budget["max_share_per_source"] = 0.5
    if not concave and rng.uniform() < 0.3:
        budget["min_active_sources"] = min(2, len(sources))
    objective = "profit" if concave else str(rng.choice(["profit", "profit", "revenue", "customers"]))
    sc = scenario(**MARKET, sources=sources, budget=budget)
    return sc, objective


def milp_plan(sc, objective: str) -> tuple[Coefficients, dict[str, list[float]], int]:
    problem = build_coefficients(
        sc, objective, {s.id: [s.spend_per_week] for s in sc.sources}, {}, target_mode=False
    )
    built = build(problem)
    outcome = solve(built.prob, "highs", 30)
    assert outcome.has_plan
    return problem, read_decisions(built, problem).spend, explain.objective_column(problem)


@pytest.mark.parametrize("seed", range(40))
def test_polish_keeps_or_improves_the_milps_exact_value_within_the_limits(seed: int):
    sc, objective = instance(seed)
    problem, found, column = milp_plan(sc, objective)
    net = objective == "profit"
    polished = polish(problem, found, column, net)
    assert value(problem, polished, column, net) >= value(problem, found, column, net)
    budget = problem.marketing_budget
    assert budget is not None
    assert sum(source_cost(s, polished[s.id][0]) for s in sc.sources) <= budget + 1e-6
    active = 0
    for s, term in zip(sc.sources, problem.sources, strict=True):
        x, before = polished[s.id][0], found[s.id][0]
        assert 0 <= x <= term.upper + 1e-9 and x >= s.min_spend_per_week - 1e-9
        if sc.budget.max_share_per_source < 1 and not s.locked:
            assert x <= sc.budget.max_share_per_source * budget + 1e-6
        if s.locked or s.units is not None:
            assert x == before
        if before == 0 and not (term.leads.concave and s.setup_cost_per_week == 0):
            assert x == 0  # the MILP switched it off: it stays off
        if before > 0 and term.floor > 0:
            assert x >= term.floor - 1e-9  # used stays used
        active += x > 0
    assert active >= sc.budget.min_active_sources


def exact_optimum(problem: Coefficients, starts: int, seed: int) -> float:
    """Best SLSQP over the exact curves from `starts` points (concave: the global optimum)."""
    weeks = problem.periods[0].weeks
    gains = np.array([weeks * float(problem.worth(t.value[0])) for t in problem.sources])
    upper = np.array([t.upper for t in problem.sources])
    budget = problem.marketing_budget
    assert budget is not None

    def negative(x: np.ndarray) -> float:
        return -float(sum(g * t.source.response.leads(v) for g, t, v in zip(gains, problem.sources, x, strict=True))
                      - weeks * np.sum(x))  # fmt: skip

    rng, best = np.random.default_rng(seed), -np.inf
    for _ in range(starts):
        x0 = rng.uniform(0, upper)
        x0 *= min(1.0, budget / x0.sum())
        res = minimize(negative, x0, method="SLSQP", bounds=list(zip(0 * upper, upper, strict=True)),
                       constraints=[{"type": "ineq", "fun": lambda x: budget - np.sum(x)}],
                       options={"maxiter": 500, "ftol": 1e-14})  # fmt: skip
        x = np.clip(res.x, 0, upper)
        x *= min(1.0, budget / max(x.sum(), 1e-12))
        best = max(best, -negative(x))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_polish_reaches_the_exact_optimum_of_concave_instances(seed: int):
    sc, objective = instance(100 + seed, concave=True)
    problem, found, column = milp_plan(sc, objective)
    polished = polish(problem, found, column, net=True)
    ours, milp = value(problem, polished, column, True), value(problem, found, column, True)
    best = exact_optimum(problem, starts=6, seed=seed)
    assert ours >= best - 1e-7 * abs(best) - 0.05  # cents: the polish rounds spends down to cents
    assert ours >= milp


def dealer_and_shop(threshold: float) -> object:
    """Fairs send leads to the dealer, search to the shop; the dealer leaves below `threshold` a week."""
    return scenario(
        horizon_weeks=12, gross_margin=0.5, budget={"marketing_per_week": 6000},
        segments=[segment(population=2_000_000, purchases_per_week=0.1, churn_per_week=0.02, order_value=100,
                          conversion=0.6)],
        channels=[{"id": "shop"}, {"id": "dealers", "type": "indirect", "partner_margin": 0.3}],
        partners=[{"id": "d", "channel": "dealers", "region": "all", "exit_below_margin_per_week": threshold}],
        sources=[{"id": "fairs", "spend_per_week": 3000, "max_spend_per_week": 8000, "routes_to": {"dealers": 3.0},
                  "response": {"curve": "hill", "max_leads_per_week": 60, "half_saturation": 3000, "shape": 0.8}},
                 {"id": "search", "spend_per_week": 3000, "max_spend_per_week": 8000, "routes_to": {"shop": 3.0},
                  "response": {"curve": "exponential", "max_leads_per_week": 200, "scale": 3000}}],
    )  # fmt: skip


@pytest.mark.parametrize(("threshold", "moves"), [(600, True), (1000, False)], ids=["slack", "binding"])
def test_polish_keeps_the_partners_the_plan_keeps(threshold: float, moves: bool):
    sc = dealer_and_shop(threshold)
    problem = build_coefficients(
        sc, "profit", {s.id: [s.spend_per_week] for s in sc.sources}, {}, target_mode=False
    )
    built = build(problem)
    assert solve(built.prob, "highs", 30).has_plan
    found = read_decisions(built, problem).spend
    slack = kept_slack(built)
    [(column, _)] = list(problem.exit_floors.values())
    weeks = problem.periods[0].weeks

    def orders_taken(spend: dict[str, list[float]]) -> float:
        """The dealer's orders over the horizon lost to the moves (the MILP's pieces to the exact leads)."""
        return sum(weeks * t.value[0, column] * (t.leads(found[t.id][0]) - t.source.response.leads(spend[t.id][0]))
                   for t in problem.sources)  # fmt: skip

    polished = polish(problem, found, 0, True, slack=slack)
    assert orders_taken(polished) <= slack["d"] + 1e-6  # the floor holds with the exact leads
    assert (polished != found) == moves
    assert value(problem, polished, 0, True) >= value(problem, found, 0, True)
    cautious = polish(problem, found, 0, True)  # without the slack: no fewer orders than the MILP's plan
    assert sum(weeks * t.value[0, column] * (t.source.response.leads(cautious[t.id][0])
                                             - t.source.response.leads(found[t.id][0])) for t in problem.sources) >= -1e-9  # fmt: skip
