"""`channelsim simulate` and `channelsim.simulate`: the SPEC §4 outputs, reproducibility, plans."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import channelsim as cs
from conftest import ROOT, STARTER, run_cli

WORKBENCH = ROOT / "tests" / "data" / "workbench.yaml"
TOTALS = ["leads", "wasted_leads", "new_customers", "orders", "lost_orders", "revenue", "brand_revenue", "contribution", "marketing_spend", "incentive_cost", "fixed_cost", "profit", "active_customers_end", "lapsed_customers"]  # fmt: skip


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    done = run_cli("simulate", STARTER, "--replications", "3", "--weeks", "12", "--out", out)
    assert done.returncode == 0, done.stderr
    return out


def test_simulate_writes_the_contract_files(run_folder: Path) -> None:
    summary = json.loads((run_folder / "summary.json").read_text())
    for key in ("scenario", "variant", "seed", "replications", "horizon_weeks"):
        assert key in summary
    assert summary["replications"] == 3 and summary["horizon_weeks"] == 12
    for key in TOTALS:
        assert set(summary["totals"][key]) == {"mean", "std", "ci95"}
    assert set(summary["by_source"]["search_ads"]) >= {
        "leads",
        "new_customers",
        "marketing_spend",
        "cac",
        "attributed_contribution",
    }
    assert set(summary["by_channel"]["webshop"]) >= {
        "orders",
        "share",
        "revenue",
        "contribution",
        "response_time_mean",
    }
    assert set(summary["by_partner"]["dist_north"]) >= {
        "orders",
        "diverted_orders",
        "min_price_index",
        "exited",
    }
    assert set(summary["by_segment"]["consumers"]) >= {"new_customers", "orders", "active_end", "clv"}
    assert set(summary["conflict"]) >= {  # the contract's keys (detections come on top)
        "diverted_orders",
        "price_war_weeks",
        "cannibalized_orders",
        "map_violations",
        "partner_exits",
    }
    assert set(summary["concentration"]) == {"top_channel_share", "hhi"}
    assert {"members_end", "won_back", "nps"} <= set(summary["crm"])
    shares = sum(summary["by_channel"][c]["share"]["mean"] for c in summary["by_channel"])
    assert shares == pytest.approx(1.0)
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert manifest["scenario_sha256"] and manifest["versions"]["simpy"]


def test_kpis_csv_is_tidy(run_folder: Path) -> None:
    kpis = pd.read_csv(run_folder / "kpis.csv", keep_default_na=False)
    assert list(kpis.columns) == ["replication", "week", "level", "id", "metric", "value"]
    assert set(kpis.replication) == {0, 1, 2} and set(kpis.week) == set(range(12))
    assert set(kpis.level) == {"total", "source", "channel", "partner", "segment", "region"}
    assert (kpis[kpis.level == "total"].id == "").all()
    summary = json.loads((run_folder / "summary.json").read_text())
    weekly_orders = (
        kpis[(kpis.level == "total") & (kpis.metric == "orders")].groupby("replication").value.sum()
    )
    assert weekly_orders.mean() == pytest.approx(summary["totals"]["orders"]["mean"])


def test_outputs_are_byte_identical_for_any_number_of_jobs(tmp_path: Path) -> None:
    folders = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        done = run_cli(
            "simulate", STARTER, "--replications", "3", "--weeks", "8", "--jobs", jobs, "--out", out
        )
        assert done.returncode == 0, done.stderr
        folders.append(out)
    for name in ("summary.json", "kpis.csv"):
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes()


def test_a_plan_replaces_the_baseline_spend(tmp_path: Path) -> None:
    sc = cs.load(STARTER).with_overrides({"horizon_weeks": 6})
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"sources": {"search_ads": {"spend_per_week": 0}, "social": {"spend_per_week": [500, 1500]}},
                                "incentives": {"dist_south": {"tier": "gold"}}}))  # fmt: skip
    result = cs.simulate(sc, replications=1, seed=2, plan=plan)
    by_source = result.per_replication[0]["by_source"]
    assert by_source["search_ads"]["leads"] == 0 and by_source["search_ads"]["marketing_spend"] == 0
    assert by_source["social"]["marketing_spend"] == pytest.approx(3 * 500 + 3 * 1500)
    assert result.per_replication[0]["totals"]["incentive_cost"] == pytest.approx(6 * 2 * 300)


@pytest.mark.parametrize(
    ("plan_text", "message"),
    [("{not json", "not valid JSON"), ('{"sources": {"tv": {"spend_per_week": 1}}}', "no such source"),
     ('{"incentives": {"dist_north": {"tier": "platinum"}}}', "no tier 'platinum'")],
)  # fmt: skip
def test_a_bad_plan_file_exits_2_with_a_message(tmp_path: Path, plan_text: str, message: str) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(plan_text)
    done = run_cli("simulate", STARTER, "--plan", plan, "--out", tmp_path / "out")
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_bad_flags_exit_2(tmp_path: Path) -> None:
    for args in (["--replications", "0"], ["--weeks", "600"], ["--jobs", "0"], ["--variant", "nope"]):
        done = run_cli("simulate", STARTER, *args, "--out", tmp_path / "out")
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_a_ten_million_market_keeps_the_unaware_as_counts() -> None:
    from builders import scenario, segment

    sc = scenario(horizon_weeks=2, segments=[segment(population=10_000_000, innovation_per_week=0.00001)])
    result = cs.simulate(sc, seed=1)
    assert 0 < result.figure("totals", "new_customers")["mean"] < 1000


def test_the_headline_adds_the_open_market_where_the_scenario_has_it() -> None:
    from channelsim.cli.simulate_verbs import headline

    sc = cs.load(WORKBENCH)
    closed = headline(cs.simulate(sc, replications=2, seed=1)).splitlines()
    assert [line.split()[0] for line in closed[1:]] == ["profit", "contribution", "revenue", "orders",
                                                        "new_customers", "active_customers_end"]  # fmt: skip
    open_market = sc.with_overrides({"segments.people.competition": {"utility": 0.4, "switch_probability": 0.2},
                                     "partners.d_north.leads_per_week": 20})  # fmt: skip
    result = cs.simulate(open_market, replications=2, seed=1)
    lines = {line.split()[0]: line for line in headline(result).splitlines()[1:]}
    assert list(lines) == ["profit", "contribution", "revenue", "orders", "market_share", "rival_orders",
                           "new_customers", "partner_leads", "partner_new_customers", "active_customers_end"]  # fmt: skip
    share = result.figure("totals", "market_share")
    lo, hi = share["ci95"]
    assert lines["market_share"].split()[1] == f"{100 * share['mean']:.1f}%"
    assert lines["market_share"].endswith(f"95% CI [{100 * lo:.1f}%, {100 * hi:.1f}%]")
    assert lines["rival_orders"].split()[1] == f"{result.figure('totals', 'rival_orders')['mean']:,.0f}"
    found = [r["by_partner"]["d_north"]["new_customers"] for r in result.per_replication]
    assert lines["partner_new_customers"].split()[1] == f"{sum(found) / 2:,.0f}" and sum(found) > 0
