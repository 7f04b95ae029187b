"""Data for the results panels: headline KPIs, channels, funnel, curves, budget, conflict (the plan's own
panels and tables: `prepare_plan`)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from channelsim.kpi_catalogue import PROSPECTING, market
from channelsim.report.data import Bars, Curve, Item, Lines, Matrix, Panels, Shift, Table, Waterfall
from channelsim.scenario.schema import Scenario
from channelsim.stats import describe

#: the Money waterfall, revenue to profit: totals and the steps between them (a step is minus a total's
#: figure, or the difference of two totals); the ledger's identity profit = contribution − these costs
WATERFALL: tuple[tuple[str, str, str | None, str], ...] = (
    ("total", "revenue", None, "Revenue (customers paid)"),
    ("gap", "revenue", "brand_revenue", "Partners' margins"),
    ("gap", "brand_revenue", "contribution", "Goods and variable costs"),
    ("total", "contribution", None, "Contribution"),
    ("cost", "marketing_spend", None, "Marketing"),
    ("cost", "incentive_cost", None, "Partner incentives"),
    ("cost", "fixed_cost", None, "Fixed costs"),
    ("cost", "crm_cost", None, "Loyalty programmes"),
    ("cost", "winback_spend", None, "Win-back"),
    ("total", "profit", None, "Profit"),
)
COUNTS = (("orders", "Orders"), ("new_customers", "New customers"), ("active_customers_end", "Active at end"),
          ("lost_orders", "Lost orders"))  # fmt: skip


def stat(node: dict[str, Any]) -> tuple[float, float, float]:
    """(mean, lo, hi) of a summary figure; NaN where a replication had no value."""
    lo, hi = node.get("ci95") or (None, None)
    mean, lo, hi = (math.nan if v is None else float(v) for v in (node.get("mean"), lo, hi))
    return mean, lo, hi


def _intervals(title: str, xlabel: str, pairs: tuple[tuple[str, str], ...], totals: dict[str, Any],
               currency: str | None) -> Bars:  # fmt: skip
    stats = [stat(totals[key]) for key, _ in pairs]
    return Bars(title, xlabel, [label for _, label in pairs], [s[0] for s in stats], [s[1] for s in stats],
                [s[2] for s in stats], currency=currency)  # fmt: skip


def headline(summary: dict[str, Any], currency: str) -> Panels:
    totals, n = summary["totals"], summary.get("replications", 1)
    weeks = summary.get("horizon_weeks")
    how = f"mean and 95% interval, {n} replications" if n > 1 else "one replication: no interval"
    counts = _intervals("Customers and orders", "Count over the horizon", COUNTS, totals, None)
    money = money_waterfall(totals, currency)
    if n < 2:  # a zero-width whisker would claim a certainty one replication does not have
        counts, money = replace(counts, lows=None, highs=None), replace(money, lows=None, highs=None)
    return Panels(f"Headline KPIs over {weeks} weeks ({how})", [money, counts])


def money_waterfall(totals: dict[str, Any], currency: str) -> Waterfall:
    """Revenue to profit: what partners keep, goods and variable costs, then each cost (steps of 0 left out)."""
    labels, values, is_total, lows, highs = [], [], [], [], []
    for kind, key, other, label in WATERFALL:
        if key not in totals or (other is not None and other not in totals):
            continue
        mean, lo, hi = stat(totals[key])
        if kind == "total":
            value, lo_hi = mean, (lo, hi)
        else:
            value = -(mean - stat(totals[other])[0]) if other is not None else -mean  # a gap, or a cost
            lo_hi = (math.nan, math.nan)
            if value == 0:
                continue
        labels.append(label)
        values.append(value)
        is_total.append(kind == "total")
        lows.append(lo_hi[0])
        highs.append(lo_hi[1])
    return Waterfall("Money: from revenue to profit", f"Total over the horizon ({currency})", labels, values,
                     is_total, currency, lows, highs)  # fmt: skip


def channel_mix(summary: dict[str, Any]) -> Bars:
    channels = summary["by_channel"]
    stats = [stat(channels[c]["share"]) for c in channels]
    return Bars(
        "Channel mix: share of all orders",
        "Share of orders (%, mean and 95% interval)",
        list(channels),
        [100 * s[0] for s in stats],
        [100 * s[1] for s in stats],
        [100 * s[2] for s in stats],
        percent=True,
    )


def weekly_mean(kpis: pd.DataFrame, level: str, metric: str) -> pd.DataFrame:
    """Week × id table of a metric's mean over replications."""
    rows = kpis[(kpis["level"] == level) & (kpis["metric"] == metric)]
    table = rows.pivot_table(index="week", columns="id", values="value", aggfunc="mean", sort=True)
    order = list(dict.fromkeys(rows["id"]))  # the scenario's order, as in the summary and the legend
    return table[order].astype(float)


