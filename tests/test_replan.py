"""`channelsim replan`: re-planning every few weeks from the simulated state, against the static plan.

The re-planned replication and the static plan's share their seed, so until a re-plan changes a
lever they are the same world draw for draw; the paired difference is what re-planning changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from builders import scenario, territories
from channelsim.experiments.replan import periods_of, replan, state_scenario
from channelsim.scenario.schema import Scenario
from channelsim.sim.engine import Replication, run_replication
from channelsim.sim.policy import Policy
from channelsim.sim.snapshot import take
from channelsim.sim.streams import replication_seeds
from conftest import run_cli

WEEKS = 20


def two_territories(exit_margin: float = 0.0) -> Scenario:
    """A distributor in each territory, a paid source for each territory's segment. With `exit_margin`
    above what d_south can earn it leaves after its first four weeks (`model.partner_exit`), which the
    optimizer's forecast does not foresee: the static plan goes on buying southern leads nobody serves."""
    curve = {"curve": "exponential", "max_leads_per_week": 20, "scale": 1000}
    people = {"population": 3000, "initial_customers": 200, "purchases_per_week": 0.3, "order_value": 100,
              "churn_per_week": 0.01}  # fmt: skip
    return scenario(
        horizon_weeks=WEEKS, regions=["north", "south"],
        segments=[{"id": "northern", "regions": {"north": 1.0}, **people},
                  {"id": "southern", "regions": {"south": 1.0}, **people}],
        channels=[{"id": "dist", "type": "indirect", "partner_margin": 0.2}],
        partners=[{"id": "d_north", "channel": "dist", "region": "north"},
                  {"id": "d_south", "channel": "dist", "region": "south", "exit_below_margin_per_week": exit_margin}],
        sources=[{"id": "north_ads", "spend_per_week": 500, "max_spend_per_week": 2000, "response": curve,
                  "segment_mix": {"northern": 1.0}},
                 {"id": "south_ads", "spend_per_week": 500, "max_spend_per_week": 2000, "response": curve,
                  "segment_mix": {"southern": 1.0}}],
        budget={"marketing_per_week": 3000}, optimize={"periods": 4},
    )  # fmt: skip


def scenario_file(tmp_path: Path, sc: Scenario) -> Path:
    path = tmp_path / "replan.yaml"
    path.write_text(yaml.safe_dump(sc.to_data(), sort_keys=False), encoding="utf-8")
    return path


def test_a_run_stopped_and_resumed_or_given_the_same_policy_again_is_the_same_run() -> None:
    sc, seed = two_territories(1e7), replication_seeds(3, 1)[0]
    policy = Policy.baseline(sc)
    straight = run_replication(sc, policy, seed).tables
    staged = Replication(sc, policy, seed)
    staged.start()
    for week in (4, 9, 15, WEEKS):
        staged.run_until(week)
        if week < WEEKS:
            staged.switch_policy(policy, week)
    tables = staged.finish().tables
    for level, metrics in straight.items():
        for metric, values in metrics.items():
            np.testing.assert_array_equal(values, tables[level][metric], err_msg=f"{level}.{metric}")


def test_a_switched_policy_plays_from_its_week_on() -> None:
    sc, seed = territories(weeks=10), replication_seeds(2, 1)[0]
    gold = Policy.baseline(sc)  # d_north on gold, 100 a week
    plain = Policy(
        gold.spend,
        gold.tiers | {"d_north": ("rebate", "none")},
        gold.programmes,
        gold.winback_spend,
        gold.open,
    )
    run = Replication(sc, gold, seed)
    run.start()
    run.run_until(4)
    run.switch_policy(plain, 4)
    run.run_until(10)
    cost = run.finish().tables["total"]["incentive_cost"][:, 0]
    assert list(cost) == [100.0] * 4 + [0.0] * 6
    assert run.outlets[0].rebate == 0.0 and run.conflict is not None and run.conflict.tiers[0].rebate == 0.0


def test_the_state_as_a_scenario_of_the_weeks_left() -> None:
    sc, seed = two_territories(1e7), replication_seeds(3, 1)[0]
    policy = Policy.baseline(sc)
    run = Replication(sc, policy, seed)
    run.start()
    run.run_until(5)
    snap = take(run, 5)
    rest = state_scenario(sc, snap, policy)
    assert snap.exited == ["d_south"] and [p.id for p in rest.partners] == ["d_north"]
    assert rest.horizon_weeks == WEEKS - 5
    assert rest.optimize.periods == 3  # 4 periods of 5 weeks over 20: 3 of them left
    assert [s.initial_customers for s in rest.segments] == run.market.active == snap.active
    assert [s.population for s in rest.segments] == [3000, 3000]  # as written: word of mouth is q·A/N
    for seg, a, u, waiting in zip(rest.segments, snap.active, snap.unaware, snap.considering, strict=True):
        assert (
            seg.considering == sum(waiting.values()) == len(run.market.considering(rest.segments.index(seg)))
        )
        assert seg.unaware_at_start == u and seg.initial_reached == 3000 - a - u - seg.considering
    assert rest.budget.marketing_per_week == sc.budget.marketing_per_week
    assert (
        rest.budget.incentives_per_week == 0.0
    )  # left to the baseline in the file: the baseline's (no tiers)
    assert [s.spend_per_week for s in rest.sources] == [500.0, 500.0]  # no adstock: the level is the spend


