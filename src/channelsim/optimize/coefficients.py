"""The optimizer's data: every coefficient of the MILP, computed from the valuation at a current plan.

The model is first order around the current plan (spend and tiers): a metric of a plan is
the forecast at the current plan, plus the value of each extra lead (at the current tiers),
plus the effect of each region's tier combination on the orders forecast there (at the
current spend). `optimize` re-linearises at the plan it finds until the plan stops moving.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from channelsim import valuation as va
from channelsim.curves import Curve
from channelsim.model.adstock import period_levels, period_terms
from channelsim.model.media import source_cost
from channelsim.model.partner_exit import orders_to_stay
from channelsim.optimize.pieces import Piecewise, rate_card_pieces, response_pieces
from channelsim.scenario.demand import Source
from channelsim.scenario.schema import Scenario

#: A region's partners get one variable per joint tier combination up to this many; beyond,
#: each partner gets its own (its effect taken with the others at their current tiers).
MAX_COMBOS = 64
#: Expected orders may use this share of a queue's capacity (servers / mean service time).
UTILISATION = 0.9
#: The smallest spend that counts as "using" a source whose minimum is 0, as a share of its maximum.
ACTIVE_SHARE = 0.01
METRIC_INDEX = {"contribution": 0, "revenue": 1, "customers": 2}


@dataclass(frozen=True)
class Period:
    """Weeks `[start, start + weeks)` share one spend per source (as `policy_from_plan` splits them)."""

    index: int
    start: int
    weeks: int


def periods(horizon: int, count: int) -> list[Period]:
    length = math.ceil(horizon / count)
    return [Period(p, min(p * length, horizon), max(0, min(horizon, (p + 1) * length) - p * length))
            for p in range(count)]  # fmt: skip


@dataclass
class SourceTerm:
    """One source's decision data."""

    source: Source
    lower: float  # hard minimum spend per week
    upper: float  # spend bound per week
    floor: float  # least spend that counts as used
    leads: Piecewise  # leads per week against (period-average) effective spend
    cost: Piecewise | None  # media cost against spend (rate card); None: 1:1
    value: np.ndarray  # [period, output]: what one lead brings (see valuation.Layout)
    leads_now: np.ndarray  # [period]: leads per week at the current plan (model's adstock)
    carry: np.ndarray  # [period]: a^weeks, carry-over of the end-of-period level
    mix: np.ndarray  # [period]: α, weight of the previous level in the period's average

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def units(self) -> bool:
        return self.source.units is not None


@dataclass
class Combo:
    """One joint tier choice of a group: its levels, effect (horizon output vector) and weekly cost."""

    levels: dict[str, str]
    effect: np.ndarray
    cost: float


@dataclass
class Group:
    """Partners whose tiers are chosen jointly (one region's, or a single partner)."""

    region: str
    partners: list[str]
    combos: list[Combo]
    current: int  # index of the current plan's combination


@dataclass
class DiversionTerm:
    """Diversion of `partner` into `region` when it has `level` and the region's group has `combo`."""

    partner: str
    region: str
    level: str | None  # None: the diverter has no tier choice
    combo: tuple[int, int] | None  # (group, combo) of the victims; None: victims fixed
    orders: float  # expected diverted orders per week
    effect: np.ndarray  # (contribution, revenue) change per week


@dataclass
class ProgrammeTerm:
    """A loyalty programme switched on or off: its effect on the horizon totals at the current plan."""

    id: str
    index: int  # in the scenario's loyalty_programs (its member-weeks column)
    current: bool
    effect: np.ndarray  # output vector: forecast with it running − without (member-weeks included)


@dataclass
class WinbackTerm:
    """Win-back spend (one value per week over the horizon): reactivations on its curve."""

    lower: float
    upper: float
    reactivations: Piecewise  # reactivations per week against weekly spend
    value: np.ndarray  # output vector: one reactivation a week over the horizon (Σ of the weekly values)
    current: float  # spend per week at the current plan
    reactivations_now: float