def weekly_orders(kpis: pd.DataFrame) -> Lines:
    table = weekly_mean(kpis, "channel", "orders")
    return Lines(
        "Weekly orders by channel (mean over replications)",
        "Week",
        "Orders per week",
        [float(w) for w in table.index],
        {str(c): table[c].tolist() for c in table.columns},
    )


def _weekly_interval(values: pd.Series) -> tuple[list[float], list[float], list[float]]:
    """Per week (ascending), the mean and 95% interval over replications of a (replication, week) series."""
    mean, lo, hi = [], [], []
    for _, week in values.groupby(level="week", sort=True):
        stats = describe(week.tolist())
        low, high = stats["ci95"]
        mean.append(math.nan if stats["mean"] is None else stats["mean"])
        lo.append(math.nan if low is None else low)
        hi.append(math.nan if high is None else high)
    return mean, lo, hi


def market_share(kpis: pd.DataFrame, scenario: Scenario | None) -> Lines | Panels | None:
    """Our share and the rivals' of the orders of each segment with rivals, week by week.

    One plot per segment (the whole market first when there are several segments). A week's
    share is orders / (orders + rival orders) in each replication (none where the segment had
    no order at all that week); the bands are its 95% interval across replications.
    """
    rows = kpis[(kpis["level"] == "segment") & kpis["metric"].isin(("orders", "rival_orders"))]
    if rows.empty:
        return None
    table = rows.pivot_table(index=["id", "replication", "week"], columns="metric", values="value",
                             aggfunc="sum", sort=True).reindex(columns=["orders", "rival_orders"], fill_value=0.0)  # fmt: skip
    ids = list(dict.fromkeys(rows["id"]))  # the scenario's order
    if scenario is not None:
        rivals = {s.id for s in scenario.segments if s.competition is not None}
        shown = [i for i in ids if i in rivals]
    else:  # no scenario to read: the segments where rivals won something
        shown = [i for i in ids if table.loc[i, "rival_orders"].sum() > 0]
    if not shown:
        return None
    groups: dict[str, pd.DataFrame] = {}
    if len(ids) > 1:  # the whole market first: the headline's market share, week by week
        groups["all segments"] = table.groupby(level=["replication", "week"]).sum()
    groups |= {i: table.loc[i] for i in shown}
    items: list[Lines] = []
    for name, frame in groups.items():
        occasions = frame["orders"] + frame["rival_orders"]
        mean, lo, hi = _weekly_interval(100 * frame["orders"] / occasions.where(occasions > 0))
        weeks = [float(w) for w in sorted(frame.index.get_level_values("week").unique())]
        whole = "all orders" if name == "all segments" else "the segment's orders"
        items.append(Lines(name, "Week", f"Share of {whole} (%)", weeks,
                           {"ours": mean, "rivals": [100 - m for m in mean]},
                           {"ours": (lo, hi), "rivals": ([100 - h for h in hi], [100 - low for low in lo])},
                           y_range=(0.0, 100.0)))  # fmt: skip
    title = "Market share week by week: our orders and the rivals' (mean and 95% interval)"
    if len(items) == 1:
        return replace(items[0], title=f"{title}, {items[0].title}")
    return Panels(title, [item for item in items])  # a list of Items (a list of Lines is not one)


def partner_customers(summary: dict[str, Any], scenario: Scenario | None) -> Panels | None:
    """The prospects each partner found itself over the horizon, and how many became customers."""
    partners = summary.get("by_partner") or {}
    if not partners or not all("leads" in p and "new_customers" in p for p in partners.values()):
        return None
    leads = [stat(p["leads"]) for p in partners.values()]
    # without a scenario to read: the partners found someone
    prospecting = PROSPECTING in market(scenario) if scenario is not None else any(s[0] > 0 for s in leads)
    if not prospecting:
        return None
    new = [stat(p["new_customers"]) for p in partners.values()]
    notes = [f"{n[0]:,.0f}" + (f" ({n[0] / lead[0]:.0%} of its leads)" if lead[0] > 0 else "")
             for n, lead in zip(new, leads, strict=True)]  # fmt: skip
    ids = list(partners)
    n = summary.get("replications", 1)
    return Panels(
        f"Customers the partners found themselves over {summary.get('horizon_weeks')} weeks "
        f"(mean and 95% interval, {n} replications)",
        [_count_bars("Leads found", "Prospects the partner found", ids, leads),
         _count_bars("New customers", "Of them, customers won", ids, new, notes)],
    )  # fmt: skip


