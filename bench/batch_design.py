"""A design measurement for issue 16 (run by hand, never a test; not wired into the product).

    python bench/batch_design.py                      # dt 1/20, 1/10 and 1 week; speed, then accuracy
    python bench/batch_design.py --rounds 3 --seeds 20 --engine-seeds 16 --dts 0.05,0.1,1
    python bench/batch_design.py --no-accuracy        # only the speed and where the time goes (~4 min)

A stepped numpy kernel of bench/simulate.py's market (`large_scenario`): customers are array
rows (segment, region, state, time of their next event, last outlet, mood, source); each step of
`dt` weeks finds the rows whose next event falls in it and books those events with numpy; only
the stock and the store's queue see orders one at a time in time order. SimPy is the clock: one
process wakes at each step, and the store's orders are calls on SimPy's clock at their own times
against a `simpy.Resource`, as in the engine (or, `queue="heap"`, the same first-come-first-served
queue of c servers computed with a heap of the times its servers come free, without SimPy).

What it models, as the engine does (sim/customers.py, sim/cohort.py, sim/engine.py `sell`):
paid leads (Poisson per source and week at the rates of `valuation.forecast.lead_rates`, drawn a
week at a time at uniform times, as the engine does), segment by the source's mix and region by
the segment's shares, conversion at the lead; organic Bass (p + q·A/N)·U per segment, A the word
of mouth of the active customers (`model.satisfaction.referral_weight`), at the step's mean A
(the trapezoid of its start and end); consideration, repeat purchases and lapses as exponential
clocks per row (each row's next event time is drawn exactly: what a step discretises is only the
interactions); the multinomial logit over the outlets offered in the customer's region with the
loyalty term of the last outlet (`model.logit`); (s, S) stock per partner with lead time, an
order at an outlet out of stock at its time redrawn among the outlets in stock (exact under IIA:
the logit restricted to the rest); a stock-out disappoints a customer whose last outlet it was
(a detractor lapses twice as fast and refers nobody), as a slow order at the store does; the
ledger of orders and revenue per outlet and week with `np.add.at` (`ledger="full"`: also the
rest of the engine's per-order flows, to time them).

What a step still discretises: word of mouth within a step (trapezoid); the unaware count falls
by a week's paid leads at the week's start; an event that a mid-step change (a new detractor's
faster clock) would put before the step's end waits for the end; a row's second order in a step
was drawn with loyalty to its first order's outlet before any redraw.

What it leaves out (the benchmark does not use them; the kernel refuses a scenario that does):
loyalty programmes and enrolment, rivals, win-back, conflict agents (price wars, diversion,
MAP enforcement, exits), partners' own prospecting, two-level channels, first-purchase routes,
initial prospects, direct channels with stock, price changes (delight/disappoint by price),
cannibalisation, and the ledger's states (per week), stock unit-weeks, costs and equity.

It prints, in one run: business events per second of the kernel ÷ bare SimPy events per second
(`bench/simulate.py`'s `bare_simpy`, measured right before each timed run, medians over
interleaved rounds) for each dt, with the engine's own ratio for reference; where a step's time
goes; and the kernel's totals against `run_replication`'s over several seeds, as differences in
standard errors (and each dt against the smallest).
"""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/simulate.py, run as a script

from simulate import bare_simpy, large_scenario

import channelsim as cs
from channelsim.model.logit import log_effort, logit_weights, loyalty_factor, utility
from channelsim.model.money import OrderMoney, order_money
from channelsim.model.satisfaction import (
    DETRACTOR_CHURN_MULTIPLIER,
    MOOD_LIMIT,
    PROMOTER_REFERRAL_WEIGHT,
)
from channelsim.sim.clock import call_in
from channelsim.sim.engine import apportion, run_replication
from channelsim.sim.policy import Policy
from channelsim.valuation.forecast import lead_rates

NONE, CONSIDERING, ACTIVE, LAPSED = 0, 1, 2, 3  # a row's state
PHASES = ("leads", "scan", "events", "stock", "queue", "book")
#: What the engine books besides orders and revenue per outlet (`Ledger.order`, `Market._book_new`, ...).
FULL_LEDGER = (("outlet", "brand_revenue"), ("outlet", "contribution"), ("outlet", "promoter_orders"),
               ("outlet", "detractor_orders"), ("segment", "orders"), ("segment", "contribution"),
               ("region", "orders"), ("region", "revenue"), ("source", "attributed_contribution"),
               ("source", "new_customers"), ("segment", "new_customers"), ("region", "new_customers"),
               ("segment", "lapses"))  # fmt: skip


# -- the world, read from the scenario -------------------------------------------------------
@dataclass
class World:
    """The scenario's parameters as arrays (segments s, regions r, sources k, outlets o, partners p)."""

    weeks: int
    population: np.ndarray  # [s]
    p: np.ndarray  # [s] Bass innovation
    q: np.ndarray  # [s] Bass imitation
    conversion: np.ndarray  # [s]
    consideration: np.ndarray  # [s] mean weeks
    buy: np.ndarray  # [s] repeat purchases per week
    churn: np.ndarray  # [s] lapses per week (a detractor: × DETRACTOR_CHURN_MULTIPLIER)
    expectation: np.ndarray  # [s] service expectation, weeks
    region_cum: np.ndarray  # [s, r] cumulative region shares
    unaware: np.ndarray  # [s, r] at week 0
    initial: np.ndarray  # [s, r] active customers at week 0
    rates: np.ndarray  # [k, week] expected paid leads per week
    mix_cum: np.ndarray  # [k, s] cumulative segment mix per source
    outlets: list[str]
    weights: np.ndarray  # [s, r, o] logit weights exp(V) of the outlets offered (0: not offered)
    loyal: np.ndarray  # [s] loyalty factor exp(loyalty) − 1
    loyal_weights: np.ndarray  # [s, r, last + 1, o] the weights with the last outlet's loyalty term
    cum: np.ndarray  # [s, r, last + 1, o] their running sums
    payment: np.ndarray  # [o, s] what an order pays
    brand: np.ndarray  # [o, s] what the brand receives of it
    contribution: np.ndarray  # [o, s] its contribution
    first_partner: int  # outlets from here on are partners with (s, S) stock
    initial_stock: np.ndarray  # [p]
    reorder_point: np.ndarray  # [p]
    order_up_to: np.ndarray  # [p]
    lead_time: np.ndarray  # [p] weeks
    queues: dict[int, tuple[int, float]]  # outlet -> (servers, mean service weeks)


