"""The MILP against brute force on small instances, against a local search, and its explanations.

The instances have a huge population and no word of mouth, so the analytic profit is exactly
linear in each source's leads: profit(x) = C + Σ_a S_a·L_a(x_a) − weeks·Σ_a cost_a(x_a), with
S_a what a steady weekly lead of source a brings over the horizon. The brute force evaluates
that on a fine grid; the MILP's plan is judged by the same exact curves. It must be within
twice the stated piecewise-linear bound of the grid optimum (the MILP optimises the pieces).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from builders import scenario, segment
from channelsim.model.media import media_cost
from channelsim.optimize import InfeasibleError, optimize
from channelsim.optimize.levers import forecast_of
from channelsim.optimize.solvers import PULP_4, _status, _status_v4
from channelsim.valuation import baseline_tiers

WEEKS = 12
MARKET = {
    "horizon_weeks": WEEKS,
    "gross_margin": 0.5,
    "segments": [segment(population=50_000_000, conversion=0.5, purchases_per_week=0.1, churn_per_week=0.02,
                         order_value=100)],
}  # fmt: skip


def market(sources: list[dict], budget: dict, **sections) -> object:
    return scenario(**MARKET, sources=sources, budget=budget, **sections)


def hill(spend, top, half, shape, maximum, **extra) -> dict:
    return {"spend_per_week": spend, "max_spend_per_week": maximum,
            "response": {"curve": "hill", "max_leads_per_week": top, "half_saturation": half, "shape": shape}} | extra  # fmt: skip


def expo(spend, top, scale, maximum, **extra) -> dict:
    return {"spend_per_week": spend, "max_spend_per_week": maximum,
            "response": {"curve": "exponential", "max_leads_per_week": top, "scale": scale}} | extra  # fmt: skip


class Linear:
    """The instance's profit as a function of weekly spends (vectorised), from the valuation."""

    def __init__(self, sc, column: int = 0) -> None:
        self.sc = sc
        zero = {s.id: [0.0] for s in sc.sources}
        fc = forecast_of(sc, zero, baseline_tiers(sc))
        self.base = fc.totals[column] - fc.fixed - fc.incentives - (fc.marketing if column == 0 else 0)
        self.value = {s.id: fc.per_lead[s.id][:, column].sum() for s in sc.sources}
        self.column = column

    def leads(self, source, x):
        return np.vectorize(source.response.leads)(x)

    def cost(self, source, x):
        media = np.vectorize(lambda v: media_cost(source.rate_card, v))(x)
        return media + source.setup_cost_per_week * (np.asarray(x) > 0)

    def __call__(self, spends: dict[str, np.ndarray]) -> np.ndarray:
        total = self.base
        for src in self.sc.sources:
            total = total + self.value[src.id] * self.leads(src, spends[src.id])
            if self.column == 0:
                total = total - WEEKS * self.cost(src, spends[src.id])
        return total


def grid_best(sc, steps: int = 200, feasible=None) -> tuple[float, dict]:
    """Best profit over a grid of spends (each source 0..max), subject to the scenario's budget rules."""
    model = Linear(sc)
    axes = [np.linspace(0, s.max_spend_per_week, steps + 1) for s in sc.sources]
    mesh = dict(zip([s.id for s in sc.sources], np.meshgrid(*axes, indexing="ij"), strict=True))
    ok = np.ones_like(next(iter(mesh.values())), dtype=bool)
    budget = sc.budget
    spent = sum(model.cost(s, mesh[s.id]) for s in sc.sources)
    ok &= spent <= budget.marketing_per_week + 1e-9
    for s in sc.sources:
        ok &= mesh[s.id] <= budget.max_share_per_source * budget.marketing_per_week + 1e-9
        ok &= mesh[s.id] >= s.min_spend_per_week
    ok &= sum((mesh[s.id] > 0).astype(int) for s in sc.sources) >= budget.min_active_sources
    if feasible is not None:
        ok &= feasible(mesh)
    values = np.where(ok, model(mesh), -np.inf)
    best = np.unravel_index(np.argmax(values), values.shape)
    return float(values[best]), {k: float(v[best]) for k, v in mesh.items()}


def plan_value(sc, plan) -> float:
    return Linear(sc)({k: np.array(v[0]) for k, v in plan.spend.items()})


def bound(plan) -> float:
    return sum(plan.approximation_bound.values())


# -- S-shaped curves: where a local search stops short ------------------------------------
S_CURVE = market(
    [hill(500, 300, 5000, 3.0, 10000) | {"id": "events"}, expo(5500, 200, 2000, 10000) | {"id": "search"}],
    {"marketing_per_week": 8000},
)


