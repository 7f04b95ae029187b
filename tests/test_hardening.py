"""Issue 15, the command line as a tester meets it: numbers far out of range, files that are not
files, output folders that cannot be written, runs of hours, lost dask workers and SIGTERM.
Each bad input ends in one line and exit 2 (exit 1 for lost workers) before any work starts,
never in a traceback or a hang; every test is bounded in time.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

import channelsim as cs
from channelsim.cli import main
from channelsim.errors import ChannelsimError, Problem
from channelsim.scenario import reference_doc
from channelsim.scenario.size import MAX_CUSTOMER_WEEKS, estimate, refusal
from conftest import GALLERY, ROOT, STARTER, problem_lines

WORKSHOP = ROOT / "scenarios" / "workshop_intro.yaml"
CLI = [sys.executable, "-m", "channelsim.cli"]
pytestmark = pytest.mark.usefixtures("deadline")  # conftest: no test here may hang


def run(*args: Any, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def refused(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    """Exit 2, one line that says `fragment`, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert fragment in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# -- numbers: every one bounded, the bounds where the model needs them ---------------------


def _numbers(annotation: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The number types inside an annotation (through lists, mappings, pairs, unions), with limits."""
    base, metadata = reference_doc._unwrap(annotation)
    limits = reference_doc._limits(metadata)
    if base in (int, float):
        yield base, limits
    for arg in get_args(base):
        if arg is not type(None) and arg is not Ellipsis:
            for inner, more in _numbers(arg):
                yield inner, {**limits, **more}


def test_every_number_of_every_section_has_a_finite_range() -> None:
    unbounded = []
    for section in reference_doc.sections():
        for name, info in section.model.model_fields.items():
            for _, limits in _numbers(info.annotation):
                merged = {**reference_doc._limits(info.metadata), **limits}
                if not ({"le", "lt"} & set(merged) and {"ge", "gt"} & set(merged)):
                    unbounded.append(f"{section.model.__name__}.{name}")
    assert not unbounded, f"numbers without a lower and an upper bound: {unbounded}"


HUGE = [  # (text to replace in the workshop scenario, the same with 1.0e+308, the problem's path)
    ("fixed_cost_per_week: 800", "fixed_cost_per_week: 1.0e+308", "channels[0].fixed_cost_per_week"),
    ("order_value: 55 ", "order_value: 1.0e+308 ", "segments[0].order_value"),
    ("shape: 1.0}", "shape: 1.0e+308}", "sources[0].response.shape"),
    ("spend_per_week: 1500 ", "spend_per_week: 1.0e+308 ", "sources[0].spend_per_week"),
    ("loyalty: 0.5 ", "loyalty: 1.0e+308 ", "segments[0].loyalty"),
    ("price_index: 0.97", "price_index: 1.0e+308", "channels[1].price_index"),
]


@pytest.mark.parametrize(("old", "new", "path"), HUGE, ids=[h[2] for h in HUGE])
def test_a_huge_number_is_refused_at_its_line(tmp_path: Path, old: str, new: str, path: str) -> None:
    text = WORKSHOP.read_text("utf-8")
    assert old in text
    (tmp_path / "s.yaml").write_text(text.replace(old, new, 1), "utf-8")
    result = run("simulate", "s.yaml", "--replications", "1", "--out", "out", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    [problem] = problem_lines(result.stderr)
    assert problem["path"] == path and "must be <=" in problem["message"], result.stderr
    assert not (tmp_path / "out").exists()


AT_THE_TOP = {  # each number at the top of its range: the model still runs (no overflow)
    "segments.consumers.order_value": 1e9,
    "segments.consumers.price_sensitivity": 50.0,
    "segments.consumers.loyalty": 50.0,
    "segments.consumers.purchases_per_week": 100.0,
    "channels.webshop.price_index": 10.0,
    "channels.webshop.fixed_cost_per_week": 1e9,
    "sources.search_ads.response.shape": 20.0,
    "sources.search_ads.response.half_saturation": 1e9,
    "sources.search_ads.spend_per_week": 1e9,
    "partners.dist_north.effort": 1e9,
}


@pytest.mark.parametrize("path", AT_THE_TOP)
def test_the_model_runs_with_a_number_at_the_top_of_its_range(path: str) -> None:
    value = AT_THE_TOP[path]
    overrides = {path: value, "horizon_weeks": 2}
    if path.endswith("spend_per_week"):
        overrides["sources.search_ads.max_spend_per_week"] = value
    sc = cs.load(STARTER).with_overrides(overrides)
    result = cs.simulate(sc, replications=1, seed=1)
    assert all(v is not None for v in result.figure("totals", "profit")["ci95"])
    with contextlib.suppress(ChannelsimError):  # an infeasible plan is an answer, not a crash
        cs.optimize(sc, time_limit=5)


def test_a_plan_spend_of_1e309_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text('{"sources": {"search_ads": {"spend_per_week": 1e309}}}')
    refused(run("simulate", STARTER, "--plan", "plan.json", "--out", "o", cwd=tmp_path), "too large a number")
    (tmp_path / "plan.json").write_text('{"sources": {"search_ads": {"spend_per_week": 1e300}}}')
    refused(
        run("simulate", STARTER, "--plan", "plan.json", "--out", "o", cwd=tmp_path), "from 0 to 1000000000"
    )


def test_1e3_gets_a_hint_that_yaml_reads_it_as_text(tmp_path: Path) -> None:
    text = WORKSHOP.read_text("utf-8").replace("spend_per_week: 1500 ", "spend_per_week: 1e3 ", 1)
    (tmp_path / "s.yaml").write_text(text.replace("population: 18000", "population: 2e4", 1), "utf-8")
    result = run("validate", "s.yaml", cwd=tmp_path)
    messages = {p["path"]: p["message"] for p in problem_lines(result.stderr)}
    assert "YAML reads 1e3 as text: write 1000 or 1.0e3" in messages["sources[0].spend_per_week"]
    assert "YAML reads 2e4 as text: write 20000" in messages["segments[0].population"]


def test_bidi_and_zero_width_characters_are_escaped_in_error_lines() -> None:
    line = str(Problem("f.yaml", 1, 2, ("a",), "unknown channel 'web\u202eshop\u200b\ufeff'"))
    assert "\\u202e" in line and "\\u200b" in line and "\\ufeff" in line
    assert not any(ch in line for ch in "\u202e\u200b\ufeff")


# -- files that are not scenario files ------------------------------------------------------


def test_validate_refuses_a_device_and_a_fifo_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    started = time.monotonic()
    result = run("validate", "/dev/zero", "pipe.yaml", cwd=tmp_path, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("is not a regular file") == 2, result.stderr


def test_a_file_over_the_limit_is_too_large_before_parsing(tmp_path: Path) -> None:
    from channelsim.userfiles import MAX_INPUT_BYTES

    with open(tmp_path / "big.yaml", "wb") as out:
        out.write(b"name: x\n")
        out.truncate(MAX_INPUT_BYTES + 1)
    refused(run("validate", "big.yaml", cwd=tmp_path), "file too large")


def test_a_file_of_many_values_is_too_large_not_an_alias_bomb(tmp_path: Path) -> None:
    (tmp_path / "many.yaml").write_text("name: x\nl:\n" + "- 1\n" * 250_000)
    started = time.monotonic()
    result = run("validate", "many.yaml", cwd=tmp_path)
    refused(result, "file too large: more than 200000 values")
    assert "alias bomb" not in result.stderr
    assert time.monotonic() - started < 60


def test_extends_with_a_nul_character_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text('extends: "base\\0.yaml"\nname: x\n')
    result = run("validate", "s.yaml", cwd=tmp_path)
    refused(result, "contains a NUL character")
    assert problem_lines(result.stderr)[0]["path"] == "extends"


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: p.mkdir(), "is a folder, not a file"),
        (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nested too deeply"),
        (lambda p: p.write_text('{"sources": {"search_ads": {"spend_per_week": Infinity}}}'), "Infinity"),
    ],
    ids=["folder", "deep", "infinity"],
)
def test_a_plan_that_is_not_a_plan_file(tmp_path: Path, make: Any, fragment: str) -> None:
    make(tmp_path / "plan.json")
    refused(run("simulate", STARTER, "--plan", "plan.json", "--out", "o", cwd=tmp_path), fragment)


# -- the command line: flags and output folders, checked before the work --------------------


@pytest.mark.parametrize("verb", ["simulate", "compare", "sweep"])
def test_a_negative_seed_is_refused(verb: str, tmp_path: Path) -> None:
    extra = ["--set", "channels.marketplace.price_index=0.9,1.0"] if verb == "sweep" else []
    refused(run(verb, WORKSHOP, "--seed", "-1", *extra, "--out", tmp_path / "o"), "--seed: must be between 0")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A read-only folder: a read-only bind mount as root (root ignores permissions), else mode 0555."""
    source, folder = tmp_path / "source", tmp_path / "ro"
    source.mkdir()
    folder.mkdir()
    (source / "res").mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "--bind", source, folder], capture_output=True).returncode == 0 and (
        subprocess.run(["mount", "-o", "remount,ro,bind", folder], capture_output=True).returncode == 0
    )
    if not mounted:
        subprocess.run(["umount", folder], capture_output=True)
        pytest.skip("cannot make a read-only folder here (root without mount)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", folder], capture_output=True)


