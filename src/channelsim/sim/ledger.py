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
        # bound once: the hot path indexes these directly
        self._o_orders, self._o_revenue = outlet["orders"], outlet["revenue"]
        self._o_brand, self._o_contribution = outlet["brand_revenue"], outlet["contribution"]
        self._s_contribution = source["attributed_contribution"]
        self._g_orders, self._g_contribution = segment["orders"], segment["contribution"]
        self._r_orders, self._r_revenue = region["orders"], region["revenue"]

    def _rows(self, level: str) -> list[list[float]]:
        return [[0.0] * self.sizes[level] for _ in range(self.weeks)]

    def order(
        self, week: int, outlet: int, segment: int, source: int, region: int, money: OrderMoney
    ) -> None:
        """Book one order (the hot path: plain list updates)."""
        self._o_orders[week][outlet] += 1.0
        self._o_revenue[week][outlet] += money.payment
        self._o_brand[week][outlet] += money.brand_revenue
        self._o_contribution[week][outlet] += money.contribution
        if source >= 0:
            self._s_contribution[week][source] += money.contribution
        self._g_orders[week][segment] += 1.0
        self._g_contribution[week][segment] += money.contribution
        self._r_orders[week][region] += 1.0
        self._r_revenue[week][region] += money.payment

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
