"""Experiment tables as text a person reads on a terminal."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from channelsim.kpi_catalogue import BY_NAME


def number(value: Any, unit: str = "", signed: bool = False) -> str:
    """Thousands separators for large figures, one decimal for small ones; shares in %."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    sign = "+" if signed else ""
    if unit == "share":
        return f"{100 * value:{sign}.1f}%"
    return f"{value:{sign},.0f}" if abs(value) >= 100 else f"{value:{sign},.1f}"


def _half(lo: Any, hi: Any, unit: str) -> str:
    if lo is None or hi is None:
        return ""
    return f" ± {number((hi - lo) / 2, unit)}"


def compare_text(outcome: Any) -> str:
    """One block per variant: base and variant with intervals, and the paired change."""
    table, cur = outcome.table, outcome.scenario.currency
    lines = [
        f"{outcome.scenario.name}: base and {len(outcome.variants)} variant(s), {outcome.replications} "
        f"replication(s) × {outcome.scenario.horizon_weeks} weeks, seed {outcome.seed} (common random numbers)",
        "values: mean ± half the 95% interval; change: paired difference vs base ± half its 95% interval;"
        " * significant (the interval excludes 0)",
    ]
    for name in outcome.variants:
        lines += ["", f"{name} — {outcome.description(name)}"]
        lines.append(f"  {'KPI':<30}{'base':>20}{'variant':>20}   change vs base")
        base = table[table["variant"] == "base"].set_index("kpi")
        for row in table[table["variant"] == name].itertuples(index=False):
            lines.append(_compare_line(row, base.loc[row.kpi], cur))
    return "\n".join(lines)


def _compare_line(row: Any, base_row: pd.Series, currency: str) -> str:
    kpi = BY_NAME[row.kpi]
    unit = kpi.unit
    label = f"{kpi.label} ({currency})" if unit == "money" else kpi.label
    base = number(base_row["mean"], unit) + _half(base_row["ci95_lo"], base_row["ci95_hi"], unit)
    own = number(row.mean, unit) + _half(row.ci95_lo, row.ci95_hi, unit)
    change = number(row.diff_mean, unit, signed=True)
    if unit == "share":
        change = change.removesuffix("%") + " pp"
    change += _half(row.diff_ci95_lo, row.diff_ci95_hi, unit).replace("%", " pp")
    if isinstance(row.diff_pct, float) and math.isfinite(row.diff_pct) and unit != "share":
        change += f" ({row.diff_pct:+.1f}%)"
    mark = " *" if row.significant else ""
    return f"  {label:<30}{base:>20}{own:>20}   {change}{mark}"


SWEEP_KPIS = ("profit", "orders", "new_customers", "market_share")  # market share where the table has it


def sweep_text(outcome: Any, kpis: tuple[str, ...] | None = None) -> str:
    """The grid as a table: one line per point, a few KPIs with their intervals."""
    table: pd.DataFrame = outcome.table
    if kpis is None:
        kpis = tuple(k for k in SWEEP_KPIS if k in set(table["kpi"]))
    cur = outcome.scenario.currency
    paths = list(outcome.axes)
    header = "".join(f"{p:>{max(len(p), 10) + 2}}" for p in paths)
    header += "".join(
        f"{BY_NAME[k].label + (f' ({cur})' if BY_NAME[k].unit == 'money' else ''):>26}" for k in kpis
    )
    lines = [
        f"{outcome.scenario.name}: {len(outcome.points)} point(s) × {outcome.replications} replication(s), "
        f"seed {outcome.seed} (common random numbers); values: mean ± half the 95% interval",
        header,
    ]
    for index, point in enumerate(outcome.points):
        rows = table[table["point"] == index].set_index("kpi")
        line = "".join(f"{point[p]!s:>{max(len(p), 10) + 2}}" for p in paths)
        for k in kpis:
            row = rows.loc[k]
            line += f"{number(row['mean'], BY_NAME[k].unit) + _half(row['ci95_lo'], row['ci95_hi'], BY_NAME[k].unit):>26}"
        lines.append(line)
    return "\n".join(lines)


