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
