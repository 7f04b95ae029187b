"""Checks across sections: ids unique and well-formed, every reference to an id resolved.

Runs on the raw (located) data before typing, and tolerates malformed values, so that
reference problems are reported together with every other problem in the file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any, TypeGuard

ID_SECTIONS = ("segments", "sources", "channels", "partners", "incentives", "loyalty_programs")
RESERVED_SOURCES = ("organic", "referral", "partners")  # attribution of Bass and partner prospects

Finding = tuple[tuple[Any, ...], str, Any, bool]  # path, message, value, point at the key


def _items(data: dict, section: str) -> Iterator[tuple[int, dict]]:
    items = data.get(section)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _list_items(items: Any) -> Iterator[tuple[int, dict]]:
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _ids(data: dict, section: str) -> list[str] | None:
    """The ids in a section; None when the section is not a list (the schema reports that)."""
    if not isinstance(data.get(section, []), list):
        return None
    return [item["id"] for _, item in _items(data, section) if isinstance(item.get("id"), str)]


def _whole(value: object) -> TypeGuard[int]:
    """A whole number written as one (not `true`, which YAML also reads as an int)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    """Ids are text; anything else (a number, a list) is the schema's to report."""
    return isinstance(value, str)


def _unknown(kind: str, name: Any, known: list[str]) -> str:
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f" — did you mean '{close[0]}'?" if close else f" (known: {', '.join(known) or 'none'})"
    return f"unknown {kind} '{name}'{hint}"


def check_references(data: dict) -> list[Finding]:
    """Every cross-section problem in the scenario data."""
    found: list[Finding] = []
    ids = {section: _ids(data, section) for section in ID_SECTIONS}
    raw_regions = data.get("regions", ["all"])
    regions = [r for r in raw_regions if isinstance(r, str)] if isinstance(raw_regions, list) else None
    found += _duplicates(data)
    found += _reserved(data)

    # a reference into a section that is not even a list is not checked: one problem, not many
    def ref_keys(path: tuple, mapping: Any, kind: str, known: list[str] | None) -> None:
        if isinstance(mapping, dict) and known is not None:
            for key in mapping:
                if key not in known:
                    found.append(((*path, key), _unknown(kind, key, known), None, True))

    def ref_value(path: tuple, value: Any, kind: str, known: list[str] | None) -> None:
        if isinstance(value, str) and known is not None and value not in known:
            found.append((path, _unknown(kind, value, known), None, False))

    for i, seg in _items(data, "segments"):
        ref_keys(("segments", i, "regions"), seg.get("regions"), "region", regions)
        ref_keys(("segments", i, "channel_affinity"), seg.get("channel_affinity"), "channel", ids["channels"])
        for j, group in _list_items(seg.get("initial_prospects")):
            here = ("segments", i, "initial_prospects", j)
            ref_value((*here, "region"), group.get("region"), "region", regions)
            finders = None if ids["sources"] is None else [*ids["sources"], "organic", "referral"]
            ref_value((*here, "source"), group.get("source"), "source", finders)
            ref_value((*here, "partner"), group.get("partner"), "partner", ids["partners"])
    for i, src in _items(data, "sources"):
        ref_keys(("sources", i, "segment_mix"), src.get("segment_mix"), "segment", ids["segments"])
        ref_keys(("sources", i, "routes_to"), src.get("routes_to"), "channel", ids["channels"])
    channel_types = {
        c["id"]: c.get("type", "direct") for _, c in _items(data, "channels") if _text(c.get("id"))
    }
    for i, ch in _items(data, "channels"):
        if isinstance(ch.get("regions"), list):
            for j, region in enumerate(ch["regions"]):
                ref_value(("channels", i, "regions", j), region, "region", regions)
    for i, partner in _items(data, "partners"):
        ref_value(("partners", i, "region"), partner.get("region"), "region", regions)
        ref_keys(("partners", i, "segment_mix"), partner.get("segment_mix"), "segment", ids["segments"])
        channel = partner.get("channel")
        ref_value(("partners", i, "channel"), channel, "channel", ids["channels"])
        if _text(channel) and channel in channel_types and channel_types[channel] != "indirect":
            message = f"channel '{channel}' is direct; partners belong to indirect channels"
            found.append((("partners", i, "channel"), message, None, False))
    found += _incentive_references(data, ids["channels"], channel_types)
    found += _supply_references(data, channel_types)
    for i, program in _items(data, "loyalty_programs"):
        if isinstance(program.get("channels"), list):
            for j, channel in enumerate(program["channels"]):
                ref_value(("loyalty_programs", i, "channels", j), channel, "channel", ids["channels"])
    found += _periods(data)
    found += _initial_members(data)
    return found


