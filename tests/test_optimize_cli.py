"""`channelsim optimize` as a user runs it: exit codes, plan.json contract keys, the closed loop."""

from __future__ import annotations

import json

import pytest

import channelsim as cs
from builders import scenario, segment
from conftest import run_cli

SMALL = """\
name: Small optimize case
horizon_weeks: 8
seed: 4
replications: 2
gross_margin: 0.5
regions: [north, south]
segments:
  - {id: people, population: 20000, conversion: 0.5, purchases_per_week: 0.1, order_value: 80,
     channel_affinity: {dealers: 0.5}}
sources:
  - {id: search, spend_per_week: 500, max_spend_per_week: 3000,
     response: {curve: hill, max_leads_per_week: 120, half_saturation: 1000}}
  - {id: fairs, spend_per_week: 0, units: {cost: 1000, max: 2},
     response: {curve: hill, max_leads_per_week: 150, half_saturation: 1500, shape: 2.5}}
channels:
  - {id: shop, variable_cost: 0.1}
  - {id: dealers, type: indirect, partner_margin: 0.2}
partners:
  - {id: d_north, channel: dealers, region: north}
  - {id: d_south, channel: dealers, region: south}
incentives:
  - id: bonus
    channel: dealers
    tiers: [{level: none}, {level: gold, cost_per_week: 30, rebate: 0.03, effort_boost: 0.5}]
    current: {d_north: gold}
budget: {marketing_per_week: 2500, incentives_per_week: 60, min_active_sources: MIN_ACTIVE}
"""
CONTRACT_KEYS = {"status", "objective", "solver", "objective_value", "solve_seconds", "sources", "incentives",
                 "budget_shadow_price", "binding", "baseline_value"}  # fmt: skip


def test_optimize_writes_a_plan_that_simulate_accepts_and_validates_it(write, tmp_path):
    path = write(SMALL.replace("MIN_ACTIVE", "1"))
    out = tmp_path / "run"
    result = run_cli("optimize", path, "--validate", "--solver", "highs", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "profit plan, highs optimal" in result.stdout
    plan = json.loads((out / "plan.json").read_text())
    assert set(plan) >= CONTRACT_KEYS
    assert plan["status"] == "optimal" and plan["solver"] == "highs" and plan["objective"] == "profit"
    assert set(plan["sources"]) == {"search", "fairs"} and set(plan["incentives"]) == {"d_north", "d_south"}
    assert plan["sources"]["fairs"]["spend_per_week"] in (0.0, 1000.0, 2000.0)
    for key in ("baseline", "plan"):
        assert set(plan["validated"][key]["profit"]) == {"mean", "std", "ci95"}
    assert (out / "allocation.csv").read_text().startswith("kind,id,period,spend_per_week")
    simulated = run_cli("simulate", path, "--plan", out / "plan.json", "--out", tmp_path / "sim")
    assert simulated.returncode == 0, simulated.stderr


def test_infeasible_exits_3_naming_the_conflict(write, tmp_path):
    path = write(SMALL.replace("MIN_ACTIVE", "3"))
    result = run_cli("optimize", path, "--out", tmp_path / "x")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    said, failed = result.stderr.strip().splitlines()  # what the solver is given, then why it failed
    assert said.startswith("optimizing: 2 sources, 2 partners, 1 period(s); solver cbc, time limit 60 s")
    assert failed == "no feasible plan: these constraints conflict: at least 3 active sources"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--objective", "margin"), "invalid choice: 'margin'"),
        (("--solver", "gurobi"), "invalid choice: 'gurobi'"),
        (("--time-limit", "0"), "--time-limit: must be > 0 seconds (got 0)"),
        (("--variant", "nope"), "nope"),
    ],
    ids=["objective", "solver", "time-limit", "variant"],
)
def test_bad_flags_exit_2_with_one_line(write, tmp_path, args, message):
    result = run_cli("optimize", write(SMALL.replace("MIN_ACTIVE", "1")), *args, "--out", tmp_path / "x")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr


def test_same_scenario_gives_byte_identical_plan_files(tmp_path):
    sc = scenario(
        horizon_weeks=8, gross_margin=0.5, segments=[segment(conversion=0.5, order_value=50)],
        sources=[{"id": "a", "spend_per_week": 100, "max_spend_per_week": 900,
                  "response": {"curve": "hill", "max_leads_per_week": 30, "half_saturation": 300, "shape": 2.0}}],
        budget={"marketing_per_week": 800},
    )  # fmt: skip
    texts = []
    for run in range(2):
        plan = cs.optimize(sc)
        plan.solve_seconds = 0.0  # the one figure that is a measurement (kept in manifest.json too)
        plan.write(tmp_path / str(run))
        texts.append([(tmp_path / str(run) / name).read_bytes() for name in ("plan.json", "allocation.csv")])
    assert texts[0] == texts[1]
    assert list(plan.allocation.columns[:4]) == ["kind", "id", "period", "spend_per_week"]
    assert cs.simulate(sc, plan=plan).replications == 1  # the closed loop through the API
