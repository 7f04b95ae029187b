"""Small scenarios built in code for tests that reduce the model to a known result."""

from __future__ import annotations

import copy
from typing import Any

from channelsim.scenario import Scenario, validate_data

BASE: dict[str, Any] = {
    "name": "test",
    "horizon_weeks": 10,
    "seed": 1,
    "replications": 1,
    "gross_margin": 0.4,
    "segments": [{"id": "people", "population": 1000}],
    "channels": [{"id": "shop"}],
}


def scenario(**sections: Any) -> Scenario:
    """The minimal valid scenario with the given top-level keys replaced."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(sections))
    return validate_data(data, "<test>")


def segment(**fields: Any) -> dict[str, Any]:
    return {"id": "people", "population": 1000} | fields


def territories(
    rebate: float = 0.06,
    enforcement: float = 0.0,
    penalty: float = 4,
    propensity: float = 0.5,
    price_gap: float = 0.03,
    weeks: int = 20,
    **extra: Any,
) -> Scenario:
    """Two territories, one distributor each; the north one gets a rebate the south one does not."""
    diversion = {"propensity": propensity, "price_gap": price_gap}
    return scenario(
        horizon_weeks=weeks,
        regions=["north", "south"],
        segments=[
            segment(population=4000, initial_customers=1000, purchases_per_week=0.5, price_sensitivity=3.0)
        ],
        channels=[{"id": "dist", "type": "indirect", "partner_margin": 0.2}],
        partners=[
            {"id": "d_north", "channel": "dist", "region": "north", "diversion": diversion},
            {"id": "d_south", "channel": "dist", "region": "south"},
        ],
        incentives=[
            {
                "id": "rebate",
                "channel": "dist",
                "tiers": [{"level": "none"}, {"level": "gold", "rebate": rebate, "cost_per_week": 100}],
                "current": {"d_north": "gold"},
            }
        ],
        conflict={"enforcement_per_week": enforcement, "penalty_weeks": penalty},
        **extra,
    )


#: A retailer's stock in `two_levels`: about two weeks of its demand, half a week from its wholesaler.
RETAILER_STOCK = {"initial": 400, "reorder_point": 150, "order_up_to": 500, "lead_time_weeks": 0.5}


def two_levels(
    weeks: int = 20,
    wholesale_margin: float = 0.12,
    retail_margin: float = 0.2,
    wholesaler_stock: dict[str, Any] | None = None,
    retailer_stock: dict[str, Any] | None = RETAILER_STOCK,
    rebates: tuple[float, float] = (0.04, 0.02),
    tiers: dict[str, str] | None = None,
    diversion: dict[str, float] | None = None,
    prices: dict[str, float] | None = None,
    **extra: Any,
) -> Scenario:
    """Two territories. In the north a wholesaler (`w_north`) sells itself and supplies two retailers
    (`r_one`, `r_two`, supplied_by it); the south has a wholesaler of the same channel. Incentive tiers
    at both levels: `rebates` are the wholesale and the retail programme's top rebates, `tiers` the
    assignment (default: w_north gold, r_one top); `retailer_stock=None`: no stock anywhere below;
    `prices`: partner id → its price index (default list price)."""
    north = {"id": "w_north", "channel": "wholesale", "region": "north", "price_index": 1.0}
    if wholesaler_stock is not None:
        north["inventory"] = wholesaler_stock
    if diversion is not None:
        north["diversion"] = diversion
    retailers = [{"id": rid, "channel": "dealers", "region": "north", "supplied_by": "w_north", "effort": e}
                 | ({"inventory": retailer_stock} if retailer_stock else {})
                 for rid, e in (("r_one", 1.2), ("r_two", 0.9))]  # fmt: skip
    return scenario(
        horizon_weeks=weeks,
        regions=["north", "south"],
        segments=[
            segment(
                population=4000,
                initial_customers=1000,
                purchases_per_week=0.5,
                price_sensitivity=3.0,
                order_value=100.0,
                channel_affinity={"dealers": 0.5},
            )
        ],
        channels=[
            {"id": "wholesale", "type": "indirect", "partner_margin": wholesale_margin},
            {"id": "dealers", "type": "indirect", "partner_margin": retail_margin},
        ],
        partners=[p | ({"price_index": prices[p["id"]]} if p["id"] in (prices or {}) else {})
                  for p in (north, *retailers, {"id": "w_south", "channel": "wholesale", "region": "south"})],
        incentives=[
            {"id": "volume", "channel": "wholesale", "current": {"w_north": "gold"} if tiers is None else
             {k: v for k, v in tiers.items() if k.startswith("w_")},
             "tiers": [{"level": "none"}, {"level": "gold", "rebate": rebates[0], "cost_per_week": 300,
                                            "effort_boost": 0.2}]},
            {"id": "dealer_bonus", "channel": "dealers", "current": {"r_one": "top"} if tiers is None else
             {k: v for k, v in tiers.items() if k.startswith("r_")},
             "tiers": [{"level": "none"}, {"level": "top", "rebate": rebates[1], "cost_per_week": 100,
                                           "effort_boost": 0.3}]},
        ],
        **extra,
    )
