"""The forecast of a whole plan: expected totals over the horizon, from the lead and customer values.

Leads per week follow each source's curve of its adstocked spend; word of mouth reaches only
the unaware, whose fraction follows a mean-field Bass path with the paid leads; a plan's
totals are the initial customers' and the Bass innovators' value plus, week by week, leads
times what a lead brings, plus win-back reactivations times what one brings, plus expected
diversion; costs are the marketing (rate card and setup), tiers, fixed costs and members.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from channelsim.model.adstock import adstock_path
from channelsim.model.media import source_cost
from channelsim.model.satisfaction import PROMOTER_REFERRAL_WEIGHT
from channelsim.scenario.demand import Segment, Source
from channelsim.scenario.schema import Scenario
from channelsim.valuation.expected_diversion import diversion_totals
from channelsim.valuation.lead_value import Layout, Valuation
from channelsim.valuation.sellers import incentive_cost, tier_terms
from channelsim.valuation.service_levels import ServiceLevels, as_served, has_limits, levels, windows


def effective_spend(source: Source, weekly_spend: list[float]) -> np.ndarray:
    """Adstocked spend per week, started from the scenario's spend (as the simulation)."""
    return np.array(adstock_path(source.adstock, source.spend_per_week, weekly_spend))


def lead_rates(sc: Scenario, spend: dict[str, list[float]]) -> dict[str, np.ndarray]:
    """Expected leads per week of each source under weekly `spend` (its curve of the adstock)."""
    return {src.id: np.array([src.response.leads(e) for e in effective_spend(src, spend[src.id])])
            for src in sc.sources}  # fmt: skip


def unaware_path(sc: Scenario, leads: dict[str, np.ndarray], grid: np.ndarray,
                 market: Valuation | None = None, partner_leads: dict[str, float] | None = None) -> np.ndarray:  # fmt: skip
    """Mean-field Bass with paid leads (and partners' own prospects): fraction unaware per segment
    over the grid (for word of mouth); see `bass_path`."""
    return bass_path(sc, leads, grid, market, partner_leads)[0]


