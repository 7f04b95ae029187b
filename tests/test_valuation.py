"""The optimizer's analytic expectations: against hand computations and against the simulation."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

import channelsim as cs
from builders import scenario, segment
from channelsim import valuation as va
from channelsim.experiments.closed_loop import agreement
from channelsim.valuation.timing import repeat_weights
from stats import assert_within_se

PARTNERED = {
    "regions": ["north", "south"],
    "channels": [
        {"id": "shop", "variable_cost": 0.1, "price_index": 0.95},
        {"id": "dealers", "type": "indirect", "partner_margin": 0.2},
    ],
    "partners": [
        {
            "id": "d_north",
            "channel": "dealers",
            "region": "north",
            "effort": 1.2,
            "diversion": {"propensity": 0.4, "price_gap": 0.02},
        },
        {"id": "d_south", "channel": "dealers", "region": "south"},
    ],
    "incentives": [
        {
            "id": "bonus",
            "channel": "dealers",
            "tiers": [
                {"level": "none"},
                {"level": "gold", "cost_per_week": 50, "rebate": 0.05, "effort_boost": 0.3},
            ],
        },
    ],
    "conflict": {"enforcement_per_week": 0.25, "penalty_weeks": 2.5},
}


def test_loyalty_chain_stationary_shares_solve_pi_m_equals_pi():
    sc = scenario(segments=[segment(loyalty=0.8, channel_affinity={"shop": 0.4})], **PARTNERED)
    ch = va.choice(sc, va.sellers(sc), sc.segments[0], "north", {"d_north": "gold"})
    pi = ch.stationary()
    np.testing.assert_allclose(pi @ ch.transition(), pi, atol=1e-12)
    # no loyalty: the chain draws from the plain logit every time
    plain = va.choice(sc, va.sellers(sc), scenario(**PARTNERED).segments[0], "north", {})
    np.testing.assert_allclose(plain.stationary(), plain.shares())


def test_expected_repeats_match_the_closed_form():
    # E[repeats before lapse or horizon] = b·E[min(Exp(c), T)] = b·(1 − e^(−cT))/c
    b, c, remaining = 0.08, 0.03, np.array([0.0, 5.0, 40.0])
    expected = b * (1 - np.exp(-c * remaining)) / c
    np.testing.assert_allclose(repeat_weights(b, c, remaining).sum(axis=1), expected, rtol=1e-6)


def test_value_of_a_lead_by_hand():
    # one channel, everyone converts at once, no word of mouth: a lead at t brings
    # 1 + b(1 − e^(−c(T−t)))/c orders, each worth v·(price − (1 − margin) − variable·price)
    sc = scenario(horizon_weeks=20, gross_margin=0.5,
                  segments=[segment(purchases_per_week=0.1, churn_per_week=0.05, order_value=100)],
                  sources=[{"id": "ads", "response": {"curve": "linear", "leads_per_unit_spend": 0.01}}])  # fmt: skip
    val = va.Valuation(sc, {})
    lead = val.weekly(val.lead_value(sc.sources[0]))
    t = np.arange(20) + 0.5
    orders = 1 + 0.1 * (1 - np.exp(-0.05 * (20 - t))) / 0.05
    np.testing.assert_allclose(lead[:, val.layout.seller(0)], orders, rtol=1e-3)
    np.testing.assert_allclose(lead[:, 0], 50 * orders, rtol=1e-3)
    np.testing.assert_allclose(lead[:, 2], 1.0)


def test_diverted_orders_by_hand():
    sc = scenario(segments=[segment(channel_affinity={"dealers": 0.5})], **PARTNERED)
    all_sellers = va.sellers(sc)
    i = next(k for k, s in enumerate(all_sellers) if s.id == "d_north")
    # gold gives d_north a cost advantage k_j − k_i = 0.8·0.05 = 0.04 over d_south (same price):
    # Δ = 0.04 > g = 0.02, so w = 0.4·min(1, (0.04 − 0.02)/0.02) = 0.4
    assert va.diversion_weight(
        sc, all_sellers, i, "south", {"d_north": "gold", "d_south": "none"}
    ) == pytest.approx(0.4)
    assert va.diversion_weight(sc, all_sellers, i, "south", {"d_north": "none", "d_south": "none"}) == 0.0
    # in the south: shop (V = −0.05·0 … price 0.95: V = 0), d_south (V = 0.5), d_north (0.5 + ln 1.2·1.3 + ln 0.4)
    v_shop, v_south = 0.0, 0.5
    v_north = 0.5 + math.log(1.2 * 1.3) + math.log(0.4)
    share = math.exp(v_north) / (math.exp(v_shop) + math.exp(v_south) + math.exp(v_north))
    per_penalty = 1 / (1 + 0.25 * 3)  # P = ceil(2.5) = 3
    got = va.diversion_effect(sc, i, "south", {"d_north": "gold", "d_south": "none"}, {"people": 40.0})[0]
    assert got == pytest.approx(40 * share * per_penalty)


def assert_forecast_is_the_simulation(checks: dict[tuple[str, ...], float], result: cs.SimResult) -> None:
    """Each forecast figure is within Z standard errors of the replications' mean (tests/stats.py)."""
    for path, expected in checks.items():
        stat = result.figure(*path)
        assert_within_se(
            stat["mean"], float(expected), stat["std"] / math.sqrt(result.replications), "/".join(path)
        )