def refuse_unmodelled(sc: cs.Scenario) -> None:
    """The kernel models the benchmark's features only: stop on anything else."""
    problems = [
        sc.loyalty_programs and "loyalty programmes",
        sc.winback is not None and "win-back",
        any(s.competition for s in sc.segments) and "rivals",
        any(s.initial_prospects or s.initial_reached for s in sc.segments) and "initial prospects",
        any(s.routes_to for s in sc.sources) and "routes_to",
        any(p.leads_per_week > 0 or p.supplied_by or p.diversion or p.fulfilment for p in sc.partners)
        and "partner prospecting, two levels, diversion or partner queues",
        any(c.inventory for c in sc.channels if c.type == "direct") and "direct stock",
        (sc.conflict.price_war or sc.conflict.enforcement_per_week > 0) and "conflict",
        sc.incentives and "incentive tiers",
    ]
    stated = [p for p in problems if p]
    if stated:
        raise SystemExit(f"batch_design: the kernel does not model {', '.join(map(str, stated))}")


def build_world(sc: cs.Scenario) -> World:
    refuse_unmodelled(sc)
    regions, segs = list(sc.regions), sc.segments
    shares = np.array([[(s.regions or {}).get(r, 0.0) for r in regions] for s in segs])
    people = np.array([apportion(s.population, list(row)) for s, row in zip(segs, shares, strict=True)])
    initial = np.array(
        [apportion(s.initial_customers, list(row)) for s, row in zip(segs, shares, strict=True)]
    )
    policy = Policy.baseline(sc)
    rates = lead_rates(sc, policy.spend)
    mix = np.array([[(k.segment_mix or {}).get(s.id, 0.0) for s in segs] for k in sc.sources])
    outlets, channel, offered, price, effort = _outlets(sc)
    weights = np.zeros((len(segs), len(regions), len(outlets)))
    for i, seg in enumerate(segs):
        for r in range(len(regions)):
            here = [o for o in range(len(outlets)) if r in offered[o]]
            v = [utility(seg.channel_affinity.get(channel[o].id, 0.0), price[o], seg.price_sensitivity,
                         log_effort(effort[o])) for o in here]  # fmt: skip
            weights[i, r, here] = logit_weights(v)
    loyal = np.array([loyalty_factor(s.loyalty) for s in segs])
    first_partner = len(outlets) - len(sc.partners)
    money = [
        [_money(sc, channel[o], o < first_partner, price[o], seg) for seg in segs]
        for o in range(len(outlets))
    ]
    inventories = [p.inventory for p in sc.partners]
    assert all(inv is not None for inv in inventories), "every partner of the benchmark keeps stock"
    queues = {o: (c.fulfilment.servers, c.fulfilment.mean_service_weeks)
              for o, c in enumerate(c for c in sc.channels if c.type == "direct") if c.fulfilment}  # fmt: skip
    return World(
        weeks=sc.horizon_weeks, population=np.array([s.population for s in segs], float),
        p=np.array([s.innovation_per_week for s in segs]), q=np.array([s.imitation_per_week for s in segs]),
        conversion=np.array([s.conversion for s in segs]),
        consideration=np.array([s.consideration_weeks for s in segs]),
        buy=np.array([s.purchases_per_week for s in segs]), churn=np.array([s.churn_per_week for s in segs]),
        expectation=np.array([s.service_expectation_weeks for s in segs]),
        region_cum=np.cumsum(shares, axis=1), unaware=people - initial, initial=initial,
        rates=np.array([rates[k.id] for k in sc.sources]), mix_cum=np.cumsum(mix, axis=1),
        outlets=outlets, weights=weights, loyal=loyal, loyal_weights=_loyal(weights, loyal),
        cum=np.cumsum(_loyal(weights, loyal), axis=3), payment=np.array([[m.payment for m in row] for row in money]),
        brand=np.array([[m.brand_revenue for m in row] for row in money]),
        contribution=np.array([[m.contribution for m in row] for row in money]),
        first_partner=first_partner,
        initial_stock=np.array([inv.initial for inv in inventories if inv]),
        reorder_point=np.array([inv.reorder_point for inv in inventories if inv]),
        order_up_to=np.array([inv.order_up_to for inv in inventories if inv]),
        lead_time=np.array([inv.lead_time_weeks for inv in inventories if inv], float),
        queues=queues,
    )  # fmt: skip


def _outlets(sc: cs.Scenario) -> tuple[list[str], list[Any], list[set[int]], list[float], list[float]]:
    """The engine's outlets, in its order: direct channels, then partners (ids, channels, regions
    offered, prices, efforts)."""
    regions = list(sc.regions)
    ids: list[str] = []
    channels: list[Any] = []
    offered: list[set[int]] = []
    price: list[float] = []
    effort: list[float] = []
    for c in sc.channels:
        if c.type == "direct":
            ids.append(c.id)
            channels.append(c)
            offered.append({regions.index(r) for r in sc.channel_regions(c)})
            price.append(c.price_index)
            effort.append(1.0)
    for p in sc.partners:
        c = sc.channel(p.channel)
        ids.append(p.id)
        channels.append(c)
        offered.append({regions.index(p.region)})
        price.append(p.price_index or c.price_index)
        effort.append(p.effort)
    return ids, channels, offered, price, effort


def _money(sc: cs.Scenario, channel: Any, direct: bool, price: float, seg: Any) -> OrderMoney:
    return order_money(seg.order_value, price, sc.gross_margin, direct=direct, variable_cost=channel.variable_cost,
                       partner_margin=channel.partner_margin)  # fmt: skip


