"""Scenario sections for the market: customer segments and the customer sources that feed them."""

from __future__ import annotations

import itertools
import math
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from channelsim._types import Count, Id, Model, NonNeg, Positive, Share
from channelsim.curves import Curve


def check_shares(shares: dict[str, float] | None) -> dict[str, float] | None:
    """Shares must add up to 1 (within rounding)."""
    if shares is not None and shares and not math.isclose(sum(shares.values()), 1.0, abs_tol=1e-6):
        raise ValueError(f"shares must add up to 1 (they add up to {sum(shares.values()):.6g})")
    return shares


class Segment(Model):
    """A group of potential customers who behave alike (rates are per week)."""

    id: Id
    population: Annotated[int, Field(ge=1)]
    regions: dict[Id, Share] | None = None  # default: uniform over the scenario's regions
    initial_customers: Count = 0
    innovation_per_week: NonNeg = 0.0  # Bass p
    imitation_per_week: NonNeg = 0.0  # Bass q
    conversion: Share = 1.0
    consideration_weeks: NonNeg = 0.0
    purchases_per_week: NonNeg = 0.0
    churn_per_week: NonNeg = 0.0
    order_value: NonNeg = 0.0
    price_sensitivity: NonNeg = 0.0
    loyalty: float = 0.0
    channel_affinity: dict[Id, float] = {}
    service_expectation_weeks: NonNeg = 1.0  # fulfilment slower than this disappoints

    _shares = field_validator("regions")(check_shares)

    @model_validator(mode="after")
    def _initial_within_population(self) -> Segment:
        if self.initial_customers > self.population:
            raise ValueError(
                f"initial_customers ({self.initial_customers}) exceeds population ({self.population})"
            )
        return self


class RateTier(Model):
    """Media bought up to `up_to` (spend-equivalent per week) costs `price` per unit."""

    up_to: Positive
    price: Positive


class Units(Model):
    """A lumpy source (trade shows): weekly spend comes in whole units of `cost`, at most `max`."""

    cost: Positive
    max: Count


class Source(Model):
    """A customer source: weekly spend buys leads along a response curve."""

    id: Id
    spend_per_week: NonNeg = 0.0
    min_spend_per_week: NonNeg = 0.0
    max_spend_per_week: NonNeg | None = None  # default: the marketing budget
    response: Curve
    segment_mix: dict[Id, Share] | None = None  # default: by population
    routes_to: dict[Id, float] = {}
    setup_cost_per_week: NonNeg = 0.0
    adstock: Annotated[float, Field(ge=0, lt=1)] = 0.0
    locked: bool = False
    rate_card: Annotated[list[RateTier], Field(min_length=1)] | None = None
    units: Units | None = None

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

    def media_cost(self, spend: float) -> float:
        """What `spend` of media costs per week under the rate card (1:1 without one)."""
        if not self.rate_card:
            return spend
        cost, lower = 0.0, 0.0
        for tier in self.rate_card:
            if spend <= lower:
                break
            cost += (min(spend, tier.up_to) - lower) * tier.price
            lower = tier.up_to
        if spend > lower:
            cost += (spend - lower) * self.rate_card[-1].price
        return cost
