"""What a results folder holds, read once: summary, kpis, plan, compare, sweep, tornado files.

Every part is optional; the page shows the panels whose inputs are there. The scenario
(for response curves and prices) comes from the manifest's resolved scenario.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from channelsim.errors import ScenarioError, UsageError
from channelsim.scenario import Scenario, validate_data

KNOWN = ("summary.json", "kpis.csv", "plan.json", "compare.json", "sweep.csv", "tornado.csv", "frontier.csv")


@dataclass
class Inputs:
    """The parsed files of one results folder (None where absent)."""

    folder: str
    summary: dict[str, Any] | None = None
    kpis: pd.DataFrame | None = None
    manifest: dict[str, Any] | None = None
    scenario: Scenario | None = None
    plan: dict[str, Any] | None = None
    compare: dict[str, Any] | None = None
    sweep: pd.DataFrame | None = None
    sweep_meta: dict[str, Any] | None = None
    tornado: pd.DataFrame | None = None
    tornado_meta: dict[str, Any] | None = None
    frontier: pd.DataFrame | None = None
    findings: dict[str, Any] | None = None  # what moved against the base, the alerts, the warnings

    @property
    def currency(self) -> str:
        for source in (self.summary, self.compare, self.sweep_meta, self.tornado_meta):
            if source and source.get("currency"):
                return str(source["currency"])
        return self.scenario.currency if self.scenario else "EUR"

    @property
    def title(self) -> str:
        for source in (self.summary, self.compare, self.sweep_meta, self.tornado_meta, self.plan):
            if source and source.get("scenario"):
                return str(source["scenario"])
        return os.path.basename(os.path.abspath(self.folder))


def check_folder(folder: str | os.PathLike[str]) -> None:
    """A UsageError unless `folder` is a folder with results to report."""
    if not os.path.isdir(folder):
        raise UsageError(f"report: {os.fspath(folder)} is not a folder")
    if not any(os.path.isfile(os.path.join(folder, name)) for name in KNOWN):
        raise UsageError(f"report: {os.fspath(folder)} has no results (expected one of {', '.join(KNOWN)})")


def read_folder(folder: str | os.PathLike[str]) -> Inputs:
    """Read the folder's result files; a UsageError when there is nothing to report."""
    folder = os.fspath(folder)
    check_folder(folder)
    found = Inputs(folder)
    found.summary = _json(folder, "summary.json")
    found.manifest = _json(folder, "manifest.json")
    found.plan = _json(folder, "plan.json")
    found.compare = _json(folder, "compare.json")
    found.sweep_meta = _json(folder, "sweep.json")
    found.tornado_meta = _json(folder, "tornado.json")
    found.findings = _json(folder, "findings.json")
    found.kpis = _csv(folder, "kpis.csv")
    found.sweep = _csv(folder, "sweep.csv")
    found.tornado = _csv(folder, "tornado.csv")
    found.frontier = _csv(folder, "frontier.csv")
    found.scenario = _scenario(found.manifest)
    return found


def _json(folder: str, name: str) -> dict[str, Any] | None:
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as err:
        raise UsageError(f"{path}: not a readable JSON file ({err})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a JSON object (got {type(data).__name__})")
    return data


def _csv(folder: str, name: str) -> pd.DataFrame | None:
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        return None
    try:
        # keep_default_na: an empty id (the total level) stays "", not NaN
        return pd.read_csv(path, keep_default_na=False, na_values=[""] if name != "kpis.csv" else [])
    except (OSError, ValueError) as err:
        raise UsageError(f"{path}: not a readable CSV file ({err})") from None


def _scenario(manifest: dict[str, Any] | None) -> Scenario | None:
    data = (manifest or {}).get("resolved_scenario")
    if not isinstance(data, dict):
        return None
    try:
        return validate_data(data, "manifest.json")
    except ScenarioError:
        return None  # a manifest from another version: the panels that need it are left out
