"""Sweeps: a grid over dotted paths, replications per point, a tidy table of headline KPIs.

Every point is simulated with the same seed (common random numbers), so neighbouring points
differ by the parameter, not by luck; point p equals `simulate(scenario.with_overrides(p))`.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from channelsim.errors import UsageError
from channelsim.experiments.header import run_header
from channelsim.experiments.paths import apply_point, read_path
from channelsim.kpi_catalogue import headline_for, per_replication
from channelsim.results import SimResult
from channelsim.results_io import write_bytes_atomic, write_text_atomic
from channelsim.runner import Execution, Progress, simulate_points
from channelsim.scenario.schema import Scenario
from channelsim.stats import describe

MAX_POINTS = 10_000


@dataclass
class SweepResult:
    """The grid (`axes`, `points`), each point's SimResult, and `table` (point × KPI rows)."""

    scenario: Scenario
    axes: dict[str, list[Any]]
    points: list[dict[str, Any]]
    results: list[SimResult]
    seed: int
    replications: int
    table: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_data(self) -> dict[str, Any]:
        kpis = headline_for(r.scenario for r in self.results)  # the open market's where some point has it
        return run_header(self.scenario, self.seed, self.replications) | {
            "axes": [{"path": path, "values": values} for path, values in self.axes.items()],
            "kpis": [{"name": k.name, "label": k.label, "unit": k.unit} for k in kpis],
        }

    def write(self, folder: str | os.PathLike[str]) -> list[str]:
        """sweep.csv (the tidy table) and sweep.json (the grid and run settings)."""
        os.makedirs(folder, exist_ok=True)
        csv_path, json_path = os.path.join(folder, "sweep.csv"), os.path.join(folder, "sweep.json")
        csv = self.table.to_csv(index=False, float_format="%.10g", lineterminator="\n")
        write_bytes_atomic(csv_path, csv.encode("utf-8"))
        write_text_atomic(json_path, json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n")
        return [csv_path, json_path]


def sweep(
    scenario: Scenario,
    axes: dict[str, list[Any]],
    replications: int | None = None,
    seed: int | None = None,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Simulate every combination of the axes' values (the first axis varies slowest)."""
    if not axes:
        raise UsageError("sweep: give at least one --set PATH=V1,V2,...")
    size = grid_size(axes)  # from the axes' lengths, before the grid is built
    if size > MAX_POINTS:
        raise UsageError(f"--set: the grid has {size:,} points (at most {MAX_POINTS:,})")
    points = grid(axes)
    check_axes(scenario, axes)
    scenarios = [apply_point(scenario, point) for point in points]
    seed = scenario.seed if seed is None else seed
    count = scenario.replications if replications is None else replications
    results = simulate_points(scenarios, count, seed, execution, progress)
    outcome = SweepResult(scenario, axes, points, results, seed, count)
    outcome.table = sweep_table(points, results)
    return outcome


def grid_size(axes: dict[str, list[Any]]) -> int:
    """The number of points of the grid (the product of the axes' lengths)."""
    return math.prod(len(values) for values in axes.values())


def grid(axes: dict[str, list[Any]]) -> list[dict[str, Any]]:
    paths = list(axes)
    return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*axes.values())]


def check_axes(scenario: Scenario, axes: dict[str, list[Any]]) -> None:
    """Fail early, one line, on a path that leads nowhere or a value the scenario refuses."""
    for path, values in axes.items():
        if not values:
            raise UsageError(f"--set {path}: no values")
        if len(set(map(repr, values))) != len(values):
            raise UsageError(f"--set {path}: each value once (got {','.join(map(str, values))})")
        read_path(scenario, path)
        for value in values:
            apply_point(scenario, {path: value})


def sweep_table(points: list[dict[str, Any]], results: list[SimResult]) -> pd.DataFrame:
    """Tidy: one row per point and KPI, with the axis values as columns."""
    rows = []
    kpis = headline_for(r.scenario for r in results)  # the open market's where some point has it
    for index, (point, result) in enumerate(zip(points, results, strict=True)):
        for kpi in kpis:
            stat = describe(per_replication(result, kpi))
            rows.append({"point": index, **point, "kpi": kpi.name, "mean": stat["mean"], "std": stat["std"],
                         "ci95_lo": stat["ci95"][0], "ci95_hi": stat["ci95"][1]})  # fmt: skip
    return pd.DataFrame(rows)
