"""The simulation against closed forms, where a scenario reduces to one.

Each test states the formula, uses a fixed seed, and sets its tolerance from the standard
error of the estimate: |estimate − theory| < Z·SE with Z = 4 (`tests/stats.py`: a false
alarm about 6 in 100,000 for a correct model). Where observations are dependent (a queue),
the SE comes from independent replications. The pieces on their own (choice, customer
processes, random streams) are tested in `test_sim_units.py`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import channelsim as cs
from builders import scenario, segment
from stats import assert_mean_within_se, assert_within_se, binomial_se, poisson_mean_se, poisson_variance_se


def test_paid_leads_are_poisson_with_rate_of_the_curve() -> None:
    # Leads of a source at constant spend x over H weeks ~ Poisson(L(x)·H); L = Hill curve.
    hill = {"curve": "hill", "max_leads_per_week": 300, "half_saturation": 2000, "shape": 1.5}
    sc = scenario(
        horizon_weeks=20,
        segments=[segment(population=10_000_000, conversion=0.0)],
        sources=[{"id": "ads", "spend_per_week": 3000, "response": hill}],
    )
    rate = 300 * 3000**1.5 / (3000**1.5 + 2000**1.5)
    res = cs.simulate(sc, replications=200, seed=11)
    leads = np.array([r["by_source"]["ads"]["leads"] for r in res.per_replication])
    expected = rate * 20
    assert_within_se(leads.mean(), expected, poisson_mean_se(expected, len(leads)), "mean leads")
    # Poisson: the variance equals the mean
    assert_within_se(
        leads.var(ddof=1), expected, poisson_variance_se(expected, len(leads)), "variance of leads"
    )
    assert res.figure("totals", "wasted_leads")["mean"] == 0


def test_leads_beyond_the_unaware_pool_are_wasted() -> None:
    sc = scenario(
        segments=[segment(population=50, conversion=0.0)],
        sources=[
            {"id": "ads", "spend_per_week": 1, "response": {"curve": "linear", "leads_per_unit_spend": 100}}
        ],
    )
    totals = cs.simulate(sc, seed=3).per_replication[0]["totals"]
    assert totals["leads"] - totals["wasted_leads"] == 50


def _mnl(utilities: list[float]) -> np.ndarray:
    weights = np.exp(np.asarray(utilities))
    return weights / weights.sum()


def test_channel_shares_follow_the_multinomial_logit_with_a_price_gap() -> None:
    # P_j = exp(V_j)/Σ exp(V_k), V_j = affinity − price_sensitivity·(price_j − 1) + ln(effort_j)
    sc = scenario(
        horizon_weeks=20,
        regions=["north"],
        segments=[segment(population=2000, initial_customers=2000, purchases_per_week=0.5,
                          price_sensitivity=3.0, channel_affinity={"web": 0.4, "market": 0.0})],
        channels=[
            {"id": "web"},
            {"id": "market", "price_index": 0.9},
            {"id": "dealers", "type": "indirect", "partner_margin": 0.2},
        ],
        partners=[{"id": "d1", "channel": "dealers", "region": "north", "effort": 1.5}],
    )  # fmt: skip
    expected = _mnl([0.4, -3.0 * (0.9 - 1.0), math.log(1.5)])
    res = cs.simulate(sc, seed=5)
    orders = np.array(
        [res.per_replication[0]["by_channel"][c]["orders"] for c in ("web", "market", "dealers")]
    )
    n = orders.sum()
    assert n > 15_000
    assert_within_se(orders / n, expected, binomial_se(expected, n), "channel shares")


def _erlang_c_response(arrival: float, servers: int, mean_service: float) -> float:
    # M/M/c: W = C(c, a)/(c·μ − λ) + 1/μ, with a = λ/μ and Erlang's C formula.
    mu = 1.0 / mean_service
    a = arrival / mu
    rho = a / servers
    top = a**servers / math.factorial(servers) / (1 - rho)
    c = top / (sum(a**k / math.factorial(k) for k in range(servers)) + top)
    return c / (servers * mu - arrival) + 1.0 / mu


def test_fulfilment_queue_matches_erlang_c() -> None:
    # 1,000 customers buying at 0.024/week, no churn: orders arrive as Poisson(λ = 24/week).
    sc = scenario(
        horizon_weeks=60,
        segments=[segment(population=1000, initial_customers=1000, purchases_per_week=0.024)],
        channels=[{"id": "shop", "fulfilment": {"servers": 3, "mean_service_weeks": 0.1}}],
    )
    res = cs.simulate(sc, replications=30, seed=21)
    means = np.array([r["by_channel"]["shop"]["response_time_mean"] for r in res.per_replication])
    expected = _erlang_c_response(24.0, 3, 0.1)
    # replications are independent; orders are not
    assert_mean_within_se(means, expected, "mean response time")


def _bass_adopted(t: float, p: float, q: float) -> float:
    # Bass (1969): F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p)·e^{−(p+q)t})
    decay = math.exp(-(p + q) * t)
    return (1 - decay) / (1 + q / p * decay)


def test_organic_growth_follows_bass_diffusion() -> None:
    # 40 replications so that the SE estimated across them is itself reliable
    p, q, people = 0.01, 0.25, 10_000
    sc = scenario(
        horizon_weeks=30,
        segments=[
            segment(population=people, innovation_per_week=p, imitation_per_week=q, purchases_per_week=0.0)
        ],
    )
    res = cs.simulate(sc, replications=40, seed=7)
    frame = res.kpis
    adopted = frame[(frame.level == "total") & (frame.metric == "active_customers")]
    for week in (5, 10, 15, 29):
        shares = adopted[adopted.week == week]["value"].to_numpy() / people
        expected = _bass_adopted(week + 1.0, p, q)  # state at the end of week `week`
        se = max(shares.std(ddof=1), math.sqrt(expected * (1 - expected) / people)) / math.sqrt(len(shares))
        assert_within_se(shares.mean(), expected, se, f"adopted share at week {week}")


def test_repeat_orders_and_survivors_follow_exponential_churn() -> None:
    # Per initial customer over H weeks: orders r(1 − e^{−dH})/d, survivors e^{−dH}.
    r, d, horizon, n = 0.3, 0.05, 26, 4000
    sc = scenario(
        horizon_weeks=horizon,
        segments=[segment(population=n, initial_customers=n, purchases_per_week=r, churn_per_week=d)],
    )
    res = cs.simulate(sc, replications=10, seed=9)
    orders = np.array([x["totals"]["orders"] for x in res.per_replication]) / n
    survivors = np.array([x["totals"]["active_customers_end"] for x in res.per_replication]) / n
    expected_orders = r * (1 - math.exp(-d * horizon)) / d
    expected_survivors = math.exp(-d * horizon)
    assert_mean_within_se(orders, expected_orders, "orders per customer")
    survivors_se = binomial_se(expected_survivors, n * len(survivors))
    assert_within_se(survivors.mean(), expected_survivors, survivors_se, "survivors")


@pytest.fixture(scope="module")
def money_run() -> cs.SimResult:
    sc = cs.load("src/channelsim/templates/starter.yaml")
    return cs.simulate(sc, replications=2, seed=4)


def test_profit_identity_holds_to_the_cent_every_week(money_run: cs.SimResult) -> None:
    frame = money_run.kpis
    total = frame[frame.level == "total"].pivot_table(
        index=["replication", "week"], columns="metric", values="value"
    )
    costs = total.marketing_spend + total.incentive_cost + total.fixed_cost + total.crm_cost
    assert np.allclose(total.profit, total.contribution - costs, atol=0.005)
    channel = frame[frame.level == "channel"].pivot_table(
        index=["replication", "week"], columns="metric", values="value", aggfunc="sum"
    )
    assert np.allclose(channel.contribution, total.contribution, atol=0.005)
    assert np.allclose(channel.orders, total.orders)