def _count_bars(title: str, xlabel: str, labels: list[str], stats: list[tuple[float, float, float]],
                notes: list[str] | None = None) -> Bars:  # fmt: skip
    return Bars(title, xlabel, labels, [s[0] for s in stats], [s[1] for s in stats], [s[2] for s in stats],
                value_labels=notes)  # fmt: skip


def funnel(summary: dict[str, Any], scenario: Scenario | None) -> Bars:
    """Leads → prospects (leads that found someone unaware) → customers → active at the end."""
    totals = summary["totals"]
    leads, wasted = stat(totals["leads"])[0], stat(totals["wasted_leads"])[0]
    new = stat(totals["new_customers"])[0]
    initial = sum(s.initial_customers for s in scenario.segments) if scenario else 0
    labels = ["Leads", "Prospects", "Customers", "Active at end"]
    values = [leads, leads - wasted, initial + new, stat(totals["active_customers_end"])[0]]
    customers = f"{initial:,} initial + {new:,.0f} new" if initial else f"{new:,.0f} new"
    notes = [f"{leads:,.0f}", f"{leads - wasted:,.0f}", customers, f"{values[3]:,.0f}"]
    return Bars(
        f"Customer funnel over {summary.get('horizon_weeks')} weeks (mean of {summary.get('replications')} replications)",
        "People",
        labels,
        values,
        value_labels=notes,
    )


def _plan_spend(plan: dict[str, Any] | None, source_id: str) -> float | None:
    entry = ((plan or {}).get("sources") or {}).get(source_id)
    value = entry.get("spend_per_week") if isinstance(entry, dict) else entry
    if isinstance(value, list):  # one spend per period: the mean weekly spend
        value = float(np.mean(value)) if value else None
    return None if value is None else float(value)


def response_curves(scenario: Scenario, plan: dict[str, Any] | None, currency: str,
                    today: Scenario | None = None) -> Panels | None:  # fmt: skip
    """Each source's curve, today's spend (of `today`, the scenario as written, when given) and the plan's."""
    if not scenario.sources:
        return None
    written = {s.id: s.spend_per_week for s in (today or scenario).sources}
    items: list[Item] = []
    for source in scenario.sources:
        optimal = _plan_spend(plan, source.id)
        now = written.get(source.id, source.spend_per_week)
        top = max(source.max_spend_per_week or 0.0, 2 * now, optimal or 0.0, 1.0)
        xs = np.linspace(0.0, top, 121)
        ys = [source.response.leads(float(x)) for x in xs]
        items.append(Curve(
            source.id, f"Spend per week ({currency})", "Leads per week", xs.tolist(), ys,
            (now, source.response.leads(now)),
            None if optimal is None else (optimal, source.response.leads(optimal)), currency,
        ))  # fmt: skip
    title = "Response curves: leads per week against spend" + (", today and in the plan" if plan else "")
    return Panels(title, items, columns=min(3, len(items)))


def budget_shift(scenario: Scenario, plan: dict[str, Any] | None, currency: str,
                 today: Scenario | None = None) -> Shift | None:  # fmt: skip
    """Each source's spend today and in the plan. `today`: the scenario as written, when `scenario` is a
    setting of its levers (the app's sliders): the plan is compared with today's spend, not the sliders'."""
    if not plan or not plan.get("sources"):
        return None
    ids = [s.id for s in scenario.sources]
    written = {s.id: s.spend_per_week for s in (today or scenario).sources}
    current = [written.get(s.id, s.spend_per_week) for s in scenario.sources]
    planned = [_plan_spend(plan, i) for i in ids]
    optimal = [c if o is None else o for c, o in zip(current, planned, strict=True)]
    entries = [e.get("spend_per_week") if isinstance(e, dict) else e for e in plan["sources"].values()]
    periods = max([len(v) for v in entries if isinstance(v, list)], default=1)
    over = f" (mean over its {periods} periods)" if periods > 1 else ""
    return Shift(f"Budget shift per source: today and the optimal plan{over}", f"Spend per week ({currency})",
                 ids, current, optimal, currency)  # fmt: skip


