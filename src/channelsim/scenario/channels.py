"""Scenario sections for the supply side: channels, partners, incentives and conflict rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from channelsim._types import Count, Id, Model, NonNeg, Positive, Share


class Fulfilment(Model):
    """An order queue: `servers` in parallel, exponential service with mean `mean_service_weeks`."""

    servers: Annotated[int, Field(ge=1)]
    mean_service_weeks: Positive


class Inventory(Model):
    """An (s, S) stock policy: below `reorder_point`, order up to `order_up_to`, delivered later."""

    initial: Count
    reorder_point: Count
    order_up_to: Annotated[int, Field(ge=1)]
    lead_time_weeks: NonNeg = 0.0

    @model_validator(mode="after")
    def _policy(self) -> Inventory:
        if self.reorder_point >= self.order_up_to:
            raise ValueError(
                f"reorder_point ({self.reorder_point}) must be below order_up_to ({self.order_up_to})"
            )
        return self


class Channel(Model):
    """A sales channel. Direct: the brand sells. Indirect: its `partners` sell."""

    id: Id
    type: Literal["direct", "indirect"] = "direct"
    mode: Literal["online", "offline", "hybrid"] = "online"
    regions: list[Id] | None = None  # `all` (or absent): every region of the scenario
    price_index: Positive = 1.0
    price_floor: Positive | None = None  # how far a reactive channel may cut in a price war
    reactive: bool = False  # a direct channel that joins price wars
    variable_cost: Share = 0.0
    fixed_cost_per_week: NonNeg = 0.0
    fulfilment: Fulfilment | None = None
    inventory: Inventory | None = None
    partner_margin: Share = 0.0

    @field_validator("regions", mode="before")
    @classmethod
    def _all_regions(cls, value: object) -> object:
        return None if value == "all" else value

    @model_validator(mode="after")
    def _kind(self) -> Channel:
        if self.type == "direct" and self.partner_margin:
            raise ValueError("partner_margin applies only to indirect channels (type: indirect)")
        return self


class Diversion(Model):
    """Cross-territory selling (窜货): intensity `propensity` once the gap exceeds `price_gap`."""

    propensity: Share
    price_gap: NonNeg = 0.05


class Partner(Model):
    """A member of an indirect channel, selling in one region."""

    id: Id
    channel: Id
    region: Id
    price_index: Positive | None = None  # default: the channel's price_index
    price_floor: Positive | None = None  # default: the partner's own wholesale cost
    effort: Positive = 1.0
    fulfilment: Fulfilment | None = None
    inventory: Inventory | None = None
    diversion: Diversion | None = None
    exit_below_margin_per_week: NonNeg = 0.0


class Tier(Model):
    """One level of an incentive programme."""

    level: Id
    cost_per_week: NonNeg = 0.0
    rebate: Share = 0.0
    effort_boost: NonNeg = 0.0


class Incentive(Model):
    """Tiers of rewards the brand can give the partners of one indirect channel."""

    id: Id
    channel: Id
    tiers: Annotated[list[Tier], Field(min_length=1)]
    current: dict[Id, Id] = {}

    @model_validator(mode="after")
    def _unique_levels(self) -> Incentive:
        levels = [t.level for t in self.tiers]
        if len(set(levels)) != len(levels):
            raise ValueError(f"tier levels must be unique (got {', '.join(levels)})")
        return self

    def tier(self, level: str) -> Tier:
        return next(t for t in self.tiers if t.level == level)


class PriceWar(Model):
    """When a seller's regional share drops by `trigger_share_drop`, it cuts by `undercut_step`."""

    trigger_share_drop: Share = 0.15
    undercut_step: Share = 0.02
    recovery_per_week: NonNeg = 0.01


class Conflict(Model):
    """The brand's channel policy: minimum advertised price and enforcement."""

    map_price_index: Positive | None = None
    enforcement_per_week: Share = 0.0
    penalty_weeks: NonNeg = 0.0
    price_war: PriceWar | None = None