@pytest.mark.parametrize(
    ("out", "fragment"),
    [("afile", "is a file, not a folder"), ("afile/sub", "is a file, so no folder can be made inside it")],
)
def test_an_out_that_is_or_is_inside_a_file_is_refused_before_the_run(
    tmp_path: Path, out: str, fragment: str
) -> None:
    (tmp_path / "afile").write_text("x")
    started = time.monotonic()
    result = run("compare", WORKSHOP, "--replications", "10", "--out", out, cwd=tmp_path)
    refused(result, fragment)
    assert time.monotonic() - started < 8  # the ten-replication comparison never ran


def test_read_only_places_are_refused_before_the_work(read_only: Path, tmp_path: Path) -> None:
    for verb in ("simulate", "compare", "optimize"):
        started = time.monotonic()
        refused(run(verb, WORKSHOP, "--out", read_only / "out"), "cannot write there")
        assert time.monotonic() - started < 8, verb
    refused(run("new", read_only / "my.yaml"), "cannot write it")


def test_report_on_a_read_only_results_folder(read_only: Path, tmp_path: Path) -> None:
    out = tmp_path / "source" / "res"  # shown read-only at read_only/res
    assert main(["simulate", str(STARTER), "--weeks", "2", "--replications", "1", "--no-report",
                 "--out", str(tmp_path / "res")]) == 0  # fmt: skip
    for name in ("summary.json", "kpis.csv", "manifest.json"):
        (out / name).write_bytes((tmp_path / "res" / name).read_bytes())
    refused(run("report", read_only / "res"), "cannot write there")