def test_with_one_period_replan_is_optimize_then_simulate_byte_for_byte(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, two_territories(1e7))
    replanned = run_cli("replan", path, "--every", WEEKS, "--replications", 3, "--out", tmp_path / "r")
    assert replanned.returncode == 0, replanned.stderr
    planned = run_cli("optimize", path, "--out", tmp_path / "o")
    assert planned.returncode == 0, planned.stderr
    simulated = run_cli("simulate", path, "--plan", tmp_path / "o" / "plan.json", "--replications", 3,
                        "--no-report", "--out", tmp_path / "s")  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    for name in ("summary.json", "kpis.csv"):
        assert (tmp_path / "r" / name).read_bytes() == (tmp_path / "s" / name).read_bytes(), name
    first, plan = (
        json.loads(p.read_text())
        for p in (tmp_path / "r" / "plans" / "period_1.json", tmp_path / "o" / "plan.json")
    )
    assert first | {"solve_seconds": 0} == plan | {"solve_seconds": 0}  # the one measured figure
    paired = json.loads((tmp_path / "r" / "replan.json").read_text())["paired"]["profit"]
    assert paired["per_replication"] == [0.0, 0.0, 0.0]  # no re-plan: the static plan itself


def test_replanning_pays_once_a_partner_has_left() -> None:
    done = replan(two_territories(1e7), every=5, replications=8)
    periods = done.periods()
    # the same world until the first re-plan: the first period's profit is the static plan's, to the cent
    assert periods[0]["simulated_profit"] == periods[0]["static_simulated_profit"]
    assert periods[1]["state"]["partners_left"] == {"d_south": 8}  # gone in every replication by week 5
    for later in periods[1:]:  # nobody serves the south: the re-plans stop buying its leads
        assert later["spend_per_week"]["south_ads"] == 0.0
    assert periods[1]["static_spend_per_week"]["south_ads"] > 0.0
    gain = done.to_dict()["paired"]["profit"]
    assert gain["ci95"][0] > 0.0, gain  # the 95% t-interval of the paired difference excludes 0


def test_where_nothing_happens_the_replans_are_the_static_plan_and_the_interval_covers_zero() -> None:
    done = replan(two_territories(0.0), every=5, replications=8)
    gain = done.to_dict()["paired"]["profit"]
    assert gain["ci95"][0] <= 0.0 <= gain["ci95"][1], gain
    for period in done.periods():  # state as forecast: each re-plan repeats the static plan's spend
        assert period["spend_per_week"] == period["static_spend_per_week"]


def test_periods_cover_the_horizon_the_last_one_shorter() -> None:
    assert periods_of(52, 13) == [(0, 13), (13, 26), (26, 39), (39, 52)]
    assert periods_of(20, 8) == [(0, 8), (8, 16), (16, 20)]
    assert periods_of(20, 20) == [(0, 20)]


@pytest.mark.parametrize(
    ("every", "message"),
    [("0", "--every: must be a whole number of weeks from 1 to the horizon (20) (got 0)"),
     ("21", "--every: must be a whole number of weeks from 1 to the horizon (20) (got 21)"),
     ("1.5", "argument --every: expected a whole number of weeks, 1..the horizon (got '1.5')")],
    ids=["zero", "beyond-horizon", "not-whole"],
)  # fmt: skip
def test_bad_every_exits_2_with_one_line(tmp_path: Path, every: str, message: str) -> None:
    result = run_cli(
        "replan", scenario_file(tmp_path, two_territories()), "--every", every, "--out", tmp_path / "x"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    # argparse's usage block (its first line "usage:", the rest indented) and then the one line that says why
    said = [
        line for line in result.stderr.splitlines() if line.strip() and not line.startswith(("usage:", " "))
    ]
    assert len(said) == 1 and message in said[0], result.stderr
    assert not (tmp_path / "x").exists()


def test_the_files_are_byte_identical_whatever_the_jobs(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, two_territories(1e7))
    for jobs in (1, 2):
        result = run_cli("replan", path, "--every", 10, "--replications", 2, "--jobs", jobs, "--quiet",
                         "--out", tmp_path / f"j{jobs}")  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "re-planning vs the static plan, profit, what the plans maximise: " in result.stdout
    for name in ("replan.json", "replan_allocation.csv", "summary.json", "kpis.csv", "static/summary.json"):
        assert (tmp_path / "j1" / name).read_bytes() == (tmp_path / "j2" / name).read_bytes(), name
    plans = sorted(p.name for p in (tmp_path / "j1" / "plans").iterdir())
    assert plans == ["period_1.json", "period_2_rep_0.json", "period_2_rep_1.json"]
