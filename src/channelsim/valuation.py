"""Analytic expectations of the model (docs/model.md), the numbers the optimizer is built on.

Owns: the money of one order, logit channel shares (routes on the first purchase, the
loyalty chain on repeats), what a lead of each source is worth over the rest of the
horizon (orders per seller, new customers, contribution, revenue, including the word of
mouth of the customers it brings), the forecast of a whole plan, and expected diverted
orders, loyalty programmes (members buy more, lapse less, lean to the programme's channels,
cost points and a fee per member-week) and win-back reactivations. Under the model's
neutral conditions (instant service, stock, no conflict) these are the simulation's own
expectations (member outlets: the stationary shares of the member's loyalty chain);
otherwise first-order estimates.

Time runs on a grid of `STEP` weeks. A customer whose first purchase is at `t` buys again
at rate b and lapses at rate c: the k-th repeat happens iff the first k of the competing
events are purchases (probability (b/(b+c))^k) before the horizon (Gamma(k, b+c) < T−t).
The outlet of each repeat follows the loyalty Markov chain of the logit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.signal import lfilter
from scipy.special import gammainc

from channelsim.scenario.schema import Scenario

STEP = 0.25  # weeks between grid points of the lifetime integrals
METRICS = ("contribution", "revenue", "customers")  # the first outputs of a value vector


@dataclass(frozen=True)
class Seller:
    """One alternative of the channel choice: a direct channel or a partner."""

    id: str
    channel: str
    direct: bool
    regions: tuple[str, ...]
    price: float
    effort: float
    variable_cost: float
    margin: float  # the channel's partner_margin (partners only)
    home: str | None = None
    propensity: float = 0.0  # diversion intensity (0: never diverts)
    price_gap: float = 0.0


def sellers(sc: Scenario) -> list[Seller]:
    """Direct channels, then partners, in the simulation's order."""
    out = []
    for ch in sc.channels:
        if ch.type == "direct":
            out.append(Seller(ch.id, ch.id, True, tuple(sc.channel_regions(ch)), ch.price_index, 1.0,
                              ch.variable_cost, 0.0))  # fmt: skip
    for p in sc.partners:
        ch = sc.channel(p.channel)
        div = p.diversion
        out.append(Seller(p.id, ch.id, False, (p.region,), p.price_index or ch.price_index, p.effort, 0.0,
                          ch.partner_margin, p.region, div.propensity if div else 0.0,
                          div.price_gap if div else 0.0))  # fmt: skip
    return out


# -- incentive tiers --------------------------------------------------------------------
def incentive_of(sc: Scenario, partner_id: str) -> Any | None:
    """The incentive programme a partner is eligible for (the first of its channel), if any."""
    partner = next(p for p in sc.partners if p.id == partner_id)
    return next((i for i in sc.incentives if i.channel == partner.channel), None)


def baseline_tiers(sc: Scenario) -> dict[str, str]:
    """Partner id → tier level of the scenario as written (eligible partners only)."""
    out = {}
    for p in sc.partners:
        programme = incentive_of(sc, p.id)
        if programme is not None:
            out[p.id] = programme.current.get(p.id, programme.tiers[0].level)
    return out


def tier_terms(
    sc: Scenario, tiers: dict[str, str], partner_id: str, channel: str | None = None
) -> tuple[float, float, float]:
    """(rebate, effort_boost, cost_per_week) of a partner's tier; zeros without one.

    Give the partner's `channel` when known: it saves a search through the partners."""
    level = tiers.get(partner_id)
    if level is None:
        return 0.0, 0.0, 0.0
    if channel is not None:
        programme = next((i for i in sc.incentives if i.channel == channel), None)
    else:
        programme = incentive_of(sc, partner_id)
    if programme is None:
        return 0.0, 0.0, 0.0
    tier = programme.tier(level)
    return tier.rebate, tier.effort_boost, tier.cost_per_week


def incentive_cost(sc: Scenario, tiers: dict[str, str]) -> float:
    """Weekly cost of the tiers."""
    return sum(tier_terms(sc, tiers, pid)[2] for pid in tiers)


