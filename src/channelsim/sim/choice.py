"""Multinomial-logit channel choice at every purchase occasion: draws the outlet (SPEC §3).

With `competition` on a segment, rivals are one more alternative (utility `V_0`, plus the
loyalty term when the customer's last occasion went to them): a draw may return `RIVALS`.

The utility and the logit weights are `channelsim.model.logit`. The weights `exp(V_j)`
without the loyalty term depend only on (segment, region, route, programme) and on the
outlets' prices, so they are cached and the cache is dropped when a price, a rebate, an
exit or a diversion changes. Stock-outs come and go often, so they do not touch that cache:
each region keeps the set of its outlets out of stock (a bit mask), and a draw is one
bisection in the running sums of its situation — the key, the last outlet, whether the
rivals had the last occasion and the region's mask — cached apart.
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
#: What a draw can end in (the outlets in stock, rivals last) and the running sums of their
#: weights, loyalty included; empty when nothing is offered and there are no rivals.
Draw = tuple[list[Outlet | Rivals], list[float]]


class Situation:
    """A purchase's situation as cached: its `Draw`, and the orders it cannibalises (None until asked)."""

    __slots__ = ("moved", "picks", "sums")

    def __init__(self, picks: list[Outlet | Rivals], sums: list[float]) -> None:
        self.picks, self.sums = picks, sums
        self.moved: float | None = None


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
        self._moved: dict[tuple[int, int, int, int, int, int], float] = {}  # cannibalisation
        self._draws: dict[tuple[int, int, int, int, int, bool, int], Situation] = {}
        # every region of the scenario, including those no outlet serves (their customers still choose)
        regions = max(regions, 1 + max((r for o in outlets for r in o.regions), default=0))
        self.out_of_stock = [0] * regions  # per region: bit i set while outlet i serving it is out of stock
        for outlet in outlets:
            if not outlet.in_stock:
                self.stock_changed(outlet, False)

    def invalidate(self) -> None:
        """Prices or the set of outlets changed: recompute weights on next use."""
        self._cache.clear()
        self._equal_prices.clear()
        self._moved.clear()
        self._draws.clear()
        self.out_of_stock = [0] * len(self.out_of_stock)
        for outlet in self.outlets:
            if not outlet.in_stock:
                self.stock_changed(outlet, False)

    def stock_changed(self, outlet: Outlet, in_stock: bool) -> None:
        """An outlet ran out of stock (False) or got it back (True)."""
        bit = 1 << outlet.index
        for region in outlet.regions | outlet.diverts_into:
            self.out_of_stock[region] = (
                self.out_of_stock[region] & ~bit if in_stock else self.out_of_stock[region] | bit
            )

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
        return self.pick(self.situation(segment, region, route, programme, last, rival_last))

    def situation(
        self, segment: int, region: int, route: int, programme: int, last: Outlet | None, rival_last: bool
    ) -> Situation:
        """The cached situation of a purchase: the key, the last outlet, whether the rivals had the
        last occasion, and the region's outlets out of stock."""
        last_index = -1 if last is None else last.index
        key = (segment, region, route, programme, last_index, rival_last, self.out_of_stock[region])
        entry = self._draws.get(key)
        if entry is None:
            entry = self._draws[key] = Situation(
                *self._running_sums(segment, region, route, programme, last, rival_last)
            )
        return entry

    def pick(self, situation: Situation) -> Pick:
        """One draw in a situation: one bisection of its running sums."""
        picks, sums = situation.picks, situation.sums
        if not picks:
            return None
        index = bisect_left(sums, self.draws.uniform() * sums[-1])
        return picks[index if index < len(picks) else -1]

    def _running_sums(
        self, segment: int, region: int, route: int, programme: int, last: Outlet | None, rival_last: bool
    ) -> Draw:
        """The running sums a draw bisects: the outlets in stock now, the last one's weight with its
        loyalty term, the rivals' (with theirs) at the end."""
        offered, weights, _, rivals = self.offered(segment, region, route, programme)
        factor = self.loyalty_factor[segment]
        picks: list[Outlet | Rivals] = []
        scaled = []
        for outlet, weight in zip(offered, weights, strict=True):
            if outlet.in_stock:
                picks.append(outlet)
                scaled.append(weight * (1.0 + factor) if outlet is last and factor != 0.0 else weight)
        if rivals:
            if sum(scaled) <= 1e-300:
                return [RIVALS], [1.0]  # nothing of ours to buy: the occasion goes to the rivals
            picks.append(RIVALS)
            scaled.append(rivals * (1.0 + factor) if rival_last else rivals)
        elif sum(scaled) <= 1e-300:
            return [], []
        sums, running = [], 0.0
        for weight in scaled:
            running += weight
            sums.append(running)
        return picks, sums

    def cannibalized(
        self, segment: int, region: int, route: int, programme: int, last: Outlet | None
    ) -> float:
        """Expected orders the direct channels take from partners by price at this purchase.

        `max(0, Σ_direct P_j − Σ_direct P_j^=)`, with `P^=` the same choice (same offers,
        loyalty, stock) at equal prices; 0 unless a direct channel is cheaper than a partner.
        """
        memo = (
            segment,
            region,
            route,
            programme,
            -1 if last is None else last.index,
            self.out_of_stock[region],
        )
        moved = self._moved.get(memo)  # the answer depends on these only
        if moved is None:
            key = (segment, region, route, programme)
            if key not in self._equal_prices:
                self._equal_prices[key] = self._equal_price_weights(key)
            equal = self._equal_prices[key]
            moved = self._moved[memo] = 0.0 if equal is None else self._cannibalized(key, equal, last)
        return moved

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
