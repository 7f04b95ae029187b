"""Multinomial-logit channel choice at every purchase occasion: draws the outlet (SPEC §3).

With `competition` on a segment, rivals are one more alternative (utility `V_0`, plus the
loyalty term when the customer's last occasion went to them): a draw may return `RIVALS`.

The utility and the logit weights are `channelsim.model.logit`. The weights `exp(V_j)`
without the loyalty term depend only on (segment, region, route, programme) and on the
outlets' prices, so they are cached and the cache is dropped when a price, a rebate, an
exit or a diversion changes. Stock-outs come and go often, so they do not touch the cache:
each region counts its outlets out of stock, and only while that count is above zero does
a choice skip the outlets without stock. While nothing in the region is out of stock, a
draw is one bisection in the cumulative weights of its situation (the cache key plus the
last outlet and whether the rivals had the last occasion), cached with the weights.
"""

from __future__ import annotations

import math
from bisect import bisect_left

from channelsim.model.logit import logit_weights, loyalty_factor, utility, without_price
from channelsim.sim.outlets import Outlet
from channelsim.sim.streams import Draws


class Rivals:
    """The rest of the market, as one alternative of the choice (there is one: `RIVALS`)."""

    def __repr__(self) -> str:
        return "RIVALS"


RIVALS = Rivals()
#: What a purchase occasion ends in: one of our outlets, the rivals, or nothing to buy (None).
Pick = Outlet | Rivals | None
#: A cached situation: the outlets offered, their weights exp(V) and sum, and the rivals' weight.
Offer = tuple[list[Outlet], list[float], float, float]
#: A situation with everything in stock: what a draw can end in (rivals last) and the running sums of
#: their weights, loyalty included; empty when nothing is offered and there are no rivals.
Draw = tuple[list[Outlet | Rivals], list[float]]


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
        rival_utility: list[float | None] | None = None,  # per segment: V_0 of the rivals, None: no rivals
        regions: int = 0,  # how many regions the scenario has
    ) -> None:
        self.outlets = outlets
        self.affinity = affinity
        self.price_sensitivity = price_sensitivity
        self.loyalty_factor = [loyalty_factor(value) for value in loyalty]
        self.routes = routes
        self.programme_bonus = programme_bonus
        self.draws = draws
        self.rival_utility = rival_utility or [None] * len(affinity)
        self._cache: dict[tuple[int, int, int, int], Offer] = {}
        self._equal_prices: dict[tuple[int, int, int, int], list[float] | None] = {}
        self._moved: dict[tuple[int, int, int, int, int], float] = {}  # cannibalisation, all in stock
        self._draws: dict[tuple[int, int, int, int, int, bool], Draw] = {}  # all in stock
        # every region of the scenario, including those no outlet serves (their customers still choose)
        regions = max(regions, 1 + max((r for o in outlets for r in o.regions), default=0))
        self.short = [0] * regions  # outlets out of stock, per region they serve
        for outlet in outlets:
            if not outlet.in_stock:
                self.stock_changed(outlet, False)

    def invalidate(self) -> None:
        """Prices or the set of outlets changed: recompute weights on next use."""
        self._cache.clear()
        self._equal_prices.clear()
        self._moved.clear()
        self._draws.clear()
        self.short = [0] * len(self.short)
        for outlet in self.outlets:
            if not outlet.in_stock:
                self.stock_changed(outlet, False)

    def stock_changed(self, outlet: Outlet, in_stock: bool) -> None:
        """An outlet ran out of stock (False) or got it back (True)."""
        for region in outlet.regions | outlet.diverts_into:
            self.short[region] += -1 if in_stock else 1

    def offered(self, segment: int, region: int, route: int, programme: int) -> Offer:
        """The outlets open to this customer, their weights exp(V) (without loyalty) and their sum,
        and the rivals' weight (0 without rivals)."""
        key = (segment, region, route, programme)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = self._weights(segment, region, route, programme)
        return entry

    def utility(self, outlet: Outlet, segment: int, region: int, route: int, programme: int) -> float:
        diversion = 0.0 if region in outlet.regions else math.log(outlet.divert_weight[region])
        route_bonus = self.routes[route].get(outlet.channel, 0.0) if route >= 0 else 0.0
        member_bonus = 0.0
        if programme >= 0:
            channels, bonus = self.programme_bonus[programme]
            member_bonus = bonus if outlet.channel in channels else 0.0
        return utility(
            self.affinity[segment].get(outlet.channel, 0.0), outlet.price, self.price_sensitivity[segment],
            outlet.log_effort, diversion=diversion, route=route_bonus, bonus=member_bonus,
        )  # fmt: skip

    def _weights(self, segment: int, region: int, route: int, programme: int) -> Offer:
        offered = [o for o in self.outlets if o.is_open and (region in o.regions or region in o.diverts_into)]
        utilities = [self.utility(o, segment, region, route, programme) for o in offered]
        rival = self.rival_utility[segment]
        if rival is None:
            weights = logit_weights(utilities)
            return offered, weights, sum(weights), 0.0
        weights = logit_weights([*utilities, rival])  # one shift for all, rivals last
        rival_weight = weights.pop()
        return offered, weights, sum(weights), rival_weight

    def choose(
        self,
        segment: int,
        region: int,
        route: int,
        programme: int,
        last: Outlet | None,
        rival_last: bool = False,
    ) -> Pick:
        """One draw from the logit over the outlets offered and the rivals; None when nothing is offered.

        `rival_last`: the customer's last occasion went to the rivals (their loyalty term)."""
        if self.short[region] == 0:  # everything here in stock: one bisection in the cached sums
            situation = (segment, region, route, programme, -1 if last is None else last.index, rival_last)
            entry = self._draws.get(situation)
            if entry is None:
                entry = self._draws[situation] = self._running_sums(
                    segment, region, route, programme, last, rival_last
                )
            picks, sums = entry
            if not picks:
                return None
            index = bisect_left(sums, self.draws.uniform() * sums[-1])
            return picks[index if index < len(picks) else -1]
        return self._choose_short(segment, region, route, programme, last, rival_last)

    def _running_sums(
        self, segment: int, region: int, route: int, programme: int, last: Outlet | None, rival_last: bool
    ) -> Draw:
        """The running sums a draw bisects, everything in stock (as `_choose_short` would walk them)."""
        offered, weights, _, rivals = self.offered(segment, region, route, programme)
        factor = self.loyalty_factor[segment]
        scaled = [
            w * (1.0 + factor) if o is last and factor != 0.0 else w
            for o, w in zip(offered, weights, strict=True)
        ]
        if rivals:
            if sum(scaled) <= 1e-300:
                return [RIVALS], [1.0]  # nothing of ours to buy: the occasion goes to the rivals
            picks: list[Outlet | Rivals] = [*offered, RIVALS]
            scaled.append(rivals * (1.0 + factor) if rival_last else rivals)
        elif sum(scaled) <= 1e-300:
            return [], []
        else:
            picks = list(offered)
        sums, running = [], 0.0
        for weight in scaled:
            running += weight
            sums.append(running)
        return picks, sums

    def _choose_short(
        self, segment: int, region: int, route: int, programme: int, last: Outlet | None, rival_last: bool
    ) -> Pick:
        """A draw while some outlet in the region is out of stock: its weight is taken out."""
        key = (segment, region, route, programme)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = self._weights(segment, region, route, programme)
        offered, weights, total, rivals = entry
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
        if rivals:
            rivals *= 1.0 + factor if rival_last else 1.0
            if total + bonus <= 1e-300:
                return RIVALS  # nothing of ours to buy: the occasion goes to the rivals
        elif total + bonus <= 1e-300:
            return None
        target = self.draws.uniform() * (total + bonus + rivals)
        chosen = None
        for index, weight in enumerate(weights):
            if short and not offered[index].in_stock:
                continue
            chosen = offered[index]
            target -= weight + bonus if index == bonus_index else weight
            if target <= 0.0:
                return chosen
        return RIVALS if rivals else chosen

    def cannibalized(
        self, segment: int, region: int, route: int, programme: int, last: Outlet | None
    ) -> float:
        """Expected orders the direct channels take from partners by price at this purchase.

        `max(0, Σ_direct P_j − Σ_direct P_j^=)`, with `P^=` the same choice (same offers,
        loyalty, stock) at equal prices; 0 unless a direct channel is cheaper than a partner.
        """
        key = (segment, region, route, programme)
        if key not in self._equal_prices:
            self._equal_prices[key] = self._equal_price_weights(key)
        equal = self._equal_prices[key]
        if equal is None:
            return 0.0
        if self.short[region] == 0:  # everything in stock: the answer depends on the key and `last` only
            memo = (*key, -1 if last is None else last.index)
            moved = self._moved.get(memo)
            if moved is None:
                moved = self._moved[memo] = self._cannibalized(key, equal, last)
            return moved
        return self._cannibalized(key, equal, last)

    def _cannibalized(self, key: tuple[int, int, int, int], equal: list[float], last: Outlet | None) -> float:
        segment = key[0]
        offered, weights, _, _ = self.offered(*key)
        factor = self.loyalty_factor[segment]
        with_prices = direct = at_equal = direct_equal = 0.0
        for outlet, weight, flat in zip(offered, weights, equal, strict=True):
            if not outlet.in_stock:
                continue
            scale = 1.0 + factor if outlet is last else 1.0
            with_prices += weight * scale
            at_equal += flat * scale
            if outlet.direct:
                direct += weight * scale
                direct_equal += flat * scale
        if with_prices <= 0.0 or at_equal <= 0.0:
            return 0.0
        return max(0.0, direct / with_prices - direct_equal / at_equal)

    def _equal_price_weights(self, key: tuple[int, int, int, int]) -> list[float] | None:
        """The weights with the price term taken out, or None when no direct channel undercuts."""
        offered, weights, _, _ = self.offered(*key)
        direct = [o.price for o in offered if o.direct]
        partners = [o.price for o in offered if not o.direct]
        if not direct or not partners or min(direct) >= max(partners):
            return None
        beta = self.price_sensitivity[key[0]]
        return [without_price(w, o.price, beta) for o, w in zip(offered, weights, strict=True)]