# -- one order --------------------------------------------------------------------------
def order_money(sc: Scenario, seller: Seller, segment: Any, rebate: float) -> tuple[float, float]:
    """(brand contribution, customer payment) of one order (the ledger's identity, SPEC §3)."""
    value = segment.order_value
    payment = value * seller.price
    if seller.direct:
        receipts, variable = payment, seller.variable_cost * payment
    else:
        receipts, variable = value * (1.0 - seller.margin) * (1.0 - rebate), 0.0
    return receipts - value * (1.0 - sc.gross_margin) - variable, payment


# -- channel choice ---------------------------------------------------------------------
def utility(seller: Seller, segment: Any, boost: float, route: dict[str, float] | None = None) -> float:
    """V_j without the loyalty term (docs/model.md "Channel choice")."""
    value = segment.channel_affinity.get(seller.channel, 0.0)
    if route:
        value += route.get(seller.channel, 0.0)
    return value - segment.price_sensitivity * (seller.price - 1.0) + math.log(seller.effort * (1.0 + boost))


@dataclass
class Choice:
    """The logit of one segment in one region: offered sellers (indices) and their weights."""

    offered: np.ndarray  # indices into `sellers`
    utilities: np.ndarray  # V_j without route and loyalty
    channels: list[str]
    loyalty_factor: float  # exp(loyalty) − 1

    def shares(self, route: dict[str, float] | None = None) -> np.ndarray:
        if len(self.offered) == 0:
            return np.zeros(0)
        v = self.utilities + (np.array([route.get(c, 0.0) for c in self.channels]) if route else 0.0)
        w = np.exp(v - v.max())
        return w / w.sum()

    def transition(self) -> np.ndarray:
        """M[i, j] = P(next outlet j | last i) with the loyalty bonus on i."""
        w = self.shares()
        f = self.loyalty_factor
        m = np.tile(w, (len(w), 1)) + np.diag(f * w)
        return m / m.sum(axis=1, keepdims=True)

    def stationary(self) -> np.ndarray:
        """The loyalty chain is reversible: π_i ∝ w_i·(W + f·w_i) (detailed balance)."""
        w = self.shares()
        pi = w * (1.0 + self.loyalty_factor * w)
        return pi / pi.sum() if len(pi) else pi


def choice(
    sc: Scenario, all_sellers: list[Seller], segment: Any, region: str, tiers: dict[str, str],
    extra: dict[int, float] | None = None, bonus: dict[str, float] | None = None,
) -> Choice:  # fmt: skip
    """Who a customer of `segment` in `region` chooses among; `extra` adds diverters (index → ln w),
    `bonus` a member's utility bonus per channel."""
    offered, values = [], []
    for j, s in enumerate(all_sellers):
        home = region in s.regions
        if home or (extra and j in extra):
            offered.append(j)
            boost = 0.0 if s.direct else tier_terms(sc, tiers, s.id, s.channel)[1]
            member = (bonus or {}).get(s.channel, 0.0)
            values.append(utility(s, segment, boost) + member + (0.0 if home else extra[j]))  # type: ignore[index]
    return Choice(np.array(offered, int), np.array(values, float), [all_sellers[j].channel for j in offered],
                  math.exp(segment.loyalty) - 1.0)  # fmt: skip


# -- the value of a customer and of a lead ------------------------------------------------
@dataclass
class Layout:
    """Output coordinates of a value vector: metrics, orders per seller, orders per (segment, region)."""

    n_sellers: int
    n_segments: int
    n_regions: int
    n_programmes: int = 0  # last: member-weeks of each loyalty programme (its cost driver)

    @property
    def size(self) -> int:
        return len(METRICS) + self.n_sellers + self.n_segments * self.n_regions + self.n_programmes

    def member(self, k: int) -> int:
        return len(METRICS) + self.n_sellers + self.n_segments * self.n_regions + k

    def seller(self, j: int) -> int:
        return len(METRICS) + j

    def cell(self, s: int, r: int) -> int:
        return len(METRICS) + self.n_sellers + s * self.n_regions + r


def repeat_weights(buy: float, churn: float, remaining: np.ndarray) -> np.ndarray:
    """W[i, k−1] = P(the k-th repeat purchase happens within `remaining[i]` weeks)."""
    rate = buy + churn
    if buy <= 0.0:
        return np.zeros((len(remaining), 0))
    p = buy / rate
    mean = rate * float(np.max(remaining, initial=0.0))
    top = mean + 10.0 * math.sqrt(mean) + 10.0
    k_max = int(min(top, math.log(1e-10) / math.log(p) if p < 1 else top)) + 1
    k = np.arange(1, k_max + 1)
    return p**k * gammainc(k[None, :], rate * np.maximum(remaining, 0.0)[:, None])


