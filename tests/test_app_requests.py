"""The app's refusals of what a request holds: wrong types, levers outside their sliders, names, taken names.

Each case was answered 500 with a Python message, or accepted, before (issue 15): now a 400 (a
409 for a taken name) whose message names the field, and nothing is simulated or saved.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

import channelsim
from app_client import post, rich_rebate_bench
from channelsim.app import Workbench, bodies
from channelsim.app.controls import overrides_for
from channelsim.app.saved import MAX_NAME
from channelsim.app.workbench import MAX_REPLICATIONS
from channelsim.errors import UsageError
from conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
WORKSHOP = ROOT / "scenarios" / "workshop_intro.yaml"
SPEND = "sources.search_ads.spend_per_week"  # a slider from 500 to 5,000 EUR/week in workshop_intro




def _saved(scenario_copy: Path) -> dict:
    return yaml.safe_load((scenario_copy.parent / "workshop_intro_workshop.yaml").read_text("utf-8"))[
        "variants"
    ]


BAD_TYPES = [  # (action, the body as sent, what the message must say)
    ("simulate", b'{"values": [1, 2]}', "values: must be an object"),
    ("simulate", b'{"values": 5}', "values: must be an object"),
    ("simulate", b'{"values": null}', "values: must be an object"),
    ("optimize", b'{"values": ["x"]}', "values: must be an object"),
    ("save", b'{"name": "ok", "values": "x"}', "values: must be an object"),
    (
        "simulate",
        b'{"replications": Infinity}',
        "replications: must be a whole number between 1 and 20 (got Infinity)",
    ),
    ("simulate", b'{"replications": -Infinity}', "replications: must be a whole number"),
    ("simulate", b'{"replications": NaN}', "replications: must be a whole number between 1 and 20 (got NaN)"),
    ("simulate", b'{"replications": []}', "replications: must be a whole number"),
    ("simulate", b'{"replications": {}}', "replications: must be a whole number"),
    (
        "simulate",
        b'{"replications": true}',
        "replications: must be a whole number between 1 and 20 (got true)",
    ),
    ("simulate", b'{"replications": 1e300}', "replications: must be a whole number"),
    ("simulate", b'{"replications": 2.5}', "replications: must be a whole number"),
    ("simulate", b'{"replications": "3"}', "replications: must be a whole number"),
    ("simulate", b'{"replications": 1' + b"0" * 400 + b"}", "replications: must be a whole number"),
    ("simulate", b'{"values": {"' + SPEND.encode() + b'": 1e309}}', f"{SPEND}: must be a number (got 1e309)"),
    ("simulate", b'{"values": {"' + SPEND.encode() + b'": NaN}}', f"{SPEND}: must be a number (got NaN)"),
    (
        "simulate",
        b'{"values": {"' + SPEND.encode() + b'": 1' + b"0" * 400 + b"}}",
        f"{SPEND}: must be a number",
    ),
    ("simulate", b'{"values": {"' + SPEND.encode() + b'": true}}', f"{SPEND}: must be a number (got true)"),
    ("simulate", b'{"values": {"' + SPEND.encode() + b'": [2000]}}', f"{SPEND}: must be a number"),
    ("simulate", b'{"values": {"' + SPEND.encode() + b'": null}}', f"{SPEND}: must be a number (got null)"),
    (
        "simulate",
        b'{"values": {"incentives.distributor_bonus.current.dist_north": ["gold"]}}',
        "must be one of",
    ),
    ("save", b'{"name": ["a"]}', "name: must be text"),
    ("save", b'{"name": 5}', "name: must be text (got 5)"),
    ("save", b'{"name": null}', "name: must be text (got null)"),
    ("save", b'{"name": "ok", "description": {}}', "description: must be text"),
    ("save", b'{"name": "ok", "overwrite": "yes"}', 'overwrite: must be true or false (got "yes")'),
    ("save", b'{"name": "ok", "overwite": true}', 'unknown field(s) "overwite"'),
    ("simulate", b'{"value": {}}', 'unknown field(s) "value" (expected: values, replications)'),
    ("simulate", b"[]", "request body: must be a JSON object"),
    ("simulate", b"{nope", "request body: not JSON"),
    ("simulate", b'{"values": "\xff"}', "request body: must be UTF-8"),
    ("simulate", b"[" * 100_000 + b"]" * 100_000, "request body: nested deeper than"),
    ("simulate", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "request body: nested deeper than"),
    (
        "save",
        b'{"name": "ok", "values": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "request body: nested deeper than",
    ),
]


@pytest.mark.parametrize(("action", "body", "message"), BAD_TYPES)
def test_a_wrongly_typed_field_is_a_400_naming_it(
    server: str, scenario_copy: Path, action: str, body: bytes, message: str
) -> None:
    status, answer = post(server + "api/" + action, body)
    assert status == 400 and message in answer["error"], answer
    assert len(answer["error"]) < 300  # a 100,000-character input is not echoed back
    assert sorted(p.name for p in scenario_copy.parent.iterdir()) == [scenario_copy.name]  # nothing saved


def test_deep_nesting_is_refused_before_the_json_module_recurses() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(RecursionError):
        json.loads(deep)  # what the server did, before: a RecursionError, answered 500
    with pytest.raises(UsageError, match="nested deeper than 8 levels"):
        bodies.parse(deep.encode(), "/api/simulate")
    # brackets inside text are not nesting
    assert bodies.parse(b'{"name": "' + b"[" * 50 + b'"}', "/api/save") == {"name": "[" * 50}


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (SPEND, 5e6, f"{SPEND}: must be between 500 and 5,000 EUR/week (got 5000000.0)"),
        (SPEND, 1e300, f"{SPEND}: must be between 500 and 5,000 EUR/week"),
        (SPEND, 10, f"{SPEND}: must be between 500 and 5,000"),  # below the scenario's own floor
        (SPEND, "5001", f"{SPEND}: must be between 500 and 5,000"),  # a web form's string
        (SPEND, True, f"{SPEND}: must be a number (got true)"),
        (
            "channels.marketplace.price_index",
            50,
            "channels.marketplace.price_index: must be between 0.7 and 1.3",
        ),
        ("channels.marketplace.price_index", 0.5, "must be between 0.7 and 1.3 × list price (got 0.5)"),
        ("incentives.distributor_bonus.current.dist_north", 1, "must be one of none, silver, gold (got 1)"),
    ],
)
def test_a_lever_outside_its_slider_is_refused_with_the_range(path: str, value: object, message: str) -> None:
    sc = channelsim.load(WORKSHOP)
    with pytest.raises(UsageError) as refused:
        overrides_for(sc, {path: value})
    assert message in str(refused.value)


def test_the_ends_of_each_slider_are_accepted() -> None:
    sc = channelsim.load(WORKSHOP)
    assert overrides_for(sc, {SPEND: 5000, "channels.marketplace.price_index": "0.7"}) == {
        SPEND: 5000.0,
        "channels.marketplace.price_index": 0.7,
    }
    assert overrides_for(sc, {SPEND: 500.0}) == {SPEND: 500.0}


def test_out_of_range_over_http_is_a_400_and_nothing_runs(server: str) -> None:
    status, answer = post(server + "api/simulate", {"values": {SPEND: 5e6}, "replications": 1})
    assert status == 400 and "between 500 and 5,000" in answer["error"] and SPEND in answer["error"]
    status, answer = post(server + "api/optimize", {"values": {SPEND: -1}})
    assert status == 400 and SPEND in answer["error"]


@pytest.mark.parametrize("requested", [0, MAX_REPLICATIONS + 1, True, 2.5, "3", None])
def test_replications_are_a_whole_number_in_the_documented_range(requested: object, tmp_path: Path) -> None:
    bench = Workbench(channelsim.load(WORKSHOP), str(tmp_path / "saved.yaml"), 1)
    if requested is None:  # absent: the app's default
        assert bench._replications(None) == 1
        return
    with pytest.raises(
        UsageError, match=f"replications: must be a whole number between 1 and {MAX_REPLICATIONS}"
    ):
        bench._replications(requested)  # type: ignore[arg-type]


def test_variant_names_and_descriptions_are_bounded(server: str, scenario_copy: Path) -> None:
    status, answer = post(server + "api/save", {"name": "a" * 100_000})
    assert (
        status == 400
        and "variant name: 1 to 60" in answer["error"]
        and "100,002 characters" in answer["error"]
    )
    assert post(server + "api/save", {"name": "a" * (MAX_NAME + 1)})[0] == 400
    assert post(server + "api/save", {"name": "plan-b"})[0] == 400  # the documented pattern: [a-z][a-z0-9_]*
    status, answer = post(server + "api/save", {"name": "ok", "description": "d" * 201})
    assert status == 400 and answer["error"] == "description: at most 200 characters (got 201)"
    assert not (scenario_copy.parent / "workshop_intro_workshop.yaml").exists()
    longest = "a" * MAX_NAME
    assert post(server + "api/save", {"name": longest, "description": "d" * 200})[0] == 200
    assert channelsim.load(scenario_copy.parent / "workshop_intro_workshop.yaml").variant(longest)


def test_a_taken_name_is_a_409_until_the_request_says_overwrite(server: str, scenario_copy: Path) -> None:
    three = {
        SPEND: 2000,
        "sources.social_media.spend_per_week": 2000,
        "channels.marketplace.price_index": 0.9,
    }
    status, first = post(server + "api/save", {"name": "three", "values": three})
    assert status == 200 and len(first["set"]) == 3 and first["replaced"] is False
    status, answer = post(server + "api/save", {"name": "three", "values": {}})  # the reported loss: 3 → 0
    assert status == 409 and "three is already saved in" in answer["error"] and "overwrite" in answer["error"]
    assert len(_saved(scenario_copy)["three"]["set"]) == 3  # kept
    status, again = post(server + "api/save", {"name": "three", "values": {}, "overwrite": True})
    assert status == 200 and again["replaced"] is True and again["set"] == {}
    assert "set" not in _saved(scenario_copy)["three"]
    # a variant of the scenario itself: saving would put another in its place in the saved file
    status, answer = post(server + "api/save", {"name": "lose_south", "values": {}})
    assert status == 409 and "lose_south is a variant of" in answer["error"]
    assert set(_saved(scenario_copy)) == {"three"}


def test_the_variant_the_app_was_opened_on_is_saved_on_top_of_itself_once(tmp_path: Path) -> None:
    """Saving under the opened variant's name updates it; after that, that name is taken like any other."""
    bench, values = rich_rebate_bench(tmp_path)
    saved = bench.save_variant("rich_rebate", "", values)
    assert saved["replaced"] is False
    variant = channelsim.load(saved["path"]).variant("rich_rebate")
    assert variant.conflict.enforcement_per_week == 0.6
    assert variant.incentives[0].tier("gold").rebate == 0.09  # its own settings kept
    with pytest.raises(UsageError, match="rich_rebate is already saved in"):
        bench.save_variant("rich_rebate", "", values)
    with pytest.raises(UsageError, match="no_enforcement is a variant of"):  # another of the scenario's
        bench.save_variant("no_enforcement", "", values)


