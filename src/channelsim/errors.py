"""Errors a user can act on: scenario problems with their file position, and bad requests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_NO_VALUE = object()
# control characters and line separators would break "one problem, one line"; bidi controls
# (U+202A-202E, U+2066-2069, U+200E/F, U+061C) and invisible ones (zero-width U+200B-200D,
# U+2060-2064, U+FEFF, soft hyphen U+00AD) would make the line read differently from what it says
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


def printable(text: str) -> str:
    """`text` with the characters above written as escapes (`\\u202e`), so a line shows what it holds."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def format_path(path: tuple[Any, ...]) -> str:
    """Render a key path as `channels[2].price_index` (keys that are not names are quoted)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.replace("_", "a").isalnum() and not part[:1].isdigit():
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return out or "(top level)"


def format_value(value: Any) -> str:
    """A short, YAML-like rendering of a value for an error message."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, int | float):
        text = repr(value)
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, dict):
        text = "a mapping" if value else "{}"
    elif isinstance(value, list):
        text = "a list" if value else "[]"
    else:
        text = type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a scenario, at a place in a file."""

    file: str
    line: int
    col: int
    path: tuple[Any, ...]
    message: str
    value: Any = _NO_VALUE

    def __str__(self) -> str:
        got = "" if self.value is _NO_VALUE else f" (got {format_value(self.value)})"
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        text = f"{where}: {format_path(self.path)}: {self.message}{got}"  # messages quote user text
        return printable(text)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.col, self.message)


class ChannelsimError(Exception):
    """Base of the errors that mean 'the input is wrong' (exit code 2)."""


class ScenarioError(ChannelsimError):
    """A scenario file (or a variant, or overrides) has problems; all of them are listed."""

    def __init__(self, problems: list[Problem]) -> None:
        # dedupe by text: a problem's value may be an unhashable list or mapping
        unique = sorted({str(p): p for p in problems}.values(), key=lambda p: p.sort_key)
        self.problems = unique
        super().__init__("\n".join(str(p) for p in unique))


class UsageError(ChannelsimError):
    """A request that cannot be carried out as asked (bad flag, bad plan file, unknown variant)."""


class ExecutionError(ChannelsimError):
    """The run could not be carried out where it was sent (dask workers lost): exit code 1."""

    exit_code = 1
