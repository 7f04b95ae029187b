"""The books of one replication: weekly flows and states, and the totals derived from them.

What one order moves is `channelsim.model.money.order_money`; the ledger books it per outlet,
source, segment and region. Profit = contribution − marketing − incentives − fixed costs −
members' cost. Totals are sums of the outlet rows, so nothing is booked twice.
"""

from __future__ import annotations

import numpy as np

from channelsim.model.money import OrderMoney

FLOWS = {
    "total": ("lost_orders", "marketing_spend", "incentive_cost", "fixed_cost", "crm_cost", "won_back",
              "cannibalized_orders", "winback_spend"),
    "source": ("leads", "wasted_leads", "new_customers", "marketing_spend", "attributed_contribution"),
    "outlet": ("orders", "revenue", "brand_revenue", "contribution", "diverted_orders",
               "response_time_sum", "responses", "stockout_weeks", "detections", "promoter_orders",
               "detractor_orders", "leads", "new_customers", "stock_unit_weeks",
               # two-level channels (sim/wholesale.py): at a retailer, what its wholesaler kept of
               # its orders; at a wholesaler, that margin, those orders, its retailers' reorders
               "supplier_margin", "wholesale_margin", "resold_orders", "supply_orders", "supplied_units",
               "backordered_units"),
    "segment": ("new_customers", "orders", "contribution", "lapses", "won_back", "rival_orders",
                "lost_prospects", "switched_to_rivals"),
    "region": ("orders", "revenue", "new_customers", "lost_orders", "diverted_orders"),
}  # fmt: skip
STATES = {  # recorded at the end of each week
    "segment": (
        "active_customers",
        "lapsed_customers",
        "prospects",
        "members",
        "detractors",
        "promoters",
        "repeat_customers",
    ),
    "outlet": ("price_index", "open", "diverting"),
}


class Ledger:
    """Weekly flows and states by level, as lists (weeks × entities) while the run goes on."""

    def __init__(self, weeks: int, sizes: dict[str, int]) -> None:
        self.weeks = weeks
        self.sizes = {"total": 1, **sizes}
        self.flows = {level: {m: self._rows(level) for m in names} for level, names in FLOWS.items()}
        self.states = {level: {m: self._rows(level) for m in names} for level, names in STATES.items()}
        outlet, source, segment, region = (self.flows[k] for k in ("outlet", "source", "segment", "region"))
        # per week, the rows an order moves, bound once: the hot path indexes these directly
        self._order_rows = [
            (outlet["orders"][w], outlet["revenue"][w], outlet["brand_revenue"][w], outlet["contribution"][w],
             source["attributed_contribution"][w], segment["orders"][w], segment["contribution"][w],
             region["orders"][w], region["revenue"][w])
            for w in range(weeks)
        ]  # fmt: skip

    def _rows(self, level: str) -> list[list[float]]:
        return [[0.0] * self.sizes[level] for _ in range(self.weeks)]

    def order(
        self, week: int, outlet: int, segment: int, source: int, region: int, money: OrderMoney
    ) -> None:
        """Book one order (the hot path: plain list updates)."""
        orders, revenue, brand, contribution, attributed, s_orders, s_contribution, r_orders, r_revenue = (
            self._order_rows[week]
        )
        orders[outlet] += 1.0
        revenue[outlet] += money.payment
        brand[outlet] += money.brand_revenue
        contribution[outlet] += money.contribution
        if source >= 0:
            attributed[source] += money.contribution
        s_orders[segment] += 1.0
        s_contribution[segment] += money.contribution
        r_orders[region] += 1.0
        r_revenue[region] += money.payment

    def add(self, level: str, metric: str, week: int, index: int, amount: float = 1.0) -> None:
        """Book any other flow (leads, customers, costs, ...)."""
        self.flows[level][metric][week][index] += amount

    def arrays(self) -> dict[str, dict[str, np.ndarray]]:
        """Every table as a numpy array (weeks × entities), with totals and profit derived."""
        out = {level: {m: np.asarray(rows, dtype=float) for m, rows in metrics.items()}
               for level, metrics in self.flows.items()}  # fmt: skip
        for level, metrics in self.states.items():
            out[level].update({m: np.asarray(rows, dtype=float) for m, rows in metrics.items()})
        total, outlet = out["total"], out["outlet"]
        for metric in ("orders", "revenue", "brand_revenue", "contribution"):
            total[metric] = outlet[metric].sum(axis=1, keepdims=True)
        for metric in ("leads", "wasted_leads", "new_customers"):
            total[metric] = out["source"][metric].sum(axis=1, keepdims=True)
        total["profit"] = total["contribution"] - sum(
            total[m] for m in ("marketing_spend", "incentive_cost", "fixed_cost", "crm_cost")
        )
        # each level's margin: a retailer's less what its wholesaler kept, which is the wholesaler's
        outlet["partner_margin"] = (
            outlet["revenue"] - outlet["brand_revenue"] - outlet["supplier_margin"] + outlet["wholesale_margin"]
        )
        segment = out["segment"]
        for metric in ("rival_orders", "lost_prospects", "switched_to_rivals"):
            total[metric] = segment[metric].sum(axis=1, keepdims=True)
        total["partner_leads"] = outlet["leads"].sum(axis=1, keepdims=True)
        for metric in STATES["segment"]:
            total[metric] = segment[metric].sum(axis=1, keepdims=True)
        return out
