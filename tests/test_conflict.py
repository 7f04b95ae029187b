"""Channel conflict (docs/model.md "Conflict"): each decision rule on hand-made states, exact
paths where the rules are deterministic, and comparative statics with common random numbers.

Comparative statics run the same seeds under two settings (common random numbers) and test
the mean paired difference: it must lie in the predicted direction by more than Z_DIRECTION
(3, `tests/stats.py`) standard errors of the paired differences, so the direction is not noise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import channelsim as cs
from builders import scenario, segment, territories
from channelsim.scenario.channels import PriceWar
from channelsim.sim.conflict import EXIT_WINDOW_WEEKS, next_price, share_fell, should_exit
from channelsim.sim.engine import run_replication
from channelsim.sim.policy import Policy
from channelsim.sim.streams import replication_seeds
from stats import assert_increases, assert_mean_within_se

WAR = PriceWar(trigger_share_drop=0.05, undercut_step=0.02, recovery_per_week=0.01)


# -- decision rules on hand-made states ---------------------------------------------------
def test_share_fell_is_relative_to_the_fair_share() -> None:
    assert share_fell(0.45, 0.5, 0.05)  # 10% below
    assert not share_fell(0.48, 0.5, 0.05)  # 4% below
    assert not share_fell(0.0, 0.0, 0.05)  # no fair share: nothing to defend


def test_price_moves_cut_to_the_floor_and_recover_to_the_base() -> None:
    assert next_price(1.0, 1.0, 0.9, True, WAR) == pytest.approx(0.98)
    assert next_price(0.91, 1.0, 0.9, True, WAR) == pytest.approx(0.9)  # not below the floor
    assert next_price(0.85, 1.0, 0.9, True, WAR) == 0.85  # already below: never raised by a cut
    assert next_price(0.95, 1.0, 0.9, False, WAR) == pytest.approx(0.96)
    assert next_price(0.995, 1.0, 0.9, False, WAR) == 1.0  # not above the base
    assert next_price(1.0, 1.0, 0.9, False, WAR) == 1.0


def test_exit_needs_a_full_window_below_the_threshold() -> None:
    below = [100.0] * EXIT_WINDOW_WEEKS
    assert should_exit(below, 500.0)
    assert not should_exit(below[:-1], 500.0)  # too early to judge
    assert not should_exit([100.0, 100.0, 100.0, 2000.0], 500.0)  # the mean is 575
    assert not should_exit(below, 0.0)  # no threshold: never leaves


# -- scenarios ----------------------------------------------------------------------------
def per_replication(sc: cs.Scenario, *path: str, replications: int = 24, seed: int = 5) -> np.ndarray:
    res = cs.simulate(sc, replications=replications, seed=seed)
    values = []
    for rep in res.per_replication:
        node = rep
        for key in path:
            node = node[key]
        values.append(node)
    return np.asarray(values, dtype=float)


# -- diversion ----------------------------------------------------------------------------
def test_diverted_orders_are_booked_to_the_diverter_and_the_victim_region() -> None:
    res = cs.simulate(territories(), replications=2, seed=1)
    summary, kpis = res.summary, res.kpis
    north = summary["by_partner"]["d_north"]
    assert north["diverted_orders"]["mean"] > 0
    assert north["diverted_into"]["south"]["mean"] == north["diverted_orders"]["mean"]
    assert summary["by_partner"]["d_south"]["diverted_orders"]["mean"] == 0  # no rebate, no gap
    victim = kpis[(kpis.level == "region") & (kpis.metric == "diverted_orders")]
    assert victim[victim.id == "north"].value.sum() == 0
    assert victim[victim.id == "south"].value.sum() / 2 == pytest.approx(north["diverted_orders"]["mean"])
    assert summary["conflict"]["diverted_orders"]["mean"] == north["diverted_orders"]["mean"]


def test_no_gap_no_diversion() -> None:
    # a 2% rebate gives a gap of 0.8·0.02 = 0.016, below the 0.03 threshold
    assert per_replication(territories(rebate=0.02), "conflict", "diverted_orders", replications=2).sum() == 0


@pytest.mark.slow
def test_more_enforcement_less_diversion() -> None:
    lax = per_replication(territories(enforcement=0.0), "conflict", "diverted_orders")
    strict = per_replication(territories(enforcement=0.3), "conflict", "diverted_orders")
    assert_increases(strict, lax)


@pytest.mark.slow
def test_larger_rebate_more_diversion() -> None:
    # gaps 0.8·0.05 = 0.04 and 0.8·0.06 = 0.048 against a 0.03 threshold: weights ρ/3 and 0.6ρ
    small = per_replication(territories(rebate=0.05, enforcement=0.1), "conflict", "diverted_orders")
    large = per_replication(territories(rebate=0.06, enforcement=0.1), "conflict", "diverted_orders")
    assert_increases(small, large)


@pytest.mark.slow
def test_larger_price_gap_more_diversion() -> None:
    # the south distributor prices 3% higher: the gap grows by 0.03
    even = per_replication(territories(rebate=0.05), "conflict", "diverted_orders")
    dearer = territories(rebate=0.05).with_overrides({"partners.d_south.price_index": 1.03})
    assert_increases(even, per_replication(dearer, "conflict", "diverted_orders"))


@pytest.mark.slow
def test_share_of_weeks_diverting_matches_the_enforcement_renewal_process() -> None:
    # Diverting until detected (probability e each week), then P weeks of penalty: a Markov
    # chain whose expected share of diverting weeks over H weeks is computed exactly here;
    # for long H it tends to 1 / (1 + e·P).
    e, penalty, weeks = 0.25, 3, 60
    sc = territories(enforcement=e, penalty=penalty, weeks=weeks)
    sc = sc.with_overrides({"segments.people.initial_customers": 0, "segments.people.population": 10})
    diverting = []
    for seed in replication_seeds(17, 200):
        out = run_replication(sc, Policy.baseline(sc), seed)
        diverting.append(out.tables["outlet"]["diverting"][:, 0].mean())
    shares = np.asarray(diverting)
    # states: 0 diverting, k = 1..P weeks of penalty left; detection at the start of each week
    state = np.zeros(penalty + 1)
    state[0] = 1.0
    expected = 0.0
    for week in range(weeks):
        if week > 0:
            moved = np.zeros_like(state)
            moved[0] = state[0] * (1 - e) + state[1]
            moved[penalty] += state[0] * e
            moved[1:penalty] += state[2:]
            state = moved
        expected += state[0] / weeks
    assert_mean_within_se(shares, expected, "share of weeks diverting")
    assert expected == pytest.approx(1 / (1 + e * penalty), abs=0.03)


def test_a_detected_diverter_loses_its_incentive_for_the_penalty() -> None:
    sc = territories(enforcement=1.0, penalty=3, weeks=12)
    out = run_replication(sc, Policy.baseline(sc), replication_seeds(3, 1)[0])
    diverting = out.tables["outlet"]["diverting"][:, 0].tolist()
    # week 0 diverting; caught at every check: 3 weeks off, then diverting again
    assert diverting == [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]
    detections = out.tables["outlet"]["detections"][:, 0].tolist()
    assert detections == [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]  # booked to the week of the offence
    # the tier's 100/week is not paid while it is withheld
    assert out.tables["total"]["incentive_cost"][:, 0].tolist() == [100, 0, 0, 0] * 3


# -- price war ----------------------------------------------------------------------------
def one_market_sellers(**conflict: Any) -> cs.Scenario:
    return scenario(
        horizon_weeks=10,
        segments=[segment(population=100, initial_customers=10, purchases_per_week=1, price_sensitivity=2.0)],
        channels=[{"id": "sellers", "type": "indirect", "partner_margin": 0.3}],
        partners=[
            {"id": "cheap", "channel": "sellers", "region": "all", "price_index": 0.9, "price_floor": 0.9},
            {"id": "dear", "channel": "sellers", "region": "all", "price_index": 1.0, "price_floor": 0.94},
        ],
        conflict={"price_war": WAR.model_dump()} | conflict,
    )


def expected_price_path(weeks: int) -> list[float]:
    """The dear seller's prices by the rule, with its logit share against the cheap one."""
    prices, price = [], 1.0
    for _ in range(weeks):
        prices.append(round(price, 12))
        share = 1.0 / (1.0 + math.exp(-2.0 * (0.9 - price)))  # vs the cheap seller at 0.9
        price = next_price(price, 1.0, 0.94, share_fell(share, 0.5, WAR.trigger_share_drop), WAR)
    return prices