def _decay_integral(rate: float, remaining: np.ndarray) -> np.ndarray:
    """∫_0^τ e^(−rate·u) du = (1 − e^(−rate·τ)) / rate (τ when rate is 0; any sign of rate)."""
    if abs(rate) < 1e-12:
        return remaining.astype(float)
    return -np.expm1(-rate * remaining) / rate


def member_exposure(leave: float, member_churn: float, remaining: np.ndarray) -> np.ndarray:
    """Expected member-weeks within `remaining` of an active non-member who joins at rate 1.

    A non-member stays one at rate `leave` (lapse + joining any programme); once a member they
    lapse at `member_churn`: ∫_0^τ e^(−a·u) ∫_u^τ e^(−b·(s−u)) ds du
    = (I(a, τ) − e^(−b·τ)·I(a − b, τ)) / b with I the decay integral (b → 0: τ/a − I(a, τ)/a)."""
    remaining = np.maximum(remaining, 0.0)
    a, b = leave, member_churn
    if b < 1e-9:
        if a < 1e-12:
            return remaining**2 / 2.0
        return remaining / a - _decay_integral(a, remaining) / a
    return (_decay_integral(a, remaining) - np.exp(-b * remaining) * _decay_integral(a - b, remaining)) / b


def delay_convolve(values: np.ndarray, mean_delay: float, step: float) -> np.ndarray:
    """D(t) = ∫_0^(T−t) exp(−d/w)/w · X(t+d) dd on the grid (rows: time), trapezoid rule."""
    if mean_delay <= 0.0:
        return values.copy()
    lam = math.exp(-step / mean_delay)
    later = np.vstack([values[1:], np.zeros((1, values.shape[1]))])
    drive = (1.0 - lam) / 2.0 * (values + later)
    drive[-1] = 0.0  # nothing converts after the horizon
    out = lfilter([1.0], [1.0, -lam], drive[::-1], axis=0)[::-1]
    return np.asarray(out)


@dataclass
class SegmentValues:
    """Per segment, on the time grid: what a customer, a referred prospect and an initial customer bring."""

    first: dict[tuple, np.ndarray]  # route key → [grid, out]: a customer's own orders, by first-purchase time
    referral: np.ndarray  # [grid, out]: what the word of mouth of a customer active from t brings
    prospect: np.ndarray  # [grid, out]: a prospect with no route created at t
    initial: np.ndarray  # [out]: one customer active at week 0 (not new)
    reactivated: np.ndarray  # [grid, out]: a lapsed customer won back at t (a non-member again)


def running_programmes(sc: Scenario, programmes: dict[str, bool] | None = None) -> list[tuple[int, Any]]:
    """(index, programme) of the loyalty programmes running; `programmes` overrides their `active`."""
    flags = programmes or {}
    return [(k, p) for k, p in enumerate(sc.loyalty_programs) if flags.get(p.id, p.active)]


