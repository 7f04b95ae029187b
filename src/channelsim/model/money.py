"""The money identity of one order (SPEC §3 "Order").

The customer pays `order_value · price_index`. At a direct outlet the brand receives that
and pays `variable_cost` of it; at a partner it receives the wholesale price
`order_value · (1 − partner_margin) · (1 − rebate)`. Cost of goods is
`order_value · (1 − gross_margin)`. Contribution = receipts − cost of goods − variable cost
− loyalty points given back (`points_cost` of the payment).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrderMoney:
    """What one order moves, per party."""

    payment: float  # what the customer pays
    brand_revenue: float  # what the brand receives
    contribution: float  # receipts less cost of goods, variable cost and points

    @property
    def partner_margin(self) -> float:
        """What the partner keeps of the payment (0 at a direct outlet)."""
        return self.payment - self.brand_revenue


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
) -> OrderMoney:
    """The money of one order at an outlet (direct, or a partner with its margin and rebate)."""
    payment = order_value * price_index
    if direct:
        receipts, variable = payment, variable_cost * payment
    else:
        # written out (not `order_value * wholesale_share(...)`): the product's order fixes its rounding
        receipts, variable = order_value * (1.0 - partner_margin) * (1.0 - rebate), 0.0
    cost_of_goods = order_value * (1.0 - gross_margin)
    return OrderMoney(payment, receipts, receipts - cost_of_goods - variable - points_cost * payment)


def wholesale_share(partner_margin: float, rebate: float) -> float:
    """What a partner pays the brand per unit of list price: `(1 − m)·(1 − rebate)`."""
    return (1.0 - partner_margin) * (1.0 - rebate)
