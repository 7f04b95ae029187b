"""The simulation's pieces on their own: the channel choice, the customer processes, the random streams.

Each test drives one piece through its public methods — a `Chooser` over outlets made by
hand, a `Market` in a tiny SimPy environment whose `sell` is a stub, the named `Draws` of a
replication — and compares what it does with docs/model.md, within Z = 4 standard errors of
the estimate (`tests/stats.py`). The expected values are computed here from the formulas,
not with the model's own functions. Seeds are fixed: a failure is a change of behaviour.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pytest
import simpy

from builders import scenario, segment
from channelsim.kpis import inventory_turnover
from channelsim.model.satisfaction import DETRACTOR_CHURN_MULTIPLIER
from channelsim.scenario.channels import Inventory
from channelsim.sim.choice import Chooser
from channelsim.sim.customers import Customer, Market, SegmentParams
from channelsim.sim.ledger import Ledger
from channelsim.sim.outlets import Outlet, Stock
from channelsim.sim.streams import (
    STREAMS,
    Draws,
    customer_streams,
    organic_streams,
    partner_streams,
    replication_seeds,
    source_streams,
    streams_for,
)
from stats import assert_mean_within_se, assert_within_se, binomial_se, poisson_mean_se, poisson_variance_se


def logit(utilities: list[float]) -> np.ndarray:
    """P_j = exp(V_j) / Σ_k exp(V_k), written out."""
    weights = np.exp(np.asarray(utilities, dtype=float))
    return weights / weights.sum()


def draws(seed: int) -> Draws:
    return Draws(np.random.Generator(np.random.PCG64(seed)))


# -- channel choice ---------------------------------------------------------------------
def make_outlet(
    index: int,
    channel: str,
    *,
    regions: tuple[int, ...] = (0,),
    price: float = 1.0,
    effort: float = 1.0,
    boost: float = 0.0,
    direct: bool = True,
) -> Outlet:
    outlet = Outlet(index, f"{channel}_{index}", channel, index)
    outlet.direct = direct
    outlet.regions = frozenset(regions)
    if not direct:
        outlet.region = regions[0]
    outlet.price = outlet.base_price = price
    outlet.effort, outlet.effort_boost = effort, boost
    return outlet


def make_chooser(
    outlets: list[Outlet],
    *,
    affinity: dict[str, float] | None = None,
    beta: float = 2.0,
    loyalty: float = 0.0,
    routes: list[dict[str, float]] | None = None,
    programmes: list[tuple[frozenset[str], float]] | None = None,
    seed: int = 1,
) -> Chooser:
    """A chooser for one segment (index 0)."""
    return Chooser(
        outlets,
        affinity=[affinity or {}],
        price_sensitivity=[beta],
        loyalty=[loyalty],
        routes=routes or [],
        programme_bonus=programmes or [],
        draws=draws(seed),
    )


def frequencies(
    chooser: Chooser,
    outlets: list[Outlet],
    n: int,
    *,
    region: int = 0,
    route: int = -1,
    programme: int = -1,
    last: Outlet | None = None,
) -> np.ndarray:
    """Shares of `n` draws of `choose` that went to each of `outlets` (in that order)."""
    counts = Counter(chooser.choose(0, region, route, programme, last) for _ in range(n))
    assert set(counts) <= set(outlets), "chose an outlet that is not offered"
    return np.array([counts[o] for o in outlets]) / n


def offered_shares(chooser: Chooser, outlets: list[Outlet], **situation: int) -> np.ndarray:
    """The shares `offered` implies (weights / total), in the order of `outlets`; 0 if not offered."""
    key = {"segment": 0, "region": 0, "route": -1, "programme": -1} | situation
    offered, weights, total, _ = chooser.offered(**key)
    share = dict(zip(offered, np.asarray(weights) / total, strict=True))
    return np.array([share.get(o, 0.0) for o in outlets])


N_DRAWS = 40_000


@pytest.fixture
def three() -> list[Outlet]:
    """A webshop at list price, a marketplace 10% below, a partner 5% above with effort 1.5 and a 20% boost."""
    return [
        make_outlet(0, "web"),
        make_outlet(1, "market", price=0.9),
        make_outlet(2, "dealers", price=1.05, effort=1.5, boost=0.2, direct=False),
    ]


def base_utilities(beta: float) -> list[float]:
    # V = affinity − β·(p − 1) + ln(effort·(1 + boost)), for the outlets of `three`
    return [0.4, -0.2 - beta * (0.9 - 1.0), -beta * (1.05 - 1.0) + math.log(1.5 * 1.2)]


def test_choices_follow_the_logit_over_affinity_price_and_effort(three: list[Outlet]) -> None:
    chooser = make_chooser(three, affinity={"web": 0.4, "market": -0.2}, beta=2.5, seed=3)
    expected = logit(base_utilities(2.5))
    assert offered_shares(chooser, three) == pytest.approx(expected, rel=1e-12)
    assert_within_se(frequencies(chooser, three, N_DRAWS), expected, binomial_se(expected, N_DRAWS), "shares")


def test_loyalty_adds_its_utility_to_the_outlet_used_last(three: list[Outlet]) -> None:
    chooser = make_chooser(three, affinity={"web": 0.4, "market": -0.2}, beta=2.5, loyalty=0.8, seed=4)
    utilities = base_utilities(2.5)
    utilities[1] += 0.8  # the marketplace was used last
    expected = logit(utilities)
    got = frequencies(chooser, three, N_DRAWS, last=three[1])
    assert_within_se(got, expected, binomial_se(expected, N_DRAWS), "shares with loyalty")
    # `offered` is the situation without loyalty: the same for every last outlet
    assert offered_shares(chooser, three) == pytest.approx(logit(base_utilities(2.5)), rel=1e-12)


def test_an_outlet_out_of_stock_is_skipped_until_it_is_back(three: list[Outlet]) -> None:
    chooser = make_chooser(three, affinity={"web": 0.4, "market": -0.2}, beta=2.5, loyalty=0.8, seed=5)
    utilities = base_utilities(2.5)
    market = three[1]
    market.in_stock = False
    chooser.stock_changed(market, False)
    # the usual outlet is out of stock: no loyalty anywhere, the logit over the others
    expected = np.array(
        [*logit([utilities[0], utilities[2]])[:1], 0.0, *logit([utilities[0], utilities[2]])[1:]]
    )
    got = frequencies(chooser, three, N_DRAWS, last=market)
    assert got[1] == 0.0
    assert_within_se(got, expected, binomial_se(expected, N_DRAWS), "shares, usual outlet out of stock")
    # another outlet out of stock: loyalty to the webshop still counts
    loyal = logit([utilities[0] + 0.8, utilities[2]])
    got = frequencies(chooser, three, N_DRAWS, last=three[0])
    expected = np.array([loyal[0], 0.0, loyal[1]])
    assert_within_se(got, expected, binomial_se(expected, N_DRAWS), "shares, loyal, one out of stock")
    market.in_stock = True
    chooser.stock_changed(market, True)
    expected = logit(utilities)
    got = frequencies(chooser, three, N_DRAWS)
    assert_within_se(got, expected, binomial_se(expected, N_DRAWS), "shares, back in stock")


def test_routes_on_the_first_purchase_and_member_bonuses_enter_the_utility(three: list[Outlet]) -> None:
    chooser = make_chooser(
        three,
        affinity={"web": 0.4, "market": -0.2},
        beta=2.5,
        routes=[{"market": 0.3}, {"web": 1.0}],
        programmes=[(frozenset({"dealers", "web"}), 0.5)],
        seed=6,
    )
    utilities = base_utilities(2.5)
    routed = [utilities[0] + 1.0 + 0.5, utilities[1], utilities[2] + 0.5]  # source 1, programme 0
    expected = logit(routed)
    assert offered_shares(chooser, three, route=1, programme=0) == pytest.approx(expected, rel=1e-12)
    got = frequencies(chooser, three, N_DRAWS, route=1, programme=0)
    assert_within_se(got, expected, binomial_se(expected, N_DRAWS), "shares with route and programme")
    # a repeat purchase (route −1) by a non-member (programme −1) has neither
    assert offered_shares(chooser, three) == pytest.approx(logit(utilities), rel=1e-12)


def test_only_open_outlets_serving_the_region_are_offered_and_diverters_at_their_weight() -> None:
    web = make_outlet(0, "web", regions=(0, 1))
    north = make_outlet(1, "dealers", regions=(0,), direct=False)
    south = make_outlet(2, "dealers", regions=(1,), direct=False, price=0.95)
    south.diverts_into = frozenset({0})
    south.divert_weight = {0: 0.3}  # it sells into the north with weight w: + ln w
    outlets = [web, north, south]
    chooser = make_chooser(outlets, affinity={"dealers": 0.2}, beta=2.0, seed=7)
    v_south = 0.2 - 2.0 * (0.95 - 1.0)
    in_north = logit([0.0, 0.2, v_south + math.log(0.3)])
    got = frequencies(chooser, outlets, N_DRAWS, region=0)
    assert_within_se(got, in_north, binomial_se(in_north, N_DRAWS), "shares in the north")
    in_south = logit([0.0, v_south])
    assert offered_shares(chooser, outlets, region=1) == pytest.approx([in_south[0], 0.0, in_south[1]])
    north.is_open = False  # the northern partner leaves
    chooser.invalidate()
    without = logit([0.0, v_south + math.log(0.3)])
    got = frequencies(chooser, outlets, N_DRAWS, region=0)
    expected = np.array([without[0], 0.0, without[1]])
    assert_within_se(got, expected, binomial_se(expected, N_DRAWS), "shares after an exit")
    web.is_open = south.is_open = False
    chooser.invalidate()
    assert chooser.choose(0, 0, -1, -1, None) is None
    assert chooser.offered(0, 0, -1, -1) == ([], [], 0.0, 0.0)


def test_cannibalized_is_the_direct_share_moved_by_price() -> None:
    # direct webshop 8% below list, marketplace at list, two partners at list and 2% above
    outlets = [
        make_outlet(0, "web", price=0.92),
        make_outlet(1, "market"),
        make_outlet(2, "dealers", direct=False),
        make_outlet(3, "dealers", price=1.02, direct=False),
    ]
    beta, loyalty = 3.0, 0.6
    affinity = {"web": 0.1, "dealers": 0.3}
    intercepts = np.array([0.1, 0.0, 0.3, 0.3])
    prices = np.array([0.92, 1.0, 1.0, 1.02])
    direct = np.array([True, True, False, False])

    def moved(in_stock: np.ndarray, last: int | None) -> float:
        # max(0, Σ_direct P_j − Σ_direct P_j^=), P^= the same choice with every price equal
        loyal = np.zeros(4)
        if last is not None:
            loyal[last] = loyalty
        at_prices = intercepts + loyal - beta * (prices - 1.0)
        at_equal = intercepts + loyal
        keep = in_stock.astype(bool)
        share = logit(list(at_prices[keep]))[direct[keep]].sum()
        share_equal = logit(list(at_equal[keep]))[direct[keep]].sum()
        return max(0.0, share - share_equal)

    chooser = make_chooser(outlets, affinity=affinity, beta=beta, loyalty=loyalty, seed=8)
    everything = np.ones(4)
    assert chooser.cannibalized(0, 0, -1, -1, None) == pytest.approx(moved(everything, None), rel=1e-12)
    assert chooser.cannibalized(0, 0, -1, -1, outlets[2]) == pytest.approx(moved(everything, 2), rel=1e-12)
    assert moved(everything, 2) > 0.01  # the case is not trivial
    # with the marketplace out of stock, the choice is among the other three
    outlets[1].in_stock = False
    chooser.stock_changed(outlets[1], False)
    short = np.array([1, 0, 1, 1])
    assert chooser.cannibalized(0, 0, -1, -1, outlets[3]) == pytest.approx(moved(short, 3), rel=1e-12)
    # ... and it is what the draws show: direct share at these prices minus at equal prices
    level = [make_outlet(o.index, o.channel, price=1.0, direct=o.direct) for o in outlets]
    level[1].in_stock = False
    flat = make_chooser(level, affinity=affinity, beta=beta, loyalty=loyalty, seed=9)
    at_prices = frequencies(chooser, outlets, N_DRAWS, last=outlets[3])[:2].sum()
    at_equal = frequencies(flat, level, N_DRAWS, last=level[3])[:2].sum()
    se = math.sqrt(at_prices * (1 - at_prices) / N_DRAWS + at_equal * (1 - at_equal) / N_DRAWS)
    assert_within_se(at_prices - at_equal, moved(short, 3), se, "direct share moved by price")


def test_nothing_is_cannibalized_unless_a_direct_channel_undercuts_a_partner() -> None:
    outlets = [make_outlet(0, "web", price=1.0), make_outlet(1, "dealers", price=0.95, direct=False)]
    chooser = make_chooser(outlets, beta=3.0, loyalty=0.5)
    assert chooser.cannibalized(0, 0, -1, -1, None) == 0.0
    assert chooser.cannibalized(0, 0, -1, -1, outlets[1]) == 0.0
    only_direct = [make_outlet(0, "web", price=0.8), make_outlet(1, "market")]
    assert make_chooser(only_direct, beta=3.0).cannibalized(0, 0, -1, -1, None) == 0.0


# -- customer processes -----------------------------------------------------------------
class Till:
    """A stub `sell`: records who bought when, and answers with `outlet` (None: nothing to buy)."""

    def __init__(self, env: simpy.Environment, outlet: Outlet | None) -> None:
        self.env, self.outlet = env, outlet
        self.sales: list[tuple[float, Customer, bool]] = []

    def __call__(self, customer: Customer, first: bool) -> Outlet | None:
        self.sales.append((self.env.now, customer, first))
        return self.outlet


class World:
    """A `Market` of given segments in its own SimPy environment, with a weekly clock."""

    def __init__(
        self,
        segments: list[dict[str, Any]],
        *,
        weeks: int,
        unaware: list[list[int]],
        region_shares: list[list[float]] | None = None,
        programmes: list[dict[str, Any]] | None = None,
        buys: bool = True,
        seed: int = 1,
    ) -> None:
        # the scenario only supplies the segments and programmes (its horizon is at most 520 weeks)
        sc = scenario(segments=segments, loyalty_programs=programmes or [])
        regions = len(unaware[0])
        shares = region_shares or [[1.0 / regions] * regions for _ in segments]
        self.env = simpy.Environment()
        self.ledger = Ledger(weeks, {"source": 3, "outlet": 1, "segment": len(segments), "region": regions})
        self.till = Till(self.env, make_outlet(0, "shop") if buys else None)
        self.membership: list[tuple[int, int]] = []
        params = [
            SegmentParams(s, share, list(sc.loyalty_programs), [True] * len(sc.loyalty_programs))
            for s, share in zip(sc.segments, shares, strict=True)
        ]
        self.market = Market(
            self.env,
            self.ledger,
            params,
            [list(u) for u in unaware],
            streams_for(np.random.SeedSequence(seed)),
            self.till,
            weeks,
            lambda programme, change: self.membership.append((programme, change)),
            lives=customer_streams(np.random.SeedSequence(seed), len(segments)),
            organic=organic_streams(np.random.SeedSequence(seed), len(segments)),
        )
        self.weeks = weeks
        self.env.process(self._clock())

    def _clock(self) -> Generator[Any, Any, None]:
        for week in range(self.weeks):
            self.market.current_week = week
            yield self.env.timeout(1.0)

    def watch(self, times: list[float], read: Callable[[Market], Any]) -> list[Any]:
        """Record `read(market)` at each of `times` (as the run goes)."""
        seen: list[Any] = []

        def probe() -> Generator[Any, Any, None]:
            for t in times:
                yield self.env.timeout(t - self.env.now)
                seen.append(read(self.market))

        self.env.process(probe())
        return seen

    def customers(self, count: int, segment: int = 0, mood: int = 0) -> list[Customer]:
        """`count` active customers from week 0 (the initial customers)."""
        people = []
        for _ in range(count):
            customer = Customer(segment, 0, -1)
            customer.mood = mood
            self.market.start_active(customer)
            people.append(customer)
        return people


def test_paid_leads_are_poisson_at_each_weeks_rate() -> None:
    # a rate constant within each week: counts per week ~ Poisson(rate of the week)
    pattern, repeats = [3.0, 12.0, 0.0], 400
    weeks = len(pattern) * repeats
    world = World([segment(population=10**7, conversion=0.0)], weeks=weeks, unaware=[[10**7]])
    world.env.process(world.market.paid_leads(0, pattern * repeats, [1.0], world.market.draws["leads"]))
    world.env.run(until=weeks)
    leads = np.array(world.ledger.flows["source"]["leads"])[:, 0].reshape(repeats, len(pattern))
    for column, rate in enumerate(pattern):
        counts = leads[:, column]
        if rate == 0.0:
            assert counts.sum() == 0
            continue
        assert_within_se(counts.mean(), rate, poisson_mean_se(rate, repeats), f"mean leads at rate {rate}")
        assert_within_se(
            counts.var(ddof=1), rate, poisson_variance_se(rate, repeats), f"variance of leads at rate {rate}"
        )


def test_gaps_between_leads_are_exponential_across_week_boundaries() -> None:
    rate, weeks = 5.0, 400
    world = World([segment(population=10**7)], weeks=weeks, unaware=[[10**7]], buys=False)
    world.env.process(world.market.paid_leads(0, [rate] * weeks, [1.0], world.market.draws["leads"]))
    world.env.run(until=weeks)
    times = np.array([t for t, _, first in world.till.sales if first])  # conversion 1, no delay: at the lead
    gaps = np.diff(np.concatenate([[0.0], times]))
    n = len(gaps)
    assert_within_se(n, rate * weeks, math.sqrt(rate * weeks), "leads")
    assert_mean_within_se(gaps, 1.0 / rate, "mean gap")
    for k in (1, 2):  # P(gap > k/rate) = e^(−k)
        tail = math.exp(-k)
        assert_within_se(np.mean(gaps > k / rate), tail, binomial_se(tail, n), f"P(gap > {k}/rate)")


def test_a_lead_picks_its_segment_by_the_mix_and_its_region_by_the_segments_regions() -> None:
    people = 10**7
    world = World(
        [segment(id="a", population=people), segment(id="b", population=people)],
        weeks=200,
        unaware=[[people, people], [people, people]],
        region_shares=[[0.25, 0.75], [0.6, 0.4]],
        buys=False,
    )
    world.env.process(world.market.paid_leads(0, [20.0] * 200, [0.3, 0.7], world.market.draws["leads"]))
    world.env.run(until=200)
    buyers = [customer for _, customer, _ in world.till.sales]
    n = len(buyers)
    assert_within_se(np.mean([c.segment == 0 for c in buyers]), 0.3, binomial_se(0.3, n), "segment a")
    for seg, north in ((0, 0.25), (1, 0.6)):
        here = [c for c in buyers if c.segment == seg]
        share = np.mean([c.region == 0 for c in here])
        assert_within_se(share, north, binomial_se(north, len(here)), f"region of segment {seg}")
    assert all(c.source == 0 for c in buyers)


def test_a_lead_with_nobody_left_unaware_is_wasted() -> None:
    world = World([segment(population=10)], weeks=5, unaware=[[10]], buys=False)
    world.env.process(world.market.paid_leads(0, [10.0] * 5, [1.0], world.market.draws["leads"]))
    world.env.run(until=5)
    flows = world.ledger.flows["source"]
    leads, wasted = (sum(week[0] for week in flows[m]) for m in ("leads", "wasted_leads"))
    assert leads > 20  # Poisson(50): P(≤ 20) < 1e-6
    assert leads - wasted == 10 == len(world.till.sales)
    assert world.market.unaware == [[0]]


def test_prospects_convert_with_their_probability_after_an_exponential_delay() -> None:
    people, conversion, delay = 20_000, 0.4, 2.0
    world = World(
        [segment(population=people, conversion=conversion, consideration_weeks=delay)],
        weeks=200,
        unaware=[[people]],
        buys=False,
    )
    for _ in range(people):
        world.market.awaken(0, 0, 0)
    world.env.run(until=200)
    waits = np.array([t for t, _, _ in world.till.sales])
    assert_within_se(len(waits) / people, conversion, binomial_se(conversion, people), "conversion")
    assert_mean_within_se(waits, delay, "consideration delay")
    tail = math.exp(-1.0)
    assert_within_se(np.mean(waits > delay), tail, binomial_se(tail, len(waits)), "P(delay > mean)")
    assert world.market.prospects[0] == people  # nothing to buy: they all stay prospects


def test_innovators_hear_of_the_brand_at_rate_p_each() -> None:
    # Bass with q = 0: each unaware person hears at rate p, so by t a share 1 − e^(−p·t) has
    people, p = 20_000, 0.01
    world = World(
        [segment(population=people, innovation_per_week=p, imitation_per_week=0.0, conversion=0.0)],
        weeks=20,
        unaware=[[people]],
    )
    world.env.process(world.market.organic(0, 1))
    times = [5.0, 10.0, 19.0]
    seen = world.watch(times, lambda market: market.prospects[0])
    world.env.run(until=19.5)
    heard = np.array(seen) / people
    expected = 1.0 - np.exp(-p * np.array(times))
    assert_within_se(heard, expected, binomial_se(expected, people), "share who heard")
    leads = np.array(world.ledger.flows["source"]["leads"])
    assert leads[:, 1].sum() == world.market.prospects[0] and leads[:, 2].sum() == 0  # organic, no referral


def test_repeat_purchases_and_lapses_are_exponential_and_detractors_lapse_twice_as_fast() -> None:
    # Buying at r and lapsing at d compete: each wait is exponential at r + d, a purchase with
    # probability r/(r + d); repeat orders per customer are geometric with mean r/d; survivors
    # at t are e^(−d·t), for a detractor e^(−2d·t).
    r, d, people = 0.3, 0.05, 3000
    world = World(
        [segment(id="calm", purchases_per_week=r, churn_per_week=d), segment(id="angry", purchases_per_week=r, churn_per_week=d)],
        weeks=1,
        unaware=[[0], [0]],
    )  # fmt: skip
    calm, angry = world.customers(people, 0), world.customers(people, 1, mood=-1)
    times = [5.0, 10.0, 20.0, 40.0]
    seen = world.watch(times, lambda market: list(market.active))
    world.env.run()  # to the end: everybody lapses
    assert world.market.active == [0, 0]
    active = np.array(seen) / people
    for seg, rate in ((0, d), (1, d * DETRACTOR_CHURN_MULTIPLIER)):
        survive = np.exp(-rate * np.array(times))
        assert_within_se(active[:, seg], survive, binomial_se(survive, people), f"survivors of segment {seg}")
    orders: dict[int, list[float]] = {id(c): [] for c in calm}
    for t, customer, first in world.till.sales:
        assert not first
        if customer.segment == 0:
            orders[id(customer)].append(t)
    counts = np.array([len(v) for v in orders.values()])
    assert_mean_within_se(counts, r / d, "repeat orders per customer")
    assert_within_se(np.mean(counts == 0), d / (r + d), binomial_se(d / (r + d), people), "never again")
    assert [c.orders for c in calm] == counts.tolist()
    gaps = np.concatenate([np.diff([0.0, *v]) for v in orders.values()])
    assert_mean_within_se(gaps, 1.0 / (r + d), "gap between purchases")
    angry_orders = sum(1 for _, c, _ in world.till.sales if c.segment == 1)
    assert_within_se(
        angry_orders / people,
        r / (2 * d),
        math.sqrt(r / (2 * d) * (1 + r / (2 * d)) / people),
        "angry orders",
    )
    assert {id(c) for c in world.market.lapsed} == {id(c) for c in calm + angry}
    assert world.market.lapsed_count == [people, people]


def test_non_members_join_a_programme_at_the_enrolment_rate() -> None:
    people, rate = 4000, 0.2
    world = World(
        [segment(purchases_per_week=0.0, churn_per_week=0.0)],
        weeks=1,
        unaware=[[0]],
        programmes=[{"id": "club", "channels": ["shop"], "enrolment_per_week": rate}],
    )
    world.customers(people)
    times = [1.0, 3.0, 8.0]
    seen = world.watch(times, lambda market: market.members[0])
    world.env.run()
    joined = np.array(seen) / people
    expected = 1.0 - np.exp(-rate * np.array(times))
    assert_within_se(joined, expected, binomial_se(expected, people), "members")
    assert world.membership == [(0, +1)] * people  # the engine is told, once per member
    assert world.market.promoters[0] == people  # joining is a good experience


# -- random streams ---------------------------------------------------------------------
def take(stream: Draws, n: int, kind: str = "uniform") -> list[float]:
    return [stream.uniform() if kind == "uniform" else stream.exponential(1.0) for _ in range(n)]


def test_a_replication_has_the_named_streams() -> None:
    assert set(streams_for(np.random.SeedSequence(1))) == set(STREAMS)
    assert len(set(STREAMS)) == len(STREAMS)


def test_same_seed_same_draws_in_every_stream_across_blocks() -> None:
    one, two = streams_for(np.random.SeedSequence(42)), streams_for(np.random.SeedSequence(42))
    for name in STREAMS:  # 10,000 draws span several 4,096-draw blocks
        assert take(one[name], 10_000) == take(two[name], 10_000), name
        assert take(one[name], 5_000, "exp") == take(two[name], 5_000, "exp"), name
    other = streams_for(np.random.SeedSequence(43))
    assert take(other["choice"], 10) != take(streams_for(np.random.SeedSequence(42))["choice"], 10)


def test_a_reused_seed_sequence_gives_the_same_streams_as_a_fresh_spawn() -> None:
    seed = replication_seeds(7, 3)[1]
    fresh = [
        Draws(np.random.Generator(np.random.PCG64(child)))
        for child in replication_seeds(7, 3)[1].spawn(len(STREAMS))
    ]
    first, again = streams_for(seed), streams_for(seed)
    for name, expected in zip(STREAMS, fresh, strict=True):
        want = take(expected, 100)
        assert take(first[name], 100) == want == take(again[name], 100), name


def test_more_replications_leave_the_earlier_ones_unchanged() -> None:
    few, many = replication_seeds(9, 3), replication_seeds(9, 12)
    for a, b in zip(few, many, strict=False):
        assert take(streams_for(a)["customers"], 50) == take(streams_for(b)["customers"], 50)
    assert take(streams_for(many[0])["customers"], 50) != take(streams_for(many[1])["customers"], 50)


def test_stream_names_isolate_their_consumers_common_random_numbers() -> None:
    # One part of the model drawing more (a variant with more choices) leaves every other
    # stream's numbers as they were: that is what makes paired comparisons sharp.
    quiet, busy = streams_for(np.random.SeedSequence(5)), streams_for(np.random.SeedSequence(5))
    take(busy["choice"], 20_000)
    take(busy["conflict"], 3, "exp")
    for name in STREAMS:
        if name not in ("choice", "conflict"):
            assert take(quiet[name], 1_000) == take(busy[name], 1_000), name


def test_each_source_segment_and_partner_draws_from_a_child_of_its_named_stream() -> None:
    # the k-th child is the named stream's seed's k-th spawn, whatever the count: a scenario with
    # one source more leaves the others' leads as they were; and no two streams coincide
    seed = replication_seeds(5, 2)[1]
    firsts = [take(stream, 1)[0] for stream in streams_for(seed).values()]
    for children, name in (
        (source_streams, "leads"),
        (organic_streams, "organic"),
        (customer_streams, "customers"),
        (partner_streams, "partners"),
    ):
        parent = np.random.SeedSequence(
            seed.entropy, spawn_key=(*seed.spawn_key, STREAMS.index(name)), pool_size=seed.pool_size
        )
        spawned = [Draws(np.random.Generator(np.random.PCG64(child))) for child in parent.spawn(6)]
        few, many = children(seed, 2), children(seed, 6)
        for k, expected in enumerate(spawned):
            want = take(expected, 100)
            assert take(many[k], 100) == want, (name, k)
            if k < len(few):
                assert take(few[k], 100) == want, (name, k)
            firsts.append(want[0])
    assert len(set(firsts)) == len(firsts)


def test_streams_are_uniform_and_mutually_uncorrelated() -> None:
    n = 50_000
    streams = streams_for(np.random.SeedSequence(11))
    columns = np.array([take(streams[name], n) for name in STREAMS])
    assert columns.min() > 0.0 and columns.max() <= 1.0  # on (0, 1]: a logarithm is always finite
    assert_within_se(columns.mean(axis=1), 0.5, math.sqrt(1 / 12 / n), "mean of uniforms")
    # correlation between two independent streams, and lag-1 within one: SE 1/√n
    correlation = np.corrcoef(columns)[np.triu_indices(len(STREAMS), 1)]
    assert_within_se(correlation, 0.0, 1 / math.sqrt(n), "correlation between streams")
    lag = [np.corrcoef(row[:-1], row[1:])[0, 1] for row in columns]
    assert_within_se(lag, 0.0, 1 / math.sqrt(n - 1), "lag-1 correlation")


def test_draws_give_the_distributions_they_name() -> None:
    n, stream = 50_000, draws(12)
    assert_mean_within_se([stream.exponential(2.5) for _ in range(n)], 2.5, "exponential mean")
    hits = np.mean([stream.bernoulli(0.3) for _ in range(n)])
    assert_within_se(hits, 0.3, binomial_se(0.3, n), "bernoulli")
    weights = [1.0, 0.0, 3.0, 6.0]
    cumulative = list(np.cumsum(weights))
    counts = Counter(stream.pick(cumulative) for _ in range(n))
    shares = np.array([counts[i] for i in range(len(weights))]) / n
    expected = np.array(weights) / sum(weights)
    assert counts[1] == 0  # a zero weight is never picked
    assert_within_se(shares, expected, binomial_se(expected, n), "pick")


def test_stock_held_is_the_area_under_a_hand_made_stock_path() -> None:
    # 10 on hand; units taken at 1.0, 2.5 and 3.0 (the third reaches s = 7 and orders 3 up to
    # S = 10, delivered 2 weeks later, at 5.0); the area under the path over [0, 6):
    # 10·1 + 9·1.5 + 8·0.5 + 7·2 + 10·1 = 51.5 unit-weeks, split at week 4 into 34.5 + 17
    env = simpy.Environment()
    stock = Stock(env, lambda outlet, back: None)
    outlet = Outlet(0, "d", "dealers", 0)
    outlet.set_inventory(Inventory(initial=10, reorder_point=7, order_up_to=10, lead_time_weeks=2.0))

    def orders() -> Generator[Any, Any, None]:
        for gap in (1.0, 1.5, 0.5):
            yield env.timeout(gap)
            stock.take(outlet)

    env.process(orders())
    env.run(until=4.0)
    assert stock.held(outlet, 4.0) == pytest.approx(10 * 1 + 9 * 1.5 + 8 * 0.5 + 7 * 1.0)
    env.run(until=6.0)
    assert stock.held(outlet, 6.0) == pytest.approx(7 * 1.0 + 10 * 1.0)
    # three units a year's worth: 52·3 over 51.5 unit-weeks held
    assert inventory_turnover(3.0, 51.5) == pytest.approx(52 * 3 / 51.5)
