"""`channelsim compare`: common random numbers, paired differences, the table and its files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import channelsim as cs
from channelsim.cli import main
from channelsim.experiments.compare import COLUMNS
from channelsim.experiments.text import compare_text
from channelsim.kpi_catalogue import HEADLINE, RIVALS
from conftest import ROOT, run_cli

WORKBENCH = ROOT / "tests" / "data" / "workbench.yaml"


@pytest.fixture(scope="module")
def outcome() -> cs.experiments.CompareResult:
    return cs.compare(cs.load(WORKBENCH), replications=3, seed=5)


def _row(table: pd.DataFrame, variant: str, kpi: str) -> pd.Series:
    return table[(table.variant == variant) & (table.kpi == kpi)].iloc[0]


def test_a_variant_that_changes_nothing_is_identical_to_the_base(outcome) -> None:
    # common random numbers: the same seed, the same scenario ⇒ the same replications exactly
    base, same = outcome.results["base"], outcome.results["unchanged"]
    assert same.per_replication == base.per_replication
    rows = outcome.table[outcome.table.variant == "unchanged"]
    assert (rows.diff_mean == 0).all() and (rows.diff_ci95_lo == 0).all() and (rows.diff_ci95_hi == 0).all()
    assert not rows.significant.any()


def test_the_change_is_the_paired_difference_across_replications(outcome) -> None:
    base, more = outcome.results["base"], outcome.results["more_search"]
    diffs = [m["totals"]["profit"] - b["totals"]["profit"] for m, b in zip(more.per_replication,
             base.per_replication, strict=True)]  # fmt: skip
    row = _row(outcome.table, "more_search", "profit")
    assert row.diff_mean == pytest.approx(sum(diffs) / len(diffs))
    assert row.diff_ci95_lo <= row.diff_mean <= row.diff_ci95_hi
    assert row.significant == (row.diff_ci95_lo > 0 or row.diff_ci95_hi < 0)


def test_a_deterministic_change_is_exact_and_significant(outcome) -> None:
    # spend is a lever, not a random outcome: 800 EUR/week more for 8 weeks, in every replication
    row = _row(outcome.table, "more_search", "marketing_spend")
    assert row.diff_mean == pytest.approx(800 * 8)
    assert row.diff_ci95_lo == row.diff_ci95_hi == pytest.approx(800 * 8)
    assert row.significant and row.diff_pct == pytest.approx(100 * 6400 / (1200 * 8))


def test_table_has_every_variant_and_headline_kpi(outcome) -> None:
    table = outcome.table
    assert list(table.columns) == COLUMNS
    assert list(dict.fromkeys(table.variant)) == ["base", "unchanged", "more_search", "cheap_marketplace"]
    # no rivals and no prospecting partner in this scenario: their KPIs would only be zeros
    assert set(table.kpi) == {k.name for k in HEADLINE if k.needs is None}
    base_profit = outcome.results["base"].figure("totals", "profit")["mean"]
    assert (table[table.kpi == "profit"].base_mean == base_profit).all()


def test_rivals_in_a_variant_bring_the_open_market_kpis(tmp_path: Path) -> None:
    shutil.copy(WORKBENCH, tmp_path / WORKBENCH.name)
    file = tmp_path / "rivals.yaml"
    file.write_text(f"extends: {WORKBENCH.name}\nvariants:\n  rivals:\n    description: A rival chain opens\n"
                    "    set: {segments.people.competition: {utility: 0.5}}\n")  # fmt: skip
    result = cs.compare(cs.load(file), ["rivals"], replications=2)
    rival_kpis = {k.name for k in HEADLINE if k.needs == RIVALS}
    assert rival_kpis <= set(result.table.kpi) and "partner_leads" not in set(result.table.kpi)
    share = _row(result.table, "rivals", "market_share")
    # no rivals in the base: every order is ours
    assert _row(result.table, "base", "market_share")["mean"] == 1.0
    want = [r["totals"]["market_share"] for r in result.results["rivals"].per_replication]
    assert share["mean"] == pytest.approx(sum(want) / 2) and share["diff_mean"] < 0 and share.unit == "share"
    assert {k["name"] for k in result.to_data()["kpis"]} == set(result.table.kpi)
    text = compare_text(result)
    assert "Market share" in text and " pp" in text and "Orders won by rivals" in text


def test_only_the_variants_asked_for() -> None:
    result = cs.compare(cs.load(WORKBENCH), variants=["cheap_marketplace"], replications=1)
    assert list(result.results) == ["base", "cheap_marketplace"]
    # one replication: no interval, so nothing can be called significant
    assert not result.table.significant.any()


def test_a_scenario_without_variants_has_nothing_to_compare() -> None:
    from builders import scenario

    with pytest.raises(cs.UsageError, match="has no variants to compare"):
        cs.compare(scenario())


def test_unknown_variant_is_a_usage_error() -> None:
    with pytest.raises(cs.UsageError, match=r"no variant 'nope'.*unchanged, more_search"):
        cs.compare(cs.load(WORKBENCH), variants=["nope"])


def test_cli_prints_the_table_and_writes_the_files(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    done = run_cli("compare", WORKBENCH, "--variants", "more_search", "--replications", "2", "--out", out,
                   "--no-report")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "more_search — Twice the search spend" in done.stdout
    assert "Marketing spend (EUR)" in done.stdout and " *" in done.stdout
    table = pd.read_csv(out / "compare.csv")
    assert set(table.variant) == {"base", "more_search"}
    data = json.loads((out / "compare.json").read_text())
    assert data["seed"] == 3 and data["replications"] == 2 and len(data["rows"]) == len(table)
    assert (out / "summary.json").exists() and not (out / "report.html").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--variants", "nope"], "--variants: no variant 'nope'"),
        (["--replications", "0"], "--replications: must be between 1 and 100000"),
        (["--jobs", "0"], "--jobs: must be >= 1"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler: only with --executor dask"),
    ],
)
def test_cli_input_errors_exit_2_with_one_line(flags: list[str], message: str, capsys) -> None:
    assert main(["compare", str(WORKBENCH), *flags]) == 2  # in-process: the same code path, no start-up
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and len(err.splitlines()) == 1
