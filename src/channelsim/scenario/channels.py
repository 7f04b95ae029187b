"""Scenario sections for the supply side: channels, partners, incentives and conflict rules."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from channelsim._types import Count, Id, Model, NonNeg, PosCount, Positive, Price, Share
from channelsim.scenario.demand import check_shares


class Fulfilment(Model):
    """An order queue: `servers` in parallel, exponential service with mean `mean_service_weeks`."""

    servers: PosCount  # orders served in parallel
    mean_service_weeks: Positive  # mean time to serve one order


class Inventory(Model):
    """An (s, S) stock policy: below `reorder_point`, order up to `order_up_to`, delivered later."""

    initial: Count  # units in stock at week 0
    reorder_point: Count  # s: stock level that triggers a reorder
    order_up_to: PosCount  # S: stock level a reorder restores
    lead_time_weeks: NonNeg = 0.0  # delay from reorder to delivery

    @model_validator(mode="after")
    def _policy(self) -> Inventory:
        if self.reorder_point >= self.order_up_to:
            raise ValueError(
                f"reorder_point ({self.reorder_point}) must be below order_up_to ({self.order_up_to})"
            )
        return self


def check_design(outlet: Channel | Partner) -> Any:
    """An outlet is a candidate (closed today) or closable (open today), not both."""
    if outlet.candidate and outlet.closable:
        raise ValueError("candidate (not open today) and closable (open today) exclude each other")
    return outlet


class Channel(Model):
    """A sales channel. Direct: the brand sells. Indirect: its `partners` sell."""

    id: Id  # the channel's id
    type: Literal["direct", "indirect"] = "direct"  # direct: the brand sells; indirect: its partners sell
    mode: Literal["online", "offline", "hybrid"] = "online"  # where orders happen
    regions: list[Id] | None = None  # regions served, or `all`; default: every region of the scenario
    price_index: Price = 1.0  # customer price relative to list price
    price_floor: Price | None = None  # how far a reactive channel may cut in a price war
    reactive: bool = False  # a direct channel that joins price wars
    variable_cost: Share = 0.0  # fraction of the customer's payment
    fixed_cost_per_week: NonNeg = 0.0  # cost of running the channel
    fulfilment: Fulfilment | None = None  # optional order queue
    inventory: Inventory | None = None  # optional stock policy
    partner_margin: Share = 0.0  # indirect only: the partners' share of list price
    candidate: bool = False  # not open today: the optimizer may open it (direct channels)
    closable: bool = False  # open today: the optimizer may close it (direct channels)
    opening_cost: NonNeg = 0.0  # paid once when a candidate opens
    closing_cost: NonNeg = 0.0  # paid once when a closable channel closes

    @field_validator("regions", mode="before")
    @classmethod
    def _all_regions(cls, value: object) -> object:
        return None if value == "all" else value

    @model_validator(mode="after")
    def _kind(self) -> Channel:
        if self.type == "direct" and self.partner_margin:
            raise ValueError("partner_margin applies only to indirect channels (type: indirect)")
        if self.type == "indirect" and (self.candidate or self.closable):
            raise ValueError("candidate and closable apply to direct channels and to partners, not to an indirect channel")
        return check_design(self)


class Diversion(Model):
    """Cross-territory selling (窜货): intensity `propensity` once the gap exceeds `price_gap`."""

    propensity: Share  # intensity of selling into another region
    price_gap: NonNeg = 0.05  # price gap above which the partner diverts


class Partner(Model):
    """A member of an indirect channel, selling in one region."""

    id: Id  # the partner's id
    channel: Id  # the indirect channel it belongs to
    region: Id  # the region it sells in
    price_index: Price | None = None  # customer price relative to list; default: the channel's price_index
    price_floor: Price | None = None  # lowest price index in a price war; default: its own wholesale cost
    effort: Positive = 1.0  # selling effort: utility bonus ln(effort)
    fulfilment: Fulfilment | None = None  # optional order queue
    inventory: Inventory | None = None  # optional stock policy
    diversion: Diversion | None = None  # optional cross-territory selling
    exit_below_margin_per_week: NonNeg = 0.0  # leaves if its trailing weekly margin falls below this
    leads_per_week: NonNeg = 0.0  # prospects the partner finds itself a week, × (1 + its tier's effort_boost)
    segment_mix: dict[Id, Share] | None = (
        None  # segments of those prospects, sum 1; default: by population in its region
    )
    candidate: bool = False  # not a partner today: the optimizer may recruit it
    closable: bool = False  # a partner today: the optimizer may drop it
    opening_cost: NonNeg = 0.0  # paid once when a candidate is recruited
    closing_cost: NonNeg = 0.0  # paid once when a closable partner is dropped
    supplied_by: Id | None = None  # a partner of another indirect channel (its wholesaler) it buys from: two levels, each keeping its margin

    _mix = field_validator("segment_mix")(check_shares)

    @model_validator(mode="after")
    def _design(self) -> Partner:
        return check_design(self)


class Tier(Model):
    """One level of an incentive programme."""

    level: Id  # the level's name, unique in the programme
    cost_per_week: NonNeg = 0.0  # what the level costs the brand
    rebate: Share = 0.0  # discount on the wholesale price
    effort_boost: NonNeg = 0.0  # partner effort × (1 + effort_boost)


class Incentive(Model):
    """Tiers of rewards the brand can give the partners of one indirect channel."""

    id: Id  # the programme's id
    channel: Id  # the indirect channel whose partners are eligible
    tiers: Annotated[list[Tier], Field(min_length=1)]  # the levels, each at most once
    current: dict[Id, Id] = {}  # the baseline: partner id → tier level (absent: none)

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

    trigger_share_drop: Share = 0.15  # fall in regional share that triggers a cut
    undercut_step: Share = 0.02  # price-index cut per step
    recovery_per_week: NonNeg = 0.01  # price-index recovery per week once calm


class Conflict(Model):
    """The brand's channel policy: minimum advertised price and enforcement."""

    map_price_index: Price | None = None  # minimum advertised price index; default: no minimum
    enforcement_per_week: Share = 0.0  # chance per week that the brand detects a violator
    penalty_weeks: NonNeg = 0.0  # weeks incentives are withheld after a detection
    price_war: PriceWar | None = None  # how sellers undercut each other