def diversion(
    summary: dict[str, Any], regions: list[str], homes: dict[str, str] | None = None
) -> Matrix | Bars | None:
    """Diverted orders by partner × region sold into (or by partner when pairs are not reported).

    A partner's home region is not diversion: its cell is blank (NaN, shown as "home").
    """
    partners = summary.get("by_partner") or {}
    if not partners or not any(stat(p["diverted_orders"])[0] > 0 for p in partners.values()):
        return None
    if all("diverted_into" in p for p in partners.values()):
        homes = homes or {}
        cols = regions or sorted({r for p in partners.values() for r in p["diverted_into"]})
        values = [
            [math.nan if homes.get(pid) == r else stat(p["diverted_into"][r])[0] if r in p["diverted_into"] else 0.0
             for r in cols]
            for pid, p in partners.items()
        ]  # fmt: skip
        texts = [["home" if math.isnan(v) else f"{v:,.0f}" for v in row] for row in values]
        return Matrix("Cross-territory diversion: orders sold outside the home region", "Region sold into",
                      "Diverting partner", list(partners), cols, values, texts, "Diverted orders (mean)")  # fmt: skip
    stats = [stat(p["diverted_orders"]) for p in partners.values()]
    return Bars("Cross-territory diversion by partner", "Diverted orders (mean and 95% interval)",
                list(partners), [s[0] for s in stats], [s[1] for s in stats], [s[2] for s in stats])  # fmt: skip


def price_paths(kpis: pd.DataFrame, scenario: Scenario | None) -> Lines | None:
    table = weekly_mean(kpis, "partner", "price_index")
    if table.empty or bool((table.max() - table.min()).abs().max() < 1e-12):
        return None  # nobody ever moved a price: a chart of flat lines says nothing
    floor = scenario.conflict.map_price_index if scenario else None
    return Lines(
        "Partner prices week by week (mean over replications)",
        "Week",
        "Price index (1 = list price)",
        [float(w) for w in table.index],
        {str(c): table[c].tolist() for c in table.columns},
        reference=(floor, "minimum advertised price") if floor else None,
    )


def exits(summary: dict[str, Any]) -> Bars | None:
    partners = summary.get("by_partner") or {}
    shares = [100 * stat(p["exited"])[0] for p in partners.values()]
    if not any(s > 0 for s in shares):
        return None
    return Bars("Partner exits", "Replications in which the partner left (%)", list(partners), shares,
                percent=True)  # fmt: skip


def turnover(summary: dict[str, Any]) -> Bars | None:
    """Inventory turnover of each partner that holds stock: cost of goods sold over average stock, a year."""
    partners = {pid: stat(p["inventory_turnover"]) for pid, p in (summary.get("by_partner") or {}).items()
                if "inventory_turnover" in p and not math.isnan(stat(p["inventory_turnover"])[0])}  # fmt: skip
    if not partners:
        return None
    values = list(partners.values())
    return Bars("Inventory turnover by partner", "Stock turns a year (mean and 95% interval)", list(partners),
                [v[0] for v in values], [v[1] for v in values], [v[2] for v in values])  # fmt: skip


def levels_table(summary: dict[str, Any], scenario: Scenario | None, currency: str) -> Table | None:
    """Two-level channels (docs/model.md): what each route's customers paid and how it splits between
    the retailer, its wholesaler and the brand (means over the replications; each row adds up)."""
    partners = summary.get("by_partner") or {}
    if scenario is None:
        return None
    rows: list[tuple[str, list[float | None]]] = []  # a route and its figures (None: not applicable)
    for wholesaler in scenario.partners:
        retailers = [r.id for r in scenario.retailers_of(wholesaler.id) if r.id in partners]
        if wholesaler.id not in partners or not retailers:
            continue
        w = {k: stat(v)[0] for k, v in partners[wholesaler.id].items() if isinstance(v, dict) and "mean" in v}
        own = w["partner_margin"] - w["wholesale_margin"]
        rows.append(
            (f"{wholesaler.id} (its own sales)", [w["orders"], w["revenue"], None, own, w["revenue"] - own])
        )
        for rid in retailers:
            r = {
                k: stat(partners[rid][k])[0]
                for k in ("orders", "revenue", "partner_margin", "supplier_margin")
            }
            brand = r["revenue"] - r["partner_margin"] - r["supplier_margin"]
            rows.append((f"{rid} (via {wholesaler.id})", [r["orders"], r["revenue"], r["partner_margin"],
                                                          r["supplier_margin"], brand]))  # fmt: skip
        rows.append(
            (f"{wholesaler.id}: its partner_margin in all", [None, None, None, w["partner_margin"], None])
        )
    if not rows:
        return None
    cells = [[route, *("—" if v is None else f"{v:,.0f}" for v in figures)] for route, figures in rows]
    n = summary.get("replications", 1)
    return Table(
        "Two-level channels: each level's margin",
        f"Orders through a wholesaler's retailers split three ways: the retailer keeps its margin, the "
        f"wholesaler its own on top, the brand the rest; a wholesaler's partner_margin is its own sales' "
        f"margin plus its margin on its retailers' orders (money in {currency}, means over {n} replications).",
        ["Route", "Orders", "Customers paid", "Retailer keeps", "Wholesaler keeps", "Brand receives"],
        cells,
        [route.endswith("in all") for route, _ in rows],  # the wholesaler's whole margin in bold
    )
