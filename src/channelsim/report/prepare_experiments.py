"""Data for the experiment panels: compare (change vs base), sweep (line or heatmap), tornado."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from channelsim.report.data import Bars, Item, Lines, Matrix, Panels, Tornado
from channelsim.report.style import money

# the KPIs of the compare heatmap, in reading order: money, volume, customers, conflict (market
# share only where the compare has it: with rivals)
MATRIX_KPIS = ("profit", "revenue", "orders", "market_share", "new_customers", "active_customers_end",
               "diverted_orders", "price_war_weeks", "cannibalized_orders", "partner_exits")  # fmt: skip


def _rows(compare: dict[str, Any], kpi: str) -> list[dict[str, Any]]:
    return [r for r in compare["rows"] if r["kpi"] == kpi and r["variant"] != compare.get("base", "base")]


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def compare_profit(compare: dict[str, Any]) -> Bars | None:
    rows, cur = _rows(compare, "profit"), compare["currency"]
    if not rows:
        return None
    marks = [" *" if r["significant"] else "" for r in rows]
    return Bars(
        "Change in profit against the base (paired difference, 95% interval)",
        f"Change in profit vs base ({cur})",
        [r["variant"] for r in rows],
        [_num(r["diff_mean"]) for r in rows],
        [_num(r["diff_ci95_lo"]) for r in rows],
        [_num(r["diff_ci95_hi"]) for r in rows],
        currency=cur,
        emphasis=[bool(r["significant"]) for r in rows],
        value_labels=[
            ("+" if _num(r["diff_mean"]) > 0 else "") + money(_num(r["diff_mean"]), cur) + m
            for r, m in zip(rows, marks, strict=True)
        ],
        zero_line=True,
    )


def _cell(row: dict[str, Any]) -> tuple[float, str]:
    pct, diff = _num(row["diff_pct"]), _num(row["diff_mean"])
    mark = "*" if row["significant"] else ""
    if row.get("unit") == "share":  # a share moves in percentage points, not in % of itself
        points = 100 * diff
        return points, f"{points:+.1f} pp{mark}"
    if math.isfinite(pct):
        return pct, f"{pct:+.0f}%{mark}" if abs(pct) >= 1 or pct == 0 else f"{pct:+.1f}%{mark}"
    return math.nan, (f"{diff:+.3g}{mark}" if diff else "0")  # the base is 0: show the change itself


def compare_matrix(compare: dict[str, Any]) -> Matrix | None:
    labels = {k["name"]: k["label"] for k in compare["kpis"]}
    variants = [v["name"] for v in compare["variants"] if v["name"] != compare.get("base", "base")]
    if not variants:
        return None
    by_key = {(r["variant"], r["kpi"]): r for r in compare["rows"]}
    kpis = [k for k in MATRIX_KPIS if k in labels]
    cells = [[_cell(by_key[(v, k)]) for k in kpis] for v in variants]
    shares = any(by_key[(variants[0], k)].get("unit") == "share" for k in kpis)
    return Matrix(
        "Change against the base (% of the base" + (", shares in pp" if shares else "") + "; * significant)",
        "KPI",
        "Variant",
        variants,
        [labels[k] for k in kpis],
        [[c[0] for c in row] for row in cells],
        [[c[1] for c in row] for row in cells],
        "Change vs base (%)",
        diverging=True,
    )


def _axes(meta: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    return [(a["path"], a["values"]) for a in meta["axes"]]


def _kpi_frame(table: pd.DataFrame, kpi: str) -> pd.DataFrame:
    return table[table["kpi"] == kpi].set_index("point").sort_index()


def sweep_chart(table: pd.DataFrame, meta: dict[str, Any]) -> Lines | Panels | Matrix | None:
    """One axis: profit, orders (and market share, with rivals) against it; two axes: a profit heatmap."""
    axes = _axes(meta)
    if len(axes) == 1:
        items: list[Item] = [_sweep_line(table, axes[0], "profit", "Profit", meta["currency"]),
                             _sweep_line(table, axes[0], "orders", "Orders", None)]  # fmt: skip
        if "market_share" in set(table["kpi"]):
            items.append(_sweep_line(table, axes[0], "market_share", "Market share", None, percent=True))
        return Panels(f"Sweep over {axes[0][0]} (mean and 95% band, {meta['replications']} replications)",
                      items, columns=len(items))  # fmt: skip
    if len(axes) == 2:
        return _sweep_heatmap(table, axes, meta["currency"], meta["replications"])
    return None


def _sweep_line(table: pd.DataFrame, axis: tuple[str, list[Any]], kpi: str, label: str,
                currency: str | None, percent: bool = False) -> Lines:  # fmt: skip
    path, values = axis
    frame = _kpi_frame(table, kpi)
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    x = [float(v) for v in values] if numeric else [float(i) for i in range(len(values))]
    unit = f" ({currency})" if currency else " (%)" if percent else ""
    scale = 100.0 if percent else 1.0

    def column(name: str) -> list[float]:
        return [scale * float(v) for v in frame[name]]

    return Lines(
        f"{label}{unit}",
        path,
        f"{label} over the horizon{unit}",
        x,
        {label: column("mean")},
        {label: (column("ci95_lo"), column("ci95_hi"))},
        currency=currency,
        x_ticks=None if numeric else [str(v) for v in values],
        markers=True,
    )


def _sweep_heatmap(
    table: pd.DataFrame, axes: list[tuple[str, list[Any]]], currency: str, replications: int
) -> Matrix:
    (row_path, row_values), (col_path, col_values) = axes
    means = _kpi_frame(table, "profit")["mean"].tolist()
    width = len(col_values)
    values = [means[i * width : (i + 1) * width] for i in range(len(row_values))]
    return Matrix(
        f"Profit over the grid (mean of {replications} replications)",
        col_path,
        row_path,
        [str(v) for v in row_values],
        [str(v) for v in col_values],
        values,
        [[money(v, currency) for v in row] for row in values],
        f"Profit ({currency})",
    )


def _interval(table: pd.DataFrame, side: str) -> tuple[list[float], list[float]] | None:
    """The 95% interval columns of one side's change (absent in a tornado.csv of an older version)."""
    lo, hi = f"{side}_change_ci95_lo", f"{side}_change_ci95_hi"
    if lo not in table or hi not in table:
        return None
    return [_num(v) for v in table[lo]], [_num(v) for v in table[hi]]


def tornado_chart(table: pd.DataFrame, meta: dict[str, Any]) -> Tornado:
    pct, cur = float(meta["pct"]), meta["currency"]
    n = meta.get("replications")
    return Tornado(
        f"Profit sensitivity: each parameter -/+{pct:g}%, one at a time",
        f"Change in profit vs base ({cur})" + (", with 95% intervals" if n and n > 1 else ""),
        [f"{r.parameter} ({r.base_value:.4g})" for r in table.itertuples()],
        table["low_change"].astype(float).tolist(),
        table["high_change"].astype(float).tolist(),
        [f"-{pct:g}%: {r.low_value:.4g}" for r in table.itertuples()],
        [f"+{pct:g}%: {r.high_value:.4g}" for r in table.itertuples()],
        cur,
        _interval(table, "low"),
        _interval(table, "high"),
    )
