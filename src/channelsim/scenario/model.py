"""The validated scenario: every section typed, defaults filled, references resolved."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PrivateAttr, model_validator

from channelsim._types import Id, Model, Share
from channelsim.scenario.channels import Channel, Conflict, Incentive, Partner
from channelsim.scenario.crm import Alert, LoyaltyProgram, Winback
from channelsim.scenario.market import Segment, Source
from channelsim.scenario.planning import Budget, Optimize, Variant


class Scenario(Model):
    """A channel-strategy scenario, as loaded by `channelsim.load` (all rates per week)."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    currency: Annotated[str, Field(min_length=1)] = "EUR"
    horizon_weeks: Annotated[int, Field(ge=1, le=520)]
    seed: Annotated[int, Field(ge=0)] = 0
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    gross_margin: Share = 0.0
    regions: Annotated[list[Id], Field(min_length=1)] = ["all"]
    segments: Annotated[list[Segment], Field(min_length=1)]
    sources: list[Source] = []
    channels: Annotated[list[Channel], Field(min_length=1)]
    partners: list[Partner] = []
    incentives: list[Incentive] = []
    loyalty_programs: list[LoyaltyProgram] = []
    winback: Winback | None = None
    alerts: list[Alert] = []
    conflict: Conflict = Conflict()
    budget: Budget = Budget()
    optimize: Optimize = Optimize()
    variants: dict[Id, Variant] = {}

    _file: str = PrivateAttr(default="<memory>")
    _variant: str | None = PrivateAttr(default=None)
    _data: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _unique_regions(self) -> Scenario:
        if len(set(self.regions)) != len(self.regions):
            raise ValueError("regions must be unique")
        return self

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
        return self.model_dump(mode="json", exclude_defaults=False)

    # -- look-ups the engines share -------------------------------------------------
    def channel(self, channel_id: str) -> Channel:
        return next(c for c in self.channels if c.id == channel_id)

    def segment(self, segment_id: str) -> Segment:
        return next(s for s in self.segments if s.id == segment_id)

    def partners_of(self, channel_id: str) -> list[Partner]:
        return [p for p in self.partners if p.channel == channel_id]

    def channel_regions(self, channel: Channel) -> list[str]:
        return list(self.regions) if channel.regions is None else list(channel.regions)