class Valuation:
    """Expected values of a scenario under given tiers and unaware fractions (a linear model in leads)."""

    def __init__(self, sc: Scenario, tiers: dict[str, str], unaware: np.ndarray | None = None,
                 programmes: dict[str, bool] | None = None) -> None:  # fmt: skip
        self.sc, self.tiers = sc, dict(tiers)
        self.sellers = sellers(sc)
        self.running = running_programmes(sc, programmes)
        self.layout = Layout(len(self.sellers), len(sc.segments), len(sc.regions), len(sc.loyalty_programs))
        self.horizon = float(sc.horizon_weeks)
        self.grid = np.linspace(0.0, self.horizon, math.ceil(self.horizon / STEP) + 1)
        self.step = float(self.grid[1] - self.grid[0])
        # fraction of each segment still unaware over time (word of mouth reaches only them)
        self.unaware = unaware if unaware is not None else np.ones((len(sc.segments), len(self.grid)))
        self._segments: dict[int, SegmentValues] = {}
        self._routes: dict[tuple, dict[str, float]] = {}

    # -- per order and per choice ---------------------------------------------------------
    def money(self, s: int) -> np.ndarray:
        """[seller, (contribution, payment)] for one order of segment `s`."""
        seg = self.sc.segments[s]
        return np.array([order_money(self.sc, x, seg, tier_terms(self.sc, self.tiers, x.id, x.channel)[0])
                         for x in self.sellers])  # fmt: skip

    def _project(self, s: int, r: int, ch: Choice, orders: np.ndarray, money: np.ndarray) -> np.ndarray:
        """Orders over the offered sellers (rows: time) as full output vectors."""
        out = np.zeros((orders.shape[0], self.layout.size))
        if len(ch.offered) == 0:
            return out
        out[:, 0] = orders @ money[ch.offered, 0]
        out[:, 1] = orders @ money[ch.offered, 1]
        out[:, self.layout.seller(0) + ch.offered] = orders
        out[:, self.layout.cell(s, r)] = orders.sum(axis=1)
        return out

    def _own_orders(self, ch: Choice, start: np.ndarray, weights: np.ndarray, new: bool) -> np.ndarray:
        """Orders per offered seller (rows: time). A new customer's first order is drawn from `start`
        and the k-th repeat from start·M^k; an initial customer's k-th purchase from start·M^(k−1)."""
        if len(ch.offered) == 0:
            return np.zeros((weights.shape[0], 0))
        chain, v, vectors = ch.transition(), start, []
        for _ in range(weights.shape[1]):
            if new:
                v = v @ chain
            vectors.append(v)
            if not new:
                v = v @ chain
        repeats = weights @ np.array(vectors) if vectors else np.zeros((weights.shape[0], len(start)))
        return (start[None, :] if new else 0.0) + repeats

    def _customer_orders(self, s: int, r: int, ch: Choice, start: np.ndarray, remaining: np.ndarray,
                         new: bool) -> np.ndarray:  # fmt: skip
        """[len(remaining), out]: an active non-member's orders within `remaining` weeks, with what
        they bring after joining a running programme. As a non-member the k-th repeat happens iff
        the first k of the events buy (r), lapse (d), join (Σ e_k) are purchases: `repeat_weights`
        with rate d + Σ e_k in place of d; the member part is `member_exposure`."""
        seg = self.sc.segments[s]
        joins = sum(p.enrolment_per_week for _, p in self.running)
        weights = repeat_weights(seg.purchases_per_week, seg.churn_per_week + joins, remaining)
        out = self._project(s, r, ch, self._own_orders(ch, start, weights, new), self.money(s))
        for k, prog in self.running:
            if prog.enrolment_per_week > 0:
                member_churn = seg.churn_per_week * prog.churn_multiplier
                weeks = member_exposure(seg.churn_per_week + joins, member_churn, remaining)
                out += self._member_orders(s, r, k, prog.enrolment_per_week * weeks)
        return out

    def _member_orders(self, s: int, r: int, k: int, weeks: np.ndarray) -> np.ndarray:
        """[len(weeks), out]: what `weeks` member-weeks of programme k bring: purchases at r·m_p, at the
        stationary shares of the member's loyalty chain (channel bonus on), points off the contribution."""
        seg, prog = self.sc.segments[s], self.sc.loyalty_programs[k]
        bonus = {c: prog.channel_bonus for c in prog.channels}
        ch = choice(self.sc, self.sellers, seg, self.sc.regions[r], self.tiers, bonus=bonus)
        money = self.money(s)
        money[:, 0] -= prog.points_cost * money[:, 1]
        rate = seg.purchases_per_week * prog.purchase_multiplier
        orders = (weeks * rate)[:, None] * ch.stationary()[None, :]
        out = self._project(s, r, ch, orders, money)
        out[:, self.layout.member(k)] = weeks
        return out

    def _active_from(self, s: int, remaining: np.ndarray) -> np.ndarray:
        """[len(remaining), out]: own orders of a customer active now who has not bought yet (an initial
        non-member, or one won back): the next purchase is a plain logit draw (no last outlet)."""
        out = np.zeros((len(remaining), self.layout.size))
        seg = self.sc.segments[s]
        for r, region in enumerate(self.sc.regions):
            ch = choice(self.sc, self.sellers, seg, region, self.tiers)
            share = self._region_shares(s)[r]
            if len(ch.offered) and share > 0:
                out += share * self._customer_orders(s, r, ch, ch.shares(), remaining, new=False)
        return out

    def _initial_members(self, s: int) -> tuple[np.ndarray, float]:
        """[out] of the initial customers who start as members (per initial customer), and the share
        that starts as non-members (the simulation's `initial_members`)."""
        seg, out, members = self.sc.segments[s], np.zeros(self.layout.size), 0.0
        horizon = np.array([self.horizon])
        for k, prog in self.running:
            share = min(prog.initial_members, 1.0 - members)
            members += share
            weeks = _decay_integral(seg.churn_per_week * prog.churn_multiplier, horizon)
            for r in range(len(self.sc.regions)):
                out += share * self._region_shares(s)[r] * self._member_orders(s, r, k, weeks)[0]
        return out, 1.0 - members

    def segment_values(self, s: int) -> SegmentValues:
        if s not in self._segments:
            self._segments[s] = self._solve_segment(s)
        return self._segments[s]

    def _region_shares(self, s: int) -> list[float]:
        seg = self.sc.segments[s]
        return [seg.regions.get(r, 0.0) for r in self.sc.regions]

    def _first_orders(self, s: int, route: dict[str, float] | None) -> np.ndarray:
        """[grid, out]: a customer of segment s whose first purchase (with `route`) is at t, own orders only."""
        seg, sc = self.sc.segments[s], self.sc
        out = np.zeros((len(self.grid), self.layout.size))
        for r, (region, share) in enumerate(zip(sc.regions, self._region_shares(s), strict=True)):
            if share <= 0:
                continue
            ch = choice(sc, self.sellers, seg, region, self.tiers)
            if len(ch.offered) == 0:
                continue  # nowhere to buy: the prospect never becomes a customer
            part = self._customer_orders(s, r, ch, ch.shares(route), self.horizon - self.grid, new=True)
            part[:, 2] = 1.0
            out += share * part
        return out

    def _solve_segment(self, s: int) -> SegmentValues:
        """Backward in time: word of mouth makes a customer's value depend on later prospects' values."""
        seg = self.sc.segments[s]
        own = self._first_orders(s, None)
        q, conv, churn, h = seg.imitation_per_week, seg.conversion, seg.churn_per_week, self.step
        lam = math.exp(-h / seg.consideration_weeks) if seg.consideration_weeks > 0 else 0.0
        gamma = (1.0 - lam) / 2.0 if seg.consideration_weeks > 0 else 1.0
        decay = math.exp(-churn * h)
        n = len(self.grid)
        ref, delayed, prospect = (np.zeros((n, self.layout.size)) for _ in range(3))
        u = self.unaware[s]
        for i in range(n - 2, -1, -1):
            # D_i = d0 + gamma·Ref_i; Ref_i = carried + kappa·D_i  (trapezoid, solved for Ref_i)
            later = own[i + 1] + ref[i + 1]
            d0 = lam * delayed[i + 1] + gamma * (own[i] + later) if lam else own[i]
            kappa = h / 2.0 * q * u[i] * conv
            carried = decay * ref[i + 1] + h / 2.0 * decay * q * u[i + 1] * prospect[i + 1]
            ref[i] = (carried + kappa * d0) / (1.0 - kappa * gamma)
            delayed[i] = d0 + gamma * ref[i]
            prospect[i] = conv * delayed[i]
        members, non_members = self._initial_members(s)
        initial = non_members * self._active_from(s, np.array([self.horizon]))[0] + members + ref[0]
        reactivated = self._active_from(s, self.horizon - self.grid) + ref
        return SegmentValues({(): own}, ref, prospect, initial, reactivated)

    def route_key(self, source: Any) -> tuple:
        key = tuple(sorted(source.routes_to.items()))
        self._routes[key] = dict(source.routes_to)
        return key

    def lead_value(self, source: Any, referrals: bool = True) -> np.ndarray:
        """[grid, out]: what a lead of `source` arriving at t brings over the rest of the horizon
        (`referrals` False: only the orders of the customers it brings, as the simulation attributes)."""
        key = self.route_key(source)
        total = np.zeros((len(self.grid), self.layout.size))
        for s, seg in enumerate(self.sc.segments):
            share = (source.segment_mix or {}).get(seg.id, 0.0)
            if share <= 0:
                continue
            values = self.segment_values(s)
            if key not in values.first:
                values.first[key] = self._first_orders(s, self._routes[key])
            customer = values.first[key] + values.referral if referrals else values.first[key]
            total += share * seg.conversion * delay_convolve(customer, seg.consideration_weeks, self.step)
        return total

    def weekly(self, curve: np.ndarray) -> np.ndarray:
        """Values at the middle of each week: [week, out]."""
        mids = np.arange(int(self.horizon)) + 0.5
        return np.stack([np.interp(mids, self.grid, curve[:, k]) for k in range(curve.shape[1])], axis=1)

    def organic(self) -> np.ndarray:
        """[out]: initial customers (their orders and referrals) and Bass innovation prospects."""
        total = np.zeros(self.layout.size)
        for s, seg in enumerate(self.sc.segments):
            values = self.segment_values(s)
            total += seg.initial_customers * values.initial
            flow = seg.innovation_per_week * seg.population * self.unaware[s]
            total += np.trapezoid(flow[:, None] * values.prospect, self.grid, axis=0)
        return total


