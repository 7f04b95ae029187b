"""Multinomial-logit channel choice at every purchase (SPEC §3 "Channel choice").

`V_j = affinity[segment][channel] + routes_to[source][channel] (first purchase only)
 + loyalty·[j used last] − price_sensitivity·(price_j − 1) + ln(effort_j·(1 + boost_j))
 + channel_bonus (members, in the programme's channels)`, `P_j = exp(V_j) / Σ_k exp(V_k)`.

The weights `exp(V_j)` without the loyalty term depend only on (segment, region, route,
programme) and on the outlets' prices, so they are cached and the cache is dropped when a
price, a rebate, an exit or a diversion changes. Stock-outs come and go often, so they do
not touch the cache: each region counts its outlets out of stock, and only while that
count is above zero does a choice skip the outlets without stock.
"""

from __future__ import annotations

import math

from channelsim.sim.outlets import Outlet
from channelsim.sim.streams import Draws


class Chooser:
    """Draws the outlet of each purchase; caches the logit weights per situation."""

    def __init__(
        self,
        outlets: list[Outlet],
        affinity: list[dict[str, float]],  # per segment: channel id -> intercept
        price_sensitivity: list[float],
        loyalty: list[float],
        routes: list[dict[str, float]],  # per source: channel id -> first-purchase bonus
        programme_bonus: list[tuple[frozenset[str], float]],  # per programme: channels, bonus
        draws: Draws,
    ) -> None:
        self.outlets = outlets
        self.affinity = affinity
        self.price_sensitivity = price_sensitivity
        self.loyalty_factor = [math.exp(value) - 1.0 for value in loyalty]
        self.routes = routes
        self.programme_bonus = programme_bonus
        self.draws = draws
        self._cache: dict[tuple[int, int, int, int], tuple[list[Outlet], list[float], float]] = {}
        regions = 1 + max((r for o in outlets for r in o.regions), default=0)
        self.short = [0] * regions  # outlets out of stock, per region they serve
        for outlet in outlets:
            if not outlet.in_stock:
                self.stock_changed(outlet, False)

    def invalidate(self) -> None:
        """Prices or the set of outlets changed: recompute weights on next use."""
        self._cache.clear()
        self.short = [0] * len(self.short)
        for outlet in self.outlets:
            if not outlet.in_stock:
                self.stock_changed(outlet, False)

    def stock_changed(self, outlet: Outlet, in_stock: bool) -> None:
        """An outlet ran out of stock (False) or got it back (True)."""
        for region in outlet.regions | outlet.diverts_into:
            self.short[region] += -1 if in_stock else 1

    def offered(
        self, segment: int, region: int, route: int, programme: int
    ) -> tuple[list[Outlet], list[float], float]:
        """The outlets open to this customer and their weights exp(V) (without loyalty)."""
        key = (segment, region, route, programme)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = self._weights(segment, region, route, programme)
        return entry

    def utility(self, outlet: Outlet, segment: int, route: int, programme: int) -> float:
        value = self.affinity[segment].get(outlet.channel, 0.0)
        if route >= 0:
            value += self.routes[route].get(outlet.channel, 0.0)
        if programme >= 0:
            channels, bonus = self.programme_bonus[programme]
            if outlet.channel in channels:
                value += bonus
        return value - self.price_sensitivity[segment] * (outlet.price - 1.0) + outlet.log_effort

    def _weights(
        self, segment: int, region: int, route: int, programme: int
    ) -> tuple[list[Outlet], list[float], float]:
        offered = [o for o in self.outlets if o.is_open and (region in o.regions or region in o.diverts_into)]
        if not offered:
            return [], [], 0.0
        utilities = [self.utility(o, segment, route, programme) for o in offered]
        top = max(utilities)  # shift for numerical safety; shares are unchanged
        weights = [math.exp(u - top) for u in utilities]
        return offered, weights, sum(weights)

    def choose(
        self, segment: int, region: int, route: int, programme: int, last: Outlet | None
    ) -> Outlet | None:
        """One draw from the logit over the outlets offered; None when nothing is offered."""
        key = (segment, region, route, programme)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = self._weights(segment, region, route, programme)
        offered, weights, total = entry
        short = self.short[region] > 0
        if short:  # some outlet here is out of stock: take its weight out
            for outlet, weight in zip(offered, weights, strict=True):
                if not outlet.in_stock:
                    total -= weight
        bonus_index, bonus = -1, 0.0
        factor = self.loyalty_factor[segment]
        if last is not None and factor != 0.0 and last.in_stock:
            for index, outlet in enumerate(offered):
                if outlet is last:
                    bonus_index, bonus = index, weights[index] * factor
                    break
        if total + bonus <= 1e-300:
            return None
        target = self.draws.uniform() * (total + bonus)
        chosen = None
        for index, weight in enumerate(weights):
            if short and not offered[index].in_stock:
                continue
            chosen = offered[index]
            target -= weight + bonus if index == bonus_index else weight
            if target <= 0.0:
                break
        return chosen


def available(outlet: Outlet, region: int) -> bool:
    """Whether a customer in `region` can buy from `outlet` now."""
    return outlet.is_open and outlet.in_stock and (region in outlet.regions or region in outlet.diverts_into)
