"""Compare variants with the base: common random numbers, paired differences, a KPI table.

Every variant is simulated with the base's seed, so replication r of each variant sees the
same random streams as replication r of the base. The change of a KPI is then estimated
from the paired differences `variant_r − base_r`, whose spread is usually far smaller than
either run's: a variant that changes nothing differs by exactly zero.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from channelsim.errors import UsageError
from channelsim.experiments.header import run_header
from channelsim.kpi_catalogue import Kpi, headline_for, per_replication
from channelsim.results import SimResult
from channelsim.results_io import write_bytes_atomic, write_text_atomic
from channelsim.runner import Execution, Progress, simulate_points
from channelsim.scenario.schema import Scenario
from channelsim.stats import describe

BASE = "base"
COLUMNS = ["variant", "kpi", "unit", "mean", "ci95_lo", "ci95_hi", "base_mean", "diff_mean", "diff_ci95_lo",
           "diff_ci95_hi", "diff_pct", "significant"]  # fmt: skip


@dataclass
class CompareResult:
    """The base and each variant's SimResult, and the KPI table (`table`, one row per variant × KPI)."""

    scenario: Scenario
    results: dict[str, SimResult]  # "base" first, then the variants in the order asked
    seed: int
    replications: int
    table: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def variants(self) -> list[str]:
        return [name for name in self.results if name != BASE]

    @property
    def kpis(self) -> tuple[Kpi, ...]:
        """The headline KPIs of the table: the open market's where the base or a variant has it."""
        return headline_for(r.scenario for r in self.results.values())

    def description(self, name: str) -> str:
        return "the scenario as written" if name == BASE else self.scenario.variants[name].description

    def to_data(self) -> dict[str, Any]:
        """compare.json: what was compared, and the table as records."""
        header = run_header(self.scenario, self.seed, self.replications)
        del header["variant"]  # the base and each variant are listed below
        return header | {
            "base": BASE,
            "variants": [{"name": n, "description": self.description(n)} for n in self.results],
            "kpis": [{"name": k.name, "label": k.label, "unit": k.unit} for k in self.kpis],
            "rows": json.loads(self.table.to_json(orient="records", double_precision=10)),
        }

    def write(self, folder: str | os.PathLike[str], command: list[str] | None = None) -> list[str]:
        """The base's summary.json, kpis.csv, manifest.json, then compare.csv and compare.json."""
        paths = self.results[BASE].write(folder, command)
        csv_path, json_path = os.path.join(folder, "compare.csv"), os.path.join(folder, "compare.json")
        csv = self.table.to_csv(index=False, float_format="%.10g", lineterminator="\n")
        write_bytes_atomic(csv_path, csv.encode("utf-8"))
        write_text_atomic(json_path, json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n")
        return [*paths, csv_path, json_path]


def compare(
    scenario: Scenario,
    variants: list[str] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> CompareResult:
    """Simulate the base and each variant (default: all) with common random numbers."""
    names = list(scenario.variants) if variants is None else list(variants)
    if not names:
        raise UsageError(f"compare: {scenario.file} has no variants to compare (add some under `variants:`)")
    unknown = [n for n in names if n not in scenario.variants]
    if unknown:
        known = ", ".join(scenario.variants) or "none"
        raise UsageError(
            f"--variants: no variant {', '.join(map(repr, unknown))} (this scenario has: {known})"
        )
    if len(set(names)) != len(names) or BASE in names:
        raise UsageError(f"--variants: each variant once, and not '{BASE}' (got {','.join(names)})")
    seed = scenario.seed if seed is None else seed
    count = scenario.replications if replications is None else replications
    scenarios = [scenario, *(scenario.variant(n) for n in names)]
    results = simulate_points(scenarios, count, seed, execution, progress)
    outcome = CompareResult(scenario, dict(zip([BASE, *names], results, strict=True)), seed, count)
    outcome.table = compare_table(outcome.results, scenario.currency)
    return outcome


def compare_table(results: dict[str, SimResult], currency: str) -> pd.DataFrame:
    """One row per variant and KPI: its interval, and the paired change against the base."""
    base = results[BASE]
    kpis = headline_for(r.scenario for r in results.values())  # the open market's where some run has it
    rows = [
        _row(name, kpi, per_replication(result, kpi), per_replication(base, kpi), currency)
        for name, result in results.items()
        for kpi in kpis
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(name: str, kpi: Kpi, values: list[float], base: list[float], currency: str) -> dict[str, Any]:
    own, ref = describe(values), describe(base)
    diff = describe([v - b for v, b in zip(values, base, strict=True)])
    lo, hi = diff["ci95"]
    base_mean = ref["mean"]
    pct = 100.0 * diff["mean"] / abs(base_mean) if base_mean and diff["mean"] is not None else math.nan
    return {
        "variant": name,
        "kpi": kpi.name,
        "unit": kpi.unit_text(currency),
        "mean": own["mean"],
        "ci95_lo": own["ci95"][0],
        "ci95_hi": own["ci95"][1],
        "base_mean": base_mean,
        "diff_mean": diff["mean"],
        "diff_ci95_lo": lo,
        "diff_ci95_hi": hi,
        "diff_pct": float(f"{pct:.10g}"),
        # an interval needs two replications; a constant non-zero difference is a sure change
        "significant": bool(len(values) > 1 and lo is not None and (lo > 0 or hi < 0)),
    }
