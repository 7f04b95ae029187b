"""The report's first panel from findings.json: what moved most against the base, the alerts that fired."""

from __future__ import annotations

from typing import Any

from channelsim.report.data import Table
from channelsim.report.prepare_plan import number


def _change(row: dict[str, Any]) -> str:
    if row["unit"] == "share":
        text = f"{100 * row['diff_mean']:+.1f} pp"
        if row["diff_ci95_lo"] is not None:
            text += f" ± {50 * (row['diff_ci95_hi'] - row['diff_ci95_lo']):.1f} pp"
        return text
    text = number(row["diff_mean"], signed=True)
    if row["diff_ci95_lo"] is not None:
        text += f" ± {number((row['diff_ci95_hi'] - row['diff_ci95_lo']) / 2)}"
    return text + ("" if row["diff_pct"] is None else f" ({row['diff_pct']:+.0f}%)")


def _value(value: float, unit: str) -> str:
    return f"{100 * value:.1f}%" if unit == "share" else number(value)


def moved_table(findings: dict[str, Any], currency: str) -> Table | None:
    """One row per run and KPI that moved most: base → run, the paired change ± half its interval."""
    rows = findings.get("moved") or []
    if not rows:
        return None
    several = len({r["run"] for r in rows}) > 1
    cells = [[*([r["run"]] if several else []), r["label"] + (f" ({currency})" if r["unit"] == "money" else ""),
              _value(r["base_mean"], r["unit"]), _value(r["mean"], r["unit"]), _change(r)] for r in rows]  # fmt: skip
    return Table(
        "What moved most against the base",
        "The KPIs whose change is largest relative to the base among those whose 95% interval excludes 0; "
        "the base and the run share their random numbers, so the change is a paired difference.",
        [
            *(["Run"] if several else []),
            "KPI",
            "Base",
            "Run" if not several else "Value",
            "Change ± half the 95% interval",
        ],
        cells,
        align="ll" + "rrr" if several else "l" + "rrr",
    )


def alerts_table(findings: dict[str, Any]) -> Table | None:
    """Every alert that fired: which, where, how many weeks per replication, the first week."""
    rows = findings.get("alerts") or []
    if not rows:
        return None
    several = len({r["run"] for r in rows}) > 1
    cells = [[*([r["run"]] if several else []), f"{r['metric']} {r['rule']}",
              "total" if r["level"] == "total" else f"{r['level']} {r['id']}",
              f"{number(r['weeks'])} of {r['horizon_weeks']}", str(r["first_week"])] for r in rows]  # fmt: skip
    return Table(
        "Alerts that fired",
        "Weeks in which each alert's KPI crossed its threshold: the mean per replication, and the first week "
        "it happened in any replication.",
        [*(["Run"] if several else []), "Alert", "Where", "Weeks per replication", "First week"],
        cells,
        align=("ll" if several else "l") + "lrr",
    )