def _loyal(weights: np.ndarray, loyal: np.ndarray) -> np.ndarray:
    """The weights per (segment, region, last outlet + 1): the last outlet's × (1 + loyalty factor)."""
    o = weights.shape[2]
    table = np.repeat(weights[:, :, None, :], o + 1, axis=2)
    for last in range(o):
        table[:, :, last + 1, last] *= (1.0 + loyal)[:, None]
    return table


# -- the kernel ------------------------------------------------------------------------------
@dataclass
class Result:
    """What a run leaves, for the comparison (kernel and engine alike)."""

    events: int
    seconds: float
    leads: float
    orders: float
    lapses: float
    active: float
    outlet_orders: np.ndarray  # [o]
    stockout_weeks: np.ndarray  # [p]
    revenue: float
    new_customers: float
    detractors: float  # active detractors at the horizon
    phases: dict[str, float] = field(default_factory=dict)
    steps: list[tuple[int, float]] = field(default_factory=list)  # per step: (events, seconds)
    simpy_events: int = 0  # events on SimPy's queue (steps, the store's calls and requests)


@dataclass
class Walk:
    """One partner's step: which of its orders (in time order) were served, and its state after."""

    accepted: np.ndarray
    out: list[tuple[float, float]]  # out-of-stock intervals [from, to) met in the step
    on_hand: int
    position: int
    deliveries: list[tuple[float, int]]
    out_since: float | None


def walk_stock(times: np.ndarray, on_hand: int, position: int, deliveries: list[tuple[float, int]],
               out_since: float | None, end: float, s: int, big_s: int, lead: float) -> Walk:  # fmt: skip
    """The (s, S) policy over one step's orders at one partner, in time order (`times` sorted):
    as `Stock.take` order by order, but a run of orders between two happenings (the stock running
    out, a reorder, a delivery) is taken at once."""
    n, i = len(times), 0
    accepted = np.ones(n, dtype=bool)
    deliveries = list(deliveries)
    out: list[tuple[float, float]] = []
    while True:
        due = deliveries[0][0] if deliveries and deliveries[0][0] < end else math.inf
        j = n if due == math.inf else int(np.searchsorted(times, due))
        replan = False
        while i < j and not replan:
            if on_hand == 0:
                accepted[i:j] = False  # out of stock until the delivery: redrawn elsewhere
                i = j
                break
            k = min(j - i, on_hand, max(position - s, 1))
            on_hand, position, i = on_hand - k, position - k, i + k
            at = float(times[i - 1])
            if on_hand == 0:
                out_since = at
            if position <= s:
                deliveries.append((at + lead, big_s - position))
                deliveries.sort()
                position = big_s
                replan = at + lead < due  # it comes before the one awaited
        if replan:
            continue
        if due == math.inf:
            break
        _, quantity = deliveries.pop(0)
        if on_hand == 0 and out_since is not None:
            out.append((out_since, due))
            out_since = None
        on_hand += quantity
    if out_since is not None:
        out.append((out_since, math.inf))
    return Walk(accepted, out, on_hand, position, deliveries, out_since)