def bass_path(sc: Scenario, leads: dict[str, np.ndarray], grid: np.ndarray, market: Valuation | None = None,
              partner_leads: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Mean-field Bass, per segment over the grid: (fraction unaware, active customers, new customers
    per week). `market` gives the open market's rates: a first occasion won by rivals makes no
    customer (P_0), and customers defect at b·π_0·s on top of their lapses."""
    out = np.ones((len(sc.segments), len(grid)))
    actives, arrivals = np.zeros_like(out), np.zeros_like(out)
    step = grid[1] - grid[0]
    found = partner_leads or {}
    for s, seg in enumerate(sc.segments):
        n = float(seg.population)
        unaware, active = float(seg.unaware_at_start), float(seg.initial_customers)
        waiting = Considering(seg, market, s, step)
        won = 1.0 - (market.first_rival_share(s) if market is not None else 0.0)
        leave = seg.churn_per_week + (market.defection(s) if market is not None else 0.0)
        if market is not None and market.promoting_members(s):  # members stay longer and refer twice
            out[s], actives[s], arrivals[s] = _bass_with_members(
                sc, s, leads, grid, market, found, won, leave
            )
            continue
        own = sum(
            rate * (p.segment_mix or {}).get(seg.id, 0.0)
            for p in sc.partners
            if (rate := found.get(p.id, 0.0))
        )
        for i, t in enumerate(grid):
            out[s, i] = max(unaware, 0.0) / n
            actives[s, i] = active
            week = min(int(t), sc.horizon_weeks - 1)
            paid = sum(leads[src.id][week] * (src.segment_mix or {}).get(seg.id, 0.0) for src in sc.sources)
            awaken = min((seg.innovation_per_week + seg.imitation_per_week * active / n) * unaware + paid + own,
                         max(unaware, 0.0) / step)  # fmt: skip
            come = waiting.come()
            arrivals[s, i] = seg.conversion * awaken * won + come
            unaware -= awaken * step
            active += (seg.conversion * awaken * won + come - leave * active) * step
    return out, actives, arrivals


class Considering:
    """A segment's prospects considering at week 0 who will become customers (`initial_prospects`, the
    ones whose first occasion is ours): Exp(consideration) to their first purchase, so over each step
    of the grid the pool shrinks by exp(−step/w) (all at once when w = 0)."""

    def __init__(self, seg: Segment, market: Valuation | None, s: int, step: float) -> None:
        self.pool = market.considering_won(s) if market is not None else float(seg.considering)
        self.keep = math.exp(-step / seg.consideration_weeks) if seg.consideration_weeks > 0 else 0.0
        self.step = step

    def come(self) -> float:
        """New customers a week over the next step (from the pool), and the pool moved on."""
        if self.pool <= 0.0:
            return 0.0
        gone = self.pool * (1.0 - self.keep)
        self.pool -= gone
        return gone / self.step


def _bass_with_members(sc: Scenario, s: int, leads: dict[str, np.ndarray], grid: np.ndarray, market: Valuation,
                       found: dict[str, float], won: float, leave: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """`bass_path` for a segment whose customers join loyalty programmes: non-members join at Σe and
    leave at `leave`; a member of programme k leaves at its hazard and, a promoter, refers
    PROMOTER_REFERRAL_WEIGHT times (the simulation's referrers: Σ referral weights)."""
    seg, n, step = sc.segments[s], float(sc.segments[s].population), grid[1] - grid[0]
    joins = {k: p.enrolment_per_week for k, p in market.running}
    hazards, start = market.member_hazards(s), market.initial_member_shares(s)
    members = {k: start[k] * seg.initial_customers for k in joins}
    others = seg.initial_customers - sum(members.values())
    unaware = float(seg.unaware_at_start)
    waiting = Considering(seg, market, s, step)
    own = sum(
        rate * (p.segment_mix or {}).get(seg.id, 0.0) for p in sc.partners if (rate := found.get(p.id, 0.0))
    )
    out, actives, arrivals = (np.zeros(len(grid)) for _ in range(3))
    for i, t in enumerate(grid):
        out[i] = max(unaware, 0.0) / n
        actives[i] = others + sum(members.values())
        week = min(int(t), sc.horizon_weeks - 1)
        paid = sum(leads[src.id][week] * (src.segment_mix or {}).get(seg.id, 0.0) for src in sc.sources)
        referrers = others + PROMOTER_REFERRAL_WEIGHT * sum(members.values())
        awaken = min((seg.innovation_per_week + seg.imitation_per_week * referrers / n) * unaware + paid + own,
                     max(unaware, 0.0) / step)  # fmt: skip
        arrivals[i] = seg.conversion * awaken * won + waiting.come()
        unaware -= awaken * step
        joined = {k: e * others for k, e in joins.items()}
        others += (arrivals[i] - (leave + sum(joins.values())) * others) * step
        for k in joins:
            members[k] += (joined[k] - hazards[k] * members[k]) * step
    return out, actives, arrivals


def order_profile(sc: Scenario, active: np.ndarray, arrivals: np.ndarray) -> np.ndarray:
    """Orders over the grid relative to their mean, from the Bass path: orders at t ≈
    Σ_segments (b·active + new customers); ones where there are no orders."""
    rates = np.array([seg.purchases_per_week for seg in sc.segments])[:, None]
    orders = (rates * active + arrivals).sum(axis=0)
    mean = float(orders.mean()) if orders.size else 0.0
    return orders / mean if mean > 0 else np.ones(orders.shape)


def peak_factor(profile: np.ndarray) -> float:
    """The busiest week's orders over the average week's: capacity must hold then, not on average."""
    return float(profile.max()) if profile.size else 1.0


def partner_lead_rates(sc: Scenario, tiers: dict[str, str]) -> dict[str, float]:
    """Partners' own prospects per week: `leads_per_week × (1 + effort_boost of its tier)`."""
    return {p.id: p.leads_per_week * (1.0 + tier_terms(sc, tiers, p.id, p.channel)[1])
            for p in sc.partners if p.leads_per_week > 0}  # fmt: skip


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
    partner_leads: dict[str, float] = field(default_factory=dict)  # partner → own prospects per week
    per_partner_lead: dict[str, np.ndarray] = field(default_factory=dict)  # partner → [out] over the horizon
    terminal_value: bool = False  # profit counts the customer equity left at the horizon
    unaware: np.ndarray | None = None  # [segment, grid]: the Bass path the values were computed on
    programmes: dict[str, bool] | None = None  # the loyalty programmes running, as forecast
    peak: float = 1.0  # the busiest week's orders over the average week's (for capacities)
    profile: np.ndarray | None = None  # orders over the grid relative to their mean
    arrivals: np.ndarray | None = None  # [segment, grid]: new customers a week on the Bass path
    service: ServiceLevels | None = None  # queues' and stocks' levels at this plan's load (None: none)
    served: Scenario | None = None  # the scenario as those levels make it (`as_served`); None: as written

    @property
    def customer_equity(self) -> float:
        """What the customers active at the horizon bring in the next 52 weeks (SPEC §3)."""
        first = self.layout.equity_cell(0, 0)
        return float(self.totals[first : first + self.layout.cells].sum())

    @property
    def rival_orders(self) -> float:
        first = self.layout.rival_cell(0, 0)
        return float(self.totals[first : first + self.layout.cells].sum())

    @property
    def market_share(self) -> float:
        """orders / (orders + rival orders), over the horizon."""
        ours = float(self.totals[self.layout.cell(0, 0) : self.layout.cell(0, 0) + self.layout.cells].sum())
        return ours / (ours + self.rival_orders) if ours + self.rival_orders > 0 else math.nan

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
        profit = self.contribution - self.marketing - self.incentives - self.fixed - self.crm
        return profit + self.customer_equity if self.terminal_value else profit

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


#: Rounds of the service levels' fixed point at most, and the change of a level that ends it.
SETTLE_ROUNDS, SETTLED = 12, 1e-4


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
    the scenario's). `calibration` scales what a lead of a source brings (see `calibration`).

    With finite queues or stocks, the plan's service levels and their effects are found together
    (`service_levels`): the forecast of the scenario as served at the levels its own loads give."""
    plain = _forecast(sc, spend, tiers, calibration, programmes, winback)
    if not has_limits(sc):
        return plain
    found, fc = ServiceLevels(), plain
    for _ in range(SETTLE_ROUNDS):
        assert fc.profile is not None and fc.arrivals is not None
        seller_orders = fc.totals[fc.layout.seller(0) : fc.layout.seller(0) + fc.layout.n_sellers]
        spans = windows(sc, np.linspace(0.0, sc.horizon_weeks, fc.profile.size), fc.arrivals)
        new = levels(sc, fc.served or sc, tiers, seller_orders, fc.profile, spans, found)
        settled = new.distance(found) < SETTLED
        found = new
        served = as_served(sc, found)
        fc = _forecast(served, spend, tiers, calibration, programmes, winback)
        fc.service, fc.served = found, served
        if settled:
            break
    return fc


def _forecast(
    sc: Scenario,
    spend: dict[str, list[float]],
    tiers: dict[str, str],
    calibration: dict[str, float] | None = None,
    programmes: dict[str, bool] | None = None,
    winback: list[float] | None = None,
) -> Forecast:
    """`forecast` with instant service and stock always in (of `sc` as given)."""
    weeks = sc.horizon_weeks
    leads = lead_rates(sc, spend)
    probe = Valuation(sc, tiers, programmes=programmes)
    found = partner_lead_rates(sc, tiers)
    unaware, active, arrivals = bass_path(sc, leads, probe.grid, probe, found)
    val = Valuation(sc, tiers, unaware, programmes)
    totals = val.organic()
    per_lead = {}
    for src in sc.sources:
        per_lead[src.id] = val.weekly(val.lead_value(src)) * (calibration or {}).get(src.id, 1.0)
        totals = totals + leads[src.id] @ per_lead[src.id]
    per_partner_lead = partner_values(val, found)
    for pid, rate in found.items():
        totals = totals + rate * per_partner_lead[pid]
    marketing = sum(source_cost(src, x) for src in sc.sources for x in spend[src.id])
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
                    reactivations, found, per_partner_lead, sc.optimize.terminal_value, unaware,
                    programmes, peak_factor(profile := order_profile(sc, active, arrivals)), profile, arrivals)  # fmt: skip


def partner_values(val: Valuation, rates: dict[str, float]) -> dict[str, np.ndarray]:
    """Per prospecting partner: [out] that one own prospect a week over the whole horizon brings."""
    index = {s.id: j for j, s in enumerate(val.sellers)}
    return {pid: val.weekly(val.partner_lead_value(index[pid])).sum(axis=0) for pid in rates}
