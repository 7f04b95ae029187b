"""Common random numbers across plans: a lever's own random draws do not move when another lever does.

Two runs of one seed under plans that differ in one paid source's spend part as soon as that
source's leads differ: other customers, other orders, other choices. What stays exactly as it
was is what draws from a stream of its own whose use depends on nothing but its own lever: every
other paid source's leads (`source_streams`), week by week. Win-back draws from its own stream
(`winback`), so a win-back spend that reaches nobody changes nothing but its cost. And each
segment's organic leads and customers' lives draw from the segment's own streams, so where the
segments share nothing else (one shop, no rivals) leads bought into one leave the other as it was.
Each of these fails on the code before (one `leads`, `organic` and `customers` stream for all).
"""

from __future__ import annotations

import numpy as np

from builders import scenario, segment
from channelsim.scenario.schema import Scenario
from channelsim.sim.engine import Replication, run_replication
from channelsim.sim.policy import Policy
from channelsim.sim.streams import replication_seeds

WEEKS = 20


def two_sources() -> Scenario:
    """Two paid sources into two segments and regions, with rivals, consideration, churn and
    win-back: the runs of two plans share little but the seed."""
    shoppers = segment(id="shoppers", population=40_000, initial_customers=300, regions={"north": 0.6, "south": 0.4},
                       innovation_per_week=0.001, imitation_per_week=0.05, conversion=0.4, consideration_weeks=1.0,
                       purchases_per_week=0.2, churn_per_week=0.02, order_value=80,
                       competition={"utility": 0.5, "switch_probability": 0.3})  # fmt: skip
    trade = segment(id="trade", population=5_000, initial_customers=100, regions={"north": 0.5, "south": 0.5},
                    conversion=0.6, purchases_per_week=0.4, churn_per_week=0.01, order_value=300)  # fmt: skip
    return scenario(
        horizon_weeks=WEEKS, regions=["north", "south"], segments=[shoppers, trade],
        channels=[{"id": "web"}, {"id": "shop"}],
        sources=[{"id": "a", "spend_per_week": 1000,
                  "response": {"curve": "hill", "max_leads_per_week": 150, "half_saturation": 1000}},
                 {"id": "b", "spend_per_week": 800, "segment_mix": {"shoppers": 0.5, "trade": 0.5},
                  "response": {"curve": "linear", "leads_per_unit_spend": 0.05}}],
        winback={"spend_per_week": 300, "response": {"curve": "linear", "leads_per_unit_spend": 0.05}},
    )  # fmt: skip


def with_spend(sc: Scenario, source: str, factor: float) -> Policy:
    """The baseline with one source's weekly spend scaled."""
    base = Policy.baseline(sc)
    spend = dict(base.spend) | {source: [factor * x for x in base.spend[source]]}
    return Policy(spend, base.tiers, base.programmes, base.winback_spend, base.open)


def test_one_sources_spend_leaves_another_sources_leads_exactly_as_they_were() -> None:
    sc = two_sources()
    a, b = 0, 1  # the sources' columns in the `source` tables
    for seed in replication_seeds(7, 3):
        base = run_replication(sc, Policy.baseline(sc), seed).tables
        more_a = run_replication(sc, with_spend(sc, "a", 1.5), seed).tables
        # the worlds part: source a's leads, the customers and their orders differ ...
        assert not np.array_equal(base["source"]["leads"][:, a], more_a["source"]["leads"][:, a])
        assert not np.array_equal(base["total"]["orders"], more_a["total"]["orders"])
        assert not np.array_equal(
            base["source"]["new_customers"][:, b], more_a["source"]["new_customers"][:, b]
        )
        # ... and source b's leads are the same, week by week (the test's subject: not a few)
        assert base["source"]["leads"][:, b].sum() > 20 * WEEKS
        np.testing.assert_array_equal(base["source"]["leads"][:, b], more_a["source"]["leads"][:, b])


