"""Results of a simulation: the summary across replications, the tidy KPIs, and their files."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from functools import cached_property
from importlib import metadata
from typing import Any

import pandas as pd

from channelsim.kpis import replication_kpis, weekly_frame
from channelsim.results_io import write_bytes_atomic, write_text_atomic
from channelsim.scenario.schema import Scenario
from channelsim.sim.engine import ReplicationOutput
from channelsim.stats import describe

_DEPENDENCIES = ("numpy", "simpy", "pulp", "pandas", "pydantic", "pyyaml", "matplotlib", "highspy")


def _across(per_replication: list[Any]) -> Any:
    """Turn a list of same-shaped nested dicts of numbers into the same shape of statistics."""
    first = per_replication[0]
    if isinstance(first, dict):
        return {key: _across([r[key] for r in per_replication]) for key in first}
    return describe([float(v) for v in per_replication])


class SimResult:
    """The outcome of `channelsim.simulate`: `summary` (dict) and `kpis` (DataFrame)."""

    def __init__(
        self, scenario: Scenario, outputs: list[ReplicationOutput], seed: int, plan: str | None = None
    ) -> None:
        self.scenario = scenario
        self.outputs = outputs
        self.seed = seed
        self.plan = plan
        self.wall_seconds = 0.0

    @property
    def replications(self) -> int:
        return len(self.outputs)

    @cached_property
    def per_replication(self) -> list[dict[str, Any]]:
        """The summary figures of each replication (before statistics)."""
        return [replication_kpis(out, self.scenario) for out in self.outputs]

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """One row per replication, week, level, id and metric (SPEC §4 kpis.csv)."""
        return pd.concat([weekly_frame(out, r) for r, out in enumerate(self.outputs)], ignore_index=True)

    @cached_property
    def summary(self) -> dict[str, Any]:
        """Every figure across replications as mean, std and ci95 (SPEC §4 summary.json)."""
        sc = self.scenario
        head = {"scenario": sc.name, "variant": sc.variant_name, "seed": self.seed,
                "replications": self.replications, "horizon_weeks": sc.horizon_weeks, "currency": sc.currency}  # fmt: skip
        body = _across(self.per_replication)
        return head | body | {"alerts": self._alerts()}

    def figure(self, *path: str) -> dict[str, Any]:
        """One figure's statistics, e.g. `result.figure("totals", "profit")`."""
        node: Any = self.summary
        for key in path:
            node = node[key]
        return node

    def _alerts(self) -> list[dict[str, Any]]:
        frame = self.kpis
        out = []
        for alert in self.scenario.alerts:
            rows = frame[(frame["level"] == alert.watched_level) & (frame["metric"] == alert.metric)]
            fired = pd.Series(False, index=rows.index)
            if alert.above is not None:
                fired |= rows["value"] > alert.above
            if alert.below is not None:
                fired |= rows["value"] < alert.below
            hits = rows[fired].groupby(["id", "week"])["replication"].nunique()
            by_id: dict[str, dict[str, list[float]]] = {}
            ids, weeks = hits.index.get_level_values("id"), hits.index.get_level_values("week")
            for entity, week, count in zip(ids, weeks, hits, strict=True):
                entry = by_id.setdefault(str(entity), {"weeks": [], "share": []})
                entry["weeks"].append(int(week))
                entry["share"].append(round(count / self.replications, 10))
            out.append(alert.model_dump(exclude_none=True) | {"level": alert.watched_level, "fired": by_id})
        return out

    # -- files --------------------------------------------------------------------------
    def write(self, folder: str | os.PathLike[str], command: list[str] | None = None) -> list[str]:
        """Write summary.json, kpis.csv and manifest.json into `folder` (each atomically)."""
        os.makedirs(folder, exist_ok=True)
        paths = [os.path.join(folder, name) for name in ("summary.json", "kpis.csv", "manifest.json")]
        write_text_atomic(paths[0], json.dumps(self.summary, indent=2, ensure_ascii=False) + "\n")
        write_bytes_atomic(
            paths[1], self.kpis.to_csv(index=False, float_format="%.10g", lineterminator="\n").encode()
        )
        write_text_atomic(paths[2], json.dumps(self.manifest(command), indent=2, ensure_ascii=False) + "\n")
        return paths

    def manifest(self, command: list[str] | None = None) -> dict[str, Any]:
        """Enough to reproduce the run: inputs, their hashes, versions, command line."""
        sc = self.scenario
        return {
            "scenario_file": sc.file,
            "scenario_sha256": file_hash(sc.file),
            "variant": sc.variant_name,
            "seed": self.seed,
            "replications": self.replications,
            "plan": self.plan,
            "plan_sha256": file_hash(self.plan) if self.plan else None,
            "versions": versions(),
            "command": command if command is not None else sys.argv,
            "wall_seconds": round(self.wall_seconds, 3),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "resolved_scenario": sc.to_data(),
        }


def file_hash(path: str | None) -> str | None:
    if not path or not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def versions() -> dict[str, str]:
    found = {"channelsim": _version("channelsim"), "python": platform.python_version()}
    for name in _DEPENDENCIES:
        found[name] = _version(name)
    return found


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