@dataclass
class Coefficients:
    """Everything the MILP needs; built by `build_coefficients`."""

    scenario: Scenario
    objective: str
    periods: list[Period]
    sources: list[SourceTerm]
    groups: list[Group]
    diversions: list[DiversionTerm]
    capacities: dict[str, tuple[int, float]]  # seller id → (output column, orders per week allowed)
    base: va.Forecast  # the forecast at the current plan
    spend: dict[str, list[float]]  # current spend per source per period
    tiers: dict[str, str]  # current tiers
    marketing_budget: float | None  # per week
    incentive_budget: float | None  # per week
    horizon: int = 0
    notes: list[str] = field(default_factory=list)
    programmes: list[ProgrammeTerm] = field(default_factory=list)
    winback: WinbackTerm | None = None
    exit_floors: dict[str, tuple[int, float]] = field(default_factory=dict)  # partner → (column, orders/week)
    exits_at_risk: list[str] = field(default_factory=list)  # partners below their exit threshold today

    def worth(self, values: np.ndarray) -> np.ndarray:
        """What output vectors (last axis) are worth to the objective: profit counts contribution
        less the member cost of the member-weeks they bring; revenue and customers their column."""
        if self.objective != "profit":
            return values[..., METRIC_INDEX[self.objective]]
        layout, out = self.base.layout, values[..., 0].copy()
        for k, prog in enumerate(self.scenario.loyalty_programs):
            out -= prog.cost_per_member_per_week * values[..., layout.member(k)]
        if self.scenario.optimize.terminal_value:  # the customers left at the horizon are worth their equity
            first = layout.equity_cell(0, 0)
            out += values[..., first : first + layout.cells].sum(axis=-1)
        return out