def test_save_to_outside_the_scenarios_folder_is_refused_at_start(
    tmp_path: Path, scenario_copy: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("app", scenario_copy, "--port", "0", "--save-to", elsewhere / "saved.yaml")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("--save-to ") and "the scenario's folder" in line and "extends" in line
    for bad, message in [
        (scenario_copy, "is the scenario itself"),
        (tmp_path / "missing" / "saved.yaml", "does not exist"),
        (elsewhere, "must be a file"),
    ]:
        with pytest.raises(UsageError, match=message):
            Workbench.open(str(scenario_copy), save_to=str(bad))


def test_save_to_in_a_folder_above_the_scenario_works(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()
    scenario = tmp_path / "cases" / "workshop_intro.yaml"
    shutil.copy(WORKSHOP, scenario)
    bench = Workbench.open(str(scenario), save_to=str(tmp_path / "class.yaml"))
    bench.save_variant("more_search", "", {SPEND: 3000})
    assert (
        yaml.safe_load((tmp_path / "class.yaml").read_text("utf-8"))["extends"] == "cases/workshop_intro.yaml"
    )
    assert channelsim.load(tmp_path / "class.yaml").variant("more_search").sources[0].spend_per_week == 3000


def test_a_damaged_saved_variants_file_is_a_400_not_a_traceback(server: str, scenario_copy: Path) -> None:
    saved = scenario_copy.parent / "workshop_intro_workshop.yaml"
    for text, message in [
        ("variants: [: broken", "cannot read the saved variants"),
        ("- a list\n", "not a saved-variants file"),
    ]:
        saved.write_text(text, encoding="utf-8")
        status, answer = post(server + "api/save", {"name": "fine"})
        assert status == 400 and message in answer["error"], answer
        assert saved.read_text("utf-8") == text  # left as it was