def test_s_curve_milp_finds_the_global_optimum_where_slsqp_stops_short():
    model = Linear(S_CURVE)
    best, _ = grid_best(S_CURVE, steps=250)
    plan = optimize(S_CURVE)
    assert plan.status == "optimal"
    assert plan_value(S_CURVE, plan) >= best - 2 * bound(plan)
    assert plan.spend["events"][0] > 3000  # the S-curve is worth crossing its slow start

    # SLSQP (what gradient-based allocators run) from the baseline, on the same smooth curves
    def negative(x):
        return -float(model({"events": np.array(x[0]), "search": np.array(x[1])}))

    budget = {"type": "ineq", "fun": lambda x: 8000 - x[0] - x[1]}
    local = minimize(negative, x0=[500, 5500], method="SLSQP", bounds=[(0, 10000)] * 2, constraints=[budget])
    assert -local.fun < best - 0.2 * abs(
        best - float(model({"events": np.array(0.0), "search": np.array(0.0)}))
    )
    assert local.x[0] < 1500  # stuck at the foot of the S-curve
    assert plan_value(S_CURVE, plan) > -local.fun


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_brute_force_three_sources_with_shares_setup_and_active_count(solver: str):
    sc = market(
        [hill(1000, 250, 3000, 2.0, 6000) | {"id": "a"},
         expo(1000, 150, 1500, 6000) | {"id": "b", "setup_cost_per_week": 400},
         hill(1000, 120, 1000, 1.0, 6000) | {"id": "c"}],
        {"marketing_per_week": 7000, "max_share_per_source": 0.6, "min_active_sources": 3},
    )  # fmt: skip
    best, _where = grid_best(sc, steps=60)
    plan = optimize(sc, solver=solver)
    assert plan.status == "optimal" and plan.solver == solver
    assert plan_value(sc, plan) >= best - 2 * bound(plan) - 1e-6
    assert all(plan.spend[s][0] > 0 for s in "abc")
    assert max(plan.spend[s][0] for s in "abc") <= 0.6 * 7000 + 1e-6


def test_hill_shape_one_under_a_binding_budget_equalises_marginal_returns():
    # closed form (Lagrange): at the optimum every funded source returns the same per extra euro,
    # and that is what one more euro of budget is worth (the shadow price)
    sc = market([hill(1000, 400, 2000, 1.0, 4000) | {"id": "a"}, hill(1000, 300, 1000, 1.0, 4000) | {"id": "b"}],
                {"marketing_per_week": 4000}, optimize={"breakpoints": 400})  # fmt: skip
    plan = optimize(sc)
    assert "marketing_budget" in plan.binding
    returns = [plan.marginal_return[s][0] for s in "ab"]
    assert returns[0] == pytest.approx(returns[1], rel=0.03, abs=0.01)
    assert plan.budget_shadow_price == pytest.approx(np.mean(returns), rel=0.05, abs=0.02)


def test_cbc_and_highs_agree_and_shadow_prices_have_one_sign_convention():
    plans = [optimize(S_CURVE, solver=s) for s in ("cbc", "highs")]
    assert plans[0].objective_value == pytest.approx(plans[1].objective_value, rel=1e-6)
    assert plans[0].budget_shadow_price == pytest.approx(plans[1].budget_shadow_price, rel=1e-3, abs=1e-6)
    assert plans[0].budget_shadow_price >= 0


# -- whole units, rate cards, locked sources ------------------------------------------------
def test_units_are_whole_and_exact():
    shows = hill(0, 80, 9000, 2.5, 12000) | {"id": "shows", "units": {"cost": 3000, "max": 4}}
    sc = market([shows, expo(2000, 150, 1500, 8000) | {"id": "search"}], {"marketing_per_week": 12000})
    model = Linear(sc)
    best = max(
        float(model({"shows": np.array(3000.0 * k), "search": np.array(x)}))
        for k in range(5) for x in np.linspace(0, min(8000, 12000 - 3000 * k), 401)
    )  # fmt: skip
    plan = optimize(sc)
    assert plan.spend["shows"][0] % 3000 == 0
    assert plan.approximation_bound["shows"] == 0.0
    assert plan_value(sc, plan) >= best - 2 * bound(plan) - 1e-6


def test_rate_card_volume_discounts_are_costed_piecewise():
    card = [{"up_to": 2000, "price": 1.0}, {"up_to": 6000, "price": 0.6}]
    sc = market([expo(1000, 200, 4000, 8000) | {"id": "tv", "rate_card": card},
                 expo(1000, 120, 1000, 8000) | {"id": "search"}], {"marketing_per_week": 5000})  # fmt: skip
    best, _ = grid_best(sc, steps=200)
    plan = optimize(sc)
    assert plan_value(sc, plan) >= best - 2 * bound(plan) - 1e-6
    media = media_cost(sc.sources[0].rate_card, plan.spend["tv"][0]) + plan.spend["search"][0]
    assert media <= 5000 + 1e-6