def weekly_spend(sc: Scenario, spend: dict[str, list[float]]) -> dict[str, list[float]]:
    """Per-period spend to one value per week (as `policy_from_plan` does)."""
    out = {}
    for src in sc.sources:
        values = spend[src.id]
        length = math.ceil(sc.horizon_weeks / len(values))
        out[src.id] = [values[min(w // length, len(values) - 1)] for w in range(sc.horizon_weeks)]
    return out


def baseline_marketing(sc: Scenario) -> float:
    """Weekly media cost and setup cost of the sources as written, plus today's win-back spend."""
    winback = sc.winback.spend_per_week if sc.winback is not None else 0.0
    return winback + sum(source_cost(s, s.spend_per_week) for s in sc.sources)


def spend_bound(src: Source, budget: float | None) -> float:
    """The source's spend bound: its own maximum, else the marketing budget, else where the curve saturates."""
    if src.units is not None:
        return src.units.cost * src.units.max
    if src.max_spend_per_week is not None:
        return src.max_spend_per_week
    if budget is not None:
        return max(budget, src.spend_per_week)
    return saturation_bound(src.response, src.spend_per_week, src.min_spend_per_week)


def saturation_bound(curve: Curve, spend_now: float, min_spend: float) -> float:
    """A spend bound where none is given: where the curve is 99% saturated, at least 10× today's spend.

    logistic and tanh: `M·tanh(k·x) = 0.99·M` at `k·x = atanh(0.99) = ln(199)/2`."""
    saturating = {"hill": lambda c: c.half_saturation * 99 ** (1 / c.shape),
                  "exponential": lambda c: c.scale * math.log(100.0),
                  "logistic": lambda c: math.log(199.0) / c.lam,
                  "tanh": lambda c: 0.5 * math.log(199.0) * c.max_leads_per_week * c.c,
                  "points": lambda c: c.points[-1][0]}  # fmt: skip
    bound = saturating.get(curve.curve, lambda c: 0.0)(curve)
    return max(bound, 10.0 * spend_now, min_spend)


def adstock_terms(a: float, plan: list[Period]) -> tuple[np.ndarray, np.ndarray]:
    """(a^L, α) per period (`channelsim.model.adstock.period_terms`) as arrays."""
    carry, mix = period_terms(a, [p.weeks for p in plan])
    return np.array(carry), np.array(mix)


def source_term(src: Source, fc: va.Forecast, plan: list[Period], spend: list[float],
                budget: float | None, pieces: int, counted: bool) -> SourceTerm:  # fmt: skip
    upper = spend_bound(src, budget)
    if src.locked:
        upper = max(upper, src.spend_per_week)
    # "used" must mean a real spend only where it is counted (min_active_sources)
    active = ACTIVE_SHARE * upper if counted else 0.0
    floor = max(src.min_spend_per_week, active, src.units.cost if src.units else 0.0)
    curve = response_pieces(src.response, upper, pieces)
    cost = rate_card_pieces([(t.up_to, t.price) for t in src.rate_card], upper) if src.rate_card else None
    weekly = fc.per_lead[src.id]
    value = np.array([weekly[p.start:p.start + p.weeks].mean(axis=0) if p.weeks else np.zeros(weekly.shape[1])
                      for p in plan])  # fmt: skip
    carry, mix = adstock_terms(src.adstock, plan)
    leads_now = np.array(
        [src.response.leads(e) for e in period_levels(src.spend_per_week, spend, carry, mix)]
    )
    return SourceTerm(src, src.min_spend_per_week, upper, min(floor, upper), curve, cost, value, leads_now,
                      carry, mix)  # fmt: skip


def cell_orders(fc: va.Forecast, sc: Scenario, region: str) -> dict[str, float]:
    """Purchase occasions over the horizon of each segment's customers in `region`, at the current
    plan: their orders, and the rivals' orders (0 in a closed market)."""
    r, layout = sc.regions.index(region), fc.layout
    return {seg.id: float(fc.totals[layout.cell(s, r)]) + float(fc.totals[layout.rival_cell(s, r)])
            for s, seg in enumerate(sc.segments)}  # fmt: skip


def combo_effect(sc: Scenario, region: str, tiers: dict[str, str], orders: dict[str, float],
                 layout: va.Layout, all_sellers: list[va.Seller]) -> np.ndarray:  # fmt: skip
    """Horizon totals of the occasions in `region` under `tiers` (repeat orders at the loyalty chain's
    shares; with rivals, what the rivals win is theirs)."""
    out, r = np.zeros(layout.size), sc.regions.index(region)
    for s, seg in enumerate(sc.segments):
        volume = orders[seg.id]
        ch = va.choice(sc, all_sellers, seg, region, tiers)
        if volume <= 0 or len(ch.offered) == 0:
            continue
        pi = ch.stationary()
        if ch.rival is not None:
            out[layout.rival_cell(s, r)] += volume * ch.rival_stationary()
        money = np.array([va.seller_money(sc, all_sellers[j], seg, tiers)
                          for j in ch.offered])  # fmt: skip
        out[0] += volume * float(pi @ money[:, 0])
        out[1] += volume * float(pi @ money[:, 1])
        out[layout.seller(0) + ch.offered] += volume * pi
    return out


def prospects(sc: Scenario, tiers: dict[str, str], ids: list[str], fc: va.Forecast) -> np.ndarray:
    """Horizon totals that partners `ids`' own prospects bring under `tiers`: `leads_per_week ×
    (1 + effort_boost)` a week (exact in the tier), each worth what a first purchase at the partner
    brings with every seller at its trial tier (on the forecast's Bass path)."""
    finders = [p for p in sc.partners if p.id in ids and p.leads_per_week > 0]
    out = np.zeros(fc.layout.size)
    if not finders:
        return out
    val = va.Valuation(fc.served or sc, tiers, fc.unaware, fc.programmes)
    rates = va.partner_lead_rates(sc, tiers)
    values = va.partner_values(val, {p.id: rates[p.id] for p in finders})
    for p in finders:
        out += rates[p.id] * values[p.id]
    return out


def tier_levels(sc: Scenario, partner_id: str) -> list[str]:
    """The tier levels a partner can be given: its incentive programme's (eligible partners only)."""
    programme = va.incentive_of(sc, partner_id)
    assert programme is not None  # only partners with an incentive programme have a tier to choose
    return [t.level for t in programme.tiers]


def tier_groups(sc: Scenario, tiers: dict[str, str], fc: va.Forecast) -> list[Group]:
    """One group per region of eligible partners (or one per partner when combinations explode)."""
    eligible = [p for p in sc.partners if va.incentive_of(sc, p.id) is not None]
    all_sellers = va.sellers(fc.served or sc)  # as served: a partner often out of stock weighs less
    groups = []
    for region in sc.regions:
        members = [p.id for p in eligible if p.region == region]
        if not members:
            continue
        options = [tier_levels(sc, pid) for pid in members]
        joint = math.prod(len(o) for o in options) <= MAX_COMBOS
        parts = [(members, options)] if joint else [([m], [o]) for m, o in zip(members, options, strict=True)]
        orders = cell_orders(fc, sc, region)
        for ids, opts in parts:
            combos = []
            for levels in itertools.product(*opts):
                chosen = dict(zip(ids, levels, strict=True))
                trial = tiers | chosen
                cost = sum(va.tier_terms(sc, trial, pid)[2] for pid in ids)
                effect = combo_effect(fc.served or sc, region, trial, orders, fc.layout, all_sellers)
                combos.append(Combo(chosen, effect + prospects(sc, trial, ids, fc), cost))
            current = next(k for k, c in enumerate(combos) if all(tiers[p] == c.levels[p] for p in ids))
            groups.append(Group(region, ids, combos, current))
    return groups


def diversion_terms(
    sc: Scenario, tiers: dict[str, str], groups: list[Group], fc: va.Forecast
) -> list[DiversionTerm]:
    """Every (diverter, victim region, diverter tier, victims' combination) with diverted orders."""
    all_sellers = va.sellers(fc.served or sc)  # as served: a partner often out of stock weighs less
    out = []
    for i, seller in enumerate(all_sellers):
        if seller.direct or seller.propensity <= 0:
            continue
        levels = tier_levels(sc, seller.id) if seller.id in tiers else [None]
        for region in sc.regions:
            if region == seller.home:
                continue
            per_week = {k: v / sc.horizon_weeks for k, v in cell_orders(fc, sc, region).items()}
            victims = [g for g, grp in enumerate(groups) if grp.region == region]
            combos = (
                [(victims[0], c) for c in range(len(groups[victims[0]].combos))]
                if len(victims) == 1
                else [None]
            )
            for level, combo in itertools.product(levels, combos):
                trial = dict(tiers)
                if level is not None:
                    trial[seller.id] = level
                if combo is not None:
                    trial |= groups[combo[0]].combos[combo[1]].levels
                orders, contribution, revenue = va.diversion_effect(
                    sc, i, region, trial, per_week, all_sellers
                )
                if orders > 0:
                    out.append(
                        DiversionTerm(
                            seller.id, region, level, combo, orders, np.array([contribution, revenue])
                        )
                    )
    return out


def capacities(sc: Scenario, layout: va.Layout, peak: float = 1.0) -> dict[str, tuple[int, float]]:
    """Sellers with an order queue: the average orders per week they can take so that the busiest
    week (`peak` × the average, from the forecast's Bass path) stays within `UTILISATION` of capacity."""
    out = {}
    for j, seller in enumerate(va.sellers(sc)):
        owner = sc.channel(seller.id) if seller.direct else next(p for p in sc.partners if p.id == seller.id)
        if owner.fulfilment is not None:
            rate = owner.fulfilment.servers / owner.fulfilment.mean_service_weeks
            # the busiest week must fit, not the average one: the horizon may carry `peak` less
            out[seller.id] = (layout.seller(j), UTILISATION * rate / peak)
    return out


#: How many standard deviations of its trailing-window margin a plan keeps a partner above its threshold.
EXIT_CUSHION_SD = 2.0


def exit_floors(
    sc: Scenario, fc: va.Forecast, tiers: dict[str, str]
) -> tuple[dict[str, tuple[int, float]], list[str]]:
    """Partners with an exit threshold: the orders a week that keep them (`model.partner_exit`), for
    those the current plan keeps; the others are at risk (the plan cannot promise to keep them)."""
    floors, at_risk = {}, []
    for j, seller in enumerate(va.sellers(sc)):
        partner = next((p for p in sc.partners if p.id == seller.id), None) if not seller.direct else None
        if partner is None or partner.exit_below_margin_per_week <= 0 or seller.home is None:
            continue
        need = orders_to_stay(partner.exit_below_margin_per_week, margin_per_order(sc, fc, seller, tiers),
                              EXIT_CUSHION_SD)  # fmt: skip
        now = float(fc.totals[fc.layout.seller(j)]) / sc.horizon_weeks
        if now >= need:
            floors[seller.id] = (fc.layout.seller(j), need)
        else:
            at_risk.append(seller.id)
    return floors, at_risk


def margin_per_order(sc: Scenario, fc: va.Forecast, seller: va.Seller, tiers: dict[str, str]) -> float:
    """What a partner keeps of an order (payment less wholesale), averaged over its region's segments."""
    assert seller.home is not None
    r = sc.regions.index(seller.home)
    weights = [float(fc.totals[fc.layout.cell(s, r)]) for s in range(len(sc.segments))]
    if sum(weights) <= 0:
        weights = [1.0] * len(sc.segments)
    rebate = va.rebate_of(sc, tiers, seller)
    kept = [seg.order_value * (seller.price - (1.0 - seller.margin) * (1.0 - rebate)) for seg in sc.segments]
    return sum(w * k for w, k in zip(weights, kept, strict=True)) / sum(weights)


def programme_terms(sc: Scenario, spend: dict[str, list[float]], tiers: dict[str, str],
                    calibration: dict[str, float] | None, programmes: dict[str, bool],
                    winback: list[float] | None) -> list[ProgrammeTerm]:  # fmt: skip
    """Each programme's effect: the forecast with it on less the forecast with it off, the other
    programmes and every other lever at the current plan (first order: effects of two programmes
    on the same customers are added; the rounds re-linearise at the plan found)."""
    out, weekly = [], weekly_spend(sc, spend)
    for k, prog in enumerate(sc.loyalty_programs):
        on, off = (va.forecast(sc, weekly, tiers, calibration, programmes | {prog.id: flag}, winback)
                   for flag in (True, False))  # fmt: skip
        out.append(ProgrammeTerm(prog.id, k, programmes[prog.id], on.totals - off.totals))
    return out


def winback_term(
    sc: Scenario, fc: va.Forecast, spend: float, budget: float | None, pieces: int
) -> WinbackTerm:
    """Win-back's decision data: bounds, the curve's pieces, the value of a reactivation a week."""
    wb, per_reactivation = sc.winback, fc.per_reactivation
    assert wb is not None  # built only for a scenario with a winback section
    assert per_reactivation is not None  # va.forecast always values a reactivation
    upper = wb.max_spend_per_week if wb.max_spend_per_week is not None else budget
    if upper is None:  # no bound given: where the curve saturates, as for a source
        upper = saturation_bound(wb.response, wb.spend_per_week, wb.min_spend_per_week)
    upper = max(upper, wb.min_spend_per_week)
    return WinbackTerm(wb.min_spend_per_week, upper, response_pieces(wb.response, upper, pieces),
                       per_reactivation.sum(axis=0), spend, wb.response.leads(spend))  # fmt: skip


def current_programmes(sc: Scenario, programmes: dict[str, bool] | None) -> dict[str, bool]:
    """Programme id → running, from `programmes` where given, else the scenario's `active`."""
    return {p.id: (programmes or {}).get(p.id, p.active) for p in sc.loyalty_programs}


def build_coefficients(sc: Scenario, objective: str, spend: dict[str, list[float]], tiers: dict[str, str],
                  target_mode: bool, calibration: dict[str, float] | None = None,
                  programmes: dict[str, bool] | None = None, winback: float | None = None) -> Coefficients:  # fmt: skip
    """Coefficients of the MILP linearised at the plan (`spend` per period, `tiers`, programmes
    running, win-back spend per week; the last two default to the scenario's)."""
    settings = sc.optimize
    plan = periods(sc.horizon_weeks, settings.periods)
    programmes = current_programmes(sc, programmes)
    rescue: list[float] | None = None
    if sc.winback is not None:
        if winback is None:
            winback = sc.winback.spend_per_week
        rescue = [winback] * sc.horizon_weeks
    fc = va.forecast(sc, weekly_spend(sc, spend), tiers, calibration, programmes, rescue)
    marketing = sc.budget.marketing_per_week
    incentives = sc.budget.incentives_per_week
    if not target_mode:
        marketing = baseline_marketing(sc) if marketing is None else marketing
        incentives = va.incentive_cost(sc, va.baseline_tiers(sc)) if incentives is None else incentives
    counted = sc.budget.min_active_sources > 0
    terms = [
        source_term(s, fc, plan, spend[s.id], marketing, settings.breakpoints, counted) for s in sc.sources
    ]
    groups = tier_groups(sc, tiers, fc)
    diversions = diversion_terms(sc, tiers, groups, fc)
    problem = Coefficients(sc, objective, plan, terms, groups, diversions, capacities(sc, fc.layout, fc.peak), fc, spend,
                      tiers, marketing, incentives, sc.horizon_weeks)  # fmt: skip
    problem.exit_floors, problem.exits_at_risk = exit_floors(sc, fc, tiers)
    problem.programmes = programme_terms(sc, spend, tiers, calibration, programmes, rescue)
    if sc.winback is not None:
        assert winback is not None  # the scenario's spend above when none was given
        problem.winback = winback_term(sc, fc, float(winback), marketing, settings.breakpoints)
    return problem
