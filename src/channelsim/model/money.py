"""The money identity of one order (SPEC §3 "Order").

The customer pays `order_value · price_index`. At a direct outlet the brand receives that
and pays `variable_cost` of it; at a partner it receives the wholesale price
`order_value · (1 − partner_margin) · (1 − rebate)`. Cost of goods is
`order_value · (1 − gross_margin)`. Contribution = receipts − cost of goods − variable cost
− loyalty points given back (`points_cost` of the payment).

Two levels (a retailer `supplied_by` a wholesaler, docs/model.md "Two-level channels"): with the
retailer's margin `m_r` and rebate `ρ_r`, the wholesaler's `m_w` and `ρ_w`, the retailer pays
the wholesaler `c_r = v·(1 − m_r)·(1 − ρ_r)` (its single-level wholesale price) and the brand
receives `c_w = v·((1 − m_r − m_w)·(1 − ρ_w) − (1 − m_r)·ρ_r)`: it funds the retailer's rebate
(credited to the wholesaler) and the wholesaler's. The retailer keeps `payment − c_r`, the
wholesaler `c_r − c_w = v·(m_w + (1 − m_r − m_w)·ρ_w)`; the three add up to the payment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrderMoney:
    """What one order moves, per party."""

    payment: float  # what the customer pays
    brand_revenue: float  # what the brand receives
    contribution: float  # receipts less cost of goods, variable cost and points
    supplier_margin: float = 0.0  # what the retailer's wholesaler keeps (two levels; 0 otherwise)

    @property
    def partner_margin(self) -> float:
        """What the selling partner keeps of the payment (0 at a direct outlet)."""
        return self.payment - self.brand_revenue - self.supplier_margin


def order_money(
    order_value: float,
    price_index: float,
    gross_margin: float,
    *,
    direct: bool,
    variable_cost: float = 0.0,
    partner_margin: float = 0.0,
    rebate: float = 0.0,
    points_cost: float = 0.0,
    supplier_margin: float | None = None,
    supplier_rebate: float = 0.0,
) -> OrderMoney:
    """The money of one order at an outlet (direct, or a partner with its margin and rebate; a
    retailer with its wholesaler's `supplier_margin` and `supplier_rebate`)."""
    payment = order_value * price_index
    supplier = 0.0
    if direct:
        receipts, variable = payment, variable_cost * payment
    elif supplier_margin is None:
        # written out (not `order_value * wholesale_share(...)`): the product's order fixes its rounding
        receipts, variable = order_value * (1.0 - partner_margin) * (1.0 - rebate), 0.0
    else:
        receipts, variable = order_value * two_level_share(partner_margin, rebate, supplier_margin, supplier_rebate), 0.0
        supplier = order_value * (1.0 - partner_margin) * (1.0 - rebate) - receipts
    cost_of_goods = order_value * (1.0 - gross_margin)
    return OrderMoney(payment, receipts, receipts - cost_of_goods - variable - points_cost * payment, supplier)


def two_level_share(margin: float, rebate: float, supplier_margin: float, supplier_rebate: float) -> float:
    """What the brand receives per unit of list price of an order through a wholesaler and its retailer:
    `(1 − m_r − m_w)·(1 − ρ_w) − (1 − m_r)·ρ_r` (both rebates are the brand's)."""
    return (1.0 - margin - supplier_margin) * (1.0 - supplier_rebate) - (1.0 - margin) * rebate


def wholesale_share(partner_margin: float, rebate: float) -> float:
    """What a partner pays the brand per unit of list price: `(1 − m)·(1 − rebate)`."""
    return (1.0 - partner_margin) * (1.0 - rebate)
