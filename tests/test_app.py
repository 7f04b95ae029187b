"""The workshop app without a browser: levers, overrides, the JSON API on 127.0.0.1, saved variants."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import channelsim
from channelsim.app import Workbench, make_server
from channelsim.app.controls import controls_for, overrides_for
from channelsim.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
WORKSHOP = ROOT / "scenarios" / "workshop_intro.yaml"


@pytest.fixture()
def scenario_copy(tmp_path: Path) -> Path:
    """The workshop scenario in a scratch folder, so saved variants land there."""
    target = tmp_path / "workshop_intro.yaml"
    shutil.copy(WORKSHOP, target)
    return target


@pytest.fixture()
def server(scenario_copy: Path) -> Iterator[str]:
    app = make_server(str(scenario_copy), port=0)
    thread = threading.Thread(target=app.serve_forever, daemon=True)
    thread.start()
    yield app.url
    app.shutdown()
    app.server_close()


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _values(controls: list[dict]) -> dict:
    return {c["path"]: c["value"] for c in controls}


def test_levers_cover_spends_prices_tiers_and_enforcement() -> None:
    sc = channelsim.load(WORKSHOP)
    paths = {c.path: c for c in controls_for(sc)}
    assert paths["sources.search_ads.spend_per_week"].value == 1500
    assert paths["sources.search_ads.spend_per_week"].minimum == 500  # the scenario's own floor
    assert paths["sources.search_ads.spend_per_week"].maximum == 5000
    assert paths["channels.marketplace.price_index"].value == pytest.approx(0.97)
    assert paths["incentives.distributor_bonus.current.dist_north"].value == "silver"
    assert paths["incentives.distributor_bonus.current.dist_south"].options == ["none", "silver", "gold"]
    assert "conflict.enforcement_per_week" not in paths  # nobody diverts and there is no MAP to police
    assert "channels.distributors.price_index" not in paths  # partners set prices in an indirect channel


def test_overrides_hold_only_what_changed_and_validate() -> None:
    sc = channelsim.load(WORKSHOP)
    values = {c.path: c.value for c in controls_for(sc)}
    assert overrides_for(sc, values) == {}
    values["sources.search_ads.spend_per_week"] = "3000"  # a web form sends strings
    values["incentives.distributor_bonus.current.dist_south"] = "gold"
    overrides = overrides_for(sc, values)
    assert overrides == {
        "sources.search_ads.spend_per_week": 3000.0,
        "incentives.distributor_bonus.current": {"dist_north": "silver", "dist_south": "gold"},
    }
    changed = sc.with_overrides(overrides)
    assert changed.sources[0].spend_per_week == 3000
    assert changed.incentives[0].current == {"dist_north": "silver", "dist_south": "gold"}


def test_enforcement_and_map_levers_appear_where_partners_can_break_the_rules() -> None:
    industrial = {
        c.path: c for c in controls_for(channelsim.load(ROOT / "scenarios" / "industrial_distributors.yaml"))
    }
    assert industrial["conflict.enforcement_per_week"].maximum == 1.0
    dtc = {c.path for c in controls_for(channelsim.load(ROOT / "scenarios" / "dtc_vs_marketplace.yaml"))}
    assert {"conflict.enforcement_per_week", "partners.seller_discount.price_index"} <= dtc


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("sources.nowhere.spend_per_week", 1, "unknown control"),
        ("incentives.distributor_bonus.current.dist_north", "platinum", "must be one of none, silver, gold"),
        ("channels.webshop.price_index", "cheap", "must be a number"),
        ("sources.search_ads.spend_per_week", -5, "must be a number >= 0"),
    ],
)
def test_bad_lever_values_are_refused_with_the_reason(path: str, value: object, message: str) -> None:
    sc = channelsim.load(WORKSHOP)
    with pytest.raises(UsageError, match=message):
        overrides_for(sc, {path: value})


def test_page_and_api_answer_on_loopback(server: str) -> None:
    assert server.startswith("http://127.0.0.1:")
    status, page = _get(server)
    assert status == 200 and b"Simulate" in page and b"/static/app.js" in page
    status, script = _get(server + "static/app.js")
    assert status == 200 and b"/api/simulate" in script
    status, body = _get(server + "api/scenario")
    described = json.loads(body)
    assert described["currency"] == "EUR" and len(described["controls"]) == 8


def test_simulate_moves_kpis_with_a_lever(server: str) -> None:
    controls = json.loads(_get(server + "api/scenario")[1])["controls"]
    values = _values(controls)
    status, base = _post(server + "api/simulate", {"values": values, "replications": 2})
    assert status == 200
    assert {c["name"] for c in base["charts"]} >= {"weekly_orders", "channel_mix", "funnel"}
    assert all(c["src"].startswith("data:image/png;base64,") for c in base["charts"])
    values["sources.search_ads.spend_per_week"] = 5000
    status, more = _post(server + "api/simulate", {"values": values, "replications": 2})
    kpi = {k["key"]: k["mean"] for k in base["kpis"]}
    kpi_more = {k["key"]: k["mean"] for k in more["kpis"]}
    # same seed, more search spend: more leads, so more new customers, and the spend shows up
    assert kpi_more["new_customers"] > kpi["new_customers"]
    assert kpi_more["marketing_spend"] == pytest.approx(kpi["marketing_spend"] + 3500 * 26)


def test_bad_input_is_a_400_with_a_message(server: str) -> None:
    status, body = _post(server + "api/simulate", {"values": {"sources.search_ads.spend_per_week": "x"}})
    assert status == 400 and "must be a number" in body["error"]
    status, body = _post(server + "api/simulate", {"values": {}, "replications": 500})
    assert status == 400 and "replications" in body["error"]
    status, body = _post(server + "api/nothing", {})
    assert status == 404


def test_optimize_returns_the_plan_as_lever_values(server: str) -> None:
    controls = json.loads(_get(server + "api/scenario")[1])["controls"]
    status, result = _post(server + "api/optimize", {"values": _values(controls)})
    assert status == 200 and result["status"] == "optimal"
    assert result["objective_value"] >= result["baseline_value"] - 1e-6
    spend = sum(v for k, v in result["values"].items() if k.startswith("sources."))
    assert spend <= 3500 + 1e-6  # within the scenario's marketing budget
    assert {c["name"] for c in result["charts"]} == {"budget_shift", "response_curves"}


def test_saved_variant_is_a_file_channelsim_validates(server: str, scenario_copy: Path) -> None:
    controls = json.loads(_get(server + "api/scenario")[1])["controls"]
    values = _values(controls) | {"channels.marketplace.price_index": 0.9}
    status, saved = _post(
        server + "api/save", {"name": "cheap_marketplace", "description": "10% off", "values": values}
    )
    assert status == 200, saved
    path = Path(saved["path"])
    assert path.parent == scenario_copy.parent
    values["sources.social_media.spend_per_week"] = 2000
    assert _post(server + "api/save", {"name": "more_social", "values": values})[0] == 200
    scenario = channelsim.load(path)  # extends the original: its variants and the saved ones
    assert {"cheap_marketplace", "more_social", "lose_south"} <= set(scenario.variants)
    assert scenario.variant("cheap_marketplace").channel("marketplace").price_index == pytest.approx(0.9)
    assert scenario.variant("more_social").sources[1].spend_per_week == 2000
    status, body = _post(server + "api/save", {"name": "Bad Name", "values": values})
    assert status == 400 and "variant name" in body["error"]


def test_a_variant_opened_in_the_app_is_saved_on_top_of_itself(tmp_path: Path) -> None:
    source = ROOT / "scenarios" / "industrial_distributors.yaml"
    shutil.copy(source, tmp_path / source.name)
    bench = Workbench.open(str(tmp_path / source.name), variant="rich_rebate")
    values = {c["path"]: c["value"] for c in bench.describe()["controls"]} | {
        "conflict.enforcement_per_week": 0.6
    }
    saved = bench.save_variant("rich_policed", "rich rebate, policed", values)
    variant = channelsim.load(saved["path"]).variant("rich_policed")
    assert variant.conflict.enforcement_per_week == 0.6
    assert variant.incentives[0].tier("gold").rebate == 0.09  # the rich rebate came along
    assert variant.incentives[0].current["d_north"] == "gold"


def test_cli_registers_app_with_a_port_flag() -> None:
    from channelsim.cli import build_parser

    args = build_parser().parse_args(["app", str(WORKSHOP), "--port", "0"])
    assert args.port == 0 and args.run.__name__ == "run_app"
