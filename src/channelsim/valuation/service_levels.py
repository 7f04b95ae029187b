"""Slow queues and stock-outs in expectation: the service levels at a plan's load, and the scenario
as they make it for the rest of the valuation.

At a plan's expected orders per outlet (averaged over the horizon's load profile), each queue
answers a share of its orders later than a segment expects (`channelsim.model.service.slow_share`)
and each stock is out a share of the time (`stockout_share`; a retailer's replenishment also waits
at its wholesaler while that is short, `supplier_wait`). Their effects, to first order:

- an outlet out of stock is out of the choice that share of the time: its weight is scaled by
  the share in stock (effort for a partner, affinity for a direct channel);
- a slow answer, or a usual outlet found out of stock, disappoints: the customer turns detractor,
  lapses `DETRACTOR_CHURN_MULTIPLIER` times faster and stops referring. `lifetime` follows a
  customer along the loyalty chain, outlet by outlet, to their expected lifetime and the part of
  it spent referring; the valuation carries them as the lapse rate with the same expected
  lifetime and word of mouth scaled by that part.

Loads depend on these effects (fewer orders reach a stock that is often out), so `forecast` finds
the levels as a fixed point (`settle`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from scipy.linalg import expm

from channelsim.model.satisfaction import DETRACTOR_CHURN_MULTIPLIER
from channelsim.model.service import NO_WAIT, Waits, slow_share, stockout_share, supplier_wait
from channelsim.scenario.channels import Fulfilment, Inventory
from channelsim.scenario.demand import Segment
from channelsim.scenario.schema import Scenario
from channelsim.valuation.loyalty_chain import Choice, choice
from channelsim.valuation.sellers import Seller, sellers

#: An outlet is never taken as out of stock all the time (its weight would be ln 0).
MOST_OUT = 0.999
Windows = tuple[np.ndarray, np.ndarray]  # remaining horizons τ and their weights (adding up to 1)

#: Points of the load profile the levels are averaged over (a subsample of the valuation's grid).
PROFILE_POINTS = 120


@dataclass(frozen=True)
class ServiceLevels:
    """The service levels of a plan and what they do, per seller and per segment."""

    stockout: dict[str, float] = field(default_factory=dict)  # seller id → share of time out of stock
    slow: dict[str, dict[str, float]] = field(default_factory=dict)  # seller → segment → share answered late
    weight: dict[str, dict[str, float]] = field(default_factory=dict)  # seller → segment → weight factor
    lapse: dict[str, float] = field(default_factory=dict)  # segment → lapse rate with the disappointed
    referring: dict[str, float] = field(default_factory=dict)  # segment → share of word of mouth left

    def distance(self, other: ServiceLevels) -> float:
        """The largest change of a level between two estimates (for the fixed point)."""
        gaps = [abs(v - other.stockout.get(k, 0.0)) for k, v in self.stockout.items()]
        gaps += [abs(v / other.lapse[k] - 1.0) if other.lapse.get(k) else 1.0
                 for k, v in self.lapse.items() if v > 0]  # fmt: skip
        return max(gaps, default=0.0)


def limits(sc: Scenario, seller: Seller) -> tuple[Fulfilment | None, Inventory | None]:
    """The seller's order queue and stock policy (a direct channel's or a partner's own)."""
    if seller.direct:
        channel = sc.channel(seller.id)
        return channel.fulfilment, channel.inventory
    partner = next(p for p in sc.partners if p.id == seller.id)
    return partner.fulfilment, partner.inventory


def has_limits(sc: Scenario) -> bool:
    """Whether any outlet has a finite queue or stock (else service is instant and stock never out)."""
    return any(c.fulfilment or c.inventory for c in sc.channels) or any(
        p.fulfilment or p.inventory for p in sc.partners
    )


def profile_points(profile: np.ndarray) -> np.ndarray:
    """The load profile (orders over their mean) at at most `PROFILE_POINTS` evenly spaced points."""
    if profile.size <= PROFILE_POINTS:
        return profile
    return profile[np.linspace(0, profile.size - 1, PROFILE_POINTS).round().astype(int)]


def _averaged(level: float, profile: np.ndarray, at: Callable[[float], float]) -> float:
    """An outlet's level averaged over the horizon, weighted by the orders of each moment."""
    shape = profile_points(profile)
    if shape.sum() <= 0:
        return at(level)
    return float((shape * np.array([at(level * x) for x in shape])).sum() / shape.sum())


