"""Two-level channels (docs/model.md "Two-level channels"): wholesalers supplying their retailers.

A retailer (`supplied_by`) sells to customers like any partner; its stock is replenished from
its wholesaler's. Its reorder is an order at the wholesaler: what the wholesaler has on hand
leaves at once and reaches the retailer after the retailer's `lead_time_weeks`; the rest is
owed (backordered, first come first served) and leaves when the wholesaler's own delivery from
the brand arrives, so a wholesaler out of stock starves its retailers. The wholesaler reorders
from the brand by its own (s, S) policy on its position (on hand + on order − owed). A wholesaler
without stock ships everything at once.

Money: each customer order at a retailer splits three ways (`model/money.py`); the ledger books
the wholesaler's part at both outlets, so each level's margin can be reported.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from channelsim.model.money import OrderMoney
from channelsim.sim.ledger import Ledger
from channelsim.sim.outlets import Outlet, Stock


class Wholesale:
    """The wholesalers' side of one replication: retailers' orders, what is owed, and the books."""

    def __init__(self, stock: Stock, ledger: Ledger, week: Callable[[], int]) -> None:
        self.stock, self.ledger, self.week = stock, ledger, week  # `week()`: the week now
        self.owed: dict[int, deque[tuple[Outlet, int]]] = {}  # wholesaler index -> (retailer, units) waiting
        stock.upstream, stock.on_receipt = self.order, self.received

    def order(self, retailer: Outlet, quantity: int) -> None:
        """A retailer's reorder, placed at its wholesaler: shipped from its stock, the rest owed."""
        wholesaler, week = retailer.supplier, self.week()
        assert wholesaler is not None
        self.ledger.add("outlet", "supply_orders", week, wholesaler.index)
        if wholesaler.inventory is None:
            self._send(wholesaler, retailer, quantity)
            return
        waiting = self.owed.setdefault(wholesaler.index, deque())
        shipped = 0 if waiting else min(quantity, max(wholesaler.on_hand, 0))  # first come, first served
        short = quantity - shipped
        self.stock.take(wholesaler, shipped, owed=short)
        if short:
            waiting.append((retailer, short))
            self.ledger.add("outlet", "backordered_units", week, wholesaler.index, short)
        if shipped:
            self._send(wholesaler, retailer, shipped)

    def received(self, outlet: Outlet) -> None:
        """A delivery reached `outlet`: if it is a wholesaler, what its retailers wait for leaves first."""
        waiting = self.owed.get(outlet.index)
        while waiting and outlet.on_hand > 0:
            retailer, units = waiting[0]
            shipped = min(units, outlet.on_hand)
            self.stock.ship(outlet, shipped)
            self._send(outlet, retailer, shipped)
            if shipped == units:
                waiting.popleft()
            else:
                waiting[0] = (retailer, units - shipped)

    def _send(self, wholesaler: Outlet, retailer: Outlet, units: int) -> None:
        self.ledger.add("outlet", "supplied_units", self.week(), wholesaler.index, units)
        assert retailer.inventory is not None  # validated: a retailer of a stocked wholesaler keeps stock
        self.stock.deliver_later(retailer, units, retailer.inventory.lead_time_weeks)


def book_resale(ledger: Ledger, week: int, retailer: Outlet, money: OrderMoney) -> None:
    """The wholesaler's part of a customer order at its retailer, booked at both levels."""
    assert retailer.supplier is not None
    ledger.add("outlet", "supplier_margin", week, retailer.index, money.supplier_margin)
    ledger.add("outlet", "wholesale_margin", week, retailer.supplier.index, money.supplier_margin)
    ledger.add("outlet", "resold_orders", week, retailer.supplier.index)