def test_an_undercut_seller_cuts_to_its_floor_and_flares_up_again() -> None:
    sc = one_market_sellers()
    out = run_replication(sc, Policy.baseline(sc), replication_seeds(1, 1)[0])
    prices = out.tables["outlet"]["price_index"]
    assert prices[:, 1].tolist() == pytest.approx(expected_price_path(10))
    assert prices[:3, 1].tolist() == pytest.approx([1.0, 0.98, 0.96])
    assert min(prices[:, 1]) == pytest.approx(0.94)  # the floor holds
    assert set(prices[:, 0].tolist()) == {0.9}  # above its fair share: no reason to move
    res = cs.simulate(sc, seed=1)
    summary, kpis = res.summary, res.kpis
    assert summary["conflict"]["price_war_weeks"]["mean"] == 9  # every week after the first
    war = kpis[(kpis.level == "total") & (kpis.metric == "price_war")].value
    assert war.tolist() == [0.0] + [1.0] * 9
    assert summary["by_partner"]["dear"]["min_price_index"]["mean"] == pytest.approx(0.94)


def test_without_a_price_war_rule_prices_stay() -> None:
    sc = one_market_sellers().with_overrides({"conflict.price_war": None})
    out = run_replication(sc, Policy.baseline(sc), replication_seeds(1, 1)[0])
    assert set(out.tables["outlet"]["price_index"][:, 1].tolist()) == {1.0}


