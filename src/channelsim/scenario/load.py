"""Loading a scenario: YAML with positions, `extends`, defaults, validation, variants.

Every problem found is collected and raised at once as a `ScenarioError`, each with the
file, line and column it comes from.
"""

from __future__ import annotations

import copy
import os
from dataclasses import replace
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from channelsim.errors import Problem, ScenarioError, UsageError
from channelsim.scenario.crossrefs import check_references
from channelsim.scenario.defaults import fill_defaults
from channelsim.scenario.located import (
    LocatedDict,
    LocatedList,
    Pos,
    YamlProblems,
    not_a_mapping,
    parse_yaml,
    position_of,
    read_text,
)
from channelsim.scenario.messages import describe
from channelsim.scenario.schema import Scenario
from channelsim.scenario.variants import PathError, remove_path, set_path


def load(path: str | os.PathLike[str], variant: str | None = None) -> Scenario:
    """Read, resolve and validate a scenario file (optionally with one of its variants)."""
    display = os.fspath(path)
    try:
        data = _read_with_extends(display, root=os.path.dirname(os.path.realpath(display)), seen=())
    except YamlProblems as err:
        raise ScenarioError(err.problems) from None
    scenario = validate_data(data, display)
    return scenario.variant(variant) if variant else scenario


def validate_data(data: Any, display: str) -> Scenario:
    """Validate located scenario data; raise `ScenarioError` listing every problem."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        at = getattr(data, "at", None) or Pos(display, 1, 1)
        raise ScenarioError([Problem(at.file, at.line, at.col, (), not_a_mapping(kind))])
    problems = [
        _problem(data, display, path, message, value, key)
        for path, message, value, key in check_references(data)
    ]
    resolved = fill_defaults(copy.deepcopy(data)) if not problems else data
    try:
        scenario = Scenario.model_validate(resolved)
    except ValidationError as err:
        problems += [_from_pydantic(data, display, error) for error in err.errors()]
    if problems:
        raise ScenarioError(problems)
    scenario._file = display
    scenario._data = data
    return scenario


def apply_variant(scenario: Scenario, name: str) -> Scenario:
    """The scenario with variant `name` applied and validated."""
    if name not in scenario.variants:
        known = ", ".join(scenario.variants) or "none"
        raise UsageError(f"{scenario.file}: no variant '{name}' (variants: {known})")
    data = copy.deepcopy(scenario._data)
    spec = data["variants"][name]
    problems: list[Problem] = []
    for dotted, value in list((spec.get("set") or {}).items()):  # a `set` may rewrite the variant itself
        path = ("variants", name, "set", dotted)
        try:
            set_path(data, dotted, value, position_of(data, path), position_of(data, path, key=True))
        except PathError as err:
            problems.append(_problem(data, scenario.file, path, str(err), None, True))
    for index, dotted in enumerate(spec.get("remove") or []):
        try:
            remove_path(data, str(dotted))
        except PathError as err:
            problems.append(
                _problem(data, scenario.file, ("variants", name, "remove", index), str(err), None, False)
            )
    if problems:
        raise ScenarioError(problems)
    try:
        result = validate_data(data, scenario.file)
    except ScenarioError as err:
        raise ScenarioError(
            [replace(p, message=f"{p.message} [variant {name}]") for p in err.problems]
        ) from None
    result._variant = name if scenario.variant_name is None else f"{scenario.variant_name}+{name}"
    return result


def apply_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """The scenario with dotted-path overrides (from the command line or a sweep) applied."""
    data = copy.deepcopy(scenario._data)
    for dotted, value in overrides.items():
        try:
            set_path(data, dotted, value, None, None)
        except PathError as err:
            raise UsageError(f"--set {dotted}: {err}") from None
    try:
        result = validate_data(data, scenario.file)
    except ScenarioError as err:
        lines = "\n".join(f"  {p}" for p in err.problems)
        raise UsageError(f"overrides {overrides} make the scenario invalid:\n{lines}") from None
    result._variant = scenario.variant_name
    return result


def _problem(data: Any, display: str, path: tuple[Any, ...], message: str, value: Any, key: bool) -> Problem:
    at = position_of(data, path, key=key) or Pos(display, 1, 1)
    if value is None:
        return Problem(at.file, at.line, at.col, path, message)
    return Problem(at.file, at.line, at.col, path, message, value)


def _normalise_loc(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool]:
    """Map pydantic's `loc` onto the data: drop union tags and markers; say if it names a key."""
    path: list[Any] = []
    node = data
    names_key = bool(loc) and loc[-1] == "[key]"
    parts = [p for p in loc if p != "[key]"]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if not last and isinstance(node, dict) and node.get("curve") == part and parts[index + 1] in node:
            continue  # the tag of a curve named like one of its keys (`points`)
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        elif not last:
            continue  # a union tag (`hill`) or a type name pydantic put in the location
        path.append(part)
    return tuple(path), names_key