# -- a plan's forecast --------------------------------------------------------------------
def effective_spend(source: Any, weekly_spend: list[float]) -> np.ndarray:
    """Adstock e_t = a·e_(t−1) + (1 − a)·x_t, started from the baseline spend (as the simulation)."""
    level, out = source.spend_per_week, []
    for spend in weekly_spend:
        level = source.adstock * level + (1.0 - source.adstock) * spend
        out.append(level)
    return np.array(out)


def unaware_path(sc: Scenario, leads: dict[str, np.ndarray], grid: np.ndarray) -> np.ndarray:
    """Mean-field Bass with paid leads: fraction unaware per segment over the grid (for word of mouth)."""
    out = np.ones((len(sc.segments), len(grid)))
    step = grid[1] - grid[0]
    for s, seg in enumerate(sc.segments):
        n = float(seg.population)
        unaware, active = n - seg.initial_customers, float(seg.initial_customers)
        for i, t in enumerate(grid):
            out[s, i] = max(unaware, 0.0) / n
            week = min(int(t), sc.horizon_weeks - 1)
            paid = sum(leads[src.id][week] * (src.segment_mix or {}).get(seg.id, 0.0) for src in sc.sources)
            awaken = min((seg.innovation_per_week + seg.imitation_per_week * active / n) * unaware + paid,
                         max(unaware, 0.0) / step)  # fmt: skip
            unaware -= awaken * step
            active += (seg.conversion * awaken - seg.churn_per_week * active) * step
    return out


