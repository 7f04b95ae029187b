"""Tornado: profit's sensitivity to each parameter moved ±PCT% one at a time.

The base and every moved point share the seed (common random numbers), so each bar is a
paired difference against the same base replications.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from channelsim.errors import UsageError
from channelsim.experiments.paths import apply_point, read_path
from channelsim.kpi_catalogue import BY_NAME, per_replication
from channelsim.results_io import write_bytes_atomic, write_text_atomic
from channelsim.runner import Execution, Progress, simulate_points
from channelsim.scenario.schema import Scenario
from channelsim.stats import describe


@dataclass
class TornadoResult:
    """One row per parameter: its base, low and high values, and profit at each."""

    scenario: Scenario
    pct: float
    seed: int
    replications: int
    table: pd.DataFrame
    skipped: list[str] = field(default_factory=list)  # parameters left out, with the reason

    def write(self, folder: str | os.PathLike[str]) -> list[str]:
        os.makedirs(folder, exist_ok=True)
        csv_path, json_path = os.path.join(folder, "tornado.csv"), os.path.join(folder, "tornado.json")
        csv = self.table.to_csv(index=False, float_format="%.10g", lineterminator="\n")
        write_bytes_atomic(csv_path, csv.encode("utf-8"))
        meta = {"scenario": self.scenario.name, "currency": self.scenario.currency, "pct": self.pct,
                "seed": self.seed, "replications": self.replications, "kpi": "profit", "skipped": self.skipped}  # fmt: skip
        write_text_atomic(json_path, json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
        return [csv_path, json_path]


def default_parameters(scenario: Scenario) -> list[str]:
    """The levers and assumptions most plans hinge on: spend, prices, margins, demand."""
    paths = [f"sources.{s.id}.spend_per_week" for s in scenario.sources if s.spend_per_week > 0]
    for channel in scenario.channels:
        if channel.type == "direct":
            paths.append(f"channels.{channel.id}.price_index")
        elif channel.partner_margin > 0:
            paths.append(f"channels.{channel.id}.partner_margin")
    for segment in scenario.segments:
        paths += [f"segments.{segment.id}.{k}" for k in ("order_value", "conversion", "churn_per_week")]
    return [*paths, "gross_margin"]


def tornado(
    scenario: Scenario,
    pct: float,
    parameters: list[str] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> TornadoResult:
    """Move each parameter (default: `default_parameters`) to ±pct% of its value, one at a time."""
    if not 0 < pct < 100:
        raise UsageError(f"--tornado: must be a percentage between 0 and 100 (got {pct:g})")
    explicit = parameters is not None
    moves, skipped = [], []
    for path in parameters if parameters is not None else default_parameters(scenario):
        try:
            moves.append(_moves(scenario, path, pct))
        except UsageError as err:
            if explicit:
                raise
            skipped.append(str(err))
    if not moves:
        raise UsageError("--tornado: no parameter can be moved (" + "; ".join(skipped) + ")")
    scenarios = [scenario] + [sc for _, _, low, high in moves for sc in (low[1], high[1])]
    seed = scenario.seed if seed is None else seed
    count = scenario.replications if replications is None else replications
    results = simulate_points(scenarios, count, seed, execution, progress)
    base = per_replication(results[0], BY_NAME["profit"])
    rows = []
    for index, (path, base_value, low, high) in enumerate(moves):
        low_profit = per_replication(results[1 + 2 * index], BY_NAME["profit"])
        high_profit = per_replication(results[2 + 2 * index], BY_NAME["profit"])
        rows.append(_row(path, base_value, low[0], high[0], base, low_profit, high_profit))
    table = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    return TornadoResult(scenario, pct, seed, count, table, skipped)


def _moves(scenario: Scenario, path: str, pct: float) -> tuple[str, float, tuple, tuple]:
    value = read_path(scenario, path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"--tornado: {path} is not a number (got {value!r})")
    if value == 0:
        raise UsageError(f"--tornado: {path} is 0, so ±{pct:g}% does not move it")
    low, high = value * (1 - pct / 100), value * (1 + pct / 100)
    if isinstance(value, int):  # counts (population, initial customers) stay whole
        low, high = round(low), round(high)
    return path, value, (low, apply_point(scenario, {path: low})), (high, apply_point(scenario, {path: high}))


def _row(path: str, base_value: float, low: float, high: float, base: list[float], low_profit: list[float],
         high_profit: list[float]) -> dict[str, Any]:  # fmt: skip
    down = describe([v - b for v, b in zip(low_profit, base, strict=True)])
    up = describe([v - b for v, b in zip(high_profit, base, strict=True)])
    return {
        "parameter": path, "base_value": base_value, "low_value": low, "high_value": high,
        "profit_base": describe(base)["mean"],
        "low_change": down["mean"], "low_change_ci95_lo": down["ci95"][0], "low_change_ci95_hi": down["ci95"][1],
        "high_change": up["mean"], "high_change_ci95_lo": up["ci95"][0], "high_change_ci95_hi": up["ci95"][1],
        "swing": abs(up["mean"] - down["mean"]),
    }  # fmt: skip
