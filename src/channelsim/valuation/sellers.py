"""Who sells to a customer in the valuation: direct channels and partners, their tiers and order money."""

from __future__ import annotations

from dataclasses import dataclass

from channelsim.model.money import order_money
from channelsim.scenario.channels import Incentive
from channelsim.scenario.demand import Segment
from channelsim.scenario.schema import Scenario


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
    supplier: str | None = None  # a retailer's wholesaler (`supplied_by`)
    supplier_channel: str | None = None
    supplier_margin: float | None = None  # its channel's partner_margin (None: one level)


def sellers(sc: Scenario) -> list[Seller]:
    """Direct channels, then partners, in the simulation's order."""
    out = []
    for ch in sc.channels:
        if ch.type == "direct":
            out.append(Seller(ch.id, ch.id, True, tuple(sc.channel_regions(ch)), ch.price_index, 1.0,
                              ch.variable_cost, 0.0))  # fmt: skip
    for p in sc.partners:
        ch = sc.channel(p.channel)
        div, up = p.diversion, sc.supplier(p)
        up_channel = sc.channel(up.channel) if up else None
        out.append(Seller(p.id, ch.id, False, (p.region,), p.price_index or ch.price_index, p.effort, 0.0,
                          ch.partner_margin, p.region, div.propensity if div else 0.0,
                          div.price_gap if div else 0.0, up.id if up else None,
                          up_channel.id if up_channel else None,
                          up_channel.partner_margin if up_channel else None))  # fmt: skip
    return out


# -- incentive tiers --------------------------------------------------------------------
def incentive_of(sc: Scenario, partner_id: str) -> Incentive | None:
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


def rebate_of(sc: Scenario, tiers: dict[str, str], seller: Seller) -> float:
    """The seller's rebate under `tiers` (0 for direct channels and partners without a tier)."""
    return tier_terms(sc, tiers, seller.id, seller.channel)[0]


def supplier_rebate_of(sc: Scenario, tiers: dict[str, str], seller: Seller) -> float:
    """The rebate of a retailer's wholesaler under `tiers` (0 for one-level sellers)."""
    if seller.supplier is None:
        return 0.0
    return tier_terms(sc, tiers, seller.supplier, seller.supplier_channel)[0]


def seller_money(
    sc: Scenario, seller: Seller, segment: Segment, tiers: dict[str, str], points_cost: float = 0.0
) -> tuple[float, float]:
    """(brand contribution, customer payment) of one order of `segment` at `seller` under `tiers`:
    the seller's rebate, and through a wholesaler its margin and rebate too (two levels)."""
    money = order_money(
        segment.order_value, seller.price, sc.gross_margin, direct=seller.direct,
        variable_cost=seller.variable_cost, partner_margin=seller.margin, rebate=rebate_of(sc, tiers, seller),
        points_cost=points_cost, supplier_margin=seller.supplier_margin,
        supplier_rebate=supplier_rebate_of(sc, tiers, seller),
    )  # fmt: skip
    return money.contribution, money.payment
