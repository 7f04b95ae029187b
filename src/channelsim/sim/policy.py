"""The levers a run is played with: weekly spend per source, partner tiers, programmes, win-back.

The baseline policy is the scenario as written; a plan (from the optimizer, or a
`plan.json` a user edits) replaces any part of it. Spend per source may vary by period;
its effective spend is the adstock of `channelsim.model.adstock`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from channelsim._types import MAX_AMOUNT
from channelsim.errors import UsageError
from channelsim.model.adstock import adstock_path
from channelsim.scenario.design import Design, decisions, today
from channelsim.scenario.schema import Scenario
from channelsim.userfiles import InputFileError, read_json


@dataclass(frozen=True)
class Policy:
    """What the brand does, week by week."""

    spend: dict[str, list[float]]  # source id -> media spend per week (one value per week)
    tiers: dict[str, tuple[str, str]]  # partner id -> (incentive id, tier level)
    programmes: dict[str, bool] = field(default_factory=dict)  # loyalty programme id -> active
    winback_spend: list[float] = field(default_factory=list)
    open: Design = field(default_factory=dict)  # outlet id → open, for candidate and closable outlets

    @classmethod
    def baseline(cls, scenario: Scenario) -> Policy:
        weeks = scenario.horizon_weeks
        spend = {s.id: [s.spend_per_week] * weeks for s in scenario.sources}
        tiers: dict[str, tuple[str, str]] = {}
        for incentive in scenario.incentives:
            for partner in scenario.partners_of(incentive.channel):
                level = incentive.current.get(partner.id, incentive.tiers[0].level)
                tiers.setdefault(partner.id, (incentive.id, level))
        programmes = {p.id: p.active for p in scenario.loyalty_programs}
        winback = [scenario.winback.spend_per_week] * weeks if scenario.winback else []
        return cls(spend, tiers, programmes, winback, today(scenario))

    def effective_spend(self, scenario: Scenario) -> dict[str, list[float]]:
        """Adstocked spend per source and week."""
        return {s.id: adstock_path(s.adstock, s.spend_per_week, self.spend[s.id]) for s in scenario.sources}


def load_plan(scenario: Scenario, path: str | os.PathLike[str]) -> Policy:
    """A policy from a `plan.json` (as the optimizer writes it): baseline where it is silent."""
    try:
        data = read_json(path)  # a regular file of at most 10 MB, finite numbers
    except InputFileError as err:
        reason = "plan file not found" if err.missing else err.reason
        raise UsageError(f"{os.fspath(path)}: {reason}") from None
    return policy_from_plan(scenario, data, os.fspath(path))


def policy_from_plan(scenario: Scenario, data: Any, origin: str = "plan") -> Policy:
    """Apply a plan mapping (`sources.ID.spend_per_week`, `incentives.PARTNER.tier`, ...)."""
    if not isinstance(data, dict):
        raise UsageError(f"{origin}: a plan must be a JSON object")
    base = Policy.baseline(scenario)
    weeks = scenario.horizon_weeks
    spend = dict(base.spend)
    for source_id, entry in (data.get("sources") or {}).items():
        if source_id not in spend:
            raise UsageError(f"{origin}: sources.{source_id}: no such source in {scenario.file}")
        value = entry.get("spend_per_week") if isinstance(entry, dict) else entry
        spend[source_id] = _weekly(value, weeks, f"{origin}: sources.{source_id}.spend_per_week")
    tiers = dict(base.tiers)
    for partner_id, entry in (data.get("incentives") or {}).items():
        level = entry.get("tier") if isinstance(entry, dict) else entry
        tiers[partner_id] = _tier(scenario, partner_id, level, origin)
    programmes = dict(base.programmes)
    for programme_id, entry in (data.get("loyalty_programs") or {}).items():
        if programme_id not in programmes:
            raise UsageError(f"{origin}: loyalty_programs.{programme_id}: no such programme")
        programmes[programme_id] = bool(entry.get("active") if isinstance(entry, dict) else entry)
    winback = base.winback_spend
    if "winback" in data and scenario.winback is not None:
        entry = data["winback"]
        value = entry.get("spend_per_week") if isinstance(entry, dict) else entry
        winback = _weekly(value, weeks, f"{origin}: winback.spend_per_week")
    return Policy(spend, tiers, programmes, winback, _design(scenario, data, origin))


def _design(scenario: Scenario, data: dict[str, Any], origin: str) -> Design:
    """`channels.ID.open` and `partners.ID.open`, for candidate and closable outlets only."""
    design = today(scenario)
    kinds = {d.id: d.kind for d in decisions(scenario)}
    for section, kind in (("channels", "channel"), ("partners", "partner")):
        for outlet_id, entry in (data.get(section) or {}).items():
            value = entry.get("open") if isinstance(entry, dict) else entry
            if kinds.get(outlet_id) != kind:
                raise UsageError(f"{origin}: {section}.{outlet_id}.open: only a candidate or closable {kind} "
                                 f"can be opened or closed in {scenario.file}")  # fmt: skip
            if not isinstance(value, bool):
                raise UsageError(f"{origin}: {section}.{outlet_id}.open: must be true or false (got {value!r})")
            design[outlet_id] = value
    return design


def _weekly(value: Any, weeks: int, where: str) -> list[float]:
    """A spend given as one number, or one number per period (periods split the horizon evenly)."""
    values = value if isinstance(value, list) else [value]
    if not values or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= MAX_AMOUNT for v in values
    ):
        raise UsageError(
            f"{where}: must be a number from 0 to {MAX_AMOUNT} or a list of them (got {value!r})"
        )
    length = math.ceil(weeks / len(values))
    return [float(values[min(week // length, len(values) - 1)]) for week in range(weeks)]


def _tier(scenario: Scenario, partner_id: str, level: Any, origin: str) -> tuple[str, str]:
    partner = next((p for p in scenario.partners if p.id == partner_id), None)
    if partner is None:
        raise UsageError(f"{origin}: incentives.{partner_id}: no such partner in {scenario.file}")
    for incentive in scenario.incentives:
        if incentive.channel == partner.channel and any(t.level == level for t in incentive.tiers):
            return incentive.id, str(level)
    raise UsageError(
        f"{origin}: incentives.{partner_id}.tier: no tier '{level}' for channel {partner.channel}"
    )