def _initial_members(data: dict) -> list[Finding]:
    """A customer is in one programme at most: the initial shares cannot add up past 1."""
    shares = [(i, p.get("initial_members")) for i, p in _items(data, "loyalty_programs")]
    numbers = [(i, v) for i, v in shares if isinstance(v, int | float) and not isinstance(v, bool)]
    total = sum(v for _, v in numbers)
    if total > 1.0 + 1e-9:
        message = f"initial member shares of all programmes add up to {total:.6g}; at most 1"
        return [(("loyalty_programs", numbers[-1][0], "initial_members"), message, numbers[-1][1], False)]
    return []


def _periods(data: dict) -> list[Finding]:
    """Planning periods split the horizon: more periods than weeks cannot be planned."""
    optimize, horizon = data.get("optimize"), data.get("horizon_weeks")
    periods = optimize.get("periods") if isinstance(optimize, dict) else None
    if _whole(periods) and _whole(horizon) and 0 < horizon < periods:
        message = f"must be at most horizon_weeks ({horizon}): each period is at least a week"
        return [(("optimize", "periods"), message, periods, False)]
    return []


def _duplicates(data: dict) -> list[Finding]:
    found: list[Finding] = []
    for section in ID_SECTIONS:
        seen: set[str] = set()
        for index, item in _items(data, section):
            item_id = item.get("id")
            if isinstance(item_id, str) and item_id in seen:
                found.append(((section, index, "id"), f"duplicate id '{item_id}' in {section}", None, False))
            seen.add(item_id) if isinstance(item_id, str) else None
    return found


def _reserved(data: dict) -> list[Finding]:
    return [
        (("sources", i, "id"), f"'{src['id']}' is reserved for organic leads; choose another id", None, False)
        for i, src in _items(data, "sources")
        if src.get("id") in RESERVED_SOURCES
    ]


