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
import pandas as pd
import pytest

import channelsim as cs
from builders import scenario, segment
from channelsim.model.satisfaction import DETRACTOR_CHURN_MULTIPLIER
from channelsim.model.service import mean_response, stockout_share
from channelsim.sim.engine import run_replication
from channelsim.sim.policy import Policy
from channelsim.sim.streams import replication_seeds
from stats import assert_mean_within_se, assert_within_se, binomial_se, poisson_mean_se, poisson_variance_se


@pytest.mark.slow
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


@pytest.mark.slow
def test_fulfilment_queue_matches_erlang_c() -> None:
    # 1,000 customers buying at 0.024/week, no churn: orders arrive as Poisson(λ = 24/week).
    sc = scenario(
        horizon_weeks=60,
        segments=[segment(population=1000, initial_customers=1000, purchases_per_week=0.024)],
        channels=[{"id": "shop", "fulfilment": {"servers": 3, "mean_service_weeks": 0.1}}],
    )
    # Erlang C is the steady state: the queue starts empty (its relaxation time at ρ = 0.8 is
    # about 1 / (cμ·(1 − √ρ)²) ≈ 3 weeks; weeks 0–4 answer ~13% faster) and the orders still
    # waiting at the horizon are not answered, so the mean is read over weeks 10–54. A
    # replication's mean is right-skewed (a congested spell is rare and long): 120 of them, so
    # that the SE estimated across them is itself reliable (30 gave SEs from 0.0034 to 0.0096).
    means = []
    for seed in replication_seeds(21, 120):
        answered = run_replication(sc, Policy.baseline(sc), seed).tables["outlet"]
        means.append(answered["response_time_sum"][10:55, 0].sum() / answered["responses"][10:55, 0].sum())
    expected = mean_response(24.0, 3, 0.1)  # Erlang C (its formula is tested in test_model.py)
    # replications are independent; orders are not
    assert_mean_within_se(means, expected, "mean response time")


def _bass_adopted(t: float, p: float, q: float) -> float:
    # Bass (1969): F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p)·e^{−(p+q)t})
    decay = math.exp(-(p + q) * t)
    return (1 - decay) / (1 + q / p * decay)


@pytest.mark.slow
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


@pytest.mark.slow
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


def test_stock_outs_of_a_lost_sales_outlet_follow_the_renewal_formula() -> None:
    # a dealer, the only outlet, with an (s, S) stock: 800 customers at 0.025/week, none lapsing,
    # ask at λ = 20/week while it has stock (an order it cannot take is lost, nobody leaves)
    s, big_s, lead = 10, 50, 1.0
    sc = scenario(
        horizon_weeks=100, regions=["north"],
        segments=[segment(population=800, initial_customers=800, purchases_per_week=0.025)],
        channels=[{"id": "dealers", "type": "indirect"}],
        partners=[{"id": "d", "channel": "dealers", "region": "north",
                   "inventory": {"initial": big_s, "reorder_point": s, "order_up_to": big_s, "lead_time_weeks": lead}}],
    )  # fmt: skip
    res = cs.simulate(sc, replications=12, seed=31)
    shares = [r["by_partner"]["d"]["stockout_rate"] for r in res.per_replication]
    assert_mean_within_se(shares, stockout_share(20.0, s, big_s, lead), "share of time out of stock")


def test_a_late_answer_makes_a_detractor_who_lapses_faster_at_once() -> None:
    # every order is answered later than expected (expectation 0), so a customer's first order
    # turns them detractor: passives leave at b + c (an order or a lapse), detractors lapse at M·c.
    # Active at H: n·e^(−(b+c)H) + n·b/(b + c − M·c)·(e^(−M·c·H) − e^(−(b+c)H)).
    b, c, horizon, n = 0.5, 0.05, 10, 5000
    sc = scenario(
        horizon_weeks=horizon,
        segments=[segment(population=n, initial_customers=n, purchases_per_week=b, churn_per_week=c,
                          service_expectation_weeks=0.0)],
        channels=[{"id": "shop", "fulfilment": {"servers": 50, "mean_service_weeks": 0.0001}}],
    )  # fmt: skip
    res = cs.simulate(sc, replications=4, seed=12)
    active = np.array([x["totals"]["active_customers_end"] for x in res.per_replication]) / n
    fast = DETRACTOR_CHURN_MULTIPLIER * c
    expected = math.exp(-(b + c) * horizon) + b / (b + c - fast) * (math.exp(-fast * horizon) - math.exp(-(b + c) * horizon))
    assert_within_se(active.mean(), expected, binomial_se(expected, n * len(active)), "active at the horizon")


