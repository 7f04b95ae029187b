"""What every experiment file (compare.json, sweep.json) opens with."""

from __future__ import annotations

from typing import Any

from channelsim.results import file_hash, versions
from channelsim.scenario.schema import Scenario


def run_header(scenario: Scenario, seed: int, replications: int) -> dict[str, Any]:
    """What every experiment file opens with: the scenario, its hash, the seed and versions."""
    return {
        "scenario": scenario.name,
        "file": scenario.file,
        "variant": scenario.variant_name,
        "currency": scenario.currency,
        "seed": seed,
        "replications": replications,
        "horizon_weeks": scenario.horizon_weeks,
        "scenario_sha256": file_hash(scenario.file),
        "versions": versions(),
    }
