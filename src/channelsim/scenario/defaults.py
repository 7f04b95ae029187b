"""Defaults that depend on other sections, filled into the data before it is typed.

- a segment without `regions` is spread uniformly over the scenario's regions;
- a source without `segment_mix` reaches segments in proportion to their population;
- a partner without `segment_mix` finds prospects in proportion to each segment's population
  in its region;
- a partner without `price_index` sells at its channel's price index;
- a partner without `price_floor` never prices below its own wholesale cost.
"""

from __future__ import annotations

from typing import Any

from channelsim.scenario.located import LocatedDict


def _items(data: dict, section: str) -> list[dict]:
    items = data.get(section)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _number(value: Any, default: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else default


def fill_defaults(data: dict) -> dict:
    """Fill cross-section defaults in place (on a copy the caller owns) and return it."""
    regions = data.get("regions", ["all"])
    if isinstance(regions, list) and regions and all(isinstance(r, str) for r in regions):
        for segment in _items(data, "segments"):
            if segment.get("regions") is None:  # a repeated region is the schema's to report
                unique = dict.fromkeys(regions)
                segment["regions"] = LocatedDict({r: 1.0 / len(unique) for r in unique})
    segments = _items(data, "segments")
    populations = {
        s["id"]: _number(s.get("population"), 0.0) for s in segments if isinstance(s.get("id"), str)
    }
    total = sum(populations.values())
    for source in _items(data, "sources"):
        if source.get("segment_mix") is None and total > 0:
            source["segment_mix"] = LocatedDict({k: v / total for k, v in populations.items() if v > 0})
    _partner_mix(data, segments, populations)
    channels = {c["id"]: c for c in _items(data, "channels") if isinstance(c.get("id"), str)}
    for partner in _items(data, "partners"):
        name = partner.get("channel")
        channel = channels.get(name, {}) if isinstance(name, str) else {}
        if partner.get("price_index") is None:
            partner["price_index"] = _number(channel.get("price_index"), 1.0)
        if partner.get("price_floor") is None:
            wholesale = 1.0 - _number(channel.get("partner_margin"), 0.0)
            own = _number(partner.get("price_index"), 1.0)
            partner["price_floor"] = max(min(wholesale, own), 1e-6)
    return data


def _partner_mix(data: dict, segments: list[dict], populations: dict[str, float]) -> None:
    """A partner's prospects by default: each segment's population in the partner's region."""
    for partner in _items(data, "partners"):
        region = partner.get("region")
        if partner.get("segment_mix") is not None or not isinstance(region, str):
            continue
        here = {}
        for segment in segments:
            shares = segment.get("regions")
            share = _number(shares.get(region), 0.0) if isinstance(shares, dict) else 0.0
            if isinstance(segment.get("id"), str) and segment["id"] in populations and share > 0:
                here[segment["id"]] = populations[segment["id"]] * share
        total = sum(here.values())
        if total > 0:
            partner["segment_mix"] = LocatedDict({k: v / total for k, v in here.items() if v > 0})