# -- the books ----------------------------------------------------------------------------
# Every lever of the books at once: direct channels with variable costs and a fixed cost, a
# partner on a rebate tier that diverts into the other region, a price war that moves the
# partners' prices week by week, a rate card and a setup cost, and a loyalty programme with
# points and a cost per member. Only the initial customers buy (leads never convert, nobody
# lapses), and all of them are members, so every order gives points back and the members'
# cost is the same every week. The expectations below are written from the scenario by hand.
ORDER_VALUE, GROSS_MARGIN, POINTS, PARTNER_MARGIN, MEMBERS = 60.0, 0.45, 0.02, 0.25, 2500
DIRECT = {"web": (1.0, 0.05), "market": (0.92, 0.12)}  # price index, variable cost
REBATE = {"d_north": 0.04, "d_south": 0.0}  # d_north is on the gold tier
WEEKLY_COSTS = {
    "marketing_spend": 2000 * 1.0 + 1000 * 0.8 + 250,  # 3,000 of media on the rate card, plus setup
    "incentive_cost": 120.0,  # the gold tier
    "fixed_cost": 400.0 + 150.0,  # web and dealers
    "crm_cost": MEMBERS * 0.5,  # members × cost per member per week
}


def books() -> cs.Scenario:
    return scenario(
        horizon_weeks=12,
        gross_margin=GROSS_MARGIN,
        regions=["north", "south"],
        segments=[segment(population=6000, initial_customers=MEMBERS, regions={"north": 0.5, "south": 0.5},
                          conversion=0.0, purchases_per_week=0.4, order_value=ORDER_VALUE, price_sensitivity=2.5,
                          loyalty=0.5, channel_affinity={"web": 0.2, "dealers": 0.3})],
        channels=[
            {"id": "web", "variable_cost": 0.05, "fixed_cost_per_week": 400},
            {"id": "market", "price_index": 0.92, "variable_cost": 0.12},
            {"id": "dealers", "type": "indirect", "partner_margin": PARTNER_MARGIN, "fixed_cost_per_week": 150},
        ],
        partners=[
            {"id": "d_north", "channel": "dealers", "region": "north", "price_floor": 0.9,
             "diversion": {"propensity": 0.5, "price_gap": 0.02}},
            {"id": "d_south", "channel": "dealers", "region": "south", "price_floor": 0.9},
        ],
        incentives=[{"id": "rebate", "channel": "dealers", "current": {"d_north": "gold"},
                     "tiers": [{"level": "none"}, {"level": "gold", "cost_per_week": 120, "rebate": 0.04}]}],
        sources=[{"id": "ads", "spend_per_week": 3000, "setup_cost_per_week": 250,
                  "rate_card": [{"up_to": 2000, "price": 1.0}, {"up_to": 5000, "price": 0.8}],
                  "response": {"curve": "linear", "leads_per_unit_spend": 0.01}}],
        loyalty_programs=[{"id": "club", "channels": ["web", "dealers"], "initial_members": 1.0,
                           "points_cost": POINTS, "cost_per_member_per_week": 0.5, "channel_bonus": 0.2}],
        conflict={"price_war": {"trigger_share_drop": 0.05, "undercut_step": 0.02, "recovery_per_week": 0.01}},
    )  # fmt: skip


@pytest.fixture(scope="module")
def books_run() -> cs.SimResult:
    return cs.simulate(books(), replications=2, seed=4)


def weekly(frame: pd.DataFrame, level: str, metric: str, entity: str = "") -> np.ndarray:
    """One weekly series, replication by replication."""
    rows = frame[(frame.level == level) & (frame.metric == metric) & (frame.id == entity)]
    assert len(rows) == 2 * 12, (level, metric, entity)
    return rows.sort_values(["replication", "week"]).value.to_numpy()