@dataclass
class Forecast:
    """Expected totals of a plan over the horizon (analytic)."""

    totals: np.ndarray  # output vector (see Layout)
    layout: Layout
    leads: dict[str, np.ndarray]  # source → expected leads per week
    marketing: float  # over the horizon: media cost (rate card) + setup costs + win-back
    incentives: float  # over the horizon
    fixed: float  # over the horizon
    per_lead: dict[str, np.ndarray] = field(default_factory=dict)  # source → [week, out]
    diverted_per_week: float = 0.0  # expected diverted orders per week
    crm: float = 0.0  # over the horizon: member-weeks × cost per member-week (points are in contribution)
    per_reactivation: np.ndarray | None = None  # [week, out]: a lapsed customer won back in that week
    reactivations: np.ndarray | None = None  # win-back reactivations per week

    @property
    def contribution(self) -> float:
        return float(self.totals[0])

    @property
    def revenue(self) -> float:
        return float(self.totals[1])

    @property
    def customers(self) -> float:
        return float(self.totals[2])

    @property
    def profit(self) -> float:
        return self.contribution - self.marketing - self.incentives - self.fixed - self.crm

    def metric(self, name: str) -> float:
        if name == "roas":
            return self.revenue / self.marketing if self.marketing else math.inf
        return float(getattr(self, name))


def lapsed_mix(sc: Scenario, totals: np.ndarray, layout: Layout) -> np.ndarray:
    """Share of each segment among lapsed customers (whom win-back draws from at random): lapses
    ≈ active customer-weeks × churn, and customer-weeks ≈ orders / purchase rate."""
    lapses = np.zeros(len(sc.segments))
    for s, seg in enumerate(sc.segments):
        orders = sum(float(totals[layout.cell(s, r)]) for r in range(len(sc.regions)))
        if seg.purchases_per_week > 0:
            lapses[s] = orders * seg.churn_per_week / seg.purchases_per_week
    if lapses.sum() <= 0:
        lapses = np.array([float(seg.population) for seg in sc.segments])
    return lapses / lapses.sum()


