"""Parameters on the command line: `--set PATH=V1,V2,...`, and reading a value at a dotted path.

Paths are the ones variants use: mappings by key, lists of items by id (incentive tiers by
level), e.g. `channels.marketplace.price_index` or `incentives.bonus.tiers.gold.rebate`.
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from channelsim.errors import UsageError
from channelsim.scenario.schema import Scenario


def parse_set(spec: str, values_required: bool = True) -> tuple[str, list[Any]]:
    """`PATH=V1,V2,...` into the path and its values (each read as YAML: 0.9, true, gold)."""
    path, sep, raw = spec.partition("=")
    path = path.strip()
    if not path or any(not part for part in path.split(".")):
        raise UsageError(f"--set {spec}: expected PATH=V1,V2,... with a dotted PATH (got {spec!r})")
    if not sep:
        if values_required:
            raise UsageError(f"--set {spec}: expected PATH=V1,V2,... (no values after the path)")
        return path, []
    values = [_scalar(spec, text) for text in raw.split(",")]
    return path, values


def _scalar(spec: str, text: str) -> Any:
    if not text.strip():
        raise UsageError(f"--set {spec}: empty value in the list (got {text!r})")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        raise UsageError(f"--set {spec}: cannot read the value {text!r}") from None
    if isinstance(value, dict | list) or value is None:
        raise UsageError(f"--set {spec}: values must be numbers, words or true/false (got {text!r})")
    return value


def read_path(scenario: Scenario, dotted: str) -> Any:
    """The value at a dotted path of the resolved scenario (defaults filled in)."""
    node: Any = scenario.to_data()
    for part in dotted.split("."):
        if isinstance(node, dict):
            if part not in node:
                raise UsageError(f"--set {dotted}: no key '{part}'{_hint(part, list(node))}")
            node = node[part]
        elif isinstance(node, list):
            node = _item(node, part, dotted)
        else:
            raise UsageError(f"--set {dotted}: cannot go into '{part}' (the value there is {node!r})")
    return node


def _item(items: list, part: str, dotted: str) -> Any:
    key = (
        "level"
        if items and all(isinstance(i, dict) and "level" in i and "id" not in i for i in items)
        else "id"
    )
    names = [str(i.get(key)) for i in items if isinstance(i, dict)]
    for item in items:
        if isinstance(item, dict) and item.get(key) == part:
            return item
    raise UsageError(f"--set {dotted}: no {key} '{part}'{_hint(part, names)}")


def _hint(part: str, known: list[str]) -> str:
    close = difflib.get_close_matches(part, known, n=1)
    if close:
        return f" — did you mean '{close[0]}'?"
    return f" (there: {', '.join(known)})" if known else ""


def apply_point(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """The scenario with one grid point's overrides, or a one-line UsageError naming the problem."""
    try:
        return scenario.with_overrides(overrides)
    except UsageError as err:
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        assignment = ", ".join(f"{path}={value}" for path, value in overrides.items())
        # the loader lists each problem on its own line; keep the first, in one line
        detail = lines[1] if len(lines) > 1 else lines[0].removeprefix(f"--set {next(iter(overrides))}: ")
        raise UsageError(f"--set {assignment}: {detail}") from None
