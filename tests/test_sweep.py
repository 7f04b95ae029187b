"""`channelsim sweep`: grids over dotted paths, equal to single runs; tornado; bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import channelsim as cs
from channelsim.cli import main
from channelsim.experiments.paths import parse_set, read_path
from channelsim.experiments.sweep import grid
from channelsim.experiments.text import number, sweep_text, tornado_text
from channelsim.experiments.tornado import default_parameters
from conftest import ROOT, run_cli

WORKBENCH = ROOT / "tests" / "data" / "workbench.yaml"
PRICE = "channels.marketplace.price_index"
SPEND = "sources.search.spend_per_week"


@pytest.fixture(scope="module")
def scenario() -> cs.Scenario:
    return cs.load(WORKBENCH)


def test_each_point_equals_a_single_simulate_run(scenario: cs.Scenario) -> None:
    axes = {PRICE: [0.9, 1.0], SPEND: [400, 1600]}
    result = cs.sweep(scenario, axes, replications=2, seed=11)
    assert result.points == grid(axes) and len(result.points) == 4
    for point, got in zip(result.points, result.results, strict=True):
        alone = cs.simulate(scenario.with_overrides(point), replications=2, seed=11)
        assert got.summary == alone.summary
        assert got.kpis.equals(alone.kpis)


def test_table_is_tidy_with_the_axes_as_columns(scenario: cs.Scenario) -> None:
    result = cs.sweep(scenario, {PRICE: [0.85, 0.95]}, replications=2)
    table = result.table
    assert list(table.columns) == ["point", PRICE, "kpi", "mean", "std", "ci95_lo", "ci95_hi"]
    profit = table[table.kpi == "profit"]
    assert profit[PRICE].tolist() == [0.85, 0.95]
    assert profit["mean"].tolist() == [r.figure("totals", "profit")["mean"] for r in result.results]


def test_with_rivals_the_table_and_the_text_have_market_share(scenario: cs.Scenario) -> None:
    assert "market_share" not in set(cs.sweep(scenario, {PRICE: [1.0]}, replications=1).table.kpi)
    rivals = scenario.with_overrides({"segments.people.competition": {"utility": 0.5}})
    result = cs.sweep(rivals, {PRICE: [0.85, 1.0]}, replications=2)
    share = result.table[result.table.kpi == "market_share"]
    assert share["mean"].tolist() == [r.figure("totals", "market_share")["mean"] for r in result.results]
    assert "market_share" in {k["name"] for k in result.to_data()["kpis"]}
    header = sweep_text(result).splitlines()[1]
    assert header.split()[-2:] == ["Market", "share"] and "%" in sweep_text(result).splitlines()[2]


def test_parse_set_reads_values_as_yaml() -> None:
    assert parse_set("a.b=0.9,1,true,gold") == ("a.b", [0.9, 1, True, "gold"])
    assert parse_set("a.b", values_required=False) == ("a.b", [])
    for bad in ("a.b", "=1,2", "a..b=1", "a.b=1,,2", "a.b=[1]"):
        with pytest.raises(cs.UsageError, match="--set"):
            parse_set(bad)


def test_read_path_walks_ids_and_reports_near_misses(scenario: cs.Scenario) -> None:
    assert read_path(scenario, PRICE) == 0.97
    assert read_path(scenario, "channels.webshop.price_index") == 1.0  # a default, filled in
    with pytest.raises(cs.UsageError, match="did you mean 'marketplace'"):
        read_path(scenario, "channels.marketplac.price_index")


def test_tornado_moves_each_parameter_down_and_up(scenario: cs.Scenario) -> None:
    result = cs.tornado(scenario, 20, [SPEND, PRICE], replications=2, seed=4)
    table = result.table.set_index("parameter")
    assert table.loc[SPEND, "low_value"] == 640 and table.loc[SPEND, "high_value"] == 960
    assert table.loc[PRICE, "low_value"] == pytest.approx(0.776)
    base = cs.simulate(scenario, replications=2, seed=4).figure("totals", "profit")["mean"]
    high = cs.simulate(scenario.with_overrides({SPEND: 960}), replications=2, seed=4)
    assert table.loc[SPEND, "profit_base"] == pytest.approx(base)
    assert table.loc[SPEND, "high_change"] == pytest.approx(high.figure("totals", "profit")["mean"] - base)
    assert list(result.table.swing) == sorted(result.table.swing, reverse=True)
    # the text and the report's table give each change with half its paired 95% interval
    row = table.loc[SPEND]
    half = number((row["high_change_ci95_hi"] - row["high_change_ci95_lo"]) / 2)
    assert f"{number(row['high_change'], signed=True)} ± {half}" in tornado_text(result)


def test_tornado_defaults_skip_what_cannot_move(scenario: cs.Scenario) -> None:
    paths = default_parameters(scenario)
    assert SPEND in paths and PRICE in paths and "channels.distributors.partner_margin" in paths
    with pytest.raises(cs.UsageError, match="is 0"):
        cs.tornado(scenario, 10, ["segments.people.consideration_weeks"], replications=1)
    with pytest.raises(cs.UsageError, match="not a number"):
        cs.tornado(scenario, 10, ["channels.webshop.type"], replications=1)


def test_cli_sweep_writes_the_table_and_prints_it(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    done = run_cli("sweep", WORKBENCH, "--set", f"{PRICE}=0.9,1.0", "--replications", "2", "--out", out,
                   "--no-report")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert PRICE in done.stdout and "Profit (EUR)" in done.stdout
    table = pd.read_csv(out / "sweep.csv")
    assert table.point.nunique() == 2
    assert json.loads((out / "sweep.json").read_text())["axes"] == [{"path": PRICE, "values": [0.9, 1.0]}]


def test_cli_tornado_with_bare_paths(tmp_path: Path) -> None:
    out = tmp_path / "tornado"
    done = run_cli("sweep", WORKBENCH, "--set", SPEND, "--tornado", "10", "--replications", "1", "--out", out,
                   "--no-report")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Profit sensitivity" in done.stdout
    assert pd.read_csv(out / "tornado.csv").parameter.tolist() == [SPEND]
    assert not (out / "sweep.csv").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--set", "channels.marketplac.price_index=0.9"], "--set channels.marketplac.price_index: no id"),
        (["--set", f"{PRICE}=-1"], f"--set {PRICE}=-1: "),
        (["--set", f"{PRICE}=abc"], "must be a number"),
        (["--set", PRICE], "--set channels.marketplace.price_index: expected PATH=V1,V2"),
        ([], "sweep: give at least one --set"),
        (["--set", f"{PRICE}=1", "--set", f"{PRICE}=2"], "--set: each path once"),
        (["--set", f"{PRICE}=0.9", "--executor", "spark"], "invalid choice"),
        (["--tornado", "150"], "--tornado: must be a percentage"),
    ],
)
def test_cli_bad_paths_and_values_exit_2_with_one_line(flags: list[str], message: str, capsys) -> None:
    # in-process: the CLI's own code path without a Python start-up per case
    try:
        code = main(["sweep", str(WORKBENCH), *flags, "--replications", "1", "--no-report"])
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and message in lines[-1], err
    if "error: argument" not in lines[-1]:  # argparse prints its usage lines first
        assert len(lines) == 1, err