class WholesaleWaits:
    """The wait at each wholesaler with stock, at each point of the load profile (its demand scaled
    as its retailers' is), worked out once for all its retailers."""

    def __init__(self, sc: Scenario, everyone: list[Seller], demand: np.ndarray) -> None:
        self.index = {x.id: j for j, x in enumerate(everyone)}
        self.sc, self.everyone, self.demand = sc, everyone, demand
        self._found: dict[tuple[int, float], Waits] = {}

    def at(self, seller: Seller, x: float) -> Waits:
        """What `seller`'s reorders wait at its wholesaler at load `x` (none: no wholesaler with stock)."""
        if seller.supplier is None:
            return NO_WAIT
        w = self.index[seller.supplier]
        key = (w, x)
        if key not in self._found:
            stock = limits(self.sc, self.everyone[w])[1]
            self._found[key] = NO_WAIT if stock is None else supplier_wait(
                float(self.demand[w]) * x, stock.reorder_point, stock.order_up_to, stock.lead_time_weeks
            )
        return self._found[key]


def _stockout_at(stock: Inventory, rate: float, seller: Seller, waits: WholesaleWaits, x: float) -> float:
    """The share of time out of stock at load `x` (demand `rate`·x), the seller's reorders waiting at
    its wholesaler what they wait there at that load (the two scale together)."""
    return stockout_share(
        rate * x, stock.reorder_point, stock.order_up_to, stock.lead_time_weeks, waits.at(seller, x)
    )


def stock_demand(
    sc: Scenario, everyone: list[Seller], orders: np.ndarray, earlier: ServiceLevels
) -> np.ndarray:
    """Units a week asked of each seller's stock while it has some: its own orders over its share of
    time in stock, and a unit for each order of its retailers (their reorders, which wait rather
    than leave when it is out)."""
    weeks = float(sc.horizon_weeks)
    own = np.array([float(orders[j]) / weeks / max(1.0 - earlier.stockout.get(x.id, 0.0), 1.0 - MOST_OUT)
                    for j, x in enumerate(everyone)])  # fmt: skip
    index = {x.id: j for j, x in enumerate(everyone)}
    for k, x in enumerate(everyone):
        if x.supplier is not None:
            own[index[x.supplier]] += float(orders[k]) / weeks
    return own


def _late_at(queue: Fulfilment, limit: float, rate: float) -> float:
    return slow_share(rate, queue.servers, queue.mean_service_weeks, limit)


def levels(sc: Scenario, served: Scenario, tiers: dict[str, str], orders: np.ndarray, profile: np.ndarray,
           spans: dict[str, Windows], earlier: ServiceLevels) -> ServiceLevels:  # fmt: skip
    """Service levels of `sc` at the `orders` per seller over the horizon that the forecast of
    `served` (the scenario as served at the `earlier` levels) gives: demand while in stock is the
    orders over the share of time in stock."""
    weeks = float(sc.horizon_weeks)
    stockout: dict[str, float] = {}
    slow: dict[str, dict[str, float]] = {}
    everyone = sellers(sc)
    demand = stock_demand(sc, everyone, orders, earlier)
    waits = WholesaleWaits(sc, everyone, demand)  # a retailer's reorders wait while its wholesaler is short
    for j, seller in enumerate(everyone):
        queue, stock = limits(sc, seller)
        per_week = float(orders[j]) / weeks
        if stock is not None:
            at = partial(_stockout_at, stock, float(demand[j]), seller, waits)
            stockout[seller.id] = min(MOST_OUT, _averaged(1.0, profile, at))
        if queue is not None:
            slow[seller.id] = {seg.id: _averaged(per_week, profile, partial(_late_at, queue, seg.service_expectation_weeks))
                               for seg in sc.segments}  # fmt: skip
    weight = availability(sc, tiers, stockout)
    found = ServiceLevels(stockout, slow, weight)
    lapse, referring = lapses(sc, as_served(sc, found), tiers, found, spans)
    return ServiceLevels(stockout, slow, weight, lapse, referring)


def occasions(sc: Scenario, seg: Segment) -> dict[str, float]:
    """A segment's regions and their shares of its people (uniform when not given)."""
    return seg.regions or {r: 1.0 / len(sc.regions) for r in sc.regions}