def test_a_plan_switched_mid_run_leaves_the_other_sources_leads_as_they_were() -> None:
    # replan's re-planned run and its static twin: the same seed, a's spend changed from week 8 on
    sc, seed = two_sources(), replication_seeds(7, 1)[0]
    static = run_replication(sc, Policy.baseline(sc), seed).tables
    replanned = Replication(sc, Policy.baseline(sc), seed)
    replanned.start()
    replanned.run_until(8)
    replanned.switch_policy(with_spend(sc, "a", 0.2), 8)
    replanned.run_until(WEEKS)
    tables = replanned.finish().tables
    assert not np.array_equal(static["source"]["leads"][8:, 0], tables["source"]["leads"][8:, 0])
    np.testing.assert_array_equal(static["source"]["leads"][:8], tables["source"]["leads"][:8])
    np.testing.assert_array_equal(static["source"]["leads"][:, 1], tables["source"]["leads"][:, 1])


def test_winback_that_reaches_nobody_changes_nothing_but_its_cost() -> None:
    # nobody churns and there are no rivals, so nobody lapses: every contact is wasted. Its own
    # stream means the customers' clocks (stream `customers`) draw what they drew without it.
    people = segment(population=20_000, initial_customers=500, conversion=0.5, consideration_weeks=0.5,
                     purchases_per_week=0.3, churn_per_week=0.0, order_value=60)  # fmt: skip
    sc = scenario(horizon_weeks=WEEKS, segments=[people],
                  sources=[{"id": "ads", "spend_per_week": 500,
                            "response": {"curve": "linear", "leads_per_unit_spend": 0.05}}],
                  winback={"spend_per_week": 100, "response": {"curve": "linear", "leads_per_unit_spend": 0.5}})  # fmt: skip
    base = Policy.baseline(sc)
    more = Policy(base.spend, base.tiers, base.programmes, [1000.0] * WEEKS, base.open)
    seed = replication_seeds(3, 1)[0]
    low, high = run_replication(sc, base, seed).tables, run_replication(sc, more, seed).tables
    assert high["total"]["winback_spend"].sum() == 10 * low["total"]["winback_spend"].sum() > 0
    assert low["total"]["won_back"].sum() == 0 == high["total"]["won_back"].sum()
    differ = {
        f"{level}.{metric}"
        for level, tables in low.items()
        for metric, table in tables.items()
        if not np.array_equal(table, high[level][metric])
    }
    assert differ == {"total.winback_spend", "total.marketing_spend", "total.profit"}


def test_a_source_into_one_segment_leaves_another_segments_customers_as_they_were() -> None:
    # Each segment's organic leads and customers' lives draw from the segment's own streams. With
    # nothing else shared (one shop: no choice between outlets, no rivals, no queue, no stock),
    # a plan that buys more leads into one segment leaves the other's whole story unchanged.
    def people(name: str) -> dict[str, object]:
        return segment(id=name, population=30_000, initial_customers=400, innovation_per_week=0.002,
                       imitation_per_week=0.1, conversion=0.5, consideration_weeks=1.0,
                       purchases_per_week=0.3, churn_per_week=0.03, order_value=50)  # fmt: skip

    sc = scenario(
        horizon_weeks=WEEKS, segments=[people("one"), people("two")],
        loyalty_programs=[{"id": "club", "channels": ["shop"], "enrolment_per_week": 0.05, "churn_multiplier": 0.5}],
        sources=[{"id": "into_one", "spend_per_week": 500, "segment_mix": {"one": 1.0},
                  "response": {"curve": "linear", "leads_per_unit_spend": 0.1}},
                 {"id": "into_two", "spend_per_week": 500, "segment_mix": {"two": 1.0},
                  "response": {"curve": "linear", "leads_per_unit_spend": 0.1}}],
    )  # fmt: skip
    seed = replication_seeds(11, 1)[0]
    base = run_replication(sc, Policy.baseline(sc), seed).tables
    more = run_replication(sc, with_spend(sc, "into_one", 2.0), seed).tables
    assert not np.array_equal(base["segment"]["orders"][:, 0], more["segment"]["orders"][:, 0])
    for metric in ("new_customers", "orders", "lapses", "active_customers", "members", "prospects"):
        assert base["segment"][metric][:, 1].sum() > 0, metric
        np.testing.assert_array_equal(base["segment"][metric][:, 1], more["segment"][metric][:, 1], metric)
    for metric in ("leads", "new_customers"):  # into_two's (organic and referral count both segments)
        np.testing.assert_array_equal(base["source"][metric][:, 1], more["source"][metric][:, 1], metric)