def test_map_violator_is_told_to_comply() -> None:
    sc = one_market_sellers(map_price_index=0.95, enforcement_per_week=1.0, penalty_weeks=2)
    sc = sc.with_overrides({"conflict.price_war": None})
    out = run_replication(sc, Policy.baseline(sc), replication_seeds(1, 1)[0])
    assert out.tables["outlet"]["price_index"][:, 0].tolist() == [0.9] + [0.95] * 9
    summary = cs.simulate(sc, seed=1).summary
    assert summary["conflict"]["map_violations"]["mean"] == 1
    assert summary["by_partner"]["cheap"]["detections"]["mean"] == 1


# -- cannibalisation --------------------------------------------------------------------
def shop_and_retailer(shop_price: float, loyalty: float = 0.0) -> cs.Scenario:
    return scenario(
        horizon_weeks=8,
        segments=[
            segment(
                population=2000,
                initial_customers=500,
                purchases_per_week=0.5,
                price_sensitivity=2.0,
                order_value=100,
                loyalty=loyalty,
            )
        ],
        channels=[
            {"id": "shop", "price_index": shop_price},
            {"id": "retail", "type": "indirect", "partner_margin": 0.25},
        ],
        partners=[{"id": "store", "channel": "retail", "region": "all"}],
    )


def test_cannibalized_orders_are_the_logit_share_moved_by_the_price_gap() -> None:
    # Every purchase faces the same two offers: P_shop = e^0.2 / (e^0.2 + 1) at a 10% gap,
    # 1/2 at equal prices, so each order adds exactly P_shop − 1/2 expected moved orders.
    summary = cs.simulate(shop_and_retailer(0.9), seed=2).summary
    moved = math.exp(0.2) / (math.exp(0.2) + 1) - 0.5
    orders = summary["totals"]["orders"]["mean"]
    assert summary["conflict"]["cannibalized_orders"]["mean"] == pytest.approx(orders * moved, rel=1e-9)


def test_no_cannibalization_when_the_direct_channel_is_not_cheaper() -> None:
    summary = cs.simulate(shop_and_retailer(1.0), seed=2).summary
    assert summary["conflict"]["cannibalized_orders"]["mean"] == 0


@pytest.mark.slow
def test_deeper_direct_discount_cannibalizes_more_and_squeezes_partner_margins() -> None:
    shallow, deep = shop_and_retailer(0.95, loyalty=0.5), shop_and_retailer(0.85, loyalty=0.5)
    assert_increases(
        per_replication(shallow, "conflict", "cannibalized_orders"),
        per_replication(deep, "conflict", "cannibalized_orders"),
    )
    assert_increases(
        per_replication(deep, "by_partner", "store", "partner_margin"),
        per_replication(shallow, "by_partner", "store", "partner_margin"),
    )


# -- exits --------------------------------------------------------------------------------
def test_a_partner_below_its_margin_threshold_leaves_after_the_window() -> None:
    sc = territories(rebate=0.0).with_overrides({"partners.d_south.exit_below_margin_per_week": 1e9})
    out = run_replication(sc, Policy.baseline(sc), replication_seeds(4, 1)[0])
    south = 1
    assert out.tables["outlet"]["open"][:, south].tolist() == [1.0] * EXIT_WINDOW_WEEKS + [0.0] * (
        sc.horizon_weeks - EXIT_WINDOW_WEEKS
    )
    orders = out.tables["outlet"]["orders"][:, south]
    assert orders[:EXIT_WINDOW_WEEKS].sum() > 0 and orders[EXIT_WINDOW_WEEKS:].sum() == 0
    assert out.exited[south]
    # southern customers now have nobody: their orders are lost, not moved north
    assert out.tables["region"]["lost_orders"][EXIT_WINDOW_WEEKS:, south].sum() > 0


# -- conflict switched off ------------------------------------------------------------------
def test_neutral_conflict_settings_give_the_no_conflict_engine_results() -> None:
    # diversion without propensity, a price-war rule that can never trigger, enforcement with
    # nothing to catch: the engine with conflict on must equal the engine without it
    sc = territories(propensity=0.0, enforcement=0.5).with_overrides(
        {"conflict.price_war": {"trigger_share_drop": 1.0}, "partners.d_south.price_index": 1.02}
    )
    for seed in replication_seeds(9, 3):
        with_conflict = run_replication(sc, Policy.baseline(sc), seed, conflict=True).tables
        without = run_replication(sc, Policy.baseline(sc), seed, conflict=False).tables
        for level, metrics in without.items():
            for metric, table in metrics.items():
                assert np.array_equal(table, with_conflict[level][metric]), (level, metric)
