"""What a customer and a lead are worth over the rest of the horizon (a linear model in leads).

Per segment, on a time grid of `STEP` weeks, backward in time: a customer's own orders (the
first at the route's shares, repeats along the loyalty chain, with what they bring after
joining a running loyalty programme), the word of mouth of the customers they bring (it
reaches only the unaware: the Bass path of `forecast`) and the value of a prospect. A lead
of a source converts after the consideration delay into a customer of the source's segment
mix. Under the model's neutral conditions (instant service, stock, no conflict) these are the
simulation's own expectations; otherwise first-order estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from channelsim.model.clv import customer_equity
from channelsim.model.satisfaction import PROMOTER_REFERRAL_WEIGHT
from channelsim.scenario.crm import LoyaltyProgram
from channelsim.scenario.demand import Source
from channelsim.scenario.schema import Scenario
from channelsim.valuation.loyalty_chain import Choice, choice
from channelsim.valuation.sellers import seller_money, sellers
from channelsim.valuation.timing import decay_integral, delay_convolve, member_exposure, repeat_weights

STEP = 0.25  # weeks between grid points of the lifetime integrals
METRICS = ("contribution", "revenue", "customers")  # the first outputs of a value vector
RouteKey = tuple[tuple[str, float], ...]  # a source's routes_to, as a hashable key


@dataclass
class Layout:
    """Output coordinates of a value vector: metrics, orders per seller, orders per (segment, region),
    member-weeks per programme, then per (segment, region) the rivals' orders, the customers still
    active at the horizon and their customer equity."""

    n_sellers: int
    n_segments: int
    n_regions: int
    n_programmes: int = 0  # member-weeks of each loyalty programme (its cost driver)

    @property
    def cells(self) -> int:
        return self.n_segments * self.n_regions

    @property
    def size(self) -> int:
        return len(METRICS) + self.n_sellers + self.cells + self.n_programmes + 3 * self.cells

    def rival_cell(self, s: int, r: int) -> int:
        return len(METRICS) + self.n_sellers + self.cells + self.n_programmes + s * self.n_regions + r

    def active_cell(self, s: int, r: int) -> int:
        return self.rival_cell(s, r) + self.cells

    def equity_cell(self, s: int, r: int) -> int:
        return self.active_cell(s, r) + self.cells

    def member(self, k: int) -> int:
        return len(METRICS) + self.n_sellers + self.n_segments * self.n_regions + k

    def seller(self, j: int) -> int:
        return len(METRICS) + j

    def cell(self, s: int, r: int) -> int:
        return len(METRICS) + self.n_sellers + s * self.n_regions + r


@dataclass
class SegmentValues:
    """Per segment, on the time grid: what a customer, a referred prospect and an initial customer bring."""

    first: dict[
        RouteKey, np.ndarray
    ]  # route key → [grid, out]: a customer's own orders, by first-purchase time
    referral: np.ndarray  # [grid, out]: what the word of mouth of a customer active from t brings
    prospect: np.ndarray  # [grid, out]: a prospect with no route created at t
    initial: np.ndarray  # [out]: one customer active at week 0 (not new)
    reactivated: np.ndarray  # [grid, out]: a lapsed customer won back at t (a non-member again)


def running_programmes(
    sc: Scenario, programmes: dict[str, bool] | None = None
) -> list[tuple[int, LoyaltyProgram]]:
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
        self._routes: dict[RouteKey, dict[str, float]] = {}
        self._first_cache: dict[tuple[int, int, RouteKey], np.ndarray] = {}  # see `_first_in`
        self._partner_cache: dict[tuple[int, int, int], np.ndarray] = {}  # see `_partner_own`

    # -- per order and per choice ---------------------------------------------------------
    def money(self, s: int) -> np.ndarray:
        """[seller, (contribution, payment)] for one order of segment `s`."""
        return self._money(s, 0.0)

    def _money(self, s: int, points_cost: float) -> np.ndarray:
        seg = self.sc.segments[s]
        return np.array([seller_money(self.sc, x, seg, self.tiers, points_cost)
                         for x in self.sellers])  # fmt: skip

    def _project(self, s: int, r: int, ch: Choice, orders: np.ndarray, money: np.ndarray,
                 rivals: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        """Orders over the offered sellers (rows: time), and the rivals' orders, as full output vectors."""
        out = np.zeros((orders.shape[0], self.layout.size))
        if rivals is not None:
            out[:, self.layout.rival_cell(s, r)] = rivals
        if len(ch.offered) == 0:
            return out
        out[:, 0] = orders @ money[ch.offered, 0]
        out[:, 1] = orders @ money[ch.offered, 1]
        out[:, self.layout.seller(0) + ch.offered] = orders
        out[:, self.layout.cell(s, r)] = orders.sum(axis=1)
        return out

    def _own_orders(
        self, ch: Choice, start: np.ndarray, weights: np.ndarray, new: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Orders per offered seller (rows: time), and the rivals' orders (None without rivals). A new
        customer's first order is drawn from `start` and the k-th repeat from start·M^k; an initial
        customer's k-th purchase from start·M^(k−1). With rivals the chain has a rival state, and a
        customer survives an occasion there with `switch`'s complement (`Choice.survival`)."""
        if ch.rival is not None:
            return self._open_orders(ch, start, weights, new)
        if len(ch.offered) == 0:
            return np.zeros((weights.shape[0], 0)), None
        chain, v, vectors = ch.transition(), start, []
        for _ in range(weights.shape[1]):
            if new:
                v = v @ chain
            vectors.append(v)
            if not new:
                v = v @ chain
        repeats = weights @ np.array(vectors) if vectors else np.zeros((weights.shape[0], len(start)))
        return (start[None, :] if new else 0.0) + repeats, None

    def _open_orders(
        self, ch: Choice, start: np.ndarray, weights: np.ndarray, new: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """`_own_orders` with rivals: `start` is over our sellers (new: the first order, ours by
        definition) or over every state, rivals last (not new: the next occasion's outcome)."""
        n, chain, keep = len(ch.offered), ch.transition(), ch.survival()
        u = (np.append(start, 0.0) * keep) @ chain if new else start
        vectors = []
        for _ in range(weights.shape[1]):
            vectors.append(u)
            u = (u * keep) @ chain
        occasions = weights @ np.array(vectors) if vectors else np.zeros((weights.shape[0], n + 1))
        ours = occasions[:, :n] + (start[None, :] if new else 0.0)
        return ours, occasions[:, n]

    def _customer_orders(self, s: int, r: int, ch: Choice, start: np.ndarray, remaining: np.ndarray,
                         new: bool) -> np.ndarray:  # fmt: skip
        """[len(remaining), out]: an active non-member's orders within `remaining` weeks, with what
        they bring after joining a running programme. As a non-member the k-th repeat happens iff
        the first k of the events buy (r), lapse (d), join (Σ e_k) are purchases: `repeat_weights`
        with rate d + Σ e_k in place of d; the member part is `member_exposure`. With rivals, a new
        customer exists with the probability `start` adds up to (1 − P_0 of the first occasion), and
        defection adds the hazard b·π_0·s to the lapses (first order: at the chain's long-run π_0)."""
        mass = float(start.sum()) if new and ch.rival is not None else 1.0
        if mass <= 0.0:
            return np.zeros((len(remaining), self.layout.size))
        if mass != 1.0:
            start = start / mass
        seg = self.sc.segments[s]
        joins = sum(p.enrolment_per_week for _, p in self.running)
        weights = repeat_weights(seg.purchases_per_week, seg.churn_per_week + joins, remaining)
        orders, rivals = self._own_orders(ch, start, weights, new)
        out = self._project(s, r, ch, orders, self.money(s), rivals)
        defect = seg.purchases_per_week * ch.rival_stationary() * ch.switch
        active, equity = self._at_horizon(s, ch, start, remaining, new, seg.churn_per_week + joins)
        out[:, self.layout.active_cell(s, r)] = active
        out[:, self.layout.equity_cell(s, r)] = equity
        for k, prog in self.running:
            if prog.enrolment_per_week > 0:
                member_churn = self._member_hazard(s, r, k)
                leave = seg.churn_per_week + joins + defect
                weeks = member_exposure(leave, member_churn, remaining)
                out += self._member_orders(s, r, k, prog.enrolment_per_week * weeks)
                # members at the horizon: joined at u, still there: e·∫ e^(−a·u)·e^(−b·(τ−u)) du
                tau = np.maximum(remaining, 0.0)
                members = (
                    prog.enrolment_per_week
                    * np.exp(-member_churn * tau)
                    * decay_integral(leave - member_churn, tau)
                )
                out[:, self.layout.active_cell(s, r)] += members
                out[:, self.layout.equity_cell(s, r)] += members * self._member_equity(s, r, k)
        return out * mass if mass != 1.0 else out

    def _member_hazard(self, s: int, r: int, k: int) -> float:
        """A member's hazard of leaving: lapses at d·m_c and, with rivals, defection at b·m_p·π_0·s."""
        seg, prog = self.sc.segments[s], self.sc.loyalty_programs[k]
        churn = seg.churn_per_week * prog.churn_multiplier
        if seg.competition is None:
            return churn
        ch = self._member_choice(s, r, k)
        return churn + seg.purchases_per_week * prog.purchase_multiplier * ch.rival_stationary() * ch.switch

    def _member_choice(self, s: int, r: int, k: int) -> Choice:
        prog = self.sc.loyalty_programs[k]
        bonus = {c: prog.channel_bonus for c in prog.channels}
        return choice(self.sc, self.sellers, self.sc.segments[s], self.sc.regions[r], self.tiers, bonus=bonus)

    def _member_orders(self, s: int, r: int, k: int, weeks: np.ndarray) -> np.ndarray:
        """[len(weeks), out]: what `weeks` member-weeks of programme k bring: purchases at r·m_p, at the
        stationary shares of the member's loyalty chain (channel bonus on), points off the contribution."""
        seg, prog = self.sc.segments[s], self.sc.loyalty_programs[k]
        ch = self._member_choice(s, r, k)
        money = self._money(s, prog.points_cost)
        rate = seg.purchases_per_week * prog.purchase_multiplier
        orders = (weeks * rate)[:, None] * ch.stationary()[None, :]
        rivals = weeks * rate * ch.rival_stationary() if ch.rival is not None else None
        out = self._project(s, r, ch, orders, money, rivals)
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
            if (len(ch.offered) or ch.rival is not None) and share > 0:
                out += share * self._customer_orders(s, r, ch, ch.all_shares(), remaining, new=False)
        return out

    def _initial_members(self, s: int) -> tuple[np.ndarray, float]:
        """[out] of the initial customers who start as members (per initial customer), and the share
        that starts as non-members (the simulation's `initial_members`)."""
        out, members = np.zeros(self.layout.size), 0.0
        horizon = np.array([self.horizon])
        for k, prog in self.running:
            share = min(prog.initial_members, 1.0 - members)
            members += share
            for r in range(len(self.sc.regions)):
                hazard = self._member_hazard(s, r, k)
                part = self._member_orders(s, r, k, decay_integral(hazard, horizon))[0]
                part[self.layout.active_cell(s, r)] = math.exp(-hazard * self.horizon)
                part[self.layout.equity_cell(s, r)] = math.exp(-hazard * self.horizon) * self._member_equity(
                    s, r, k
                )
                out += share * self._region_shares(s)[r] * part
        return out, 1.0 - members

    def segment_values(self, s: int) -> SegmentValues:
        if s not in self._segments:
            self._segments[s] = self._solve_segment(s)
        return self._segments[s]

    def _region_shares(self, s: int) -> list[float]:
        seg = self.sc.segments[s]
        # loading fills a segment's missing `regions` with uniform shares (scenario.defaults)
        assert seg.regions is not None
        return [seg.regions.get(r, 0.0) for r in self.sc.regions]

    def _first_orders(self, s: int, route: dict[str, float] | None, home: str | None = None) -> np.ndarray:
        """[grid, out]: a customer of segment s whose first purchase (with `route`) is at t, own orders
        only; of the segment's regions by their shares, or of region `home` alone."""
        seg, sc = self.sc.segments[s], self.sc
        out = np.zeros((len(self.grid), self.layout.size))
        shares = self._region_shares(s) if home is None else [float(r == home) for r in sc.regions]
        for r, (region, share) in enumerate(zip(sc.regions, shares, strict=True)):
            if share <= 0:
                continue
            ch = choice(sc, self.sellers, seg, region, self.tiers)
            if len(ch.offered) == 0:
                continue  # nowhere to buy: the prospect never becomes a customer
            out += share * self._first_in(s, r, ch, route)
        return out

    def _first_in(self, s: int, r: int, ch: Choice, route: dict[str, float] | None) -> np.ndarray:
        """`_first_orders` in region r alone (kept: a lead's value and a prospect considering share it)."""
        key = (s, r, tuple(sorted((route or {}).items())))
        if key not in self._first_cache:
            start = ch.shares(route)
            part = self._customer_orders(s, r, ch, start, self.horizon - self.grid, new=True)
            part[:, 2] = 1.0 if ch.rival is None else float(start.sum())  # new customers: 1 − P_0
            self._first_cache[key] = part
        return self._first_cache[key]

    def _partner_own(self, s: int, r: int, ch: Choice, j: int) -> np.ndarray:
        """[grid, out]: the own orders of partner j's prospect whose first purchase, at the partner, is at t."""
        key = (s, r, j)
        if key not in self._partner_cache:
            own = self._customer_orders(
                s, r, ch, (ch.offered == j).astype(float), self.horizon - self.grid, new=True
            )
            own[:, 2] = 1.0
            self._partner_cache[key] = own
        return self._partner_cache[key]

    def _solve_segment(self, s: int) -> SegmentValues:
        """Backward in time: word of mouth makes a customer's value depend on later prospects' values."""
        seg = self.sc.segments[s]
        own = self._first_orders(s, None)
        q, conv, churn, h = seg.imitation_per_week, seg.conversion, seg.churn_per_week, self.step
        lam = math.exp(-h / seg.consideration_weeks) if seg.consideration_weeks > 0 else 0.0
        gamma = (1.0 - lam) / 2.0 if seg.consideration_weeks > 0 else 1.0
        decay = math.exp(-(churn + self.defection(s)) * h)
        n = len(self.grid)
        ref, delayed, prospect = (np.zeros((n, self.layout.size)) for _ in range(3))
        u = self.unaware[s]
        # a referred prospect refers in turn only once a customer: with rivals, won = 1 − P_0
        won = 1.0 - self.first_rival_share(s)
        if self.promoting_members(s):
            return self._solve_with_members(s, own, won)
        for i in range(n - 2, -1, -1):
            # D_i = d0 + gamma·won·Ref_i; Ref_i = carried + kappa·D_i  (trapezoid, solved for Ref_i)
            later = own[i + 1] + won * ref[i + 1]
            d0 = lam * delayed[i + 1] + gamma * (own[i] + later) if lam else own[i]
            kappa = h / 2.0 * q * u[i] * conv
            carried = decay * ref[i + 1] + h / 2.0 * decay * q * u[i + 1] * prospect[i + 1]
            ref[i] = (carried + kappa * d0) / (1.0 - kappa * gamma * won)
            delayed[i] = d0 + gamma * won * ref[i]
            prospect[i] = conv * delayed[i]
        members, non_members = self._initial_members(s)
        initial = non_members * self._active_from(s, np.array([self.horizon]))[0] + members + ref[0]
        reactivated = self._active_from(s, self.horizon - self.grid) + ref
        return SegmentValues({(): own}, ref, prospect, initial, reactivated)

    def promoting_members(self, s: int) -> bool:
        """Whether segment s has members (who are promoters: they refer twice, `model.satisfaction`)."""
        return self.sc.segments[s].imitation_per_week > 0 and any(
            p.enrolment_per_week > 0 or p.initial_members > 0 for _, p in self.running
        )

    def member_hazards(self, s: int) -> dict[int, float]:
        """Per running programme k: a member's hazard of leaving, over the segment's regions."""
        shares = self._region_shares(s)
        return {k: sum(w * self._member_hazard(s, r, k) for r, w in enumerate(shares) if w > 0)
                for k, _ in self.running}  # fmt: skip

    def initial_member_shares(self, s: int) -> dict[int, float]:
        """Per running programme: the share of the initial customers who start as its members."""
        out, taken = {}, 0.0
        for k, prog in self.running:
            out[k] = min(prog.initial_members, 1.0 - taken)
            taken += out[k]
        return out

    def _solve_with_members(self, s: int, own: np.ndarray, won: float) -> SegmentValues:
        """`_solve_segment` with members referring too. A non-member refers at weight 1 until they lapse,
        defect or join (rate Σe); a member of programme k is a promoter (weight W) until they leave at
        its hazard: R_N(t) = ∫ e^(−(d+Σe+δ)(s−t))·[q·u·P(s) + Σ e_k·R_M,k(s)] ds and
        R_M,k(t) = ∫ e^(−h_k(s−t))·W·q·u·P(s) ds, with P the value of a prospect (trapezoid, implicit)."""
        seg = self.sc.segments[s]
        q, conv, h = seg.imitation_per_week, seg.conversion, self.step
        lam = math.exp(-h / seg.consideration_weeks) if seg.consideration_weeks > 0 else 0.0
        gamma = (1.0 - lam) / 2.0 if seg.consideration_weeks > 0 else 1.0
        joins = [(k, p.enrolment_per_week) for k, p in self.running]
        total_join = sum(e for _, e in joins)
        hazards = self.member_hazards(s)
        decay = math.exp(-(seg.churn_per_week + total_join + self.defection(s)) * h)
        decay_m = {k: math.exp(-hazards[k] * h) for k, _ in joins}
        n, size, weight = len(self.grid), self.layout.size, PROMOTER_REFERRAL_WEIGHT
        ref, delayed, prospect = (np.zeros((n, size)) for _ in range(3))
        member_ref = {k: np.zeros((n, size)) for k, _ in joins}
        u = self.unaware[s]
        for i in range(n - 2, -1, -1):
            later = own[i + 1] + won * ref[i + 1]
            d0 = lam * delayed[i + 1] + gamma * (own[i] + later) if lam else own[i]
            kappa = h / 2.0 * q * u[i] * conv
            spread = q * u[i + 1] * prospect[i + 1]
            carried = decay * ref[i + 1] + h / 2.0 * decay * (
                spread + sum(e * member_ref[k][i + 1] for k, e in joins)
            )
            member_carried = {k: decay_m[k] * member_ref[k][i + 1] + h / 2.0 * decay_m[k] * weight * spread
                              for k, _ in joins}  # fmt: skip
            coef = kappa * (1.0 + h / 2.0 * weight * total_join)
            joined = h / 2.0 * sum(e * member_carried[k] for k, e in joins)
            ref[i] = (carried + joined + coef * d0) / (1.0 - coef * gamma * won)
            delayed[i] = d0 + gamma * won * ref[i]
            prospect[i] = conv * delayed[i]
            for k, _ in joins:
                member_ref[k][i] = member_carried[k] + weight * kappa * delayed[i]
        members, non_members = self._initial_members(s)
        initial = non_members * (self._active_from(s, np.array([self.horizon]))[0] + ref[0]) + members
        taken = 0.0
        for k, prog in self.running:  # the initial members refer as promoters
            share = min(prog.initial_members, 1.0 - taken)
            taken += share
            initial = initial + share * member_ref[k][0]
        reactivated = self._active_from(s, self.horizon - self.grid) + ref
        return SegmentValues({(): own}, ref, prospect, initial, reactivated)

    def choices(self, s: int) -> list[tuple[int, float, Choice]]:
        """(region index, population share, choice) of segment `s` in each region it lives in."""
        seg = self.sc.segments[s]
        return [(r, share, choice(self.sc, self.sellers, seg, region, self.tiers))
                for r, (region, share) in enumerate(zip(self.sc.regions, self._region_shares(s), strict=True))
                if share > 0]  # fmt: skip

    def defection(self, s: int) -> float:
        """A non-member's hazard of defecting to the rivals, b·π_0·s, averaged over the regions."""
        seg = self.sc.segments[s]
        if seg.competition is None:
            return 0.0
        return sum(share * seg.purchases_per_week * ch.rival_stationary() * ch.switch
                   for _, share, ch in self.choices(s))  # fmt: skip

    def first_rival_share(self, s: int) -> float:
        """P_0 of a first occasion without a route, averaged over the regions (what the Bass path loses)."""
        if self.sc.segments[s].competition is None:
            return 0.0
        return sum(share * ch.rival_share() for _, share, ch in self.choices(s))

    def _at_horizon(self, s: int, ch: Choice, start: np.ndarray, remaining: np.ndarray, new: bool,
                    leave: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """(active non-members at the horizon, their customer equity), per remaining time τ.

        Occasions come at b: after exactly k of them (Poisson(b·τ)) the customer's loyalty state is
        v_k (v_0 = `start` for a new customer, "no last outlet" otherwise; v_(k+1) = (v_k·M)·survival,
        which also removes who defected), and they are still a non-member with e^(−(d + Σe)·τ);
        equity counts each state's own P_0 and contribution (`_state_equity`)."""
        from scipy.special import gammaln  # scipy loads only when a valuation runs

        seg = self.sc.segments[s]
        buy, tau = seg.purchases_per_week, np.maximum(remaining, 0.0)
        chain, keep = ch.transition(), ch.survival()
        per_state, plain = self._state_equity(s, ch)
        mean = buy * float(tau.max(initial=0.0))
        k = np.arange(int(mean + 10.0 * math.sqrt(mean) + 10.0) + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            pois = np.exp(
                k[None, :] * np.log(buy * tau)[:, None] - buy * tau[:, None] - gammaln(k + 1)[None, :]
            )
        pois[buy * tau == 0.0] = (k == 0).astype(float)
        if new:  # after the first order, in the seller it went to
            v = np.append(start, 0.0) if ch.rival is not None else start
            mass, equity = [float(v.sum())], [float(v @ per_state)]
        else:  # no last outlet until the first occasion
            v = ch.all_shares() * keep
            mass, equity = [1.0, float(v.sum())], [plain, float(v @ per_state)]
        while len(mass) < len(k):
            v = (v @ chain) * keep
            mass.append(float(v.sum()))
            equity.append(float(v @ per_state))
        alive = np.exp(-leave * tau)
        return alive * (pois @ np.array(mass)), alive * (pois @ np.array(equity))

    def _state_equity(self, s: int, ch: Choice) -> tuple[np.ndarray, float]:
        """Customer equity of one non-member by loyalty state (each seller, then the rivals), and
        without a last outlet: their own P_0 and mean contribution per order (`model.clv`)."""
        seg, n = self.sc.segments[s], len(ch.offered)
        money = self.money(s)[ch.offered, 0]

        def equity(row: np.ndarray) -> float:
            ours = row[:n]
            if ours.sum() <= 0:
                return 0.0
            rival = float(row[n]) if ch.rival is not None else 0.0
            return customer_equity(seg.purchases_per_week, seg.churn_per_week, rival, ch.switch,
                                   float(ours @ money) / float(ours.sum()))  # fmt: skip

        rows = ch.transition() if n else np.zeros((0, 0))
        return np.array([equity(row) for row in rows]), equity(ch.all_shares()) if n else 0.0

    def _member_equity(self, s: int, r: int, k: int) -> float:
        """Customer equity of one member of programme k: member rates, the member chain's long-run shares."""
        seg, prog = self.sc.segments[s], self.sc.loyalty_programs[k]
        ch = self._member_choice(s, r, k)
        pi = ch.stationary()
        if len(ch.offered) == 0 or pi.sum() <= 0:
            return 0.0
        per_order = float(pi @ self._money(s, prog.points_cost)[ch.offered, 0]) / float(pi.sum())
        return customer_equity(seg.purchases_per_week * prog.purchase_multiplier,
                               seg.churn_per_week * prog.churn_multiplier, ch.rival_stationary(), ch.switch,
                               per_order)  # fmt: skip

    def partner_lead_value(self, j: int) -> np.ndarray:
        """[grid, out]: what one of partner j's own prospects arriving at t brings: its first purchase
        at the partner (no logit, no rival), then the usual choice with loyalty to it, plus word of mouth."""
        seller = self.sellers[j]
        partner = next(p for p in self.sc.partners if p.id == seller.id)
        assert seller.home is not None  # a partner has a home region
        r = self.sc.regions.index(seller.home)
        total = np.zeros((len(self.grid), self.layout.size))
        for s, seg in enumerate(self.sc.segments):
            share = (partner.segment_mix or {}).get(seg.id, 0.0)
            ch = choice(self.sc, self.sellers, seg, seller.home, self.tiers)
            if share <= 0 or j not in ch.offered:
                continue
            customer = self._partner_own(s, r, ch, j) + self.segment_values(s).referral
            total += share * seg.conversion * delay_convolve(customer, seg.consideration_weeks, self.step)
        return total

    def considering_values(self, s: int) -> list[tuple[int, np.ndarray]]:
        """Per group of segment s's `initial_prospects`: (count, [out] one of them brings). A prospect
        considering at week 0 is a converted lead who has just come (the wait is memoryless): the first purchase after Exp(consideration), with the route of
        the source that found them, or at the partner whose own prospect they are (no logit, no rival);
        then what the customer refers. Region: the group's, the partner's, or the segment's spread."""
        seg, out = self.sc.segments[s], []
        values = self.segment_values(s)
        sources = {src.id: src for src in self.sc.sources}
        for group in seg.initial_prospects:
            partner = next((j for j, x in enumerate(self.sellers) if x.id == group.partner), None)
            if partner is not None:
                customer = self._partner_first(s, partner, group.region)
            else:
                route = dict(sources[group.source].routes_to) if group.source in sources else None
                first = self._first_orders(s, route, group.region)
                customer = first + (first[:, 2:3] if seg.competition is not None else 1.0) * values.referral
            out.append((group.count, delay_convolve(customer, seg.consideration_weeks, self.step)[0]))
        return out

    def _partner_first(self, s: int, j: int, home: str | None) -> np.ndarray:
        """[grid, out]: a prospect of partner j whose first purchase is at t: at the partner, then the
        usual choice with loyalty to it, plus word of mouth (none where the partner does not serve)."""
        seller, seg = self.sellers[j], self.sc.segments[s]
        region = home or seller.home
        assert region is not None  # a partner has a home region
        ch = choice(self.sc, self.sellers, seg, region, self.tiers)
        if j not in ch.offered:
            return np.zeros((len(self.grid), self.layout.size))
        return self._partner_own(s, self.sc.regions.index(region), ch, j) + self.segment_values(s).referral

    def considering_won(self, s: int) -> float:
        """The prospects considering at week 0 who become customers, in expectation (the Bass path's):
        a partner's own prospect buys at the partner; anyone else's first occasion is ours with 1 − P_0
        (of the source's route, in their region)."""
        seg, sc, total = self.sc.segments[s], self.sc, 0.0
        routes = {src.id: dict(src.routes_to) for src in sc.sources}
        for group in seg.initial_prospects:
            if group.partner is not None and any(x.id == group.partner for x in self.sellers):
                total += group.count
                continue
            shares = (
                self._region_shares(s)
                if group.region is None
                else [float(r == group.region) for r in sc.regions]
            )
            for region, share in zip(sc.regions, shares, strict=True):
                ch = choice(sc, self.sellers, seg, region, self.tiers)
                if share > 0 and len(ch.offered):
                    total += group.count * share * (1.0 - ch.rival_share(routes.get(group.source or "")))
        return total

    def route_key(self, source: Source) -> RouteKey:
        key = tuple(sorted(source.routes_to.items()))
        self._routes[key] = dict(source.routes_to)
        return key

    def lead_value(self, source: Source, referrals: bool = True) -> np.ndarray:
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
            first = values.first[key]
            # the customers it brings refer; with rivals a lead becomes one with 1 − P_0 (column 2)
            won = first[:, 2:3] if seg.competition is not None else 1.0
            customer = first + won * values.referral if referrals else first
            total += share * seg.conversion * delay_convolve(customer, seg.consideration_weeks, self.step)
        return total

    def weekly(self, curve: np.ndarray) -> np.ndarray:
        """Values at the middle of each week: [week, out]."""
        mids = np.arange(int(self.horizon)) + 0.5
        return np.stack([np.interp(mids, self.grid, curve[:, k]) for k in range(curve.shape[1])], axis=1)

    def organic(self) -> np.ndarray:
        """[out]: initial customers (their orders and referrals), prospects considering at week 0 and
        Bass innovation prospects."""
        total = np.zeros(self.layout.size)
        for s, seg in enumerate(self.sc.segments):
            values = self.segment_values(s)
            total += seg.initial_customers * values.initial
            for count, value in self.considering_values(s):  # `initial_prospects` (none: as SPEC)
                total += count * value
            flow = seg.innovation_per_week * seg.population * self.unaware[s]
            total += np.trapezoid(flow[:, None] * values.prospect, self.grid, axis=0)
        return total