def availability(
    sc: Scenario, tiers: dict[str, str], stockout: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Per seller out of stock a share f of the time and per segment: the factor a on its logit weight
    that leaves it (1 − f) of the occasions it has in stock. With share P in stock, a·w/(a·w + W) =
    (1 − f)·P gives a = (1 − f)(1 − P)/(1 − P + f·P) (P: the loyalty chain's long-run share, over
    the segment's regions). A partner has one weight for all segments: theirs, by occasions."""
    everyone = sellers(sc)
    index = {s.id: j for j, s in enumerate(everyone)}
    out: dict[str, dict[str, float]] = {sid: {} for sid in stockout}
    for seg in sc.segments:
        share = dict.fromkeys(stockout, 0.0)
        for region, weight in occasions(sc, seg).items():
            ch = choice(sc, everyone, seg, region, tiers)
            pi = ch.stationary_all()
            for k, j in enumerate(ch.offered):
                if everyone[j].id in share:
                    share[everyone[j].id] += weight * float(pi[k])
        for sid, f in stockout.items():
            seller = everyone[index[sid]]
            p = share[sid] / (
                1.0
                if seller.direct
                else sum(w for r, w in occasions(sc, seg).items() if r in seller.regions) or 1.0
            )
            out[sid][seg.id] = (1.0 - f) * (1.0 - p) / (1.0 - p + f * p) if p < 1.0 else 1.0 - f
    return out


def lapses(sc: Scenario, served: Scenario, tiers: dict[str, str], found: ServiceLevels,
           spans: dict[str, Windows]) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
    """Per segment: the lapse rate and the share of word of mouth that carry the disappointed
    customers' lifetimes (`lifetime`, on the chains of the scenario as served, within the horizon
    left to them) into the valuation: the constant rate with the same time alive, less what the
    rivals take (the same chain never disappointed), and the share of that time spent referring."""
    everyone = sellers(served)
    rates, referring = {}, {}
    for seg, as_seen in zip(sc.segments, served.segments, strict=True):
        churn = max(seg.churn_per_week, 1e-6)  # no lapses: detractors still stop referring
        span, lived, never, before, total = spans[seg.id], 0.0, 0.0, 0.0, 0.0
        for region, weight in occasions(sc, seg).items():
            ch = choice(served, everyone, as_seen, region, tiers)
            if len(ch.offered) == 0 or weight <= 0.0:
                continue
            out, late = chances(found, everyone, ch, seg.id)
            life, refer = lifetime(ch, seg.purchases_per_week, churn, out, late, span)
            calm, _ = lifetime(ch, seg.purchases_per_week, churn, 0.0 * out, 0.0 * late, span)
            lived, never, before, total = (
                lived + weight * life,
                never + weight * calm,
                before + weight * refer,
                total + weight,
            )
        if total <= 0.0 or lived <= 0.0:
            rates[seg.id], referring[seg.id] = seg.churn_per_week, 1.0
            continue
        rivals = constant_rate(span, never / total) - churn
        rate = max(churn, constant_rate(span, lived / total) - rivals)
        rates[seg.id] = rate if seg.churn_per_week > 0 else 0.0
        referring[seg.id] = before / lived
    return rates, referring


def windows(sc: Scenario, grid: np.ndarray, arrivals: np.ndarray, bins: int = 6) -> dict[str, Windows]:
    """Per segment, the horizon left to its customers: the initial ones the whole horizon, a new one
    the horizon after it arrived (on the forecast's Bass path), in `bins` remaining times with weights."""
    horizon = float(sc.horizon_weeks)
    left = horizon - grid
    slot = np.minimum((left / horizon * bins).astype(int), bins - 1)  # which bin of remaining time
    out = {}
    for s, seg in enumerate(sc.segments):
        mass = arrivals[s] * float(grid[1] - grid[0])
        weights = np.bincount(slot, mass, bins)
        taus = np.divide(np.bincount(slot, mass * left, bins), weights, out=np.zeros(bins), where=weights > 0)
        taus, weights = np.append(taus, horizon), np.append(weights, float(seg.initial_customers))
        keep = weights > 0
        if not keep.any():
            taus, weights, keep = np.array([horizon]), np.array([1.0]), np.array([True])
        out[seg.id] = (taus[keep], weights[keep] / weights[keep].sum())
    return out


def chances(
    found: ServiceLevels, everyone: list[Seller], ch: Choice, segment: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per state of the loyalty chain (offered sellers, then the rivals): the chance it is out of stock
    at an occasion (its customer is disappointed) and the chance an order there is answered late."""
    ids = [everyone[j].id for j in ch.offered] + ([] if ch.rival is None else [""])
    out = np.array([found.stockout.get(i, 0.0) for i in ids])
    late = np.array([found.slow.get(i, {}).get(segment, 0.0) for i in ids])
    return out, late


def lifetime(ch: Choice, buy: float, churn: float, out: np.ndarray, late: np.ndarray,
             windows: Windows) -> tuple[float, float]:  # fmt: skip
    """(time alive, time before turning detractor) of a new customer of `ch` within the remaining
    horizons `windows` (each τ with its weight), averaged.

    States are (last seller, detractor or not); occasions come at `buy`, lapses at `churn` (×M for
    a detractor); an occasion moves along the loyalty chain (a rival occasion keeps them with
    `survival`) and disappoints if the last seller is out of stock or the order is late, with
    p_ik = 1 − (1 − out_i)(1 − late_k). With A the chain's rates out of each state less its moves
    (−A its generator), the time alive within τ from each state is A⁻¹(I − e^(−Aτ))·1. The first
    order is at the first-purchase shares among our sellers, and may itself be late."""
    m, keep = ch.transition(), ch.survival()
    n = len(keep)
    p = 1.0 - np.outer(1.0 - out, 1.0 - late)
    moves = buy * m * keep[None, :]
    c0, c1 = churn, DETRACTOR_CHURN_MULTIPLIER * churn
    a = np.zeros((2 * n, 2 * n))
    a[:n, :n] = np.eye(n) * (buy + c0) - moves * (1.0 - p)
    a[:n, n:] = -moves * p
    a[n:, n:] = np.eye(n) * (buy + c1) - moves
    first = ch.all_shares()[: len(ch.offered)]
    first = first / first.sum()
    start = np.concatenate([first * (1.0 - late[: len(first)]), np.zeros(n - len(first)),
                            first * late[: len(first)], np.zeros(n - len(first))])  # fmt: skip
    alive, referring = np.ones(2 * n), np.concatenate([np.ones(n), np.zeros(n)])
    # A = V·diag(λ)·V⁻¹, so A⁻¹(I − e^(−Aτ)) = V·diag((1 − e^(−λτ))/λ)·V⁻¹ for every τ at once
    taus, weights = windows
    ends = np.stack([alive, referring], axis=1)
    rates, vectors = np.linalg.eig(a)
    if np.linalg.cond(vectors) > 1e8:  # (nearly) defective: one matrix exponential per window
        within = np.array([start @ np.linalg.solve(a, ends - expm(-a * tau) @ ends) for tau in taus])
    else:
        left, right = start @ vectors, np.linalg.solve(vectors, ends)
        within = (-np.expm1(-np.outer(taus, rates)) / rates) @ (
            left[:, None] * right
        )  # [τ, (alive, referring)]
    lived, before = (weights @ within).real
    return float(lived), float(before)


def constant_rate(windows: Windows, lived: float) -> float:
    """The constant hazard r at which Σ_τ weight·(1 − e^(−rτ))/r, the time alive within the windows,
    is `lived` (bisection: it falls with r)."""
    taus, weights = windows
    low, high = 1e-9, 1e3
    for _ in range(80):
        mid = math.sqrt(low * high)
        value = float((weights * -np.expm1(-mid * taus)).sum() / mid)
        low, high = (mid, high) if value > lived else (low, mid)
    return math.sqrt(low * high)


def as_served(sc: Scenario, found: ServiceLevels) -> Scenario:
    """The scenario as the service levels make it: outlets' weights scaled by their availability,
    lapse rates and word of mouth of the disappointed (see the module)."""
    segments = []
    for seg in sc.segments:
        affinity = dict(seg.channel_affinity)
        for ch in sc.channels:
            if ch.id in found.weight:
                affinity[ch.id] = affinity.get(ch.id, 0.0) + math.log(found.weight[ch.id][seg.id])
        segments.append(seg.model_copy(update={
            "churn_per_week": found.lapse.get(seg.id, seg.churn_per_week),
            "imitation_per_week": seg.imitation_per_week * found.referring.get(seg.id, 1.0),
            "channel_affinity": affinity}))  # fmt: skip
    partners = [p.model_copy(update={"effort": p.effort * partner_weight(sc, found.weight[p.id], p.region)})
                if p.id in found.weight else p for p in sc.partners]  # fmt: skip
    return sc.model_copy(update={"segments": segments, "partners": partners})


def partner_weight(sc: Scenario, by_segment: dict[str, float], region: str) -> float:
    """A partner's one weight factor: its segments' factors by their people in its region."""
    people = {seg.id: seg.population * occasions(sc, seg).get(region, 0.0) * seg.purchases_per_week
              for seg in sc.segments}  # fmt: skip
    total = sum(people.values())
    if total <= 0.0:
        return sum(by_segment.values()) / max(1, len(by_segment))
    return sum(people[s] * a for s, a in by_segment.items()) / total
