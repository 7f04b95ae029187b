"""The workshop app without a browser: levers, overrides, the JSON API on 127.0.0.1, saved variants."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import channelsim
from app_client import get as _get
from app_client import post as _post
from app_client import raw as _raw
from app_client import rich_rebate_bench
from app_client import token as _token
from channelsim.app import Workbench, make_server
from channelsim.app.controls import controls_for, overrides_for
from channelsim.app.workbench import kpi_keys
from channelsim.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
WORKSHOP = ROOT / "scenarios" / "workshop_intro.yaml"




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


def test_market_share_is_a_key_figure_where_there_are_rivals(tmp_path: Path) -> None:
    closed = channelsim.load(ROOT / "tests" / "data" / "workbench.yaml")
    keys = [c["key"] for c in Workbench(closed, str(tmp_path / "saved.yaml"), 1).simulate({})["kpis"]]
    assert keys == kpi_keys(closed) and not {"market_share", "partner_new_customers"} & set(keys)
    open_market = closed.with_overrides({"segments.people.competition": {"utility": 0.5},
                                         "partners.d_north.leads_per_week": 20})  # fmt: skip
    cards = Workbench(open_market, str(tmp_path / "saved.yaml"), 2).simulate({})["kpis"]
    by_key = {c["key"]: c for c in cards}
    keys = [c["key"] for c in cards]
    assert keys == kpi_keys(open_market)
    # each beside the figure it explains
    assert keys[2:6] == ["orders", "market_share", "new_customers", "partner_new_customers"]
    share = channelsim.simulate(open_market, replications=2, seed=open_market.seed)
    assert by_key["market_share"]["mean"] == share.figure("totals", "market_share")["mean"] < 1.0
    assert by_key["market_share"]["share"] and by_key["market_share"]["better"] == "up"
    assert by_key["market_share"]["ci95"] == share.figure("totals", "market_share")["ci95"]
    found = [r["by_partner"]["d_north"]["new_customers"] for r in share.per_replication]
    assert by_key["partner_new_customers"]["mean"] == pytest.approx(sum(found) / 2) and sum(found) > 0
    assert by_key["partner_new_customers"]["label"] == "Customers found by partners"
    assert not by_key["partner_new_customers"]["share"]


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
    bench, values = rich_rebate_bench(tmp_path)
    saved = bench.save_variant("rich_policed", "rich rebate, policed", values)
    variant = channelsim.load(saved["path"]).variant("rich_policed")
    assert variant.conflict.enforcement_per_week == 0.6
    assert variant.incentives[0].tier("gold").rebate == 0.09  # the rich rebate came along
    assert variant.incentives[0].current["d_north"] == "gold"


def test_cli_registers_app_with_a_port_flag() -> None:
    from channelsim.cli import build_parser

    args = build_parser().parse_args(["app", str(WORKSHOP), "--port", "0"])
    assert args.port == 0 and args.run.__name__ == "run_app"


# -- strangers are refused -----------------------------------------------------------------
def _allowed(url: str, **changes: str | None) -> dict[str, str]:
    """The headers app.js sends, with some changed (None: left out)."""
    host = urlsplit(url).netloc
    headers = {"Host": host, "Origin": f"http://{host}", "Content-Type": "application/json",
               "X-Channelsim-Token": _token(url), "Content-Length": "2"}  # fmt: skip
    for name, value in changes.items():
        headers.pop(name.replace("_", "-"), None)
        if value is not None:
            headers[name.replace("_", "-")] = value
    return headers


def test_the_page_is_the_only_sender_it_accepts(server: str) -> None:
    port = urlsplit(server).port
    # a POST with every check passed reaches the router (404: no such action) ...
    assert _raw(server, "POST", "/api/nothing", _allowed(server), b"{}")[0] == 404
    for name in ("localhost", "[::1]", "LOCALHOST"):  # ... under each loopback name of this port
        host = f"{name}:{port}"
        assert (
            _raw(server, "POST", "/api/nothing", _allowed(server, Host=host, Origin=f"http://{host}"), b"{}")[
                0
            ]
            == 404
        )
    headers = _allowed(server, Origin=None, Content_Type="application/json; charset=utf-8")
    assert _raw(server, "POST", "/api/nothing", headers, b"{}")[0] == 404  # no Origin: not a browser
    assert _raw(server, "GET", "/api/scenario", {"Host": f"localhost:{port}"})[0] == 200


@pytest.mark.parametrize(
    ("method", "path", "change", "status", "message"),
    [
        ("GET", "/", {"Host": "evil.example"}, 403, "Host must be"),  # the page holds the token
        ("GET", "/api/scenario", {"Host": "evil.example:PORT"}, 403, "Host must be"),  # DNS rebinding
        ("GET", "/static/app.js", {"Host": "127.0.0.1:1"}, 403, "Host must be"),
        ("GET", "/api/scenario", {"Host": None}, 403, "Host must be"),
        ("POST", "/api/simulate", {"Host": "evil.example"}, 403, "Host must be"),
        ("POST", "/api/simulate", {"Origin": "http://evil.example"}, 403, "not accepted"),
        ("POST", "/api/simulate", {"Origin": "null"}, 403, "not accepted"),  # a sandboxed frame, a file
        ("POST", "/api/simulate", {"Origin": "http://localhost:PORT"}, 403, "not accepted"),  # another origin
        ("POST", "/api/simulate", {"X-Channelsim-Token": None}, 403, "X-Channelsim-Token"),
        ("POST", "/api/simulate", {"X-Channelsim-Token": "guess"}, 403, "X-Channelsim-Token"),
        ("POST", "/api/simulate", {"Content-Type": "text/plain"}, 415, "application/json"),  # a simple form
        ("POST", "/api/simulate", {"Content-Type": None}, 415, "application/json"),
        ("POST", "/api/simulate", {"Content-Length": None}, 411, "required"),
        ("POST", "/api/simulate", {"Content-Length": "-1"}, 400, "not a length"),  # rfile.read(-1): all
        ("POST", "/api/simulate", {"Content-Length": "abc"}, 400, "not a length"),
        ("POST", "/api/simulate", {"Content-Length": "1e3"}, 400, "not a length"),
        ("POST", "/api/simulate", {"Content-Length": "1000001"}, 413, "too large"),
        ("POST", "/api/simulate", {"Content-Length": "9" * 5000}, 413, "too large"),
        ("POST", "/api/simulate", {"Transfer-Encoding": "chunked"}, 411, "required"),
    ],
)
def test_a_stranger_is_refused(
    server: str, method: str, path: str, change: dict[str, str | None], status: int, message: str
) -> None:
    port = str(urlsplit(server).port)
    fixed = {k: v.replace("PORT", port) if v else v for k, v in change.items()}
    headers = _allowed(server) if method == "POST" else {"Host": urlsplit(server).netloc}
    for name, value in fixed.items():
        headers.pop(name, None)
        if value is not None:
            headers[name] = value
    # no body where the length is refused: a server that read one anyway would wait for it
    sent = b"{}" if method == "POST" and not {"Content-Length", "Transfer-Encoding"} & fixed.keys() else b""
    got, body = _raw(server, method, path, headers, sent)
    assert got == status and message in json.loads(body)["error"]
    assert b"channelsim-token" not in body


def test_a_cross_site_save_writes_nothing(server: str, scenario_copy: Path) -> None:
    """The reported attack: a form on another site posting text to /api/save."""
    body = json.dumps({"name": "pwned", "values": {}}).encode()
    headers = {"Host": "evil.example", "Origin": "http://evil.example", "Content-Type": "text/plain",
               "Content-Length": str(len(body))}  # fmt: skip
    assert _raw(server, "POST", "/api/save", headers, body)[0] == 403
    headers |= {"Host": urlsplit(server).netloc}  # rebinding gets the Host right, not the Origin
    assert _raw(server, "POST", "/api/save", headers, body)[0] == 403
    assert sorted(p.name for p in scenario_copy.parent.iterdir()) == [scenario_copy.name]


def test_no_other_site_may_frame_the_page(server: str) -> None:
    """Framed under another site, the page's own buttons would pass every check (clickjacking)."""
    with urllib.request.urlopen(server, timeout=30) as response:
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_each_start_has_its_own_token(scenario_copy: Path) -> None:
    first, second = make_server(str(scenario_copy), port=0), make_server(str(scenario_copy), port=0)
    try:
        assert first.token != second.token and len(first.token) >= 32
    finally:
        first.server_close()
        second.server_close()