def test_locked_source_keeps_its_spend():
    sc = market([expo(1234, 200, 2000, 8000) | {"id": "a", "locked": True}, expo(1000, 200, 2000, 8000) | {"id": "b"}],
                {"marketing_per_week": 5000})  # fmt: skip
    assert optimize(sc).spend["a"] == [1234.0]


# -- partners' tiers by enumeration -----------------------------------------------------------
TIERS = [
    {"level": "none"},
    {"level": "silver", "cost_per_week": 20, "rebate": 0.02, "effort_boost": 0.3},
    {"level": "gold", "cost_per_week": 60, "rebate": 0.06, "effort_boost": 0.8},
]


def partnered(**overrides) -> object:
    data = {
        "horizon_weeks": WEEKS, "gross_margin": 0.5, "regions": ["north", "south"],
        "segments": [segment(population=50_000_000, initial_customers=3000, purchases_per_week=0.1,
                             order_value=100, channel_affinity={"dealers": 0.8}, price_sensitivity=2)],
        "channels": [{"id": "shop", "variable_cost": 0.3}, {"id": "dealers", "type": "indirect", "partner_margin": 0.2}],
        "partners": [{"id": "d_north", "channel": "dealers", "region": "north", "diversion": {"propensity": 0.5, "price_gap": 0.02}},
                     {"id": "d_south", "channel": "dealers", "region": "south", "effort": 0.6}],
        "incentives": [{"id": "bonus", "channel": "dealers", "tiers": TIERS}],
        "conflict": {"enforcement_per_week": 0.1, "penalty_weeks": 2},
        "budget": {"incentives_per_week": 80},
    }  # fmt: skip
    return scenario(**(data | overrides))


def enumerate_tiers(sc, cap: float | None) -> tuple[float, dict]:
    best, where = -np.inf, None
    for levels in itertools.product([t["level"] for t in TIERS], repeat=2):
        tiers = dict(zip(["d_north", "d_south"], levels, strict=True))
        fc = forecast_of(sc, {}, tiers)
        if fc.incentives / WEEKS > sc.budget.incentives_per_week + 1e-9:
            continue
        if cap is not None and fc.diverted_per_week > cap + 1e-9:
            continue
        if fc.profit > best:
            best, where = fc.profit, tiers
    return best, where


@pytest.mark.parametrize("cap", [None, 0.5])
def test_tiers_match_enumeration_with_incentive_budget_and_diversion_cap(cap):
    sc = partnered(optimize={"max_diverted_orders_per_week": cap} if cap is not None else {})
    best, where = enumerate_tiers(sc, cap)
    plan = optimize(sc)
    got = forecast_of(sc, {}, plan.tiers)
    assert got.profit >= best - 1e-6 * abs(best), (plan.tiers, where)
    assert got.incentives / WEEKS <= 80 + 1e-9
    if cap is not None:
        assert got.diverted_per_week <= cap + 1e-9


# -- target mode and periods --------------------------------------------------------------------
def test_target_mode_finds_the_least_spend_reaching_customers():
    sources = [
        hill(500, 300, 5000, 3.0, 10000) | {"id": "events"},
        expo(500, 200, 2000, 10000) | {"id": "search"},
    ]
    sc = market(
        sources, {"marketing_per_week": 20000}, optimize={"target": {"metric": "customers", "at_least": 1500}}
    )
    customers = Linear(sc, column=2)
    axes = np.meshgrid(np.linspace(0, 10000, 201), np.linspace(0, 10000, 201), indexing="ij")
    mesh = {"events": axes[0], "search": axes[1]}
    reach = customers(mesh) >= 1500
    least = float(np.min(np.where(reach, axes[0] + axes[1], np.inf)))
    plan = optimize(sc)
    spent = sum(v[0] for v in plan.spend.values())
    got = customers({k: np.array(v[0]) for k, v in plan.spend.items()})
    assert plan.objective == "least_spend"
    assert spent <= least + 1e-6
    assert got >= 1500 - 2 * bound(plan)


