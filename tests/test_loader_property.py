"""Whatever the file holds, the loader answers with a Scenario or a ScenarioError — never another
exception — and every problem it reports is one line `FILE:LINE:COL: PATH: message` (SPEC §2).

Two kinds of input: the valid starter scenario with random damage (values replaced by values
of any type, keys deleted, unknown keys added, variants pointing anywhere), and random
YAML-ish text and bytes.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import channelsim
from conftest import STARTER, problem_lines

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STARTER_DATA = yaml.safe_load(STARTER.read_text("utf-8"))
STARTER_TEXT = STARTER.read_text("utf-8")

# Names the starter uses, so that damage often lands on something the references check.
KNOWN_NAMES = [
    "webshop", "marketplace", "distributors", "dist_north", "dist_south", "consumers", "north",
    "south", "all", "gold", "none", "search_ads", "social", "hill", "points", "linear", "organic",
    "direct", "indirect", "offline", "id", "price_index", "regions", "extends",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-2.0, max_value=2.0),
    st.text(max_size=12),
    st.sampled_from(KNOWN_NAMES),
)
keys = st.one_of(st.sampled_from(KNOWN_NAMES), st.text(min_size=1, max_size=10))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=4),
        st.lists(
            st.fixed_dictionaries({"id": st.sampled_from(KNOWN_NAMES)}, optional={"x": inner}), max_size=3
        ),
    ),
    max_leaves=8,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside `node` (keys of mappings, indexes of lists)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def dotted(data: Any, path: tuple[Any, ...]) -> str:
    """A path as a variant writes it: list items by id where they have one."""
    parts, node = [], data
    for part in path:
        item = node[part]
        parts.append(
            str(item["id"]) if isinstance(item, dict) and isinstance(item.get("id"), str) else str(part)
        )
        node = item
    return ".".join(parts)


@st.composite
def damaged_starter(draw: st.DrawFn) -> dict:
    data = copy.deepcopy(STARTER_DATA)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(list(paths(data))))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add_key", "variant"]))
        if action == "variant":  # a what-if that sets or removes whatever path was drawn
            spec = {"set": {dotted(data, path) or "x": draw(values)}} if draw(st.booleans()) else {}
            spec["remove"] = [dotted(data, path)] if draw(st.booleans()) else []
            data.setdefault("variants", {})[draw(st.sampled_from(["v1", "v2", "Bad Name"]))] = spec
            continue
        if not path:
            if action == "replace":
                data = draw(values)  # the whole file is something else
                if not isinstance(data, dict):
                    break
            elif action == "add_key":
                data[draw(keys)] = draw(values)
            continue
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(keys)] = draw(values)
        else:
            parent[path[-1]] = {draw(keys): draw(values)}
    return data


def check(path: Path) -> None:
    """The property: a Scenario (whose variants give Scenarios or ScenarioErrors), or a ScenarioError."""
    try:
        scenario = channelsim.load(path)
    except channelsim.ScenarioError as err:
        assert_well_formed(err)
        return
    assert isinstance(scenario, channelsim.Scenario)
    for name in scenario.variants:
        try:
            assert isinstance(scenario.variant(name), channelsim.Scenario)
        except channelsim.ScenarioError as err:
            assert_well_formed(err)


def assert_well_formed(err: channelsim.ScenarioError) -> None:
    assert err.problems, "a ScenarioError without problems"
    lines = problem_lines(str(err))
    assert len(lines) == len(err.problems), f"a problem spans several lines:\n{err}"


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@SETTINGS
@given(data=damaged_starter())
def test_damaged_starter_loads_or_reports_problems(data: Any, folder: Path):
    path = folder / "damaged.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    check(path)


YAML_TOKENS = [
    "name:", "horizon_weeks:", "segments:", "channels:", "extends:", "variants:", "set:", "remove:",
    "- ", "  ", "    ", "\n", "\t", ":", ": ", ", ", "[", "]", "{", "}", "'", '"', "#", "&a ", "*a",
    "*b", "<<: ", "? ", "|", ">", "---", "...", "%YAML 1.2", "!!python/object:os.system", "!!int",
    "!!binary", "!!set", "!x", "~", "null", "true", "1", "-1", "0.5", ".nan", ".inf", "1e400",
    "2024-01-01", "id: a", "id: A", "population: 5", "\\", "\x00", "\x07", "\u2028", "é", "価",
]  # fmt: skip


@SETTINGS
@given(
    fragment=st.one_of(
        st.lists(st.sampled_from(YAML_TOKENS) | st.text(max_size=5), max_size=30).map("".join),
        st.text(max_size=60),
    )
)
def test_random_yaml_text_loads_or_reports_problems(fragment: str, folder: Path):
    path = folder / "fragment.yaml"
    path.write_text(fragment, encoding="utf-8")
    check(path)


@SETTINGS
@given(
    start=st.integers(min_value=0, max_value=len(STARTER_TEXT)),
    length=st.integers(min_value=0, max_value=40),
    insert=st.lists(st.sampled_from(YAML_TOKENS), max_size=4).map("".join),
)
def test_spliced_starter_text_loads_or_reports_problems(start: int, length: int, insert: str, folder: Path):
    path = folder / "spliced.yaml"
    path.write_text(STARTER_TEXT[:start] + insert + STARTER_TEXT[start + length :], encoding="utf-8")
    check(path)


@settings(max_examples=50, deadline=None)
@given(content=st.binary(max_size=200))
def test_random_bytes_load_or_report_problems(content: bytes, folder: Path):
    path = folder / "bytes.yaml"
    path.write_bytes(content)
    check(path)