def _from_pydantic(data: Any, display: str, error: ErrorDetails) -> Problem:
    path, names_key = _normalise_loc(data, tuple(error["loc"]))
    kind = error["type"]
    # pydantic's own loc keeps union tags (`hill`), which find the model for did-you-mean
    message = describe(error, Scenario, tuple(p for p in error["loc"] if p != "[key]"))
    if kind == "missing" and isinstance(path[-1], int):  # a pair like [spend, leads] too short
        at = position_of(data, path[:-1]) or Pos(display, 1, 1)
        return Problem(at.file, at.line, at.col, path[:-1], f"must have at least {path[-1] + 1} item(s)")
    if kind == "missing":
        message = f"required key '{path[-1]}' is missing"
        at = position_of(data, path[:-1]) or Pos(display, 1, 1)
        return Problem(at.file, at.line, at.col, path, message)
    if kind == "union_tag_invalid":
        path = (*path, str(error["ctx"]["discriminator"]).strip("'"))
        at = position_of(data, path) or Pos(display, 1, 1)
        return Problem(at.file, at.line, at.col, path, message, error["ctx"]["tag"])
    names_key = names_key or kind == "extra_forbidden"
    at = position_of(data, path, key=names_key) or Pos(display, 1, 1)
    if kind == "extra_forbidden" or (isinstance(error.get("input"), dict) and kind != "value_error"):
        return Problem(at.file, at.line, at.col, path, message)
    value = path[-1] if names_key else error.get("input")
    if kind == "value_error" and isinstance(value, dict | list):
        return Problem(at.file, at.line, at.col, path, message)
    return Problem(at.file, at.line, at.col, path, message, value)


# -- extends ------------------------------------------------------------------------


def _read_with_extends(display: str, root: str, seen: tuple[str, ...]) -> Any:
    data = parse_yaml(read_text(display, display), display)
    if not isinstance(data, LocatedDict) or "extends" not in data:  # every mapping parse_yaml builds
        return data
    target = data.pop("extends")
    at = data.pos.pop("extends", None) or Pos(display, 1, 1)
    data.key_pos.pop("extends", None)
    if not isinstance(target, str) or not target:
        raise YamlProblems([Problem(at.file, at.line, at.col, ("extends",), "must be a file name", target)])
    if "\0" in target:
        message = "must be a file name (it contains a NUL character)"
        raise YamlProblems([Problem(at.file, at.line, at.col, ("extends",), message, target)])
    base_path = os.path.normpath(os.path.join(os.path.dirname(display), target))
    real = os.path.realpath(base_path)
    if os.path.commonpath([root, real]) != root:
        message = "must name a file inside the scenario's folder tree"
        raise YamlProblems([Problem(at.file, at.line, at.col, ("extends",), message, target)])
    chain = (*seen, os.path.realpath(display))
    if real in chain:
        loop = " → ".join(os.path.relpath(p, root) for p in (*chain, real))
        message = f"makes a cycle ({loop})"
        raise YamlProblems([Problem(at.file, at.line, at.col, ("extends",), message, target)])
    if not os.path.isfile(real):
        raise YamlProblems([Problem(at.file, at.line, at.col, ("extends",), "file not found", target)])
    base = _read_with_extends(base_path, root, chain)
    if not isinstance(base, dict):
        message = "the base scenario must be a mapping"
        raise YamlProblems([Problem(at.file, at.line, at.col, ("extends",), message, target)])
    return merge(base, data)


def merge(base: Any, over: Any) -> Any:
    """`over` on top of `base`: mappings merge by key, lists of items with ids merge by id."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = LocatedDict(base, at=getattr(over, "at", None))
        out.pos = dict(getattr(base, "pos", {}))
        out.key_pos = dict(getattr(base, "key_pos", {}))
        for key, value in over.items():
            out[key] = merge(base[key], value) if key in base else value
            if isinstance(over, LocatedDict) and key in over.pos:
                out.pos[key] = over.pos[key]
                out.key_pos[key] = over.key_pos[key]
        return out
    if _id_items(base) and _id_items(over):
        out_list = LocatedList(at=getattr(over, "at", None))
        by_id = {item["id"]: index for index, item in enumerate(over)}
        for index, item in enumerate(base):
            mine = by_id.pop(item["id"], None)
            out_list.append(item if mine is None else merge(item, over[mine]))
            out_list.pos.append((over if mine is not None else base).pos[index if mine is None else mine])
        for _item_id, index in by_id.items():
            out_list.append(over[index])
            out_list.pos.append(over.pos[index])
        return out_list
    return over


def _id_items(value: Any) -> bool:
    return isinstance(value, LocatedList) and all(
        isinstance(i, dict) and isinstance(i.get("id"), str) for i in value
    )
