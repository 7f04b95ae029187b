"""What-if overlays: set values and remove items by dotted path, on located scenario data.

A path walks mappings by key and lists of items by id: `channels.marketplace.price_index`
is the `price_index` of the channel whose id is `marketplace`. Removing an item also
removes what pointed at it (removing a partner drops it from incentive assignments;
removing a channel removes its partners, incentives, affinities and routes).
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

from channelsim.scenario.located import LocatedDict, LocatedList, Pos


class PathError(ValueError):
    """A dotted path that does not lead anywhere in the scenario."""


def _child(node: Any, part: str, create: bool, at: Pos | None = None, key_at: Pos | None = None) -> Any:
    if isinstance(node, dict):
        if part not in node:
            if not create:
                raise PathError(_missing(part, list(node), "key"))
            node[part] = LocatedDict(at=at or getattr(node, "at", None))
            if isinstance(node, LocatedDict) and at is not None:  # errors in it point at the `set`
                node.pos[part] = at
                node.key_pos[part] = key_at or at
        return node[part]
    if isinstance(node, list):
        return node[_index(node, part)]
    raise PathError(f"cannot go into '{part}': the value there is not a mapping or a list")


def _index(items: list, part: str) -> int:
    # items are named by `id`; incentive tiers by `level` (`incentives.rebate.tiers.gold.rebate`)
    tiers = items and all(isinstance(item, dict) and "level" in item and "id" not in item for item in items)
    key = "level" if tiers else "id"
    ids = [item.get(key) for item in items if isinstance(item, dict)]
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get(key) == part:
            return index
    if part.isdigit() and int(part) < len(items):
        return int(part)
    raise PathError(_missing(part, [str(i) for i in ids if i is not None], key))


def _missing(part: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(part, known, n=1)
    hint = (
        f" — did you mean '{close[0]}'?"
        if close
        else f" (there: {', '.join(known)})"
        if known
        else " (the list is empty)"
    )
    return f"no {what} '{part}'{hint}"


def set_path(data: dict, dotted: str, value: Any, at: Pos | None, key_at: Pos | None) -> None:
    """Set the value at `dotted`, creating missing mappings on the way."""
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = _child(node, part, create=True, at=at, key_at=key_at)
    last = parts[-1]
    value = copy.deepcopy(value)
    if isinstance(node, LocatedList):
        index = _index(node, last)
        node[index] = value
        node.pos[index] = at
    elif isinstance(node, dict):
        node[last] = value
        if isinstance(node, LocatedDict) and at is not None:
            node.pos[last] = at
            node.key_pos[last] = key_at or at
    else:
        raise PathError(f"cannot set '{last}': the value there is not a mapping or a list")


def remove_path(data: dict, dotted: str) -> None:
    """Remove the item or key at `dotted`, and whatever referred to it."""
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = _child(node, part, create=False)
    last = parts[-1]
    if isinstance(node, LocatedList):
        index = _index(node, last)
        del node[index]
        del node.pos[index]
    elif isinstance(node, list):
        del node[_index(node, last)]
    elif isinstance(node, dict):
        if last not in node:
            raise PathError(_missing(last, list(node), "key"))
        del node[last]
    else:
        raise PathError(f"cannot remove '{last}': the value there is not a mapping or a list")
    if len(parts) == 2:
        _cascade(data, parts[0], last)


def _drop_items(data: dict, section: str, keep: Any) -> list[str]:
    items = data.get(section)
    if not isinstance(items, list):
        return []
    dropped = [i.get("id") for i in items if isinstance(i, dict) and not keep(i)]
    for index in reversed(range(len(items))):
        if isinstance(items[index], dict) and not keep(items[index]):
            del items[index]
            if isinstance(items, LocatedList):
                del items.pos[index]
    return [d for d in dropped if isinstance(d, str)]


def _drop_key(items: Any, field: str, key: str) -> None:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get(field), dict):
            item[field].pop(key, None)


def _cascade(data: dict, section: str, removed: str) -> None:
    if section == "partners":
        _drop_key(data.get("incentives"), "current", removed)
    elif section == "channels":
        for partner in _drop_items(data, "partners", lambda p: p.get("channel") != removed):
            _cascade(data, "partners", partner)
        _drop_items(data, "incentives", lambda i: i.get("channel") != removed)
        _drop_key(data.get("segments"), "channel_affinity", removed)
        _drop_key(data.get("sources"), "routes_to", removed)
        for program in data.get("loyalty_programs") or []:
            if isinstance(program, dict) and isinstance(program.get("channels"), list):
                program["channels"][:] = [c for c in program["channels"] if c != removed]
        _drop_items(data, "loyalty_programs", lambda p: p.get("channels") != [])
