"""What a strategist, a planner and a teacher see: headlines that follow the question, warnings, help.

A variant's headline names what it moved (paired against the base with common random
numbers) and every alert that fired; a planner is warned of a market run dry, a region
nobody lives in or no outlet serves, a partner without customers, one replication and a
loss (with its reason); every flag's help says its default.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml

import channelsim as cs
from builders import scenario, segment, territories
from channelsim.cli import build_parser
from channelsim.cli.simulate_verbs import headline
from channelsim.experiments.checks import run_warnings
from channelsim.experiments.compare import compare
from channelsim.experiments.findings import compare_findings, findings, moved_most, moves, sweep_findings
from channelsim.experiments.sweep import sweep
from channelsim.experiments.text import experiment_findings_text, findings_text
from channelsim.scenario.advice import scenario_warnings
from conftest import GALLERY, ROOT, run_cli


# -- headlines --------------------------------------------------------------------------------
def enforced() -> cs.Scenario:
    """The grey market of two territories, where audits catch the diverter half the weeks (the variant)."""
    return territories(enforcement=0.0, weeks=12, variants={
        "audits": {"description": "invoice audits", "set": {"conflict.enforcement_per_week": 0.5}}})  # fmt: skip


def test_a_variant_that_moves_diversion_has_diversion_in_its_headline() -> None:
    sc = enforced()
    base, audited = (cs.simulate(s, replications=4, seed=3) for s in (sc, sc.variant("audits")))
    changes = moves("audits", base, audited)
    top = moved_most(changes)
    diverted = next(m for m in changes if m.kpi == "diverted_orders")
    assert diverted.significant and diverted.diff_mean < 0  # audits stop the grey selling
    assert top[0].kpi == "diverted_orders"  # the largest change relative to the base
    assert all(m.significant for m in top)
    data = findings({"base": base, "audits": audited}, [])
    text = findings_text(data, "EUR", "audits")
    assert "moved most against the base" in text and "Diverted orders" in text.splitlines()[1]


def test_simulate_variant_prints_what_moved_and_the_alerts(tmp_path: Path) -> None:
    data = enforced().to_data() | {"alerts": [{"metric": "orders", "above": 0}]}
    path = tmp_path / "grey.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = run_cli("simulate", path, "--variant", "audits", "--replications", "4", "--seed", "3",
                   "--out", tmp_path / "run", "--no-report")  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    moved = lines.index(
        "moved most against the base (same seeds; change: paired difference ± half its 95% interval)"
    )
    assert lines[moved + 1].lstrip().startswith("Diverted orders")
    # an alert that fires every week is printed: which, how many weeks, the first week
    assert any(line.split() == ["orders", "above", "0", "12.0", "of", "12", "weeks,", "first", "in", "week", "0"]
               for line in lines)  # fmt: skip
    found = json.loads((tmp_path / "run" / "findings.json").read_text())
    assert found["moved"][0]["kpi"] == "diverted_orders"
    assert {a["run"] for a in found["alerts"]} == {"base", "audits"}


def test_compare_and_sweep_headlines_follow_each_variant_and_point() -> None:
    sc = enforced()
    found = compare_findings(compare(sc, replications=3, seed=3))
    assert found["runs"] == ["base", "audits"] and found["moved"][0]["kpi"] == "diverted_orders"
    # the grid's point at today's enforcement (0) is the base: no extra run, and not listed against itself
    grid = sweep(sc, {"conflict.enforcement_per_week": [0.0, 0.5]}, replications=3, seed=3)
    found = sweep_findings(grid)
    assert found["runs"] == ["base", "conflict.enforcement_per_week=0.5"]
    assert found["moved"][0]["kpi"] == "diverted_orders"
    text = experiment_findings_text(found, "EUR")
    assert "conflict.enforcement_per_week=0.5:" in text and "enforcement_per_week=0.0:" not in text


def test_one_replication_has_no_interval() -> None:
    text = headline(cs.simulate(scenario(), replications=1, seed=1))
    assert "95% CI" not in text
    assert text.count("no interval from one replication") == len(text.splitlines()) - 1


# -- warnings ---------------------------------------------------------------------------------
def two_regions(**sections: object) -> cs.Scenario:
    return scenario(replications=2, regions=["north", "south"], **sections)


def test_a_region_where_nobody_lives() -> None:
    sc = two_regions(segments=[segment(regions={"north": 1.0})])
    assert any(w.startswith("region 'south': nobody lives there") for w in scenario_warnings(sc))


def test_a_region_without_an_outlet() -> None:
    sc = two_regions(channels=[{"id": "store", "mode": "offline", "regions": ["north"]}])
    (warning,) = scenario_warnings(sc)
    assert warning.startswith("region 'south': 500 potential customers but no outlet open there")


def test_a_partner_without_customers_in_its_region() -> None:
    sc = two_regions(segments=[segment(regions={"north": 1.0})],
                     channels=[{"id": "shop"}, {"id": "dist", "type": "indirect", "partner_margin": 0.2}],
                     partners=[{"id": "d_south", "channel": "dist", "region": "south"}])  # fmt: skip
    assert any(w.startswith("partner 'd_south': no customers live in its region 'south'")
               for w in scenario_warnings(sc))  # fmt: skip


def test_one_replication_is_a_warning() -> None:
    assert any("no interval from one replication" in w for w in scenario_warnings(scenario()))
    assert not scenario_warnings(scenario(replications=2))
    # the run's own count decides at the end of a run (--replications 2 on a scenario of 1)
    assert not [
        w for w in run_warnings(cs.simulate(scenario(), replications=2, seed=1)) if "one replication" in w
    ]
    assert [w for w in run_warnings(cs.simulate(scenario(replications=2), replications=1, seed=1))
            if w.startswith("replications: 1 — no interval from one replication")]  # fmt: skip


def dry_market() -> cs.Scenario:
    """200 people and 100 leads a week: everyone is reached in the second week."""
    return scenario(replications=2, segments=[segment(population=200, conversion=0.5, purchases_per_week=0.2)],
                    sources=[{"id": "ads", "spend_per_week": 100,
                              "response": {"curve": "linear", "leads_per_unit_spend": 1.0}}])  # fmt: skip


def test_a_market_running_dry() -> None:
    sc = dry_market()
    assert any(w.startswith("market: 1,000 leads planned over 10 weeks") for w in scenario_warnings(sc))
    (dry,) = [
        w for w in run_warnings(cs.simulate(sc, replications=2, seed=1)) if w.startswith("market running")
    ]
    assert "leads wasted" in dry and "of 200 people left unaware (0%)" in dry


def test_a_scenario_that_loses_money_says_why() -> None:
    sc = scenario(replications=2, channels=[{"id": "shop", "fixed_cost_per_week": 10_000}],
                  segments=[segment(initial_customers=100, purchases_per_week=0.5, order_value=50)])  # fmt: skip
    (loss,) = [
        w for w in run_warnings(cs.simulate(sc, replications=2, seed=1)) if w.startswith("loses money")
    ]
    assert (
        "outlets' fixed costs 100,000" in loss
        and "against 100,000 of costs that do not grow with sales" in loss
    )


def test_the_starter_template_loses_money_and_says_why() -> None:
    sc = cs.load(ROOT / "src" / "channelsim" / "templates" / "starter.yaml")
    warnings = run_warnings(cs.simulate(sc, replications=2, seed=1))
    assert [w for w in warnings if w.startswith("loses money") and "outlets' fixed costs" in w]


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.stem)
def test_the_gallery_as_written_has_no_scenario_warning(path: Path) -> None:
    assert scenario_warnings(cs.load(path)) == []


def test_the_workshop_run_has_no_warning() -> None:
    sc = cs.load(ROOT / "scenarios" / "workshop_intro.yaml")
    assert run_warnings(cs.simulate(sc, replications=2, seed=1)) == []


def test_validate_prints_the_warnings(tmp_path: Path) -> None:
    path = tmp_path / "dry.yaml"
    path.write_text(yaml.safe_dump(dry_market().to_data()), encoding="utf-8")
    done = run_cli("validate", path)
    assert done.returncode == 0 and f"warning: {path}: market: 1,000 leads planned" in done.stderr


# -- help -------------------------------------------------------------------------------------
def _verbs() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("verb", list(_verbs()))
def test_every_flag_has_help_with_its_default(verb: str) -> None:
    cmd = _verbs()[verb]
    formatter = cmd._get_formatter()
    for action in cmd._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        text = formatter._expand_help(action) if action.help else ""
        name = "/".join(action.option_strings) or action.dest
        assert text.strip(), f"{verb} {name}: no help line"
        if action.option_strings:  # a flag says what happens without it
            assert "default" in text, f"{verb} {name}: the help does not say its default: {text!r}"
        if action.default not in (None, False, [], argparse.SUPPRESS):
            assert str(action.default) in text, f"{verb} {name}: default {action.default!r} not in {text!r}"
        if action.choices:
            assert all(str(c) in text or str(c) in cmd.format_usage() for c in action.choices)


def test_simulate_help_names_the_out_default() -> None:
    text = _verbs()["simulate"].format_help()
    assert "(default: runs/latest)" in " ".join(text.split())


def test_the_command_help_lists_each_verb_on_one_line_and_an_example() -> None:
    text = build_parser().format_help()
    for verb in _verbs():
        (line,) = [line for line in text.splitlines() if line.split()[:1] == [verb]]
        assert len(line.split()) > 2, f"{verb}: no one-line description"
    assert "examples:" in text and "channelsim simulate scenarios/" in text


def test_a_flag_that_is_not_a_number_says_what_it_accepts() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["simulate", "x.yaml", "--replications", "ten"])
    done = run_cli("simulate", "x.yaml", "--replications", "ten")
    assert done.returncode == 2
    assert "--replications: expected a whole number 1..100000 (got 'ten')" in done.stderr


def test_a_plan_is_simulated_beside_todays_allocation_and_says_what_it_moved(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"sources": {"search": {"spend_per_week": 3000}}}), "utf-8")
    done = run_cli("simulate", ROOT / "tests" / "data" / "workbench.yaml", "--plan", plan, "--replications", "3",
                   "--no-report", "--quiet", "--out", tmp_path / "out")  # fmt: skip
    assert done.returncode == 0, done.stderr
    moved = done.stdout.split("moved most against the base", 1)[1]
    assert "Marketing spend (EUR)" in moved and "+" in moved  # 800 → 3,000 a week: spend moved most surely
