"""Channel conflict (docs/model.md "Conflict"): partners and reactive channels decide each week.

The decision rules are plain functions of a hand-made state, so each can be tested alone;
`ConflictAgents` applies them to the outlets of a replication at every weekly tick, in the
order detection → penalties ending → exits → price moves → diversion. A mechanism whose
parameters are absent does nothing and draws no random numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from channelsim.model.diversion import diversion_gap, diversion_weight, penalty_length, unit_cost
from channelsim.model.logit import without_price
from channelsim.model.partner_exit import EXIT_WINDOW_WEEKS, should_exit
from channelsim.scenario.channels import PriceWar
from channelsim.scenario.schema import Scenario
from channelsim.sim.choice import Chooser
from channelsim.sim.outlets import Outlet
from channelsim.sim.streams import Draws


# -- decision rules ---------------------------------------------------------------------
def share_fell(share: float, reference: float, trigger: float) -> bool:
    """Whether a seller's share is down by more than `trigger` (relative) from its reference."""
    return reference > 0.0 and share < (1.0 - trigger) * reference


def next_price(price: float, base: float, floor: float, fell: bool, war: PriceWar) -> float:
    """A seller under pressure cuts by a step (not below its floor); a calm one recovers."""
    if fell:
        return min(price, max(floor, price - war.undercut_step))
    if price < base:
        return min(base, price + war.recovery_per_week)
    return price


# -- the agents -------------------------------------------------------------------------
@dataclass
class Tier:
    """A partner's tier as assigned (restored when a penalty ends)."""

    rebate: float = 0.0
    effort_boost: float = 0.0
    cost_per_week: float = 0.0


