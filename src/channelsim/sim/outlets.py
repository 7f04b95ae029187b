"""Where orders happen: direct channels and partners, with their queues and stock.

An `Outlet` is one alternative a customer can choose: a direct channel (serving its
regions) or one partner of an indirect channel (serving its own region). It owns its
current price, its order queue (a SimPy resource) and its (s, S) inventory.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from channelsim.model.logit import log_effort
from channelsim.scenario.channels import Diversion, Fulfilment, Inventory


class Outlet:
    """One alternative of the channel choice: a direct channel or a partner."""

    __slots__ = (
        "base_price",
        "channel",
        "channel_index",
        "direct",
        "diversion",
        "divert_weight",
        "diverts_into",
        "effort",
        "effort_boost",
        "exit_margin",
        "floor",
        "id",
        "in_stock",
        "index",
        "inventory",
        "is_open",
        "margin",
        "mean_service",
        "on_hand",
        "position",
        "price",
        "queue",
        "reactive",
        "rebate",
        "region",
        "regions",
        "stock_clock",
        "stock_held",
        "stockout_since",
        "supplier",
        "tier_cost",
        "variable_cost",
    )

    def __init__(self, index: int, outlet_id: str, channel: str, channel_index: int) -> None:
        self.index = index
        self.id = outlet_id
        self.channel = channel
        self.channel_index = channel_index
        self.direct = True
        self.region: int | None = None  # a partner's home region
        self.regions: frozenset[int] = frozenset()
        self.price = self.base_price = 1.0
        self.floor = 0.0
        self.effort = 1.0
        self.effort_boost = 0.0
        self.margin = 0.0
        self.rebate = 0.0
        self.tier_cost = 0.0
        self.variable_cost = 0.0
        self.exit_margin = 0.0
        self.is_open = True
        self.diverts_into: frozenset[int] = frozenset()  # regions it sells into (diversion)
        self.divert_weight: dict[int, float] = {}  # region -> weight w of its offer there
        self.diversion: Diversion | None = None
        self.reactive = False  # a direct channel that joins price wars
        self.queue: simpy.Resource | None = None
        self.mean_service = 0.0
        self.inventory: Inventory | None = None
        self.on_hand = self.position = 0
        self.stockout_since: float | None = None
        self.stock_held = 0.0  # unit-weeks on hand since `stock_clock` was last booked (inventory turnover)
        self.stock_clock = 0.0
        self.in_stock = True  # kept by `Stock`; always True without inventory
        self.supplier: Outlet | None = None  # a retailer's wholesaler (`supplied_by`): its reorders go there

    def set_fulfilment(self, env: simpy.Environment, fulfilment: Fulfilment | None) -> None:
        if fulfilment is not None:
            self.queue = simpy.Resource(env, capacity=fulfilment.servers)
            self.mean_service = fulfilment.mean_service_weeks

    def set_inventory(self, inventory: Inventory | None) -> None:
        self.inventory = inventory
        if inventory is not None:
            self.on_hand = self.position = inventory.initial
            self.stockout_since = 0.0 if inventory.initial == 0 else None
            self.in_stock = inventory.initial > 0

    @property
    def log_effort(self) -> float:
        return log_effort(self.effort, self.effort_boost)


class Stock:
    """Runs the (s, S) policies: takes units for orders, reorders, receives deliveries."""

    def __init__(self, env: simpy.Environment, on_change: Callable[[Outlet, bool], None]) -> None:
        self.env = env
        self.on_change = on_change  # told when an outlet goes out of (False) or back in (True) stock
        # two-level channels (sim/wholesale.py): a retailer's reorder is an order at its wholesaler,
        # and a wholesaler's delivery first serves what its retailers wait for
        self.upstream: Callable[[Outlet, int], None] | None = None
        self.on_receipt: Callable[[Outlet], None] | None = None

    def held(self, outlet: Outlet, until: float) -> float:
        """Unit-weeks on hand since the last call (the area under the stock path), up to `until`."""
        area = outlet.stock_held + outlet.on_hand * (until - outlet.stock_clock)
        outlet.stock_held, outlet.stock_clock = 0.0, until
        return area

    def _moving(self, outlet: Outlet) -> None:
        """Before the stock changes: book the area under the path so far."""
        outlet.stock_held += outlet.on_hand * (self.env.now - outlet.stock_clock)
        outlet.stock_clock = self.env.now

    def take(self, outlet: Outlet, units: int = 1, owed: int = 0) -> None:
        """`units` leave with an order (`owed` more are backordered: a wholesaler short of what a
        retailer ordered); reorder up to S when the position reaches s."""
        policy = outlet.inventory
        if policy is None:
            return
        now = self.env.now  # `_moving`, inlined on this hot path
        outlet.stock_held += outlet.on_hand * (now - outlet.stock_clock)
        outlet.stock_clock = now
        outlet.on_hand -= units
        outlet.position -= units + owed
        if units and outlet.on_hand == 0:
            outlet.stockout_since = now
            outlet.in_stock = False
            self.on_change(outlet, False)
        if outlet.position <= policy.reorder_point:
            quantity = policy.order_up_to - outlet.position
            outlet.position = policy.order_up_to
            if outlet.supplier is not None and self.upstream is not None:
                self.upstream(outlet, quantity)
            else:
                self.deliver_later(outlet, quantity, policy.lead_time_weeks)

    def ship(self, outlet: Outlet, units: int) -> None:
        """Units owed earlier leave now (their position was counted when they were ordered)."""
        self._moving(outlet)
        outlet.on_hand -= units
        if units and outlet.on_hand == 0:
            outlet.stockout_since = self.env.now
            outlet.in_stock = False
            self.on_change(outlet, False)

    def deliver_later(self, outlet: Outlet, quantity: int, lead_time: float) -> None:
        """`quantity` units reach the outlet `lead_time` weeks from now."""
        self.env.process(self._deliver(outlet, quantity, lead_time))

    def _deliver(self, outlet: Outlet, quantity: int, lead_time: float) -> Generator[Any, Any, None]:
        yield self.env.timeout(lead_time)
        was_out = outlet.on_hand == 0
        self._moving(outlet)
        outlet.on_hand += quantity
        if was_out:
            outlet.in_stock = True
            self.on_change(outlet, True)
        if self.on_receipt is not None:
            self.on_receipt(outlet)
