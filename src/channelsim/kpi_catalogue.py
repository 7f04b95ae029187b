"""The KPI catalogue: the headline KPIs experiments and reports show, where each lives in a summary, its unit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kpi:
    """One headline figure: its name, its place in the summary, a label and a unit kind."""

    name: str
    path: tuple[str, ...]
    label: str
    unit: str  # "money" (the scenario's currency), "share" (0..1) or a count noun

    def unit_text(self, currency: str) -> str:
        return currency if self.unit == "money" else self.unit


HEADLINE: tuple[Kpi, ...] = (
    Kpi("profit", ("totals", "profit"), "Profit", "money"),
    Kpi("revenue", ("totals", "revenue"), "Revenue", "money"),
    Kpi("contribution", ("totals", "contribution"), "Contribution", "money"),
    Kpi("marketing_spend", ("totals", "marketing_spend"), "Marketing spend", "money"),
    Kpi("orders", ("totals", "orders"), "Orders", "orders"),
    Kpi("new_customers", ("totals", "new_customers"), "New customers", "customers"),
    Kpi("active_customers_end", ("totals", "active_customers_end"), "Active customers at end", "customers"),
    Kpi("lost_orders", ("totals", "lost_orders"), "Lost orders", "orders"),
    Kpi("diverted_orders", ("conflict", "diverted_orders"), "Diverted orders", "orders"),
    Kpi("price_war_weeks", ("conflict", "price_war_weeks"), "Price-war weeks", "weeks"),
    Kpi("cannibalized_orders", ("conflict", "cannibalized_orders"), "Cannibalised orders", "orders"),
    Kpi("partner_exits", ("conflict", "partner_exits"), "Partner exits", "partners"),
    Kpi("top_channel_share", ("concentration", "top_channel_share"), "Top channel share", "share"),
)
BY_NAME = {k.name: k for k in HEADLINE}


def value(figures: dict[str, Any], kpi: Kpi) -> float:
    """The KPI's value in one replication's figures."""
    node: Any = figures
    for key in kpi.path:
        node = node[key]
    return float(node)


def per_replication(result: Any, kpi: Kpi) -> list[float]:
    """The KPI in each replication of a SimResult (NaN where undefined)."""
    out = []
    for figures in result.per_replication:
        number = value(figures, kpi)
        out.append(number if math.isfinite(number) else math.nan)
    return out