def tornado_text(outcome: Any) -> str:
    cur = outcome.scenario.currency
    lines = [
        f"Profit sensitivity, each parameter ±{outcome.pct:g}% one at a time "
        f"(base profit {number(outcome.table['profit_base'].iloc[0])} {cur}; change vs base, paired)",
        f"  {'parameter':<44}{'low value':>12}{'high value':>12}{'low: change ± 95%':>24}{'high: change ± 95%':>24}",
    ]
    for row in outcome.table.itertuples(index=False):
        lines.append(
            f"  {row.parameter:<44}{row.low_value:>12.4g}{row.high_value:>12.4g}"
            f"{_plus_minus(row.low_change, row.low_change_ci95_lo, row.low_change_ci95_hi):>24}"
            f"{_plus_minus(row.high_change, row.high_change_ci95_lo, row.high_change_ci95_hi):>24}"
        )
    lines += [f"  skipped: {reason}" for reason in outcome.skipped]
    return "\n".join(lines)


def _plus_minus(mean: float, low: float | None, high: float | None) -> str:
    """A paired change and half its 95% interval ("no interval" from one replication)."""
    if low is None or high is None or low != low or high != high:
        return f"{number(mean, signed=True)} (no interval)"
    return f"{number(mean, signed=True)} ± {number((high - low) / 2)}"


def moved_text(moved: list[dict[str, Any]], currency: str, run: str | None = None) -> list[str]:
    """The KPIs that moved most against the base, one line each: base → run, change ± half its interval."""
    rows = [m for m in moved if run is None or m["run"] == run]
    if not rows:
        return ["  nothing moved significantly against the base (paired 95% intervals all include 0)"]
    lines = []
    for m in rows:
        unit = m["unit"]
        label = f"{m['label']} ({currency})" if unit == "money" else m["label"]
        change = number(m["diff_mean"], unit, signed=True)
        if unit == "share":
            change = change.removesuffix("%") + " pp"
        if m["diff_ci95_lo"] is not None:
            change += _half(m["diff_ci95_lo"], m["diff_ci95_hi"], unit).replace("%", " pp")
        if m["diff_pct"] is not None and unit != "share":
            change += f" ({m['diff_pct']:+.0f}%)" if abs(m["diff_pct"]) >= 10 else f" ({m['diff_pct']:+.1f}%)"
        elif m["diff_pct"] is None:
            change += " (from 0)"
        span = f"{number(m['base_mean'], unit)} → {number(m['mean'], unit)}"
        lines.append(f"  {label:<40}{span:>22}   {change}")
    return lines


def alerts_text(alerts: list[dict[str, Any]], run: str | None = None) -> list[str]:
    """Each alert that fired: which (metric, rule, where), weeks per replication, the first week."""
    rows = [a for a in alerts if run is None or a["run"] == run]
    if not rows:
        return []
    lines = []
    for a in rows:
        where = "" if a["level"] == "total" else f" at {a['level']} {a['id']}"
        what = f"{a['metric']} {a['rule']}{where}"
        lines.append(
            f"  {what:<46} {number(a['weeks'])} of {a['horizon_weeks']} weeks, first in week {a['first_week']}"
        )
    return lines


def findings_text(data: dict[str, Any], currency: str, run: str) -> str:
    """A run's findings: the KPIs that moved most against the base (unless it is the base), its alerts."""
    lines = []
    if run != data["base"]:
        lines.append(
            "moved most against the base (same seeds; change: paired difference ± half its 95% interval)"
        )
        lines += moved_text(data["moved"], currency, run)
    fired = alerts_text(data["alerts"], run)
    if fired:
        lines.append("alerts that fired (weeks per replication on average, of the horizon; first week)")
        lines += fired
    return "\n".join(lines)


def experiment_findings_text(data: dict[str, Any], currency: str) -> str:
    """An experiment's headline: per run (variant or point), what moved most against the base and its alerts."""
    blocks = ["", "In short: what each run changed against the base, and the alerts that fired"]
    for name in data["runs"]:
        text = findings_text(data, currency, name)
        if text:
            blocks += ["", f"{name}:", text]
    return "\n".join(blocks)


def warnings_text(warnings: list[str]) -> str:
    return "\n".join(f"warning: {w}" for w in warnings)