def test_periods_with_adstock_match_enumeration():
    src = expo(1000, 300, 3000, 6000) | {"id": "tv", "adstock": 0.5}
    sc = market([src], {"marketing_per_week": 6000}, optimize={"periods": 2, "breakpoints": 60})
    values = {}
    for x1, x2 in itertools.product(np.linspace(0, 6000, 25), repeat=2):
        values[(x1, x2)] = forecast_of(sc, {"tv": [x1, x2]}, {}).profit
    best = max(values.values())
    plan = optimize(sc)
    got = forecast_of(sc, plan.spend, {}).profit
    assert len(plan.spend["tv"]) == 2
    # period-average adstock and the pieces: within 0.5% of the spread of the enumerated values
    assert got >= best - 0.005 * (best - min(values.values()))
    assert plan.spend["tv"][1] < plan.spend["tv"][0]  # late spend has less time to pay back


# -- objectives, infeasibility, solver status ------------------------------------------------
@pytest.mark.parametrize("objective", ["revenue", "customers"])
def test_other_objectives_spend_to_the_budget(objective: str):
    plan = optimize(S_CURVE, objective=objective)
    assert plan.objective == objective
    assert sum(v[0] for v in plan.spend.values()) == pytest.approx(8000, rel=1e-4)
    assert plan.objective_value >= plan.baseline_value


def test_minimum_spends_above_the_budget_are_named():
    sc = market([expo(6000, 200, 2000, 8000) | {"id": "a", "min_spend_per_week": 6000},
                 expo(6000, 200, 2000, 8000) | {"id": "b", "min_spend_per_week": 6000},
                 expo(0, 200, 2000, 8000) | {"id": "c"}], {"marketing_per_week": 10000})  # fmt: skip
    with pytest.raises(InfeasibleError) as err:
        optimize(sc)
    assert str(err.value) == (
        "no feasible plan: minimum and locked spends 12,000/week (a 6,000, b 6,000) exceed marketing budget 10,000/week"
    )
    assert err.value.exit_code == 3


def test_unreachable_target_names_the_target_and_what_limits_it():
    # ~930 customers at the 3,000 budget, ~1,180 at the source's 8,000 maximum
    def target(at_least):
        return market([expo(0, 200, 2000, 8000) | {"id": "a"}], {"marketing_per_week": 3000},
                      optimize={"target": {"metric": "customers", "at_least": at_least}})  # fmt: skip

    with pytest.raises(InfeasibleError) as err:
        optimize(target(1000))
    assert str(err.value) == (
        "no feasible plan: these constraints conflict: marketing budget 3,000/week; target customers ≥ 1,000"
    )
    with pytest.raises(InfeasibleError) as err:
        optimize(target(5000))
    assert str(err.value) == (
        "no feasible plan: target customers ≥ 5,000 is out of reach even with every source at its maximum spend"
    )


@pytest.mark.skipif(PULP_4, reason="PuLP 3's status attributes")
def test_time_limited_solutions_are_never_called_optimal():
    class Stub:
        sol_status, status = 2, 1  # PuLP: integer feasible, solver stopped

    assert _status(Stub()) == "time_limit"


def test_pulp_4_statuses_read_as_pulp_3_ones():
    from types import SimpleNamespace

    def stats(name: str, has: bool, gap: float | None = 0.0) -> SimpleNamespace:
        return SimpleNamespace(
            status=SimpleNamespace(name=name), has_solution=has, gap_rel=gap, solver_gap=None
        )

    assert _status_v4(stats("Optimal", True)) == "optimal"
    assert _status_v4(stats("GapLimit", True, 0.0)) == "optimal"  # CBC stopped at gapRel
    assert _status_v4(stats("GapLimit", True, 0.01)) == "time_limit"
    assert _status_v4(stats("TimeLimit", True, None)) == "time_limit"
    assert _status_v4(stats("TimeLimit", False, None)) == "not_solved"
    assert _status_v4(stats("Infeasible", False)) == "infeasible"


def test_calibration_scales_what_leads_are_worth():
    plain = optimize(S_CURVE)
    poorer = optimize(S_CURVE, calibration={"search": 0.3, "events": 0.3})
    assert sum(v[0] for v in poorer.spend.values()) < sum(v[0] for v in plain.spend.values())
    assert poorer.details["calibration"] == {"search": 0.3, "events": 0.3}


def test_vectorised_curves_give_the_same_leads():
    from channelsim.curves import leads_at

    sc = market([hill(0, 300, 5000, 3.0, 1) | {"id": "h"}, expo(0, 200, 2000, 1) | {"id": "e"},
                 {"id": "l", "response": {"curve": "linear", "leads_per_unit_spend": 0.01}},
                 {"id": "p", "response": {"curve": "points", "points": [[1000, 30], [4000, 260]]}}], {})  # fmt: skip
    spends = np.array([0.0, 1.0, 999.0, 2500.0, 5000.0, 1e6])
    for src in sc.sources:
        np.testing.assert_allclose(
            leads_at(src.response, spends), [src.response.leads(x) for x in spends], rtol=1e-14
        )