# -- sizes ----------------------------------------------------------------------------------


def test_a_run_of_hours_is_refused_with_its_estimate_unless_yes(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run("simulate", WORKSHOP, "--replications", "10000", "--out", tmp_path / "o")
    work = estimate(cs.load(WORKSHOP), 10_000)  # the estimate the message must quote
    billions = f"about {work.customer_weeks / 1e9:.2f} billion customer-weeks"
    refused(result, f"{billions} (30,000 customers × 26 weeks × 10,000 replication(s)")
    assert "add --yes" in result.stderr and time.monotonic() - started < 10
    assert work.customer_weeks > MAX_CUSTOMER_WEEKS
    assert refusal(work, 1, yes=True) is None


def test_the_gallery_runs_without_yes() -> None:
    for path in GALLERY:
        assert refusal(estimate(cs.load(path)), 2, yes=False) is None, path


def test_a_market_that_cannot_fit_in_memory_is_refused_even_with_yes(tmp_path: Path) -> None:
    text = STARTER.read_text("utf-8")
    big = text.replace("population: 50000 ", "population: 1000000000 ").replace(
        "initial_customers: 500 ", "initial_customers: 900000000 "
    )
    assert big != text
    (tmp_path / "big.yaml").write_text(big, "utf-8")
    refused(
        run("simulate", "big.yaml", "--yes", "--out", "o", cwd=tmp_path), "customers at week 0 need about"
    )


def test_optimize_refuses_a_plan_of_a_thousand_sources_unless_yes(tmp_path: Path) -> None:
    text = WORKSHOP.read_text("utf-8")
    start, end = text.index("sources:"), text.index("# --- Where orders happen")
    many = "".join(
        f"  - {{id: s{k}, spend_per_week: 1, response: {{curve: linear, leads_per_unit_spend: 0.1}}}}\n"
        for k in range(1000)
    )
    body = text[:start] + "sources:\n" + many + "\n" + text[end:]
    body = body.replace("min_active_sources: 2", "min_active_sources: 0").replace(
        "    set: {sources.search_ads.spend_per_week: 3000}\n", "    set: {}\n"
    )
    (tmp_path / "many.yaml").write_text(body, "utf-8")
    started = time.monotonic()
    refused(run("optimize", "many.yaml", "--out", "o", cwd=tmp_path), "a plan of 1,000 spends (1,000 sources")
    assert time.monotonic() - started < 20


def test_jobs_above_the_cores_are_capped(tmp_path: Path, capsys) -> None:
    from channelsim.runner import cores

    args = ["simulate", str(STARTER), "--weeks", "2", "--replications", "2", "--no-report"]
    assert main([*args, "--jobs", "200", "--out", str(tmp_path / "o")]) == 0
    assert f"--jobs 200: this computer has {cores()} core(s); using {cores()}" in capsys.readouterr().err


def test_a_sweep_checks_its_size_from_the_axes_before_building_the_grid(tmp_path: Path) -> None:
    values = ",".join(f"{0.5 + i / 10000:.4f}" for i in range(1000))
    spends = ",".join(str(100 + i) for i in range(1000))
    axes = ["--set", f"channels.marketplace.price_index={values}", "--set", f"sources.search_ads.spend_per_week={spends}",
            "--set", "sources.social_media.spend_per_week=" + ",".join(str(i) for i in range(100))]  # fmt: skip
    started = time.monotonic()
    refused(run("sweep", WORKSHOP, *axes, "--out", tmp_path / "o"), "the grid has 100,000,000 points")
    assert time.monotonic() - started < 15


def test_a_variant_that_sets_its_own_keys_and_a_list_as_an_id_are_answered(tmp_path: Path) -> None:
    """Two cases the loader's property test found: a variant's `set` rewriting that `set`, and a
    segment id that is a list (it broke a default before validation said what was wrong)."""
    import yaml

    data = yaml.safe_load(STARTER.read_text("utf-8"))
    data["variants"]["v1"] = {"set": {"variants.v1.set.x": None}}
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(data), "utf-8")
    sc = cs.load(tmp_path / "a.yaml")
    assert isinstance(sc.variant("v1"), cs.Scenario)
    data = yaml.safe_load(STARTER.read_text("utf-8"))
    data["segments"][0]["id"] = []
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(data), "utf-8")
    with pytest.raises(cs.ScenarioError, match=r"segments\[0\]\.id: must be text"):
        cs.load(tmp_path / "b.yaml")
