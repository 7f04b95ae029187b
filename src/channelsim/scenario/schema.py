"""The validated scenario: every section typed, defaults filled, references resolved."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PrivateAttr, field_validator

from channelsim._types import MAX_SEED, Id, Model, Share
from channelsim.scenario.channels import Channel, Conflict, Incentive, Partner
from channelsim.scenario.crm import Alert, LoyaltyProgram, Winback
from channelsim.scenario.demand import Segment, Source
from channelsim.scenario.planning import Budget, Optimize, Variant


class Scenario(Model):
    """A channel-strategy scenario, as loaded by `channelsim.load` (all rates per week)."""

    name: Annotated[str, Field(min_length=1)]  # the scenario's name, shown in reports
    description: str = ""  # free text shown in reports
    currency: Annotated[str, Field(min_length=1)] = "EUR"  # the currency of every amount of money
    horizon_weeks: Annotated[int, Field(ge=1, le=520)]  # weeks simulated
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0  # random seed: the same seed gives the same results
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1  # independent simulation runs
    gross_margin: Share = 0.0  # brand margin at list price
    regions: Annotated[list[Id], Field(min_length=1)] = ["all"]  # the market's regions
    segments: Annotated[list[Segment], Field(min_length=1)]  # customer segments
    sources: list[Source] = []  # customer sources: where leads come from (none: organic growth only)
    channels: Annotated[list[Channel], Field(min_length=1)]  # sales channels: where orders happen
    partners: list[Partner] = []  # members of indirect channels
    incentives: list[Incentive] = []  # partner incentive programmes
    loyalty_programs: list[LoyaltyProgram] = []  # CRM: membership that counts across channels
    winback: Winback | None = None  # CRM: campaigns aimed at lapsed customers
    alerts: list[Alert] = []  # early warnings on weekly KPIs
    conflict: Conflict = Conflict()  # channel policy: minimum advertised price, enforcement, price wars
    budget: Budget = Budget()  # limits for the optimizer
    optimize: Optimize = Optimize()  # how the optimizer runs
    variants: dict[Id, Variant] = {}  # what-if overlays on this file, by name

    _file: str = PrivateAttr(default="<memory>")
    _variant: str | None = PrivateAttr(default=None)
    _data: Any = PrivateAttr(default=None)

    @field_validator("regions")
    @classmethod
    def _unique_regions(cls, regions: list[str]) -> list[str]:
        repeated = sorted({r for r in regions if regions.count(r) > 1})
        if repeated:
            raise ValueError(f"must be unique ({', '.join(repeated)} repeated)")
        return regions

    @property
    def file(self) -> str:
        """The file this scenario was loaded from."""
        return self._file

    @property
    def variant_name(self) -> str | None:
        """The variant applied to the file's base scenario, if any."""
        return self._variant

    def variant(self, name: str) -> Scenario:
        """The scenario with the named variant's `set` and `remove` applied, validated."""
        from channelsim.scenario.load import apply_variant

        return apply_variant(self, name)

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """The scenario with dotted-path overrides applied (as a variant's `set`), validated."""
        from channelsim.scenario.load import apply_overrides

        return apply_overrides(self, overrides)

    def to_data(self) -> dict[str, Any]:
        """The resolved scenario as plain data (after `extends`, variant and defaults)."""
        data = self.model_dump(mode="json", exclude_defaults=False)
        for segment in data["segments"]:  # the additions to SPEC appear only where used (files as before)
            for key, unused in (("initial_prospects", []), ("initial_reached", 0)):
                if segment.get(key) == unused:
                    del segment[key]
            for group in segment.get("initial_prospects", []):
                for key in [k for k, v in group.items() if v is None]:
                    del group[key]
        return data

    # -- look-ups the engines share -------------------------------------------------
    def channel(self, channel_id: str) -> Channel:
        return next(c for c in self.channels if c.id == channel_id)

    def segment(self, segment_id: str) -> Segment:
        return next(s for s in self.segments if s.id == segment_id)

    def partners_of(self, channel_id: str) -> list[Partner]:
        return [p for p in self.partners if p.channel == channel_id]

    def supplier(self, partner: Partner) -> Partner | None:
        """The wholesaler a retailer buys from (`supplied_by`), or None: it buys from the brand."""
        return next(p for p in self.partners if p.id == partner.supplied_by) if partner.supplied_by else None

    def retailers_of(self, partner_id: str) -> list[Partner]:
        """The partners that buy from `partner_id` (empty: it is not a wholesaler)."""
        return [p for p in self.partners if p.supplied_by == partner_id]

    def channel_regions(self, channel: Channel) -> list[str]:
        return list(self.regions) if channel.regions is None else list(channel.regions)