class Kernel:
    """One replication of the stepped kernel."""

    def __init__(
        self, world: World, dt: float, seed: int, queue: str = "simpy", ledger: str = "orders"
    ) -> None:
        steps = round(1.0 / dt)
        assert abs(steps * dt - 1.0) < 1e-12, "a step divides a week"
        self.w, self.dt, self.queue_kind, self.ledger_kind = world, dt, queue, ledger
        self.rng = np.random.default_rng(seed)
        sources, segs = len(world.rates), len(world.population)
        self.sources, self.segments = np.arange(sources), np.arange(segs)
        outlets = len(world.outlets)
        start = int(world.initial.sum())
        cap = start + int(2 * world.rates.sum() * world.conversion.max()) + 1024
        self.seg = np.zeros(cap, dtype=np.intp)
        self.region = np.zeros(cap, dtype=np.intp)
        self.state = np.zeros(cap, dtype=np.int8)
        self.due = np.full(cap, math.inf)
        self.last = np.full(cap, -1, dtype=np.intp)
        self.source = np.full(
            cap, -1, dtype=np.intp
        )  # who found them: paid source, `sources` organic, −1 initial
        self.mood = np.zeros(cap, dtype=np.intp)
        self.n = 0
        self.unaware = world.unaware.astype(np.int64)
        self.active = np.zeros(segs)
        self.referrers = np.zeros(segs)
        for s in range(segs):
            for r in range(world.initial.shape[1]):
                self._rows(np.full(world.initial[s, r], s), np.full(world.initial[s, r], r), ACTIVE, 0.0)
        self.active += np.bincount(self.seg[: self.n], minlength=segs)
        self.referrers += self.active
        partners = len(world.initial_stock)
        self.on_hand = world.initial_stock.astype(np.int64).copy()
        self.position = self.on_hand.copy()
        self.deliveries: list[list[tuple[float, int]]] = [[] for _ in range(partners)]
        self.next_delivery = np.full(partners, math.inf)
        self.out_since: list[float | None] = [0.0 if h == 0 else None for h in self.on_hand]
        weeks = world.weeks
        self.orders = np.zeros((weeks, outlets))
        self.revenue = np.zeros((weeks, outlets))
        self.leads = np.zeros(weeks)
        self.lapses = np.zeros(weeks)
        self.stockout = np.zeros((weeks, partners))
        # `ledger="full"`: the rest of what the engine books per order and per new customer
        per = {"outlet": outlets, "segment": segs, "region": world.initial.shape[1], "source": sources + 1}
        self.flows = {(level, name): np.zeros((weeks, per[level])) for level, name in FULL_LEDGER}
        self.env = simpy.Environment()
        self.queues = {
            o: (simpy.Resource(self.env, servers), mean) for o, (servers, mean) in world.queues.items()
        }
        self.free = {o: [0.0] * servers for o, (servers, _) in world.queues.items()}  # `queue="heap"`
        self.new_customers = 0
        self.week = 0  # the week under way (for the lapses of `ledger="full"`)
        self.slow: list[int] = []  # rows whose order was slower than they expect (booked next step)
        self.phases = dict.fromkeys(PHASES, 0.0)
        self.step_log: list[tuple[int, float]] = []
        self.simpy_events = 0

    # -- rows --------------------------------------------------------------------------------
    def _rows(self, seg: np.ndarray, region: np.ndarray, state: int, times: np.ndarray | float,
              source: np.ndarray | int = -1) -> np.ndarray:  # fmt: skip
        """New rows: active (next event drawn from `times`) or considering (first purchase drawn)."""
        k = len(seg)
        if self.n + k > len(self.seg):
            self._grow(self.n + k)
        rows = np.arange(self.n, self.n + k)
        self.n += k
        self.seg[rows], self.region[rows], self.state[rows] = seg, region, state
        self.last[rows], self.mood[rows], self.source[rows] = -1, 0, source
        gap = self.rng.standard_exponential(k)
        if state == CONSIDERING:
            self.due[rows] = times + gap * self.w.consideration[seg]
        else:
            self.due[rows] = times + gap / (self.w.buy[seg] + self.w.churn[seg])
        return rows

    def _grow(self, need: int) -> None:
        size = max(need, 2 * len(self.seg))
        for name, fill in (
            ("seg", 0),
            ("region", 0),
            ("state", 0),
            ("due", math.inf),
            ("last", -1),
            ("source", -1),
            ("mood", 0),
        ):
            old = getattr(self, name)
            new = np.full(size, fill, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def _rate(self, rows: np.ndarray) -> np.ndarray:
        """Each row's total event rate (buy + churn) at its mood."""
        seg = self.seg[rows]
        churn = self.w.churn[seg] * np.where(self.mood[rows] <= -1, DETRACTOR_CHURN_MULTIPLIER, 1.0)
        return self.w.buy[seg] + churn

    # -- the clock ---------------------------------------------------------------------------
    def run(self) -> Result:
        started = time.perf_counter()

        def stepper() -> Any:
            steps = round(self.w.weeks / self.dt)
            for i in range(steps):
                t0 = self.env.now  # i·dt, as SimPy's clock has summed it
                self.step(t0, t0 + self.dt, int(i * self.dt + 1e-9))
                yield self.env.timeout(self.dt)

        self.env.process(stepper())
        self.env.run()
        seconds = time.perf_counter() - started
        stock_weeks = self.stockout.sum(axis=0)
        events = int(self.leads.sum() + self.orders.sum() + self.lapses.sum())
        return Result(events, seconds, float(self.leads.sum()), float(self.orders.sum()), float(self.lapses.sum()),
                      float(self.active.sum()), self.orders.sum(axis=0), stock_weeks, float(self.revenue.sum()),
                      self.new_customers, float(self._detractors()), dict(self.phases), self.step_log,
                      self.simpy_events)  # fmt: skip

    def _detractors(self) -> int:
        rows = np.flatnonzero(self.state[: self.n] == ACTIVE)
        return int((self.mood[rows] <= -1).sum())

    def _tick(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[phase] += now - since
        return now

    def step(self, t0: float, t1: float, week: int) -> None:
        """Everything of [t0, t1): leads, the rows' events, their orders through stock and queue."""
        began = t = time.perf_counter()
        self.week = week
        self._book_slow(t1)
        before = self.referrers.copy()
        booked = self._paid_week(week) if t0 <= week + 1e-9 else 0  # a week of paid leads at its start
        t = self._tick("leads", t)
        self._out_whole_step(t1)
        due = np.flatnonzero(self.due[: self.n] < t1)
        t = self._tick("scan", t)
        events = [self._events(due, t1)]
        t = self._tick("events", t)
        start = self.n
        booked += self._organic(t0, t1, week, before)  # after the events: word of mouth at the step's end
        t = self._tick("leads", t)
        soon = start + np.flatnonzero(self.due[start : self.n] < t1)  # organic newcomers who buy in the step
        if soon.size:
            events.append(self._events(soon, t1))
        if len(events) > 1:  # the newcomers' links point into their own batch
            events[1] = (
                *events[1][:5],
                np.where(events[1][5] >= 0, events[1][5] + len(events[0][0]), -1),
                events[1][6],
            )
        rows, times, outlet, prev, first, link = (np.concatenate([e[i] for e in events]) for i in range(6))
        lapses = sum(e[6] for e in events)
        self.lapses[week] += lapses
        t = self._tick("events", t)
        outlet, disappointed, when = self._stock(rows, times, outlet, prev, link, t0, t1, week)
        # where they bought in the end: a redrawn order's outlet (a row's last order in the step wins)
        self.last[rows] = outlet
        self._disappoint(disappointed, t1, when)
        t = self._tick("stock", t)
        if self.queue_kind == "heap":
            self._queue_heap(rows, times, outlet)
        else:
            self._queue(rows, times, outlet, t0)
        t = self._tick("queue", t)
        np.add.at(self.orders[week], outlet, 1.0)
        np.add.at(self.revenue[week], outlet, self.w.payment[outlet, self.seg[rows]])
        if self.ledger_kind == "full":
            self._book_full(week, rows, outlet, first)
        self._tick("book", t)
        self.step_log.append((int(booked + len(rows) + lapses), time.perf_counter() - began))

    def _book_full(self, week: int, rows: np.ndarray, outlet: np.ndarray, first: np.ndarray) -> None:
        """The rest of the engine's per-order flows (`Ledger.order`, satisfaction, new customers)."""
        f, w = self.flows, self.w
        seg, region, source, mood = self.seg[rows], self.region[rows], self.source[rows], self.mood[rows]
        contribution = w.contribution[outlet, seg]
        np.add.at(f["outlet", "brand_revenue"][week], outlet, w.brand[outlet, seg])
        np.add.at(f["outlet", "contribution"][week], outlet, contribution)
        np.add.at(f["outlet", "promoter_orders"][week], outlet[mood >= 1], 1.0)
        np.add.at(f["outlet", "detractor_orders"][week], outlet[mood <= -1], 1.0)
        np.add.at(f["segment", "orders"][week], seg, 1.0)
        np.add.at(f["segment", "contribution"][week], seg, contribution)
        np.add.at(f["region", "orders"][week], region, 1.0)
        np.add.at(f["region", "revenue"][week], region, w.payment[outlet, seg])
        paid = source >= 0
        np.add.at(f["source", "attributed_contribution"][week], source[paid], contribution[paid])
        np.add.at(f["source", "new_customers"][week], source[first], 1.0)
        np.add.at(f["segment", "new_customers"][week], seg[first], 1.0)
        np.add.at(f["region", "new_customers"][week], region[first], 1.0)

    # -- leads -------------------------------------------------------------------------------
    def _organic(self, t0: float, t1: float, week: int, before: np.ndarray) -> int:
        """The step's organic leads by segment: Bass at the rate of the step's mean word of mouth (the
        trapezoid of the active rows' referrals at its start, `before`, and at its end)."""
        w, rng = self.w, self.rng
        left = self.unaware.sum(axis=1)
        referrers = 0.5 * (before + self.referrers)
        counts = np.minimum(rng.poisson((w.p + w.q * referrers / w.population) * left * (t1 - t0)), left)
        organic = int(counts.sum())
        if organic:
            seg = np.repeat(self.segments, counts)
            u = 1.0 - rng.random((3, organic))
            region = _pick(np.cumsum(self.unaware, axis=1)[seg], u[0])  # where the unaware people are
            self._arrive(seg, region, u[1], t0 + (t1 - t0) * u[2], week, len(w.rates))
        return organic

    def _paid_week(self, week: int) -> int:
        """A week of paid leads: Poisson per source, at uniform times, segment by the source's mix and
        region by the segment's shares (their row waits for its first purchase; the unaware count
        falls at the week's start, not at each lead's time)."""
        w, rng = self.w, self.rng
        counts = rng.poisson(w.rates[:, week])
        n = int(counts.sum())
        if n:
            u = 1.0 - rng.random((4, n))
            source = np.repeat(self.sources, counts)
            seg = _pick(w.mix_cum[source], u[0])
            self._arrive(seg, _pick(w.region_cum[seg], u[1]), u[2], week + u[3], week, source)
        return n

    def _arrive(self, seg: np.ndarray, region: np.ndarray, u: np.ndarray, times: np.ndarray, week: int,
                source: np.ndarray | int) -> None:  # fmt: skip
        """Leads at `times`: fewer unaware; those who convert (`u` ≤ conversion) become considering rows."""
        self._reach(seg, region, len(seg), week)
        converts = u <= self.w.conversion[seg]
        found = source[converts] if isinstance(source, np.ndarray) else source
        self._rows(seg[converts], region[converts], CONSIDERING, times[converts], found)

    def _reach(self, seg: np.ndarray, region: np.ndarray, n: int, week: int) -> None:
        """People hear of the brand: fewer unaware (a lead to nobody left unaware is wasted, still a lead)."""
        shape = self.unaware.shape
        reached = np.bincount(seg * shape[1] + region, minlength=shape[0] * shape[1]).reshape(shape)
        self.unaware -= np.minimum(reached, self.unaware)
        self.leads[week] += n

    # -- the rows' events --------------------------------------------------------------------
    def _events(self, due: np.ndarray, t1: float) -> tuple[Any, ...]:
        """The events of the rows due before t1, pass after pass (an event's next one may fall in
        the step too). Returns the orders (rows, times, outlets, last outlet before, first purchase or
        not, and the index of the same row's previous order in the step or −1) and the lapses."""
        w, rng = self.w, self.rng
        parts: tuple[list[np.ndarray], ...] = (
            [],
            [],
            [],
            [],
            [],
            [],
        )  # rows, times, outlet, prev, first, link
        out_rows = parts[0]
        lapses, count = 0, 0
        back = np.full(len(due), -1, dtype=np.intp)  # per row due: its previous order in the step
        while due.size:
            times, state, seg = self.due[due], self.state[due], self.seg[due]
            u = 1.0 - rng.random((2, len(due)))
            first = state == CONSIDERING
            buys = first | (u[0] * self._rate(due) <= w.buy[seg])
            gone = due[~buys]
            if gone.size:
                self._lapse(gone)
                lapses += len(gone)
            if first.any():
                new = due[first]
                self.new_customers += len(new)
                self.state[new] = ACTIVE
                gained = np.bincount(self.seg[new], minlength=len(self.active))
                self.active += gained
                self.referrers += gained  # a newcomer is passive: refers with weight 1
            rows, at = due[buys], times[buys]
            prev = self.last[rows]
            if self.out_all.any():  # outlets out of stock the whole step are not drawn (as the engine's mask)
                weights = w.loyal_weights[self.seg[rows], self.region[rows], prev + 1] * self.offer
                outlet = _pick(np.cumsum(weights, axis=1), u[1][buys])
            else:
                outlet = _pick(w.cum[self.seg[rows], self.region[rows], prev + 1], u[1][buys])
            self.last[rows] = outlet
            for out, part in zip(parts, (rows, at, outlet, prev, first[buys], back[buys]), strict=True):
                out.append(part)
            self.due[rows] = at + rng.standard_exponential(len(rows)) / self._rate(rows)
            again = self.due[rows] < t1
            due, back = rows[again], count + np.flatnonzero(again)
            count += len(rows)
        if not out_rows:
            empty = np.zeros(0, dtype=np.intp)
            return empty, np.zeros(0), empty, empty, np.zeros(0, dtype=bool), empty, lapses
        return (*(np.concatenate(part) for part in parts), lapses)

    def _lapse(self, rows: np.ndarray) -> None:
        self.state[rows], self.due[rows] = LAPSED, math.inf
        seg = self.seg[rows]
        if self.ledger_kind == "full":
            np.add.at(self.flows["segment", "lapses"][self.week], seg, 1.0)
        segs = len(self.active)
        self.active -= np.bincount(seg, minlength=segs)
        self.referrers -= np.bincount(seg, weights=_referral(self.mood[rows]), minlength=segs)

    # -- stock -------------------------------------------------------------------------------
    def _stock(self, rows: np.ndarray, times: np.ndarray, outlet: np.ndarray, prev: np.ndarray,
               link: np.ndarray, t0: float, t1: float, week: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
        """Partners' stock over the step's orders in time order; an order at a partner out of stock at
        its time is redrawn among the outlets in stock then (the logit restricted: exact under IIA),
        until no order is left at an outlet out of stock. Returns the outlets, and who was disappointed
        (their last outlet out of stock at their order) and when."""
        w, fp = self.w, self.w.first_partner
        partners = len(self.on_hand)
        walks: dict[int, Walk] = {}
        outlet = outlet.copy()
        todo = set(np.flatnonzero(~self._easy(outlet, t1) & ~self.out_all).tolist())
        while todo:
            rejected = []
            for p in todo:
                mine = np.flatnonzero(outlet == fp + p)
                order = np.argsort(times[mine], kind="stable")
                walks[p] = walk_stock(times[mine][order], int(self.on_hand[p]), int(self.position[p]),
                                      self.deliveries[p], self.out_since[p], t1, int(w.reorder_point[p]),
                                      int(w.order_up_to[p]), float(w.lead_time[p]))  # fmt: skip
                rejected.append(mine[order][~walks[p].accepted])
            gone = np.concatenate(rejected) if rejected else np.zeros(0, dtype=np.intp)
            if not gone.size:
                break
            outlet[gone] = self._redraw(rows[gone], times[gone], prev[gone], walks, t0)
            hard = ~self._easy(outlet, t1)  # counts only grow: a partner taken at once may no longer be
            todo = {int(o) - fp for o in outlet[gone] if o >= fp and hard[o - fp]}
        counts = np.bincount(outlet[outlet >= fp] - fp, minlength=partners)
        easy = np.ones(partners, dtype=bool)
        easy[list(walks)] = False
        self.on_hand[easy] -= counts[easy]
        self.position[easy] -= counts[easy]
        # an order's last outlet is its row's previous order's in the step, as it ended (redrawn or not)
        prev = prev.copy()
        linked = link >= 0
        prev[linked] = outlet[link[linked]]
        disappointed = self.out_prev[prev + 1]  # their last outlet out of stock all the step
        self.stockout[week] += self.out_all * (t1 - t0)
        for p, result in walks.items():
            self.on_hand[p], self.position[p] = result.on_hand, result.position
            self.deliveries[p], self.out_since[p] = result.deliveries, result.out_since
            self.next_delivery[p] = result.deliveries[0][0] if result.deliveries else math.inf
            for start, end in result.out:
                self.stockout[week, p] += max(0.0, min(end, t1) - max(start, t0))
                disappointed |= (prev == fp + p) & (times >= start) & (times < end)
        return outlet, rows[disappointed], times[disappointed]

    def _out_whole_step(self, t1: float) -> None:
        """The partners out of stock from the step's start to its end (no delivery before t1)."""
        fp = self.w.first_partner
        self.out_all = (self.on_hand == 0) & (self.next_delivery >= t1)
        self.offer = np.ones(len(self.w.outlets))
        self.offer[fp:][self.out_all] = 0.0
        self.out_prev = np.zeros(len(self.w.outlets) + 1, dtype=bool)  # by last outlet + 1
        self.out_prev[fp + 1 :] = self.out_all

    def _easy(self, outlet: np.ndarray, t1: float) -> np.ndarray:
        """Per partner: whether its step's orders can be taken at once (no stock-out, reorder or
        delivery among them)."""
        fp = self.w.first_partner
        counts = np.bincount(outlet[outlet >= fp] - fp, minlength=len(self.on_hand))
        return (
            (self.on_hand - counts > 0)
            & (self.position - counts > self.w.reorder_point)
            & (self.next_delivery >= t1)
        )

    def _redraw(self, rows: np.ndarray, times: np.ndarray, prev: np.ndarray, walks: dict[int, Walk],
                t0: float) -> np.ndarray:  # fmt: skip
        """Draw again among the outlets in stock at each order's time (the loyalty term kept)."""
        w, fp = self.w, self.w.first_partner
        seg = self.seg[rows]
        weights = w.weights[seg, self.region[rows]] * self.offer
        loyal = prev >= 0
        weights[np.flatnonzero(loyal), prev[loyal]] *= 1.0 + w.loyal[seg[loyal]]
        for p, result in walks.items():
            for start, end in result.out:
                weights[(times >= start) & (times < end), fp + p] = 0.0
        cum = np.cumsum(weights, axis=1)
        return _pick(cum, 1.0 - self.rng.random(len(rows)))

    def _disappoint(self, rows: np.ndarray, t1: float, since: np.ndarray | None = None) -> None:
        """A bad experience (at `since`; None: during the step): the mood falls a step; a new detractor
        lapses faster and stops referring. Memoryless: the faster clock is drawn again from `since`;
        a next event that falls before the step's end waits for it (the step cannot go back)."""
        rows, first = np.unique(rows, return_index=True)
        at = np.full(len(rows), t1) if since is None else since[first]
        live = self.state[rows] == ACTIVE
        rows, at = rows[live], at[live]
        if not rows.size:
            return
        before = self.mood[rows].copy()
        self.mood[rows] = np.maximum(before - 1, -MOOD_LIMIT)
        seg = self.seg[rows]
        change = _referral(self.mood[rows]) - _referral(before)
        self.referrers += np.bincount(seg, weights=change, minlength=len(self.referrers))
        turned = (before > -1) & (self.mood[rows] <= -1)
        redrawn = at[turned] + self.rng.standard_exponential(int(turned.sum())) / self._rate(rows[turned])
        self.due[rows[turned]] = np.maximum(redrawn, t1)

    def _book_slow(self, t1: float) -> None:
        if self.slow:
            rows, self.slow = np.array(self.slow, dtype=np.intp), []
            self._disappoint(rows, t1)

    # -- the store's queue -------------------------------------------------------------------
    def _queued(
        self, rows: np.ndarray, times: np.ndarray, outlet: np.ndarray
    ) -> Iterator[tuple[int, simpy.Resource, list[tuple[int, float, float, float]]]]:
        """Per outlet with a queue: its orders in time order as (row, time, service drawn, expectation)."""
        for o, (queue, mean) in self.queues.items():
            mine = np.flatnonzero(outlet == o)
            if not mine.size:
                continue
            order = mine[np.argsort(times[mine], kind="stable")]
            service = self.rng.standard_exponential(len(order)) * mean
            expect = self.w.expectation[self.seg[rows[order]]]
            yield o, queue, list(zip(rows[order].tolist(), times[order].tolist(), service.tolist(),
                                     expect.tolist(), strict=True))  # fmt: skip

    def _queue(self, rows: np.ndarray, times: np.ndarray, outlet: np.ndarray, t0: float) -> None:
        """Each order at an outlet with a queue is a call on SimPy's clock at its time (as `Replication._fulfil`)."""
        for _, queue, orders in self._queued(rows, times, outlet):
            for row, at, took, late in orders:
                call_in(self.env, at - t0, self._arrival(queue, row, at, took, late))
            self.simpy_events += 4 * len(orders)  # arrival, request, service, release

    def _queue_heap(self, rows: np.ndarray, times: np.ndarray, outlet: np.ndarray) -> None:
        """The alternative without SimPy: a first-come-first-served queue of c servers is exact with a
        heap of the times its servers come free (an order starts at max(its time, the first free))."""
        for o, _, orders in self._queued(rows, times, outlet):
            free, slow = self.free[o], self.slow
            for row, at, took, late in orders:
                start = max(at, free[0])
                heapq.heapreplace(free, start + took)
                if start + took - at > late:
                    slow.append(row)

    def _arrival(self, queue: simpy.Resource, row: int, placed: float, took: float,
                 expect: float) -> Callable[[object], None]:  # fmt: skip
        env = self.env

        def arrive(_: object) -> None:
            turn = queue.request()

            def served(_: object) -> None:
                queue.release(turn)
                if env.now - placed > expect:
                    self.slow.append(row)

            def serve(_: object) -> None:
                call_in(env, took, served)

            turn.callbacks.append(serve)

        return arrive


def _pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per row, the index drawn by running sums `cum` (rows) at uniforms `u` on (0, 1]."""
    target = u * cum[:, -1]
    return np.minimum((cum < target[:, None]).sum(axis=1), cum.shape[1] - 1)


def _referral(mood: np.ndarray) -> np.ndarray:
    """`model.satisfaction.referral_weight`, for arrays."""
    return np.where(mood <= -1, 0.0, np.where(mood >= 1, float(PROMOTER_REFERRAL_WEIGHT), 1.0))


# -- the engine, for the comparison ----------------------------------------------------------
def run_engine(sc: cs.Scenario, seed: int) -> Result:
    started = time.perf_counter()
    out = run_replication(sc, Policy.baseline(sc), np.random.SeedSequence(seed))
    seconds = time.perf_counter() - started
    t = out.tables
    partners = [out.entities.outlets.index(p.id) for p in sc.partners]
    return Result(out.events, seconds, float(t["total"]["leads"].sum()), float(t["total"]["orders"].sum()),
                  float(t["segment"]["lapses"].sum()), float(t["segment"]["active_customers"][-1].sum()),
                  t["outlet"]["orders"].sum(axis=0), t["outlet"]["stockout_weeks"].sum(axis=0)[partners],
                  float(t["outlet"]["revenue"].sum()), float(t["total"]["new_customers"].sum()),
                  float(t["segment"]["detractors"][-1].sum()))  # fmt: skip


# -- the report ------------------------------------------------------------------------------
def speed(world: World, dts: list[float], sc: cs.Scenario, rounds: int) -> dict[float, Result]:
    """Kernel runs per dt and queue (SimPy's Resource, or the heap), each right after a bare SimPy
    measurement, `rounds` times over interleaved, and the engine once a round: the median ratio
    (and its range) is what to read on a loaded machine."""
    configs = [(q, dt, "orders") for q in ("simpy", "heap") for dt in dts] + [
        ("heap", dt, "full") for dt in dts
    ]
    ratios: dict[str, list[float]] = {}
    seconds: dict[str, list[float]] = {}
    events: dict[str, int] = {}
    timed: dict[float, Result] = {}
    for _ in range(rounds):
        for queue, dt, ledger in configs:
            label = f"{dt:g}" + (" heap" if queue == "heap" else "") + (" full" if ledger == "full" else "")
            bare = bare_simpy()
            result = Kernel(world, dt, seed=1, queue=queue, ledger=ledger).run()
            if queue == "simpy" and (dt not in timed or result.seconds < timed[dt].seconds):
                timed[dt] = result  # the breakdown reads the quickest run
            ratios.setdefault(label, []).append(result.events / result.seconds / bare)
            seconds.setdefault(label, []).append(result.seconds)
            events[label] = result.events
        bare = bare_simpy()
        engine = run_engine(sc, 1)
        ratios.setdefault("engine", []).append(engine.events / engine.seconds / bare)
        seconds.setdefault("engine", []).append(engine.seconds)
        events["engine"] = engine.events
    print(f"speed: {rounds} rounds; ratio = (events/s) / (bare SimPy events/s measured just before)")
    print(f"{'dt (weeks)':<12} {'events':>9} {'seconds':>8} {'ratio':>7}  range")
    for label, values in ratios.items():
        print(f"{label:<12} {events[label]:>9,} {np.median(seconds[label]):>8.2f} {np.median(values):>7.2f}"
              f"  {min(values):.2f}–{max(values):.2f}")  # fmt: skip
    return timed


def breakdown(world: World, timed: dict[float, Result]) -> None:
    """Where a run's time goes, by phase of the step; SimPy-rest is SimPy running its queue (the store's
    calls and requests, the steps' timeouts). The fixed cost of a step (numpy's per-call overhead) is
    measured on the same market at 1/100 of its people and leads: its steps do the same calls on tiny arrays."""
    tiny = dataclasses.replace(world, rates=world.rates / 100, initial=world.initial // 100,
                               unaware=world.unaware // 100)  # fmt: skip
    print("\nwhere the time goes (s)  " + "  ".join(f"{p:>6}" for p in PHASES) + "  SimPy-rest  total"
          "  | steps  1/100 market µs/step  fixed share")  # fmt: skip
    for dt, r in timed.items():
        phases = "  ".join(f"{r.phases[p]:6.3f}" for p in PHASES)
        rest = r.seconds - sum(r.phases.values())
        small = Kernel(tiny, dt, seed=1).run()
        per_step = small.seconds / len(small.steps)
        print(f"dt {dt:<20g} {phases}  {rest:10.3f}  {r.seconds:5.2f}  | {len(r.steps):5}  {1e6 * per_step:16.0f}"
              f"  {per_step * len(r.steps) / r.seconds:11.0%}   ({r.simpy_events:,} queue events)")  # fmt: skip


def accuracy(
    world: World, sc: cs.Scenario, dts: list[float], seeds: int, engine_seeds: int, base: int = 1000
) -> None:
    """The kernel's totals against the engine's, in standard errors of the difference of the means;
    then each dt against the smallest (the kernel alone: more seeds for the same time, a sharper view
    of what the step costs). The rows against the engine share the engine's sample."""
    engine = [run_engine(sc, 100 + k) for k in range(engine_seeds)]
    print(f"\nengine: {engine_seeds} replications ({sum(r.seconds for r in engine):.0f} s)")
    kernels = {dt: [Kernel(world, dt, seed=base * (i + 1) + k).run() for k in range(seeds)]
               for i, dt in enumerate(dts)}  # fmt: skip
    for dt, kernel in kernels.items():
        _compare(
            world, f"dt {dt:g} week: kernel {seeds} seeds vs engine {engine_seeds} seeds", kernel, engine
        )
    finest = min(dts)
    for dt, kernel in kernels.items():
        if dt != finest:
            _compare(
                world,
                f"dt {dt:g} week vs dt {finest:g} (kernel, {seeds} seeds each)",
                kernel,
                kernels[finest],
            )


def _compare(world: World, title: str, kernel: list[Result], other: list[Result]) -> None:
    names = world.outlets
    print(f"\n{title}")
    print(f"  {'quantity':<22} {'kernel':>12} {'other':>12} {'diff %':>8} {'z (SE)':>8}")
    for label in ("leads", "new_customers", "orders", "lapses", "active", "detractors", "revenue"):
        k, e = [getattr(r, label) for r in kernel], [getattr(r, label) for r in other]
        z, rel = _z(np.array(k), np.array(e))
        print(f"  {label:<22} {np.mean(k):>12,.0f} {np.mean(e):>12,.0f} {100 * rel:>8.2f} {z:>8.2f}")
    _vector("orders per outlet", names, [r.outlet_orders for r in kernel], [r.outlet_orders for r in other])
    partners = names[world.first_partner :]
    _vector(
        "stock-out weeks", partners, [r.stockout_weeks for r in kernel], [r.stockout_weeks for r in other]
    )


def _z(k: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(kernel mean − engine mean) / SE of the difference, and the relative difference; along axis 0."""
    se = np.sqrt(k.var(axis=0, ddof=1) / len(k) + e.var(axis=0, ddof=1) / len(e))
    diff = k.mean(axis=0) - e.mean(axis=0)
    return diff / np.where(se > 0, se, np.inf), diff / np.where(e.mean(axis=0) != 0, e.mean(axis=0), np.inf)


def _vector(label: str, names: list[str], kernel: list[np.ndarray], engine: list[np.ndarray]) -> None:
    k, e = np.array(kernel), np.array(engine)
    z, rel = _z(k, e)
    worst = int(np.argmax(np.abs(z)))
    print(f"  {label:<22} {k.sum(axis=1).mean():>12,.1f} {e.sum(axis=1).mean():>12,.1f} "
          f"{100 * (k.sum(axis=1).mean() / e.sum(axis=1).mean() - 1):>8.2f} "
          f"{_z(k.sum(axis=1), e.sum(axis=1))[0]:>8.2f}   (sum)")  # fmt: skip
    print(f"    per {len(names)}: RMS z {np.sqrt(np.mean(z**2)):.2f}, max |z| {abs(z[worst]):.2f} at {names[worst]} "
          f"(diff {100 * rel[worst]:+.1f}%), |z|>2: {int((np.abs(z) > 2).sum())}")  # fmt: skip
    print("    z: " + " ".join(f"{v:+.1f}" for v in z))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dts", default="0.05,0.1,1", help="step lengths in weeks, each dividing a week")
    parser.add_argument("--seeds", type=int, default=8, help="kernel replications per dt for the accuracy")
    parser.add_argument("--engine-seeds", type=int, default=6, help="engine replications for the accuracy")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (medians)")
    parser.add_argument("--seed-base", type=int, default=1000, help="the kernel's seeds: base·(i + 1) + k")
    parser.add_argument("--no-speed", action="store_true", help="only the accuracy")
    parser.add_argument("--no-accuracy", action="store_true", help="only the speed and the breakdown")
    parser.add_argument("--population", type=int, default=2_000_000)
    args = parser.parse_args()
    dts = [float(x) for x in args.dts.split(",")]
    sc = large_scenario(args.population)
    world = build_world(sc)
    if not args.no_speed:
        breakdown(world, speed(world, dts, sc, args.rounds))
    if not args.no_accuracy:
        accuracy(world, sc, dts, args.seeds, args.engine_seeds, args.seed_base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
