"""Scenario sections for the market: customer segments and the customer sources that feed them."""

from __future__ import annotations

import itertools
import math
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from channelsim._types import (
    Count,
    Id,
    Model,
    NonNeg,
    PosCount,
    Positive,
    Purchases,
    Sensitivity,
    Share,
    UnitCount,
    Utility,
)
from channelsim.curves import Curve


def check_shares(shares: dict[str, float] | None) -> dict[str, float] | None:
    """Shares must add up to 1 (within rounding); an empty mapping is a mistake, not a default."""
    if shares is not None and not shares:
        raise ValueError("must name at least one share (leave the key out for the default)")
    if shares is not None and not math.isclose(sum(shares.values()), 1.0, abs_tol=1e-6):
        raise ValueError(f"shares must add up to 1 (they add up to {sum(shares.values()):.6g})")
    return shares


class Competition(Model):
    """The rest of the market: rivals are one more alternative at every purchase occasion."""

    utility: Utility  # V_0: the utility of buying from a rival at an occasion (before loyalty)
    switch_probability: Share = (
        0.0  # chance that a customer whose repeat occasion a rival wins defects for good
    )


class ProspectGroup(Model):
    """People considering at week 0 who will make a first purchase (an addition to SPEC: a re-plan's state).

    Each is a converted lead who has just come: the first purchase after an exponential wait of
    the segment's `consideration_weeks` (at once when 0), where a rival can win it (the prospect is
    then lost, as any lead's), with the `routes_to` bonus of the paid source that found them, or
    at the partner whose own prospect they are (no logit, no rival, when it is open and in stock).
    They are part of `population`, not unaware; so are `initial_reached`, the people past the
    funnel (lapsed, lost to a rival, never to buy): leads and word of mouth reach only the rest.
    """

    count: PosCount  # how many: converted leads still thinking it over
    region: Id | None = None  # where they live; default: the partner's region, else by the segment's regions
    source: Id | None = (
        None  # who found them: a paid source (routes_to applies), organic, referral; default: organic
    )
    partner: Id | None = (
        None  # whose own prospects they are: the first order goes to that partner when it can
    )

    @model_validator(mode="after")
    def _one_finder(self) -> ProspectGroup:
        if self.source is not None and self.partner is not None:
            raise ValueError(
                "name a source or a partner, not both (a partner's prospects are booked to `partners`)"
            )
        return self


class Segment(Model):
    """A group of potential customers who behave alike (rates are per week)."""

    id: Id  # the segment's id
    population: PosCount  # potential customers, a finite pool
    regions: dict[Id, Share] | None = None  # share per region, sum 1; default: uniform over the regions
    initial_customers: Count = 0  # active customers at week 0
    initial_prospects: list[ProspectGroup] = []  # people considering at week 0 (addition to SPEC)
    initial_reached: Count = 0  # people past the funnel at week 0: heard of us, neither customers nor considering (addition to SPEC)
    innovation_per_week: NonNeg = 0.0  # Bass p: organic awareness
    imitation_per_week: NonNeg = 0.0  # Bass q: word of mouth
    conversion: Share = 1.0  # chance that a prospect makes a first purchase
    consideration_weeks: NonNeg = 0.0  # mean delay to the first purchase (0: at once)
    purchases_per_week: Purchases = 0.0  # repeat-purchase rate of an active customer
    churn_per_week: NonNeg = 0.0  # hazard of an active customer lapsing
    order_value: NonNeg = 0.0  # mean order value at list price
    price_sensitivity: Sensitivity = 0.0  # utility lost per unit of price index above 1
    loyalty: Utility = 0.0  # utility bonus for the alternative used last time
    channel_affinity: dict[Id, Utility] = {}  # utility intercept per channel id (absent: 0)
    service_expectation_weeks: NonNeg = 1.0  # fulfilment slower than this disappoints
    competition: Competition | None = (
        None  # rivals at every purchase occasion; default: none (a closed market)
    )

    _shares = field_validator("regions")(check_shares)

    @model_validator(mode="after")
    def _initial_within_population(self) -> Segment:
        if self.initial_customers > self.population:
            raise ValueError(
                f"initial_customers ({self.initial_customers}) exceeds population ({self.population})"
            )
        taken = self.initial_customers + self.considering + self.initial_reached
        if taken > self.population:
            raise ValueError(
                f"initial_customers + initial_prospects + initial_reached ({taken}) exceeds population "
                f"({self.population})"
            )
        return self

    @property
    def considering(self) -> int:
        """People considering at week 0 (`initial_prospects`, all groups)."""
        return sum(g.count for g in self.initial_prospects)

    @property
    def unaware_at_start(self) -> int:
        """People who have not heard of the brand at week 0."""
        return self.population - self.initial_customers - self.considering - self.initial_reached


class RateTier(Model):
    """Media bought up to `up_to` (spend-equivalent per week) costs `price` per unit."""

    up_to: Positive  # upper end of the tier (spend-equivalent per week)
    price: Positive  # cost of one unit of spend-equivalent in this tier


class Units(Model):
    """A lumpy source (trade shows): weekly spend comes in whole units of `cost`, at most `max`."""

    cost: Positive  # weekly spend of one unit (e.g. one trade show)
    max: UnitCount  # most units per week


class Source(Model):
    """A customer source: weekly spend buys leads along a response curve."""

    id: Id  # the source's id (not `organic`, `referral` or `partners`)
    spend_per_week: NonNeg = 0.0  # the current plan (the baseline)
    min_spend_per_week: NonNeg = 0.0  # the optimizer's lower bound
    max_spend_per_week: NonNeg | None = None  # the optimizer's upper bound; default: the marketing budget
    response: Curve  # weekly spend → leads per week
    segment_mix: dict[Id, Share] | None = None  # share of leads per segment, sum 1; default: by population
    routes_to: dict[Id, Utility] = {}  # utility bonus per channel id on the first purchase
    setup_cost_per_week: NonNeg = 0.0  # paid only while the source is used
    adstock: Annotated[float, Field(ge=0, lt=1)] = 0.0  # carry-over a: e_t = (1-a)·Σ a^k·x_(t-k)
    locked: bool = False  # true: the optimizer keeps this spend as is
    rate_card: Annotated[list[RateTier], Field(min_length=1)] | None = None  # volume-discount price tiers
    units: Units | None = None  # lumpy source: spend in whole units

    _shares = field_validator("segment_mix")(check_shares)

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        if self.max_spend_per_week is not None and self.min_spend_per_week > self.max_spend_per_week:
            raise ValueError(
                f"min_spend_per_week ({self.min_spend_per_week:g}) exceeds "
                f"max_spend_per_week ({self.max_spend_per_week:g})"
            )
        if self.rate_card:
            ups = [t.up_to for t in self.rate_card]
            if any(b <= a for a, b in itertools.pairwise(ups)):
                raise ValueError("rate_card tiers must have increasing `up_to`")
        if self.units is not None:
            count = self.spend_per_week / self.units.cost
            if abs(count - round(count)) > 1e-9 or round(count) > self.units.max:
                raise ValueError(
                    f"spend_per_week ({self.spend_per_week:g}) must be a whole number of units "
                    f"of {self.units.cost:g}, at most {self.units.max}"
                )
        return self
