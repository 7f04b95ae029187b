"""The report page: every panel as a PNG beside `report.html`, and embedded in it (base64)."""

from __future__ import annotations

import base64
import os
from html import escape
from typing import TYPE_CHECKING, Any

from channelsim.kpi_catalogue import EACH, HEADLINE, PROSPECTING, RIVALS, Kpi, headline_for
from channelsim.report import charts, findings_tables, style
from channelsim.report import prepare as results
from channelsim.report import prepare_plan as plan_data
from channelsim.report.data import Panel, Table
from channelsim.report.inputs import Inputs, read_folder
from channelsim.report.panels import SECTIONS, panels
from channelsim.report.prepare import stat
from channelsim.report.prepare_plan import number as _n
from channelsim.results_io import write_bytes_atomic, write_text_atomic
from channelsim.stats import describe

if TYPE_CHECKING:
    import pandas as pd

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1150px; margin: 2em auto;
       padding: 0 1em; color: #111; font-size: 17px; line-height: 1.45; }
h1 { font-size: 1.9em; margin-bottom: .2em; } h2 { border-bottom: 2px solid #0072B2; padding-bottom: .2em; }
.meta { color: #444; } figure { margin: 1.5em 0; page-break-inside: avoid; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; } figcaption { color: #333; font-size: .95em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .95em; page-break-inside: avoid; }
th, td { padding: .3em .7em; border-bottom: 1px solid #ccc; text-align: right; }
th:first-child, td:first-child, th.l, td.l { text-align: left; } .sig { font-weight: bold; }
h3 { margin: 1.6em 0 .3em; } .lead { font-size: 1.15em; font-weight: 600; }
.warn { background: #fff4e0; border-left: 4px solid #E69F00; padding: .4em .8em; }
"""


def write_report(folder: str | os.PathLike[str]) -> list[str]:
    """Build report.html and one PNG per panel from the result files in `folder`."""
    found = read_folder(folder)
    chosen = panels(found)
    images: dict[str, bytes] = {}
    written = []
    for panel in chosen:
        figure = charts.draw(panel.chart)
        images[panel.name] = style.png_bytes(figure)
        path = os.path.join(found.folder, f"{panel.name}.png")
        write_bytes_atomic(path, images[panel.name])
        written.append(path)
    page = os.path.join(found.folder, "report.html")
    write_text_atomic(page, render(found, chosen, images))
    return [page, *written]


def render(found: Inputs, chosen: list[Panel], images: dict[str, bytes]) -> str:
    """The whole page as one string: no external files, scripts or fonts."""
    body = [f"<h1>{escape(found.title)}</h1>", _meta(found)]
    for section in SECTIONS:
        figures = {p.name: _figure(p, images[p.name]) for p in chosen if p.section == section}
        if section == "Plan" and found.plan is not None:
            parts = _plan_parts(found, figures)
        elif section == "Futures" and found.plan is not None:
            parts = _futures_parts(found, figures)
        else:
            parts = _tables(found, section) + list(figures.values())
        if parts:
            body += [f'<h2 id="{section.lower()}">{section}</h2>', *parts]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(found.title)} — channelsim report</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _meta(found: Inputs) -> str:
    lines = []
    if found.scenario is not None and found.scenario.description:
        lines.append(f"<p>{escape(found.scenario.description.strip())}</p>")
    facts = []
    source = found.summary or found.compare or found.sweep_meta or found.tornado_meta or {}
    if source.get("variant"):
        facts.append(f"variant <b>{escape(str(source['variant']))}</b>")
    for key, label in (("horizon_weeks", "weeks"), ("replications", "replications"), ("seed", "seed")):
        if source.get(key) is not None:
            facts.append(f"{label} {escape(str(source[key]))}" if key == "seed" else f"{source[key]} {label}")
    if found.plan is not None:
        facts.append(escape(_plan_facts(found.plan)))
    lines.append(f'<p class="meta">{" · ".join(facts)} · money in {escape(found.currency)}</p>')
    return "\n".join(lines)


def _plan_facts(plan: dict[str, Any]) -> str:
    """plan: optimal (profit, cbc, gap 1e-06, 3 rounds)."""
    how = [str(plan[k]) for k in ("objective", "solver") if plan.get(k)]
    if isinstance(plan.get("mip_gap"), int | float):
        how.append(f"gap {plan['mip_gap']:.2g}")
    rounds = (plan.get("details") or {}).get("rounds")
    if rounds:
        how.append(f"{rounds} round{'s' if rounds != 1 else ''}")
    robust = plan.get("robust")
    if robust:
        how.append(f"robust over {len(robust.get('futures', []))} futures by {plan_data.value_label(plan)}")
    return f"plan: {plan.get('status', 'given')}" + (f" ({', '.join(how)})" if how else "")


def _plan_parts(found: Inputs, figures: dict[str, str]) -> list[str]:
    """The plan in reading order: what it is worth, forecast beside simulation, every lever, why."""
    plan, sc, cur = found.plan or {}, found.scenario, found.currency
    lead = plan_data.headline(plan, cur, sc.horizon_weeks if sc is not None else None)
    blocks = [
        f'<p class="lead">{escape(lead)}</p>' if lead else None,
        _render_table(plan_data.forecast_table(plan, cur)),
        figures.pop("plan_profit", None),
        _render_table(plan_data.left_out_table(plan)),
        _render_table(plan_data.levers_table(plan, sc, cur)),
        _render_table(plan_data.periods_table(plan, sc, cur)),
        figures.pop("period_plan", None),
        _render_table(plan_data.limits_table(plan, sc, cur)),
    ]
    return [b for b in blocks if b] + list(figures.values())


def _futures_parts(found: Inputs, figures: dict[str, str]) -> list[str]:
    """A robust plan: the futures and its value in each, then every plan's regret in every future."""
    plan, sc, cur = found.plan or {}, found.scenario, found.currency
    blocks = [
        _render_table(plan_data.futures_table(plan, sc, cur)),
        figures.pop("futures", None),
        _render_table(plan_data.regret_table(plan, cur)),
    ]
    return [b for b in blocks if b] + list(figures.values())


def _render_table(table: Table | None) -> str | None:
    if table is None:
        return None
    intro = f"<p>{escape(table.intro)}</p>" if table.intro else ""
    return f"<h3>{escape(table.title)}</h3>{intro}" + _table(
        table.headers, table.rows, table.strong, table.align
    )


def _figure(panel: Panel, png: bytes) -> str:
    title = panel.chart.title
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure id="{panel.name}"><img src="data:image/png;base64,{data}" alt="{escape(title)}">'
            f"<figcaption>{escape(panel.caption)} (<code>{panel.name}.png</code>)</figcaption></figure>")  # fmt: skip


def _table(
    headers: list[str], rows: list[list[str]], strong: list[bool] | None = None, align: str = ""
) -> str:
    """An HTML table; `align` has one letter per column (l: text, left; r: figures, right), default
    the first column left and the rest right."""
    left = [i == 0 if i >= len(align) else align[i] == "l" for i in range(len(headers))]
    cls = [' class="l"' if is_left and i else "" for i, is_left in enumerate(left)]  # the first: by the CSS
    head = "".join(f"<th{c}>{escape(h)}</th>" for c, h in zip(cls, headers, strict=True))
    lines = []
    for index, row in enumerate(rows):
        mark = ' class="sig"' if strong and strong[index] else ""
        lines.append(f"<tr{mark}>" + "".join(f"<td{c}>{escape(v)}</td>" for c, v in zip(cls, row, strict=True))
                     + "</tr>")  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _tables(found: Inputs, section: str) -> list[str]:
    if section == "Headline" and (found.summary is not None or found.findings is not None):
        return _headline_parts(found)
    if section == "Channels" and found.summary is not None:
        table = _render_table(results.levels_table(found.summary, found.scenario, found.currency))
        return [table] if table else []
    if section == "Compare" and found.compare is not None:
        return [_compare_table(found.compare)]
    if section == "Sensitivity" and found.tornado is not None and len(found.tornado):
        return [_tornado_table(found.tornado, found.currency)]
    if section == "Conflict" and found.summary is not None and found.summary.get("conflict"):
        conflict = found.summary["conflict"]
        rows = [[key.replace("_", " "), _n(stat(node)[0]), f"[{_n(stat(node)[1])}, {_n(stat(node)[2])}]"]
                for key, node in conflict.items()]  # fmt: skip
        return [_table(["Conflict figure", "Mean", "95% interval"], rows)]
    return []


def _headline_kpis(found: Inputs) -> tuple[Kpi, ...]:
    """The catalogue's KPIs for this run: the open market's where the scenario has it."""
    if found.scenario is not None:
        return headline_for([found.scenario])
    totals = (found.summary or {}).get("totals", {})
    has = {RIVALS: "rival_orders", PROSPECTING: "partner_leads"}  # no scenario to read: what happened
    seen = {need for need, key in has.items() if (stat(totals[key])[0] if key in totals else 0) > 0}
    return tuple(k for k in HEADLINE if k.needs is None or k.needs in seen)


def _headline_parts(found: Inputs) -> list[str]:
    """The first panel: the warnings, what moved against the base, the alerts that fired, the totals."""
    data = found.findings or {}
    parts = [f'<p class="warn">⚠ {escape(w)}</p>' for w in data.get("warnings", [])]
    parts += [t for t in (_render_table(findings_tables.moved_table(data, found.currency)),
                          _render_table(findings_tables.alerts_table(data))) if t]  # fmt: skip
    if found.summary is not None:
        parts.append(_headline_table(found))
    return parts


def _headline_table(found: Inputs) -> str:
    rows = []
    one = (found.summary or {}).get("replications") == 1  # no interval: say so rather than print [x, x]
    for kpi in _headline_kpis(found):
        node = _headline_stat(found, kpi)
        if not node:
            continue
        mean, lo, hi = stat(node)
        if kpi.unit == "share":
            interval = ONE if one else f"[{100 * lo:.1f}%, {100 * hi:.1f}%]"
            rows.append([kpi.label, f"{100 * mean:.1f}%", interval, f"of {kpi.of}"])
        else:
            interval = ONE if one else f"[{_n(lo)}, {_n(hi)}]"
            rows.append([kpi.label, _n(mean), interval, kpi.unit_text(found.currency)])
    return _table(["KPI", "Mean", "95% interval", "Unit"], rows)


ONE = "no interval from one replication"

#: the kpis.csv level of a summary's `by_...` entries, for the KPIs that sum over them
LEVELS = {"by_partner": "partner", "by_segment": "segment", "by_channel": "channel", "by_source": "source"}


def _headline_stat(found: Inputs, kpi: Kpi) -> dict[str, Any] | None:
    """The KPI's {mean, std, ci95}: from the summary, or for a sum over entries from kpis.csv."""
    if EACH not in kpi.path:
        node: Any = found.summary
        for key in kpi.path:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        return node or None
    # the interval of a sum needs each replication's sum: the weekly rows have them
    level = LEVELS.get(kpi.path[0])
    if found.kpis is None or level is None or kpi.path[1:-1] != (EACH,):
        return None
    rows = found.kpis[(found.kpis["level"] == level) & (found.kpis["metric"] == kpi.path[-1])]
    if rows.empty:
        return None
    return describe(rows.groupby("replication")["value"].sum().astype(float).tolist())


def _compare_table(compare: dict[str, Any]) -> str:
    rows, strong = [], []
    for r in compare["rows"]:
        if r["variant"] == compare.get("base", "base"):
            continue
        pct = r["diff_pct"]
        rows.append([f"{r['variant']}: {r['kpi'].replace('_', ' ')}", _n(r["base_mean"]), _n(r["mean"]),
                     _n(r["diff_mean"], signed=True), f"[{_n(r['diff_ci95_lo'], True)}, {_n(r['diff_ci95_hi'], True)}]",
                     "—" if pct is None else f"{pct:+.1f}%", "yes" if r["significant"] else "no", r["unit"]])  # fmt: skip
        strong.append(bool(r["significant"]))
    headers = [
        "Variant: KPI",
        "Base",
        "Variant",
        "Change",
        "95% interval of change",
        "Change %",
        "Significant",
        "Unit",
    ]
    return _table(headers, rows, strong)


def _tornado_table(table: pd.DataFrame, cur: str) -> str:
    rows = [[str(r.parameter), f"{r.base_value:.4g}", f"{r.low_value:.4g}", f"{r.high_value:.4g}",
             _changed(table, r, "low"), _changed(table, r, "high")] for r in table.itertuples()]  # fmt: skip
    headers = [
        "Parameter",
        "Base",
        "Low",
        "High",
        f"Profit change, low ({cur}; ± half the paired 95% interval)",
        f"Profit change, high ({cur}; ± half the paired 95% interval)",
    ]
    return _table(headers, rows)


def _changed(table: pd.DataFrame, row: Any, side: str) -> str:
    """A side's paired profit change, ± half its 95% interval where the table has one."""
    mean = getattr(row, f"{side}_change")
    if f"{side}_change_ci95_lo" not in table.columns:  # a tornado.csv of an older version
        return _n(mean, True)
    low, high = getattr(row, f"{side}_change_ci95_lo"), getattr(row, f"{side}_change_ci95_hi")
    if low is None or high is None or low != low or high != high:  # NaN: one replication
        return f"{_n(mean, True)} (no interval)"
    return f"{_n(mean, True)} ± {_n((high - low) / 2)}"