def winback_weekly(sc: Scenario, winback: list[float] | None) -> list[float]:
    """Win-back spend per week: as given, else the scenario's (none without a `winback` section)."""
    if sc.winback is None:
        return [0.0] * sc.horizon_weeks
    return list(winback) if winback is not None else [sc.winback.spend_per_week] * sc.horizon_weeks


def reactivation_value(sc: Scenario, val: Valuation, totals: np.ndarray) -> np.ndarray:
    """[week, out]: what one lapsed customer won back in each week brings over the rest of the horizon."""
    mix = lapsed_mix(sc, totals, val.layout)
    curve = sum(mix[s] * val.segment_values(s).reactivated for s in range(len(sc.segments)))
    return val.weekly(np.asarray(curve))


def member_cost(sc: Scenario, totals: np.ndarray, layout: Layout) -> float:
    """Member-weeks of each programme × its cost per member-week, over the horizon."""
    return sum(p.cost_per_member_per_week * float(totals[layout.member(k)])
               for k, p in enumerate(sc.loyalty_programs))  # fmt: skip


def forecast(
    sc: Scenario,
    spend: dict[str, list[float]],
    tiers: dict[str, str],
    calibration: dict[str, float] | None = None,
    programmes: dict[str, bool] | None = None,
    winback: list[float] | None = None,
) -> Forecast:
    """The analytic expectation of a plan: weekly spend per source (one value per week), tiers,
    which loyalty programmes run (default: their `active`) and win-back spend per week (default:
    the scenario's). `calibration` scales what a lead of a source brings (see `calibration`)."""
    weeks = sc.horizon_weeks
    leads = {src.id: np.array([src.response.leads(e) for e in effective_spend(src, spend[src.id])])
             for src in sc.sources}  # fmt: skip
    probe = Valuation(sc, tiers)
    val = Valuation(sc, tiers, unaware_path(sc, leads, probe.grid), programmes)
    totals = val.organic()
    per_lead = {}
    for src in sc.sources:
        per_lead[src.id] = val.weekly(val.lead_value(src)) * (calibration or {}).get(src.id, 1.0)
        totals = totals + leads[src.id] @ per_lead[src.id]
    marketing = sum(
        src.media_cost(x) + (src.setup_cost_per_week if x > 0 else 0.0)
        for src in sc.sources
        for x in spend[src.id]
    )
    rescue = winback_weekly(sc, winback)
    reactivations = np.array([sc.winback.response.leads(x) if sc.winback else 0.0 for x in rescue])
    per_reactivation = reactivation_value(sc, val, totals)
    totals = totals + reactivations @ per_reactivation
    marketing += sum(rescue)
    fixed = sum(c.fixed_cost_per_week for c in sc.channels) * weeks
    diverted = diversion_totals(sc, tiers, totals, val.layout)
    totals = totals.copy()
    totals[:2] += weeks * diverted[1:]
    return Forecast(totals, val.layout, leads, marketing, incentive_cost(sc, tiers) * weeks, fixed, per_lead,
                    float(diverted[0]), member_cost(sc, totals, val.layout), per_reactivation,
                    reactivations)  # fmt: skip


# -- diversion ------------------------------------------------------------------------------
def diversion_weight(
    sc: Scenario, all_sellers: list[Seller], i: int, region: str, tiers: dict[str, str]
) -> float:
    """w_i,r of docs/model.md "Cross-territory diversion" (0: partner i does not divert into r)."""
    div = all_sellers[i]
    if div.direct or div.propensity <= 0 or region == div.home:
        return 0.0
    victims = [x for x in all_sellers if not x.direct and x.channel == div.channel and x.home == region]
    if not victims:
        return 0.0

    def unit_cost(x: Seller) -> float:
        return (1.0 - x.margin) * (1.0 - tier_terms(sc, tiers, x.id, x.channel)[0])

    gap = max((unit_cost(j) - unit_cost(div)) + (j.price - div.price) for j in victims)
    if gap <= div.price_gap:
        return 0.0
    if div.price_gap == 0:
        return div.propensity
    return div.propensity * min(1.0, (gap - div.price_gap) / div.price_gap)