def test_forecast_matches_the_simulation():
    # word of mouth, consideration delay, loyalty, routes and two channels: the forecast is the
    # simulation's expectation; tolerance 4 standard errors of the replication mean
    sc = scenario(
        horizon_weeks=20, replications=16, seed=3,
        segments=[segment(population=100000, initial_customers=200, innovation_per_week=0.001,
                          imitation_per_week=0.05, conversion=0.5, consideration_weeks=2, purchases_per_week=0.1,
                          churn_per_week=0.03, order_value=100, loyalty=0.7, channel_affinity={"shop": 0.3},
                          price_sensitivity=2)],
        channels=[{"id": "shop", "variable_cost": 0.1}, {"id": "web", "price_index": 0.95}],
        sources=[{"id": "ads", "spend_per_week": 2000, "routes_to": {"web": 1.0},
                  "response": {"curve": "hill", "max_leads_per_week": 60, "half_saturation": 2000}}],
    )  # fmt: skip
    fc = va.forecast(sc, {"ads": [2000.0] * 20}, {})
    result = cs.simulate(sc)
    checks = {
        ("totals", "contribution"): fc.contribution,
        ("totals", "revenue"): fc.revenue,
        ("totals", "new_customers"): fc.customers,
        ("by_channel", "shop", "orders"): fc.totals[fc.layout.seller(0)],
        ("by_channel", "web", "orders"): fc.totals[fc.layout.seller(1)],
    }
    assert_forecast_is_the_simulation(checks, result)


def test_calibration_is_measured_over_analytic_attributed_contribution():
    sc = scenario(horizon_weeks=10, segments=[segment(purchases_per_week=0.1, order_value=50, imitation_per_week=0.02)],
                  sources=[{"id": "ads", "spend_per_week": 500,
                            "response": {"curve": "linear", "leads_per_unit_spend": 0.02}}])  # fmt: skip
    unit = va.calibration(sc, {"ads": {"leads": 1.0, "attributed_contribution": 1.0}})["ads"]
    # attribution is the customers' own orders, not their referrals: 10 leads/week, 10 weeks, 0.4·50 a
    # first order plus repeats b·(1 − e^(−0·…)) = 0.1·(10 − t) with no churn
    own = sum(10 * 20 * (1 + 0.1 * (10 - (w + 0.5))) for w in range(10))
    assert 1 / unit == pytest.approx(own, rel=1e-3)
    assert va.calibration(sc, {"ads": {"leads": 100.0, "attributed_contribution": 1.5 / unit}})[
        "ads"
    ] == pytest.approx(1.5)
    assert va.calibration(sc, {})["ads"] == 1.0


def test_forecast_matches_the_simulation_in_an_open_market():
    # rivals at every occasion (with loyalty and switching), and a dealer finding prospects of its
    # own on a tier: the forecast is the simulation's expectation, to 4 standard errors
    sc = scenario(
        horizon_weeks=20, replications=16, seed=3,
        segments=[segment(population=100000, initial_customers=300, innovation_per_week=0.001,
                          imitation_per_week=0.05, conversion=0.5, consideration_weeks=1, purchases_per_week=0.15,
                          churn_per_week=0.02, order_value=100, loyalty=0.7, channel_affinity={"shop": 0.3},
                          price_sensitivity=2, competition={"utility": 0.4, "switch_probability": 0.3})],
        channels=[{"id": "shop", "variable_cost": 0.1}, {"id": "dealers", "type": "indirect", "partner_margin": 0.2}],
        partners=[{"id": "d", "channel": "dealers", "region": "all", "leads_per_week": 15}],
        incentives=[{"id": "push", "channel": "dealers", "current": {"d": "gold"},
                     "tiers": [{"level": "none"}, {"level": "gold", "effort_boost": 0.4, "rebate": 0.05}]}],
        sources=[{"id": "ads", "spend_per_week": 2000, "routes_to": {"shop": 0.5},
                  "response": {"curve": "hill", "max_leads_per_week": 60, "half_saturation": 2000}}],
    )  # fmt: skip
    fc = va.forecast(sc, {"ads": [2000.0] * 20}, {"d": "gold"})
    result = cs.simulate(sc)
    checks = {
        ("totals", "contribution"): fc.contribution,
        ("totals", "revenue"): fc.revenue,
        ("totals", "new_customers"): fc.customers,
        ("totals", "rival_orders"): fc.rival_orders,
        ("totals", "partner_leads"): fc.partner_leads["d"] * 20,
        ("by_channel", "shop", "orders"): fc.totals[fc.layout.seller(0)],
        ("by_partner", "d", "orders"): fc.totals[fc.layout.seller(1)],
        ("totals", "customer_equity"): fc.customer_equity,
    }
    assert_forecast_is_the_simulation(checks, result)


