"""The KPI catalogue: the headline KPIs experiments and reports show, where each lives in a summary, its unit."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from channelsim.scenario.schema import Scenario

#: what a scenario must have for a KPI to mean something (a KPI without `needs` always does)
RIVALS = "rivals"  # some segment has `competition`: occasions can go to rivals
PROSPECTING = "prospecting"  # some partner has `leads_per_week`: partners find customers themselves
EACH = "*"  # in a path: the sum over every entry at that level (e.g. every partner)


@dataclass(frozen=True)
class Kpi:
    """One headline figure: its name, its place in the summary, a label and a unit kind."""

    name: str
    path: tuple[str, ...]
    label: str
    unit: str  # "money" (the scenario's currency), "share" (0..1) or a count noun
    needs: str | None = None  # RIVALS or PROSPECTING: shown only where the scenario has them
    of: str = "orders"  # a share's whole: what the share is a share of

    def unit_text(self, currency: str) -> str:
        return currency if self.unit == "money" else self.unit


HEADLINE: tuple[Kpi, ...] = (
    Kpi("profit", ("totals", "profit"), "Profit", "money"),
    Kpi("revenue", ("totals", "revenue"), "Revenue", "money"),
    Kpi("contribution", ("totals", "contribution"), "Contribution", "money"),
    Kpi("marketing_spend", ("totals", "marketing_spend"), "Marketing spend", "money"),
    Kpi("customer_equity", ("totals", "customer_equity"), "Customer equity", "money"),
    Kpi("orders", ("totals", "orders"), "Orders", "orders"),
    Kpi("market_share", ("totals", "market_share"), "Market share", "share", RIVALS, "all orders, ours and rivals'"),
    Kpi("rival_orders", ("totals", "rival_orders"), "Orders won by rivals", "orders", RIVALS),
    Kpi("new_customers", ("totals", "new_customers"), "New customers", "customers"),
    Kpi("lost_prospects", ("totals", "lost_prospects"), "Prospects lost to rivals", "prospects", RIVALS),
    Kpi("switched_to_rivals", ("totals", "switched_to_rivals"), "Customers switched to rivals", "customers", RIVALS),
    Kpi("partner_leads", ("totals", "partner_leads"), "Partners' own leads", "leads", PROSPECTING),
    Kpi("partner_new_customers", ("by_partner", EACH, "new_customers"), "Customers found by partners", "customers",
        PROSPECTING),
    Kpi("active_customers_end", ("totals", "active_customers_end"), "Active customers at end", "customers"),
    Kpi("lost_orders", ("totals", "lost_orders"), "Lost orders", "orders"),
    Kpi("diverted_orders", ("conflict", "diverted_orders"), "Diverted orders", "orders"),
    Kpi("price_war_weeks", ("conflict", "price_war_weeks"), "Price-war weeks", "weeks"),
    Kpi("cannibalized_orders", ("conflict", "cannibalized_orders"), "Cannibalised orders", "orders"),
    Kpi("partner_exits", ("conflict", "partner_exits"), "Partner exits", "partners"),
    Kpi("top_channel_share", ("concentration", "top_channel_share"), "Top channel share", "share"),
)  # fmt: skip
#: watched beside the headline: a what-if may be about any of these (findings rank what moved most)
MORE: tuple[Kpi, ...] = (
    Kpi("leads", ("totals", "leads"), "Leads", "leads"),
    Kpi("wasted_leads", ("totals", "wasted_leads"), "Wasted leads (nobody left unaware)", "leads"),
    Kpi("lapsed_customers", ("totals", "lapsed_customers"), "Lapsed customers", "customers"),
    Kpi("incentive_cost", ("totals", "incentive_cost"), "Incentive cost", "money"),
    Kpi("fixed_cost", ("totals", "fixed_cost"), "Fixed cost", "money"),
    Kpi("won_back", ("totals", "won_back"), "Customers won back", "customers"),
    Kpi("map_violations", ("conflict", "map_violations"), "MAP violations", "partner-weeks"),
    Kpi("hhi", ("concentration", "hhi"), "Concentration (HHI)", "share"),
)  # fmt: skip
WATCHED = HEADLINE + MORE
BY_NAME = {k.name: k for k in WATCHED}


def market(scenario: Scenario) -> set[str]:
    """What the scenario's market has of RIVALS and PROSPECTING."""
    found = set()
    if any(segment.competition is not None for segment in scenario.segments):
        found.add(RIVALS)
    if any(partner.leads_per_week > 0 for partner in scenario.partners):
        found.add(PROSPECTING)
    return found


def headline_for(scenarios: Iterable[Scenario]) -> tuple[Kpi, ...]:
    """The headline KPIs that mean something in at least one of the scenarios (a base and its variants)."""
    has = set().union(*(market(s) for s in scenarios))
    return tuple(k for k in HEADLINE if k.needs is None or k.needs in has)


def value(figures: dict[str, Any], kpi: Kpi) -> float:
    """The KPI's value in one replication's figures (a sum where the path goes through EACH)."""
    return _walk(figures, kpi.path)


def _walk(node: Any, path: tuple[str, ...]) -> float:
    if not path:
        return float(node)
    if path[0] == EACH:
        return math.fsum(_walk(child, path[1:]) for child in node.values())
    return _walk(node[path[0]], path[1:])


def per_replication(result: Any, kpi: Kpi) -> list[float]:
    """The KPI in each replication of a SimResult (NaN where undefined)."""
    out = []
    for figures in result.per_replication:
        number = value(figures, kpi)
        out.append(number if math.isfinite(number) else math.nan)
    return out
