"""The open market (SPEC §3): rivals at every purchase occasion, partners' own prospects, equity.

Theory first: with rivals as one more logit alternative the shares of the occasions are the
closed-form logit with an outside option (and IIA holds with the rival in the set), a rival
occasion followed by a switch is an exponential defection at hazard `b·P_0·s`, a partner's
prospects are Poisson at `leads·(1 + boost)` and buy first at the partner, and customer
equity is its closed form. Then comparative statics with common random numbers. Tolerances
are `tests/stats.py`'s, from standard errors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import channelsim as cs
from builders import scenario, segment
from stats import assert_increases, assert_mean_within_se, assert_within_se, binomial_se

RIVAL_V = 0.3


def logit(*utilities: float) -> np.ndarray:
    w = np.exp(np.array(utilities))
    return w / w.sum()


def per_replication(sc: cs.Scenario, path: tuple[str, ...], replications: int, seed: int = 3) -> np.ndarray:
    res = cs.simulate(sc, replications=replications, seed=seed)
    out = []
    for rep in res.per_replication:
        node: Any = rep
        for key in path:
            node = node[key]
        out.append(node)
    return np.asarray(out, dtype=float)


def shoppers(competition: dict[str, float] | None = None, channels: tuple[str, ...] = ("a", "b"),
             weeks: int = 20, people: int = 5000, buy: float = 0.5, churn: float = 0.0,
             **fields: Any) -> cs.Scenario:  # fmt: skip
    """Customers active from week 0 who only buy again: every occasion is a fresh logit draw."""
    seg = segment(population=people, initial_customers=people, purchases_per_week=buy, churn_per_week=churn,
                  order_value=100, channel_affinity={c: {"a": 0.5}.get(c, 0.0) for c in channels}, **fields)  # fmt: skip
    if competition is not None:
        seg["competition"] = competition
    return scenario(horizon_weeks=weeks, segments=[seg], channels=[{"id": c} for c in channels])


# -- shares with an outside option -------------------------------------------------------
@pytest.mark.parametrize("channels", [("a", "b"), ("a",)], ids=["two channels", "b removed"])
def test_occasion_shares_are_the_logit_with_an_outside_option(channels: tuple[str, ...]) -> None:
    res = cs.simulate(shoppers({"utility": RIVAL_V}, channels), replications=1, seed=2)
    totals = res.per_replication[0]["totals"]
    occasions = totals["orders"] + totals["rival_orders"]
    utilities = [RIVAL_V, 0.5, 0.0][: len(channels) + 1]
    expected = logit(*utilities)
    got = [totals["rival_orders"] / occasions] + [
        res.per_replication[0]["by_channel"][c]["orders"] / occasions for c in channels
    ]
    assert_within_se(got, expected, binomial_se(expected, occasions), "rivals, a, b")
    assert totals["market_share"] == pytest.approx(1.0 - got[0])


def test_independence_of_irrelevant_alternatives_with_the_rival_in_the_set() -> None:
    # rivals ÷ channel a stays exp(V_0 − V_a) whether or not b is offered; Var(log ratio) ≈ 1/R + 1/A
    for channels in (("a", "b"), ("a",)):
        res = cs.simulate(shoppers({"utility": RIVAL_V}, channels), replications=1, seed=4)
        rep = res.per_replication[0]
        rivals, a = rep["totals"]["rival_orders"], rep["by_channel"]["a"]["orders"]
        assert_within_se(
            math.log(rivals / a), RIVAL_V - 0.5, math.sqrt(1 / rivals + 1 / a), f"log ratio {channels}"
        )


def test_a_price_cut_wins_market_share_as_the_closed_form_says() -> None:
    cut = 0.9
    sc = shoppers({"utility": RIVAL_V}, price_sensitivity=2.0).with_overrides({"channels.a.price_index": cut})
    res = cs.simulate(sc, replications=1, seed=6)
    totals = res.per_replication[0]["totals"]
    occasions = totals["orders"] + totals["rival_orders"]
    expected = 1.0 - logit(RIVAL_V, 0.5 + 2.0 * (1 - cut), 0.0)[0]
    assert_within_se(totals["market_share"], expected, binomial_se(expected, occasions), "market share")
    before = per_replication(shoppers({"utility": RIVAL_V}, price_sensitivity=2.0), ("totals", "orders"), 6)
    after = per_replication(sc, ("totals", "orders"), 6)
    assert_increases(before, after)


def test_no_outlet_of_ours_means_the_occasion_goes_to_the_rivals() -> None:
    sc = scenario(horizon_weeks=10, regions=["north", "south"],
                  segments=[segment(population=2000, initial_customers=2000, purchases_per_week=0.3,
                                    regions={"north": 0.5, "south": 0.5}, competition={"utility": 0.0})],
                  channels=[{"id": "shop", "regions": ["north"]}])  # fmt: skip
    totals = cs.simulate(sc, replications=1, seed=1).per_replication[0]["totals"]
    assert totals["lost_orders"] == 0.0
    # north: shop and rivals at equal utility, half each; south: everything to the rivals
    occasions = totals["orders"] + totals["rival_orders"]
    assert_within_se(totals["rival_orders"] / occasions, 0.75, binomial_se(0.75, occasions), "rivals' share")


def test_without_competition_every_occasion_is_ours() -> None:
    rep = cs.simulate(shoppers(None), replications=1, seed=1).per_replication[0]
    assert rep["totals"]["rival_orders"] == 0.0
    assert rep["totals"]["lost_prospects"] == 0.0
    assert rep["totals"]["market_share"] == 1.0
    assert rep["by_segment"]["people"]["market_share"] == 1.0


def test_a_first_occasion_won_by_rivals_loses_the_prospect() -> None:
    # prospects from Bass innovation only: new customers = conversion·(1 − P_0) of those who decide
    seg = segment(population=400_000, innovation_per_week=0.002, channel_affinity={"a": 0.5, "b": 0.0},
                  competition={"utility": RIVAL_V})  # fmt: skip
    sc = scenario(horizon_weeks=5, segments=[seg], channels=[{"id": "a"}, {"id": "b"}])
    totals = cs.simulate(sc, replications=1, seed=8).per_replication[0]["totals"]
    decided = totals["new_customers"] + totals["lost_prospects"]
    p0 = logit(RIVAL_V, 0.5, 0.0)[0]
    assert_within_se(totals["lost_prospects"] / decided, p0, binomial_se(p0, decided), "lost prospects")


# -- defection ---------------------------------------------------------------------------
@pytest.mark.slow
def test_defection_is_exponential_at_hazard_b_p0_s() -> None:
    b, s, weeks, people = 0.4, 0.5, 20, 4000
    sc = shoppers({"utility": RIVAL_V, "switch_probability": s}, weeks=weeks, people=people, buy=b)
    p0 = logit(RIVAL_V, 0.5, 0.0)[0]
    k = b * p0 * s
    survive = math.exp(-k * weeks)
    res = cs.simulate(sc, replications=8, seed=9)
    active = np.array([r["totals"]["active_customers_end"] for r in res.per_replication])
    switched = np.array([r["totals"]["switched_to_rivals"] for r in res.per_replication])
    orders = np.array([r["totals"]["orders"] for r in res.per_replication])
    assert_within_se(
        active.mean(), people * survive, math.sqrt(people * survive * (1 - survive) / 8), "survivors"
    )
    np.testing.assert_array_equal(switched, people - active)  # nobody lapses otherwise
    assert_mean_within_se(orders, people * b * (1 - p0) * (1 - survive) / k, "orders")


# -- partners' own prospects -------------------------------------------------------------
def dealers(leads: float = 30.0, tier: str = "gold", with_partner: bool = True, rivals: bool = True,
            weeks: int = 20, buy: float = 0.0) -> cs.Scenario:  # fmt: skip
    seg = segment(population=1_000_000, purchases_per_week=buy, channel_affinity={"dealers": 0.2})
    if rivals:
        seg["competition"] = {"utility": 0.5}
    partners = (
        [{"id": "d", "channel": "dealers", "region": "all", "leads_per_week": leads}] if with_partner else []
    )
    return scenario(
        horizon_weeks=weeks, segments=[seg], partners=partners,
        channels=[{"id": "shop"}, {"id": "dealers", "type": "indirect", "partner_margin": 0.2}],
        incentives=[{"id": "push", "channel": "dealers",
                     "tiers": [{"level": "none"}, {"level": "gold", "effort_boost": 0.5, "cost_per_week": 10}],
                     "current": {"d": tier} if with_partner else {}}],
    )  # fmt: skip


def test_partner_prospects_are_poisson_and_buy_first_at_the_partner() -> None:
    weeks, rate = 20, 30.0 * 1.5
    rep = cs.simulate(dealers(weeks=weeks), replications=1, seed=5).per_replication[0]
    partner, totals = rep["by_partner"]["d"], rep["totals"]
    assert_within_se(totals["partner_leads"], rate * weeks, math.sqrt(rate * weeks), "partner leads")
    assert partner["leads"] == totals["partner_leads"]
    # conversion 1, nobody runs out: every prospect buys once, at the partner, never at a rival
    assert partner["new_customers"] == partner["leads"]
    assert partner["orders"] == partner["new_customers"]
    assert totals["lost_prospects"] == 0.0
    assert rep["by_source"]["partners"]["new_customers"] == partner["new_customers"]


def test_a_richer_tier_finds_more_customers_and_losing_the_partner_loses_them() -> None:
    none = per_replication(dealers(tier="none", buy=0.2), ("by_partner", "d", "new_customers"), 6)
    gold = per_replication(dealers(tier="gold", buy=0.2), ("by_partner", "d", "new_customers"), 6)
    assert_increases(none, gold)
    with_d = per_replication(dealers(buy=0.2), ("totals", "orders"), 6)
    without = per_replication(dealers(buy=0.2, with_partner=False), ("totals", "orders"), 6)
    assert_increases(without, with_d)
    new_with = per_replication(dealers(buy=0.2), ("totals", "new_customers"), 6)
    new_without = per_replication(dealers(buy=0.2, with_partner=False), ("totals", "new_customers"), 6)
    assert_increases(new_without, new_with)


def test_more_rival_utility_lowers_market_share() -> None:
    weak = per_replication(shoppers({"utility": 0.0}), ("totals", "market_share"), 6)
    strong = per_replication(shoppers({"utility": 0.6}), ("totals", "market_share"), 6)
    assert_increases(strong, weak)


# -- customer equity ---------------------------------------------------------------------
def test_customer_equity_is_its_closed_form() -> None:
    # one direct channel at list price: m = 100 − 60 = 40 a order; no loyalty, so every active
    # customer's state is the same and equity = active × b·(1 − P_0)·m·(1 − e^(−52k))/k
    b, c, s = 0.3, 0.02, 0.4
    seg = segment(population=3000, initial_customers=3000, purchases_per_week=b, churn_per_week=c,
                  order_value=100, competition={"utility": RIVAL_V, "switch_probability": s})  # fmt: skip
    rep = cs.simulate(scenario(horizon_weeks=10, segments=[seg]), replications=1, seed=1).per_replication[0]
    p0 = logit(RIVAL_V, 0.0)[0]
    k = c + b * p0 * s
    each = b * (1 - p0) * 40.0 * (1 - math.exp(-52 * k)) / k
    assert rep["totals"]["customer_equity"] == pytest.approx(
        rep["totals"]["active_customers_end"] * each, rel=1e-9
    )


def test_a_region_without_outlets_or_rivals_loses_its_orders() -> None:
    sc = scenario(horizon_weeks=5, regions=["north", "south"],
                  segments=[segment(population=1000, initial_customers=1000, purchases_per_week=0.3)],
                  channels=[{"id": "shop", "regions": ["north"]}])  # fmt: skip
    totals = cs.simulate(sc, replications=1, seed=1).per_replication[0]["totals"]
    assert totals["lost_orders"] > 0.0 and totals["rival_orders"] == 0.0


def test_each_partner_prospects_on_its_own_random_stream() -> None:
    # common random numbers: changing one partner's rate leaves another's prospects as they were
    def two(leads_b: float) -> cs.Scenario:
        return scenario(
            horizon_weeks=10, regions=["north", "south"],
            segments=[segment(population=100_000, regions={"north": 0.5, "south": 0.5})],
            channels=[{"id": "dealers", "type": "indirect", "partner_margin": 0.2}],
            partners=[{"id": "a", "channel": "dealers", "region": "north", "leads_per_week": 10},
                      {"id": "b", "channel": "dealers", "region": "south", "leads_per_week": leads_b}],
        )  # fmt: skip

    low = per_replication(two(5.0), ("by_partner", "a", "leads"), 4)
    high = per_replication(two(40.0), ("by_partner", "a", "leads"), 4)
    np.testing.assert_array_equal(low, high)
    assert per_replication(two(40.0), ("by_partner", "b", "leads"), 4).mean() > 100