@pytest.mark.slow
def test_forecast_counts_the_word_of_mouth_of_members_who_are_promoters():
    # members are promoters (a good experience when they join) and refer twice as much: a programme
    # with word of mouth, initial members and joiners; the forecast is the simulation's expectation
    sc = scenario(
        horizon_weeks=20, replications=16, seed=4,
        segments=[segment(population=60000, initial_customers=2000, innovation_per_week=0.0005,
                          imitation_per_week=0.08, conversion=0.6, purchases_per_week=0.2, churn_per_week=0.03,
                          order_value=50)],
        loyalty_programs=[{"id": "club", "channels": ["shop"], "enrolment_per_week": 0.05, "initial_members": 0.3,
                           "purchase_multiplier": 1.2, "churn_multiplier": 0.5}],
    )  # fmt: skip
    fc = va.forecast(sc, {}, {})
    result = cs.simulate(sc)
    checks = {("totals", "new_customers"): fc.customers, ("totals", "contribution"): fc.contribution,
              ("totals", "orders"): float(fc.totals[fc.layout.seller(0)])}  # fmt: skip
    assert_forecast_is_the_simulation(checks, result)


# -- queues and stock-outs --------------------------------------------------------------------
def _open_market_shop(**extra: Any) -> dict[str, Any]:
    people = segment(population=50000, initial_customers=1500, innovation_per_week=0.001, imitation_per_week=0.03,
                     conversion=0.5, purchases_per_week=0.3, churn_per_week=0.02, order_value=60, loyalty=0.7,
                     competition={"utility": 0.3, "switch_probability": 0.2}, **extra)  # fmt: skip
    return {"horizon_weeks": 40, "replications": 12, "seed": 5, "segments": [people],
            "sources": [{"id": "ads", "spend_per_week": 1000,
                         "response": {"curve": "linear", "leads_per_unit_spend": 0.03}}]}  # fmt: skip


SLOW_QUEUE = _open_market_shop(service_expectation_weeks=0.02) | {
    "channels": [{"id": "shop", "fulfilment": {"servers": 2, "mean_service_weeks": 0.01}},
                 {"id": "web", "price_index": 1.05}]}  # fmt: skip
TIGHT_STOCK = _open_market_shop() | {
    "regions": ["north"],
    "channels": [{"id": "shop", "price_index": 1.05}, {"id": "dealers", "type": "indirect", "partner_margin": 0.2}],
    "partners": [{"id": "d", "channel": "dealers", "region": "north", "effort": 2.0,
                  "inventory": {"initial": 200, "reorder_point": 40, "order_up_to": 200, "lead_time_weeks": 1.0}}],
}  # fmt: skip


def _without_limits(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for outlet in data["channels"] + data.get("partners", []):
        outlet.pop("fulfilment", None)
        outlet.pop("inventory", None)
    return data


@pytest.mark.parametrize("data", [SLOW_QUEUE, TIGHT_STOCK], ids=["slow queue", "tight stock"])
def test_forecast_counts_slow_queues_and_stock_outs(data: dict[str, Any]) -> None:
    # a queue that answers a quarter of the orders late (they turn customers into detractors who
    # lapse faster and stop referring), a stock out 40% of the time (its customers buy elsewhere or
    # from the rivals, and are disappointed): the forecast of profit agrees with the simulation by
    # the plans' rule (max of 5% and the 95% half-interval); left out, it would not
    sc = scenario(**data)
    spend = {"ads": [1000.0] * sc.horizon_weeks}
    fc = va.forecast(sc, spend, {})
    simulated = cs.simulate(sc).figure("totals", "profit")
    assert fc.service is not None
    assert agreement(fc.profit, simulated)["agree"], agreement(fc.profit, simulated)
    instant = va.forecast(scenario(**_without_limits(data)), spend, {})
    assert not agreement(instant.profit, simulated)["agree"]
