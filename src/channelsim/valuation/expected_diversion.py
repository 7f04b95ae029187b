"""Expected cross-territory diversion: the orders a diverter takes in a foreign region, per week.

The diverter's weight in the region is `channelsim.model.diversion`'s rule applied to the
sellers' unit costs and prices; it joins the region's logit with that weight, takes its
share of the region's orders and changes the money of those orders; it does so in the share
of weeks it is not under penalty (`diverting_share`).
"""

from __future__ import annotations

import math

import numpy as np

from channelsim.model.diversion import diversion_gap, diverting_share, unit_cost
from channelsim.model.diversion import diversion_weight as weight_rule
from channelsim.scenario.schema import Scenario
from channelsim.valuation.lead_value import Layout
from channelsim.valuation.loyalty_chain import choice
from channelsim.valuation.sellers import Seller, rebate_of, seller_money, sellers


def diversion_weight(
    sc: Scenario, all_sellers: list[Seller], i: int, region: str, tiers: dict[str, str]
) -> float:
    """w_i,r: seller i's weight in `region` (0: it does not divert there)."""
    div = all_sellers[i]
    if div.direct or div.propensity <= 0 or region == div.home:
        return 0.0
    victims = [(unit_cost(x.margin, rebate_of(sc, tiers, x)), x.price)
               for x in all_sellers if not x.direct and x.channel == div.channel and x.home == region]  # fmt: skip
    gap = diversion_gap(unit_cost(div.margin, rebate_of(sc, tiers, div)), div.price, victims)
    return weight_rule(gap, div.price_gap, div.propensity)


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
        money = np.array([seller_money(sc, x, seg, tiers) for x in all_sellers])
        home = choice(sc, all_sellers, seg, region, tiers)
        with_i = choice(sc, all_sellers, seg, region, tiers, extra={i: math.log(weight)})
        before, after = home.shares(), with_i.shares()
        orders += volume * float(after[list(with_i.offered).index(i)])
        delta = after @ money[with_i.offered] - before @ money[home.offered]  # (contribution, revenue)
        contribution += volume * float(delta[0])
        revenue += volume * float(delta[1])
    share = diverting_share(sc.conflict.enforcement_per_week, sc.conflict.penalty_weeks)
    return orders * share, contribution * share, revenue * share


def diversion_totals(sc: Scenario, tiers: dict[str, str], totals: np.ndarray, layout: Layout) -> np.ndarray:
    """(diverted orders, Δ contribution, Δ revenue) per week over every diverter and region, with the
    orders per week of each region's customers taken from the output vector `totals`."""
    out, all_sellers = np.zeros(3), sellers(sc)
    for i, seller in enumerate(all_sellers):
        if seller.direct or seller.propensity <= 0:
            continue
        for r, region in enumerate(sc.regions):
            # purchase occasions per week: our orders and (with rivals) theirs
            per_week = {seg.id: (float(totals[layout.cell(s, r)]) + float(totals[layout.rival_cell(s, r)]))
                        / sc.horizon_weeks for s, seg in enumerate(sc.segments)}  # fmt: skip
            out += np.array(diversion_effect(sc, i, region, tiers, per_week, all_sellers))
    return out
