"""The API's request bodies: JSON read within limits, each field of the right type, or a 400 naming it.

A body is one JSON object of a few known fields (`FIELDS`); anything else is refused before
the workbench sees it, with the field and what was expected:

- `Infinity`, `NaN` (Python's json reads them, JSON has no such numbers), a float beyond
  ±1.8e308 and an integer of more than `MAX_DIGITS` digits are kept as `NotANumber`, a value
  that no field accepts, so the message names the field that held it;
- nesting deeper than `MAX_DEPTH` is refused before parsing (the json module would recurse
  into 100,000 brackets until RecursionError).

The ranges (replications 1..20 and whole, each lever's type, minimum and maximum, a variant
name's pattern and length) are the workbench's and the levers' own checks, so a notebook
calling the workbench gets the same messages.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from channelsim.errors import UsageError

MAX_DEPTH = 8  # the deepest body the page sends is 2: {"values": {"path": value}}
MAX_DIGITS = 20  # an integer longer than this is no lever's setting (and 10**400 fits no float)
# the fields each action reads: a misspelt one ("overwite") is refused, not ignored
FIELDS = {
    "/api/simulate": ("values", "replications"),
    "/api/optimize": ("values",),
    "/api/save": ("name", "description", "values", "overwrite"),
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class NotANumber:
    """What the body wrote where JSON allows no number (`Infinity`, `1e999`): refused by every field."""

    def __init__(self, text: str) -> None:
        self.text = text if len(text) <= 24 else f"{text[:12]}… ({len(text):,} characters)"

    def __repr__(self) -> str:
        return self.text


def _constant(text: str) -> NotANumber:
    return NotANumber(text)


def _float(text: str) -> float | NotANumber:
    value = float(text)
    return value if math.isfinite(value) else NotANumber(text)


def _int(text: str) -> int | NotANumber:
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else NotANumber(text)


def shown(value: Any) -> str:
    """A value as an error message quotes it: as JSON (`true`, `null`, `["gold"]`), and short."""
    if isinstance(value, NotANumber):
        return value.text
    text = json.dumps(value, ensure_ascii=False, default=repr)  # a NotANumber inside a list: as written
    return text if len(text) <= 60 else f"{text[:40]}… ({len(text):,} characters)"


def _too_deep(text: str) -> bool:
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):  # brackets inside strings do not count
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def parse(raw: bytes, action: str) -> dict[str, Any]:
    """The body of a POST to `action` as a dict of its known fields (an empty body: `{}`)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"request body: must be UTF-8 text (byte {err.start} is not)") from None
    if not text.strip():
        return {}
    if _too_deep(text):
        raise UsageError(
            f'request body: nested deeper than {MAX_DEPTH} levels; expected {{"values": {{...}}}}'
        )
    try:
        data = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except json.JSONDecodeError as err:
        raise UsageError(
            f"request body: not JSON ({err.msg}, line {err.lineno} column {err.colno})"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"request body: must be a JSON object {{...}} (got {shown(data)})")
    expected = FIELDS.get(action, ())
    unknown = sorted(set(data) - set(expected))
    if unknown:
        names = ", ".join(shown(name) for name in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        raise UsageError(f"request body: unknown field(s) {names} (expected: {', '.join(expected)})")
    return data


def values(body: dict[str, Any]) -> dict[str, Any]:
    """`values`: the levers' settings by path (absent: the scenario as written)."""
    found = body.get("values", {})
    if not isinstance(found, dict):
        example = '{"sources.search_ads.spend_per_week": 2000}'
        raise UsageError(
            f"values: must be an object of lever paths and settings, e.g. {example} (got {shown(found)})"
        )
    return found


def text(body: dict[str, Any], key: str) -> str:
    """An optional text field (absent: empty)."""
    found = body.get(key, "")
    if not isinstance(found, str):
        raise UsageError(f"{key}: must be text (got {shown(found)})")
    return found


def flag(body: dict[str, Any], key: str) -> bool:
    """An optional true/false field (absent: false)."""
    found = body.get(key, False)
    if not isinstance(found, bool):
        raise UsageError(f"{key}: must be true or false (got {shown(found)})")
    return found