def assert_books(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    # sums of a few hundred orders: only floating-point rounding may differ
    if not np.allclose(got, expected, rtol=1e-12, atol=1e-6):
        week = int(np.argmax(np.abs(got - expected)))
        raise AssertionError(
            f"{what}: booked {float(got[week])!r}, recomputed {float(expected[week])!r} (row {week})"
        )


def test_profit_is_recomputed_from_the_orders_and_the_scenario_every_week(books_run: cs.SimResult) -> None:
    # Per order (docs/model.md "Money per order"): the customer pays v·p; a direct channel
    # receives it and pays its variable cost of it; a partner pays the brand v·(1 − m)·(1 − b);
    # cost of goods v·(1 − g); members' points are given back of the payment. Profit is the
    # contribution less marketing, incentives, fixed costs and the members' cost.
    frame = books_run.kpis
    goods = ORDER_VALUE * (1.0 - GROSS_MARGIN)
    revenue = receipts = contribution = 0.0
    for channel, (price, variable) in DIRECT.items():
        orders = weekly(frame, "channel", "orders", channel)
        paid = orders * ORDER_VALUE * price
        earned = paid - orders * goods - variable * paid - POINTS * paid
        assert_books(weekly(frame, "channel", "revenue", channel), paid, f"{channel} revenue")
        assert_books(weekly(frame, "channel", "contribution", channel), earned, f"{channel} contribution")
        revenue, receipts, contribution = revenue + paid, receipts + paid, contribution + earned
    dealers_revenue = dealers_contribution = 0.0
    for partner, rebate in REBATE.items():
        orders = weekly(frame, "partner", "orders", partner)
        price = weekly(frame, "partner", "price_index", partner)  # prices move at the weekly tick only
        paid = orders * ORDER_VALUE * price
        wholesale = orders * ORDER_VALUE * (1.0 - PARTNER_MARGIN) * (1.0 - rebate)
        earned = wholesale - orders * goods - POINTS * paid
        assert_books(weekly(frame, "partner", "revenue", partner), paid, f"{partner} revenue")
        assert_books(
            weekly(frame, "partner", "partner_margin", partner), paid - wholesale, f"{partner} margin"
        )
        assert_books(weekly(frame, "partner", "contribution", partner), earned, f"{partner} contribution")
        dealers_revenue, dealers_contribution = dealers_revenue + paid, dealers_contribution + earned
        revenue, receipts, contribution = revenue + paid, receipts + wholesale, contribution + earned
    assert_books(weekly(frame, "channel", "revenue", "dealers"), dealers_revenue, "dealers revenue")
    assert_books(
        weekly(frame, "channel", "contribution", "dealers"), dealers_contribution, "dealers contribution"
    )
    assert_books(weekly(frame, "total", "revenue"), revenue, "revenue")
    assert_books(weekly(frame, "total", "brand_revenue"), receipts, "brand revenue")
    assert_books(weekly(frame, "total", "contribution"), contribution, "contribution")
    for metric, cost in WEEKLY_COSTS.items():
        assert_books(weekly(frame, "total", metric), np.full(24, cost), metric)
    assert_books(weekly(frame, "total", "profit"), contribution - sum(WEEKLY_COSTS.values()), "profit")
    # the case is not trivial: every outlet sells, prices move, orders are diverted
    assert all(weekly(frame, "partner", "orders", p).sum() > 0 for p in REBATE)
    assert all(weekly(frame, "channel", "orders", c).sum() > 0 for c in DIRECT)
    assert np.ptp(weekly(frame, "partner", "price_index", "d_south")) > 0
    assert weekly(frame, "partner", "diverted_orders", "d_north").sum() > 0


def test_every_level_of_the_books_adds_up_to_the_totals(books_run: cs.SimResult) -> None:
    frame = books_run.kpis
    total = frame[frame.level == "total"].pivot_table(
        index=["replication", "week"], columns="metric", values="value"
    )
    for level, metrics in (
        ("channel", ("orders", "revenue", "contribution")),
        ("region", ("orders", "revenue")),
        ("segment", ("orders", "contribution")),
    ):
        rows = frame[frame.level == level].pivot_table(
            index=["replication", "week"], columns="metric", values="value", aggfunc="sum"
        )
        for metric in metrics:
            assert_books(rows[metric].to_numpy(), total[metric].to_numpy(), f"{level} {metric}")