class ConflictAgents:
    """Applies the decision rules to the outlets of one replication, week by week."""

    def __init__(
        self,
        scenario: Scenario,
        outlets: list[Outlet],
        chooser: Chooser,
        draws: Draws,
        region_weights: list[list[float]],  # per segment, per region: population there
        margin_of: Callable[[int, int], float],  # (outlet index, week) -> partner margin that week
        on_detect: Callable[[Outlet, int], None],
    ) -> None:
        self.rules = scenario.conflict
        self.outlets, self.chooser, self.draws = outlets, chooser, draws
        self.region_weights, self.margin_of, self.on_detect = region_weights, margin_of, on_detect
        self.partners = [o for o in outlets if not o.direct]
        self.tiers = {o.index: Tier(o.rebate, o.effort_boost, o.tier_cost) for o in self.partners}
        self.penalty_until: dict[int, int] = {}
        self.violating: set[int] = set()  # diverting or below MAP during the week just ended
        war = self.rules.price_war
        self.sellers = [o for o in outlets if war is not None and (not o.direct or o.reactive)]
        self.diverters = [o for o in self.partners if o.diversion is not None]
        self.enforcing = self.rules.enforcement_per_week > 0 and (
            bool(self.diverters) or self.rules.map_price_index is not None
        )

    def weekly(self, week: int) -> bool:
        """The decisions taken at the start of `week`; True when any outlet changed."""
        changed = False
        if week > 0:
            changed |= self._detect(week)
            changed |= self._end_penalties(week)
            changed |= self._exits(week)
            changed |= self._price_moves()
        changed |= self._divert(week)
        if changed:
            self.chooser.invalidate()
        self._note_violations()
        return changed

    def penalised(self, outlet: Outlet) -> bool:
        """Whether the outlet is under an enforcement penalty now."""
        return outlet.index in self.penalty_until

    # -- enforcement ----------------------------------------------------------------------
    def _detect(self, week: int) -> bool:
        if not self.enforcing:
            return False
        changed = False
        for outlet in self.partners:  # one draw per partner per week, whatever it did: CRN
            detected = self.draws.uniform() <= self.rules.enforcement_per_week
            if detected and outlet.index in self.violating and outlet.is_open:
                self.on_detect(outlet, week - 1)
                floor = self.rules.map_price_index
                if floor is not None and outlet.price < floor:  # told to comply: back to the MAP
                    outlet.price = floor
                    changed = True
                length = penalty_length(self.rules.penalty_weeks)
                if length > 0:
                    self.penalty_until[outlet.index] = week + length
                    self._set_tier(outlet, Tier())
                    changed = True
        return changed

    def _end_penalties(self, week: int) -> bool:
        ended = [i for i, until in self.penalty_until.items() if until <= week]
        for index in ended:
            del self.penalty_until[index]
            self._set_tier(self.outlets[index], self.tiers[index])
        return bool(ended)

    def retier(self, outlet: Outlet) -> None:
        """The outlet was given a new tier (a new plan): restore that one when a penalty ends, and
        keep a penalty that runs (no rebate, no support) until it ends."""
        self.tiers[outlet.index] = Tier(outlet.rebate, outlet.effort_boost, outlet.tier_cost)
        if self.penalised(outlet):
            self._set_tier(outlet, Tier())

    def _set_tier(self, outlet: Outlet, tier: Tier) -> None:
        outlet.rebate, outlet.effort_boost, outlet.tier_cost = (
            tier.rebate,
            tier.effort_boost,
            tier.cost_per_week,
        )

    def _note_violations(self) -> None:
        floor = self.rules.map_price_index
        self.violating = {
            o.index
            for o in self.partners
            if o.is_open and (o.diverts_into or (floor is not None and o.price < floor - 1e-12))
        }

    # -- exits ----------------------------------------------------------------------------
    def _exits(self, week: int) -> bool:
        changed = False
        for outlet in self.partners:
            if not outlet.is_open or outlet.exit_margin <= 0.0 or week < EXIT_WINDOW_WEEKS:
                continue
            margins = [self.margin_of(outlet.index, w) for w in range(week - EXIT_WINDOW_WEEKS, week)]
            if should_exit(margins, outlet.exit_margin):
                outlet.is_open = False
                outlet.diverts_into = frozenset()
                outlet.tier_cost = 0.0
                changed = True
        return changed

    # -- price war ------------------------------------------------------------------------
    def expected_shares(self, outlet: Outlet) -> tuple[float, float]:
        """The seller's logit share of its regions' demand at current prices, and at equal prices.

        Both with today's offers, efforts and penalties and the rivals in the set (a market
        share: a cut wins occasions from rivals too), segments weighted by population; the
        second drops the price terms, so the gap between them is what prices alone do to the
        seller. Stock is ignored: stock-outs come and go within days, prices move weekly.
        """
        served = (outlet.region,) if outlet.region is not None else tuple(outlet.regions)
        mine = fair = total = 0.0
        for segment, weights in enumerate(self.region_weights):
            beta = self.chooser.price_sensitivity[segment]
            for region in served:
                if weights[region] <= 0.0:
                    continue
                offered, logit_weights, ours, rivals = self.chooser.offered(segment, region, -1, -1)
                everyone = ours + rivals
                if everyone <= 0.0:
                    continue
                flat = [without_price(w, o.price, beta) for o, w in zip(offered, logit_weights, strict=True)]
                own = next((i for i, o in enumerate(offered) if o is outlet), None)
                if own is not None:
                    mine += weights[region] * logit_weights[own] / everyone
                    fair += weights[region] * flat[own] / (sum(flat) + rivals)
                total += weights[region]
        return (mine / total, fair / total) if total else (0.0, 0.0)

    def _price_moves(self) -> bool:
        war = self.rules.price_war
        if war is None:
            return False
        moves = {}
        for outlet in self.sellers:
            if not outlet.is_open:
                continue
            share, fair = self.expected_shares(outlet)
            fell = share_fell(share, fair, war.trigger_share_drop)
            moves[outlet.index] = next_price(outlet.price, outlet.base_price, outlet.floor, fell, war)
        changed = False
        for index, price in moves.items():  # everyone decides on last week's prices, then moves
            if abs(price - self.outlets[index].price) > 1e-12:
                self.outlets[index].price = round(price, 12)
                changed = True
        if changed:
            self.chooser.invalidate()  # shares for the next decision see the new prices
        return changed

    # -- diversion ------------------------------------------------------------------------
    def _divert(self, week: int) -> bool:
        changed = False
        for outlet in self.diverters:
            weights = self._diversion_targets(outlet, week)
            if weights != outlet.divert_weight:
                outlet.divert_weight = weights
                outlet.diverts_into = frozenset(weights)
                changed = True
        return changed

    def _diversion_targets(self, outlet: Outlet, week: int) -> dict[int, float]:
        rule = outlet.diversion
        if rule is None or not outlet.is_open or outlet.index in self.penalty_until:
            return {}
        cost = unit_cost(outlet.margin, outlet.rebate)
        targets = {}
        for region in range(len(self.region_weights[0]) if self.region_weights else 0):
            if region == outlet.region:
                continue
            victims = [
                (unit_cost(o.margin, o.rebate), o.price)
                for o in self.partners
                if o.is_open and o.region == region and o.channel == outlet.channel
            ]
            weight = diversion_weight(
                diversion_gap(cost, outlet.price, victims), rule.price_gap, rule.propensity
            )
            if weight > 0.0:
                targets[region] = weight
        return targets
