"""CRM levers (SPEC §3 "Membership and win-back"): loyalty programmes, win-back, satisfaction
and NPS, early-warning alerts — against closed forms with tolerances from the standard error.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import channelsim as cs
from builders import scenario, segment
from channelsim.kpis import nps, nps_of
from channelsim.model.satisfaction import referral_weight
from channelsim.scenario.crm import ALERT_LEVELS
from channelsim.sim.customers import Customer
from channelsim.sim.engine import Replication
from channelsim.sim.policy import Policy
from channelsim.sim.streams import replication_seeds
from conftest import ROOT
from stats import assert_mean_within_se, assert_within_se, binomial_se, poisson_mean_se


def members_from_the_start(purchase_multiplier: float, churn_multiplier: float) -> cs.Scenario:
    return scenario(
        horizon_weeks=20,
        segments=[
            segment(population=2000, initial_customers=2000, purchases_per_week=0.5, churn_per_week=0.05)
        ],
        loyalty_programs=[
            {
                "id": "club",
                "channels": ["shop"],
                "initial_members": 1.0,
                "purchase_multiplier": purchase_multiplier,
                "churn_multiplier": churn_multiplier,
            }
        ],
    )


@pytest.mark.slow
def test_member_multipliers_scale_the_repeat_and_churn_closed_forms() -> None:
    # Members from week 0 buy at r·m_p and lapse at d·m_c: per initial customer
    # E[orders] = r·m_p·(1 − e^{−d·m_c·H}) / (d·m_c) and P(still active at H) = e^{−d·m_c·H}.
    r, d, m_p, m_c, horizon, people, reps = 0.5, 0.05, 1.5, 0.6, 20, 2000, 20
    res = cs.simulate(members_from_the_start(m_p, m_c), replications=reps, seed=4)
    orders = np.array([rep["totals"]["orders"] for rep in res.per_replication])
    expected_orders = people * r * m_p * (1 - math.exp(-d * m_c * horizon)) / (d * m_c)
    assert_mean_within_se(orders, expected_orders, "orders")
    survive = math.exp(-d * m_c * horizon)
    active = np.array([rep["totals"]["active_customers_end"] for rep in res.per_replication])
    assert_within_se(active.mean() / people, survive, binomial_se(survive, people * reps), "survivors")
    members = np.array([rep["crm"]["members_end"] for rep in res.per_replication])
    assert np.array_equal(members, active)  # everybody active is a member; lapsing ends it


@pytest.mark.slow
def test_win_backs_are_poisson_at_the_rate_of_the_curve() -> None:
    # Customers lapse almost at once (churn 50/week), so the lapsed pool is never empty;
    # win-back spend x on a linear curve reactivates L(x) = 0.01·x per week: ~ Poisson(L·H).
    rate, horizon, reps = 0.01 * 2000, 15, 40
    sc = scenario(
        horizon_weeks=horizon,
        segments=[segment(population=5000, initial_customers=5000, churn_per_week=50.0)],
        winback={"spend_per_week": 2000, "response": {"curve": "linear", "leads_per_unit_spend": 0.01}},
    )
    res = cs.simulate(sc, replications=reps, seed=8)
    won = np.array([rep["crm"]["won_back"] for rep in res.per_replication])
    assert_within_se(won.mean(), rate * horizon, poisson_mean_se(rate * horizon, reps), "won back")
    crm = res.per_replication[0]["crm"]
    assert crm["winback_cac"] == pytest.approx(2000 * horizon / crm["won_back"])
    assert crm["winback_spend"] == 2000 * horizon
    assert res.per_replication[0]["totals"]["marketing_spend"] == 2000 * horizon  # in the books too


def test_nps_is_promoters_minus_detractors_in_percent() -> None:
    assert nps(detractors=10, active=100, promoters=30) == pytest.approx(20.0)
    assert nps(detractors=5, active=5) == -100.0
    assert math.isnan(nps(0, 0))
    weekly = nps_of(np.array([3.0, 0.0]), np.array([1.0, 0.0]), np.array([8.0, 0.0]))
    assert weekly.tolist() == [25.0, 0.0]


def test_satisfaction_counts_follow_good_and_bad_experiences() -> None:
    sc = scenario(segments=[segment(initial_customers=0)])
    market = Replication(sc, Policy.baseline(sc), replication_seeds(1, 1)[0]).market
    customers = [Customer(0, 0, -1) for _ in range(4)]
    for customer in customers:
        market.start_active(customer)
    assert (market.promoters[0], market.detractors[0], market.referrers[0]) == (0, 0, 4)
    market.delight(customers[0])
    market.disappoint(customers[1])
    market.disappoint(customers[2])
    market.disappoint(customers[2])
    market.disappoint(customers[2])  # bounded: a third bad experience changes nothing
    assert customers[2].mood == -2
    assert (market.promoters[0], market.detractors[0]) == (1, 2)
    assert market.referrers[0] == sum(referral_weight(c.mood) for c in customers) == 2 + 0 + 0 + 1
    assert nps(market.detractors[0], market.active[0], market.promoters[0]) == pytest.approx(-25.0)
    market.delight(customers[1])  # back to passive
    assert (market.promoters[0], market.detractors[0]) == (1, 1)


def test_a_price_cut_at_the_usual_outlet_makes_promoters() -> None:
    sc = scenario(
        horizon_weeks=10,
        segments=[
            segment(population=400, initial_customers=200, purchases_per_week=1, price_sensitivity=2.0)
        ],
        channels=[{"id": "sellers", "type": "indirect", "partner_margin": 0.3}],
        partners=[
            {"id": "cheap", "channel": "sellers", "region": "all", "price_index": 0.9, "price_floor": 0.9},
            {"id": "dear", "channel": "sellers", "region": "all", "price_index": 1.0, "price_floor": 0.94},
        ],
        conflict={
            "price_war": {"trigger_share_drop": 0.05, "undercut_step": 0.02, "recovery_per_week": 0.01}
        },
    )
    crm = cs.simulate(sc, seed=2).per_replication[0]["crm"]
    # the dear seller cuts, then recovers (a rise), then cuts again: both kinds happen
    assert crm["promoters_end"] > 0 and crm["detractors_end"] > 0
    quiet = cs.simulate(sc.with_overrides({"conflict.price_war": None}), seed=2).per_replication[0]["crm"]
    assert quiet["promoters_end"] == quiet["detractors_end"] == 0  # no change, no opinion


@pytest.mark.slow
def test_a_programme_lowers_churn_and_raises_clv_and_nps() -> None:
    def club(active: bool) -> cs.Scenario:
        return scenario(
            horizon_weeks=26,
            segments=[
                segment(
                    population=3000,
                    initial_customers=1500,
                    purchases_per_week=0.3,
                    churn_per_week=0.03,
                    order_value=50,
                )
            ],
            loyalty_programs=[
                {
                    "id": "club",
                    "channels": ["shop"],
                    "enrolment_per_week": 0.2,
                    "churn_multiplier": 0.5,
                    "purchase_multiplier": 1.2,
                    "active": active,
                }
            ],
        )

    on, off = (cs.simulate(club(flag), replications=6, seed=3).summary for flag in (True, False))
    assert on["totals"]["lapsed_customers"]["ci95"][1] < off["totals"]["lapsed_customers"]["ci95"][0]
    assert on["crm"]["nps"]["mean"] > 0 == off["crm"]["nps"]["mean"]
    assert on["totals"]["orders"]["ci95"][0] > off["totals"]["orders"]["ci95"][1]


def test_lifecycle_counts_add_up() -> None:
    sc = members_from_the_start(1.0, 1.0)
    rep = cs.simulate(sc, seed=1).per_replication[0]
    life = rep["crm"]["lifecycle"]
    assert life["active"] + life["lapsed"] == 2000  # nobody new, nobody won back
    assert 0 < life["repeat"] <= life["active"]
    assert life["members"] == life["active"]


def test_an_alert_fires_exactly_in_the_weeks_its_condition_holds() -> None:
    sc = scenario(
        horizon_weeks=12,
        segments=[segment(population=500, initial_customers=100, purchases_per_week=0.5, churn_per_week=0.1)],
        alerts=[
            {"metric": "orders", "above": 40},
            {"metric": "active_customers", "below": 60, "level": "segment"},
        ],
    )
    res = cs.simulate(sc, replications=4, seed=6)
    kpis = res.kpis
    for alert, metric, level, holds in (
        (res.summary["alerts"][0], "orders", "total", lambda v: v > 40),
        (res.summary["alerts"][1], "active_customers", "segment", lambda v: v < 60),
    ):
        rows = kpis[(kpis.metric == metric) & (kpis.level == level)]
        truth = rows[holds(rows.value)].groupby(["id", "week"]).replication.nunique()
        fired = alert["fired"]
        expected: dict[str, dict[str, list]] = {}
        for (entity, week), count in truth.items():
            entry = expected.setdefault(str(entity), {"weeks": [], "share": []})
            entry["weeks"].append(int(week))
            entry["share"].append(count / 4)
        assert fired == expected
        assert fired  # the thresholds are chosen so that both alerts fire in some weeks


def test_alert_levels_are_exactly_the_weekly_metrics() -> None:
    sc = cs.load(ROOT / "scenarios" / "electronics_omnichannel.yaml").with_overrides({"horizon_weeks": 2})
    kpis: pd.DataFrame = cs.simulate(sc, seed=1).kpis
    reported = {metric: tuple(sorted(group.level.unique())) for metric, group in kpis.groupby("metric")}
    assert reported == {metric: tuple(sorted(levels)) for metric, levels in ALERT_LEVELS.items()}


def test_an_alert_at_a_level_its_metric_does_not_have_is_an_error() -> None:
    with pytest.raises(cs.ScenarioError, match="'share' is reported at level channel, not total"):
        scenario(alerts=[{"metric": "share", "below": 0.2, "level": "total"}])


@pytest.mark.slow
def test_lifetime_orders_in_simulation_match_the_clv_chain() -> None:
    # Initial customers live the same chain without the first order: E[orders] = 6.5 − 1 each;
    # churn is fast enough that 100 weeks is a whole lifetime (e^{−0.1·100} ≈ 5e−5 left).
    people, reps = 2000, 12
    sc = scenario(
        horizon_weeks=100,
        segments=[
            segment(population=people, initial_customers=people, purchases_per_week=0.5, churn_per_week=0.2)
        ],
        loyalty_programs=[
            {
                "id": "club",
                "channels": ["shop"],
                "enrolment_per_week": 0.3,
                "purchase_multiplier": 1.5,
                "churn_multiplier": 0.5,
            }
        ],
    )
    res = cs.simulate(sc, replications=reps, seed=12)
    orders = np.array([rep["totals"]["orders"] for rep in res.per_replication])
    assert_mean_within_se(orders, people * 5.5, "lifetime orders")
