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
