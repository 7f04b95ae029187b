"""What a run found, for its headline: the KPIs that moved most against the base, the alerts that fired.

A what-if is about something — grey selling, a price war, wasted leads — and its headline
should say so. The change of each watched KPI is the paired difference of replications that
share their random numbers with the base (common random numbers, as `compare`); the ones
whose 95% interval excludes 0 are ranked by the size of the change relative to the base.
Alerts are read from the summary: for each alert and entity, the mean number of weeks it
fired per replication, and the first week it fired in any replication.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from channelsim.experiments.checks import experiment_warnings
from channelsim.experiments.paths import read_path
from channelsim.kpi_catalogue import WATCHED, Kpi, market, per_replication
from channelsim.results import SimResult
from channelsim.results_io import write_text_atomic
from channelsim.runner import Execution, simulate_points
from channelsim.stats import describe

if TYPE_CHECKING:
    from channelsim.experiments.compare import CompareResult
    from channelsim.experiments.sweep import SweepResult

#: how many moved KPIs a headline lists
MOST = 5


@dataclass(frozen=True)
class Move:
    """One KPI's paired change against the base (mean and 95% interval of variant − base)."""

    run: str  # the variant or sweep point
    kpi: str
    label: str
    unit: str  # "money", "share" or a count noun
    base_mean: float
    mean: float
    diff_mean: float
    diff_ci95_lo: float | None
    diff_ci95_hi: float | None
    diff_pct: float | None  # of the base; None where the base is 0
    significant: bool


def moves(run: str, base: SimResult, other: SimResult) -> list[Move]:
    """Every watched KPI's paired change (the scenarios' market decides which KPIs mean something)."""
    has = market(base.scenario) | market(other.scenario)
    found = []
    for kpi in WATCHED:
        if kpi.needs is not None and kpi.needs not in has:
            continue
        move = _move(run, kpi, per_replication(base, kpi), per_replication(other, kpi))
        if move is not None:
            found.append(move)
    return found


def _move(run: str, kpi: Kpi, base: list[float], values: list[float]) -> Move | None:
    pairs = [(b, v) for b, v in zip(base, values, strict=True) if math.isfinite(b) and math.isfinite(v)]
    if not pairs:
        return None
    ref, own = describe([b for b, _ in pairs]), describe([v for _, v in pairs])
    diff = describe([v - b for b, v in pairs])
    lo, hi = diff["ci95"] if len(pairs) > 1 else (None, None)
    pct = 100 * diff["mean"] / abs(ref["mean"]) if ref["mean"] else None
    significant = lo is not None and hi is not None and (lo > 0 or hi < 0)
    return Move(run, kpi.name, kpi.label, kpi.unit, ref["mean"], own["mean"], diff["mean"], lo, hi,
                None if pct is None else float(f"{pct:.10g}"), significant)  # fmt: skip


def moved_most(found: list[Move], most: int = MOST) -> list[Move]:
    """The largest changes relative to the base: significant ones (with one replication, any change)."""
    tested = any(m.diff_ci95_lo is not None for m in found)
    chosen = [m for m in found if (m.significant if tested else m.diff_mean != 0)]
    return sorted(chosen, key=_size, reverse=True)[:most]


def _size(move: Move) -> float:
    """A change from 0 is the largest of all; otherwise its size in % of the base."""
    return math.inf if move.diff_pct is None else abs(move.diff_pct)


def fired_alerts(run: str, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Each alert and entity that fired: weeks per replication on average, the first week, the horizon."""
    out = []
    for alert in summary.get("alerts", []):
        rule = " and ".join(
            f"{side} {alert[side]:,.10g}" for side in ("above", "below") if alert.get(side) is not None
        )
        for entity, fired in alert.get("fired", {}).items():
            out.append({"run": run, "metric": alert["metric"], "rule": rule, "level": alert["level"],
                        "id": entity, "weeks": round(math.fsum(fired["share"]), 10),
                        "first_week": min(fired["weeks"]), "horizon_weeks": summary["horizon_weeks"]})  # fmt: skip
    return out


def findings(runs: dict[str, SimResult], warnings: list[str], most: int = MOST) -> dict[str, Any]:
    """findings.json: the moved KPIs of each run against the first (the base), each run's alerts, the warnings."""
    names = list(runs)
    base = runs[names[0]]
    moved = [asdict(m) for name in names[1:] for m in moved_most(moves(name, base, runs[name]), most)]
    alerts = [a for name in names for a in fired_alerts(name, runs[name].summary)]
    return {"base": names[0], "runs": names, "moved": moved, "alerts": alerts, "warnings": warnings}


def compare_findings(outcome: CompareResult) -> dict[str, Any]:
    """A compare's findings: each variant against the base (the same seeds), every run's alerts and warnings."""
    return findings(outcome.results, experiment_warnings(outcome.results))


def point_name(point: dict[str, Any]) -> str:
    """A sweep point as its assignments, e.g. `channels.marketplace.price_index=0.9`."""
    return ", ".join(f"{path}={value}" for path, value in point.items())


def sweep_findings(grid: SweepResult, execution: Execution | None = None) -> dict[str, Any]:
    """Each point against the base: the grid's point at today's values, or the base simulated with the
    grid's seeds (one more run) when the grid does not hold it."""
    today = {path: read_path(grid.scenario, path) for path in grid.axes}
    at_today = next((i for i, point in enumerate(grid.points) if point == today), None)
    if at_today is None:
        base = simulate_points([grid.scenario], grid.replications, grid.seed, execution)[0]
    else:
        base = grid.results[at_today]
    runs = {"base": base} | {point_name(p): r for i, (p, r) in enumerate(zip(grid.points, grid.results, strict=True))
                             if i != at_today}  # fmt: skip
    return findings(runs, experiment_warnings(runs), most=3)


def write_findings(folder: str | os.PathLike[str], data: dict[str, Any]) -> str:
    """findings.json in `folder` (atomically); the report's first panel reads it."""
    path = os.path.join(folder, "findings.json")
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path