def diverting_share(conflict: Any) -> float:
    """Share of weeks a diverter is not under penalty: 1 / (1 + e·P) (docs/model.md)."""
    return 1.0 / (1.0 + conflict.enforcement_per_week * math.ceil(conflict.penalty_weeks))


def diversion_effect(
    sc: Scenario, i: int, region: str, tiers: dict[str, str], orders_per_week: dict[str, float],
    all_sellers: list[Seller] | None = None,
) -> tuple[float, float, float]:  # fmt: skip
    """Expected (diverted orders, change in contribution, change in revenue) per week from partner
    `i` selling into `region`, over the weeks it is not under penalty.

    `orders_per_week` maps segment id → orders per week of that segment's customers in `region`.
    """
    all_sellers = all_sellers or sellers(sc)
    weight = diversion_weight(sc, all_sellers, i, region, tiers)
    if weight <= 0:
        return 0.0, 0.0, 0.0
    orders = contribution = revenue = 0.0
    for seg in sc.segments:
        volume = orders_per_week.get(seg.id, 0.0)
        if volume <= 0:
            continue
        money = np.array(
            [order_money(sc, x, seg, tier_terms(sc, tiers, x.id, x.channel)[0]) for x in all_sellers]
        )
        home = choice(sc, all_sellers, seg, region, tiers)
        with_i = choice(sc, all_sellers, seg, region, tiers, extra={i: math.log(weight)})
        before, after = home.shares(), with_i.shares()
        orders += volume * float(after[list(with_i.offered).index(i)])
        delta = after @ money[with_i.offered] - before @ money[home.offered]  # (contribution, revenue)
        contribution += volume * float(delta[0])
        revenue += volume * float(delta[1])
    share = diverting_share(sc.conflict)
    return orders * share, contribution * share, revenue * share


def diverted_orders(
    sc: Scenario, i: int, region: str, tiers: dict[str, str], orders_per_week: dict[str, float]
) -> float:
    """Expected orders per week partner `i` diverts into `region`:
    Σ_segments (orders per week in `region`) × (logit share of i there) × 1/(1 + e·P)."""
    return diversion_effect(sc, i, region, tiers, orders_per_week)[0]


def diversion_totals(sc: Scenario, tiers: dict[str, str], totals: np.ndarray, layout: Layout) -> np.ndarray:
    """(diverted orders, Δ contribution, Δ revenue) per week over every diverter and region, with the
    orders per week of each region's customers taken from the output vector `totals`."""
    out, all_sellers = np.zeros(3), sellers(sc)
    for i, seller in enumerate(all_sellers):
        if seller.direct or seller.propensity <= 0:
            continue
        for r, region in enumerate(sc.regions):
            per_week = {seg.id: float(totals[layout.cell(s, r)]) / sc.horizon_weeks
                        for s, seg in enumerate(sc.segments)}  # fmt: skip
            out += np.array(diversion_effect(sc, i, region, tiers, per_week, all_sellers))
    return out


def calibration(sc: Scenario, attributed: dict[str, dict[str, float]]) -> dict[str, float]:
    """Per source: measured ÷ analytic contribution attributed to its leads at the scenario's plan.

    `attributed` maps source id → {"leads", "attributed_contribution"} (simulated totals, e.g. the
    means of `summary.json`'s `by_source`). Sources without leads keep 1."""
    weekly = {src.id: [src.spend_per_week] * sc.horizon_weeks for src in sc.sources}
    tiers = baseline_tiers(sc)
    leads = {src.id: np.array([src.response.leads(e) for e in effective_spend(src, weekly[src.id])])
             for src in sc.sources}  # fmt: skip
    val = Valuation(sc, tiers, unaware_path(sc, leads, Valuation(sc, tiers).grid))
    out = {}
    for src in sc.sources:
        own = val.weekly(val.lead_value(src, referrals=False))[:, 0]
        expected = float(leads[src.id] @ own)
        measured = attributed.get(src.id, {})
        ok = expected > 0 and measured.get("leads", 0) > 0
        out[src.id] = measured["attributed_contribution"] / expected if ok else 1.0
    return out