def _incentive_references(data: dict, channels: list[str] | None, channel_types: dict) -> list[Finding]:
    found: list[Finding] = []
    partner_channel = {p["id"]: p.get("channel") for _, p in _items(data, "partners") if _text(p.get("id"))}
    partners_known = _ids(data, "partners") is not None
    for i, incentive in _items(data, "incentives"):
        channel = incentive.get("channel")
        if isinstance(channel, str) and channels is not None and channel not in channels:
            found.append((("incentives", i, "channel"), _unknown("channel", channel, channels), None, False))
        elif _text(channel) and channel in channel_types and channel_types[channel] != "indirect":
            message = f"channel '{channel}' is direct; incentives are for partners of indirect channels"
            found.append((("incentives", i, "channel"), message, None, False))
        tiers = incentive.get("tiers")
        levels = [t.get("level") for t in tiers if isinstance(t, dict)] if isinstance(tiers, list) else []
        current = incentive.get("current")
        if not isinstance(current, dict) or not partners_known:
            continue
        members = [p for p, c in partner_channel.items() if c == channel and isinstance(p, str)]
        for partner, level in current.items():
            path = ("incentives", i, "current", partner)
            if partner not in partner_channel:
                found.append((path, _unknown("partner", partner, list(partner_channel)), None, True))
            elif partner_channel[partner] != channel:
                message = f"partner '{partner}' is not in channel '{channel}' (its members: {', '.join(members) or 'none'})"
                found.append((path, message, None, True))
            known_levels = levels and all(isinstance(v, str) for v in levels)
            if isinstance(level, str) and known_levels and level not in levels:
                found.append((path, _unknown("tier level", level, [str(v) for v in levels]), None, False))
    return found


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _supply_references(data: dict, channel_types: dict) -> list[Finding]:
    """Two-level channels: each `supplied_by` names a wholesaler the retailer can buy from."""
    found: list[Finding] = []
    partners = {p["id"]: (i, p) for i, p in _items(data, "partners") if _text(p.get("id"))}
    margins = {
        c["id"]: c.get("partner_margin", 0.0) for _, c in _items(data, "channels") if _text(c.get("id"))
    }
    for i, retailer in _items(data, "partners"):
        supplier = retailer.get("supplied_by")
        if not _text(supplier):
            continue
        path = ("partners", i, "supplied_by")
        if supplier not in partners:
            found.append((path, _unknown("partner", supplier, list(partners)), None, False))
            continue
        message = _supply_problem(retailer, partners[supplier][1], partners, channel_types, margins)
        if message:
            found.append((path, message, None, False))
    for wholesaler_id, (j, wholesaler) in partners.items():
        buyers = [str(p["id"]) for _, p in _items(data, "partners") if p.get("supplied_by") == wholesaler_id]
        for key in ("candidate", "closable"):
            if buyers and wholesaler.get(key) is True and wholesaler.get("supplied_by") is None:
                message = (
                    f"a wholesaler (it supplies {', '.join(buyers)}) cannot be {key}: its retailers need it"
                )
                found.append((("partners", j, key), message, None, False))
    return found


def _supply_problem(
    retailer: dict, wholesaler: dict, partners: dict, channel_types: dict, margins: dict
) -> str | None:
    """What is wrong with a retailer buying from `wholesaler` (None: nothing)."""
    rid, wid, channel = retailer.get("id"), wholesaler.get("id"), wholesaler.get("channel")
    upstream = wholesaler.get("supplied_by")
    if wid == rid:
        return "a partner cannot supply itself"
    if _text(upstream):
        chain = [str(rid), str(wid), str(upstream)]
        if upstream == rid:
            return f"supply cycle {' → '.join(chain)}: a wholesaler buys from the brand"
        return f"partner '{wid}' is itself supplied by '{upstream}': two levels at most (a wholesaler buys from the brand)"
    if _text(channel) and channel_types.get(channel, "indirect") != "indirect":
        return f"partner '{wid}' is in channel '{channel}', which is direct: a wholesaler is a partner of an indirect channel"
    if channel == retailer.get("channel"):
        return f"partner '{wid}' is in the same channel '{channel}': a wholesaler belongs to another indirect channel (the wholesale channel)"
    if retailer.get("region") != wholesaler.get("region"):
        return (f"partner '{wid}' sells in {wholesaler.get('region')}, this retailer in {retailer.get('region')}: "
                "a retailer buys from the wholesaler of its own territory")  # fmt: skip
    if isinstance(wholesaler.get("inventory"), dict) and retailer.get("inventory") is None:
        return f"partner '{wid}' keeps stock (inventory), so its retailer must too: the retailer's reorders are its orders"
    m_r, m_w = _number(margins.get(retailer.get("channel")), 0.0), _number(margins.get(channel), 0.0)
    if m_r + m_w >= 1.0:
        return (f"the two levels' margins add up to {m_r + m_w:.6g} ({retailer.get('channel')} {m_r:.6g} + "
                f"{channel} {m_w:.6g}); they must stay below 1 (the brand's price)")  # fmt: skip
    return None
