"""What the README, pyproject.toml and the Makefile promise (issue 15, the low items): the files
that are byte-identical across --jobs, the Python example that runs as a script, quiet
solvers, PuLP 3 and 4 by environment markers, an SPDX license, a quiet browser install."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest

import channelsim as cs
from channelsim.cli import main
from conftest import ROOT, STARTER

README = (ROOT / "README.md").read_text("utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def test_the_readme_names_the_files_that_are_byte_identical_across_jobs(tmp_path: Path, monkeypatch) -> None:
    named = re.search(r"`--out` ⇒ (.+?) are byte-identical whatever `--jobs`", README, re.S)
    assert named, "the README says which files are byte-identical"
    assert "`manifest.json` differs only in `command`, `wall_seconds` and `created`" in README
    args = ["simulate", str(STARTER), "--weeks", "3", "--replications", "2", "--out"]
    monkeypatch.chdir(tmp_path)
    for jobs in ("1", "2"):  # the same --out for both (a report's title names its folder)
        assert main([*args, "out", "--jobs", jobs]) == 0
        (tmp_path / "out").rename(tmp_path / f"out{jobs}")
    one, two = tmp_path / "out1", tmp_path / "out2"
    for path in one.iterdir():
        if path.name != "manifest.json":
            assert path.read_bytes() == (two / path.name).read_bytes(), path.name
    a, b = (json.loads((d / "manifest.json").read_text()) for d in (one, two))
    assert {k for k in a if a[k] != b[k]} <= {"command", "wall_seconds", "created"}


def test_the_readme_python_example_runs_as_a_script(tmp_path: Path) -> None:
    example = re.search(
        r"```python\n(import channelsim as cs\n\nif __name__ == \"__main__\":.+?)```", README, re.S
    )
    assert example, "the jobs=2 example has its __main__ guard"
    code = example[1].replace("replications=10", "replications=2")
    code = code.replace(
        'sc.variant("rich_rebate")', 'sc.variant("rich_rebate").with_overrides({"horizon_weeks": 4})'
    )
    (tmp_path / "example.py").write_text(code, "utf-8")
    done = subprocess.run([sys.executable, tmp_path / "example.py"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "'ci95'" in done.stdout


def test_the_solvers_raise_no_deprecation_and_highs_prints_nothing_on_stdout(tmp_path: Path) -> None:
    sc = cs.load(STARTER)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for solver in ("cbc", "highs"):
            assert cs.optimize(sc, solver=solver, time_limit=10).status == "optimal"
    done = subprocess.run(
        [sys.executable, "-m", "channelsim.cli", "optimize", str(STARTER), "--solver", "highs", "--out", "o"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "HiGHS" not in done.stdout.replace("highs optimal", "") and "Copyright" not in done.stdout


def test_pyproject_picks_pulp_3_or_4_by_python_and_has_an_spdx_license() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    pulps = [d for d in project["dependencies"] if d.lower().startswith("pulp")]
    assert pulps == [
        "pulp>=3.3.1,<4; python_version < '3.12'",
        "pulp[cbc]>=4.2,<5; python_version >= '3.12'",
    ]
    assert any(r.startswith("setuptools>=77") for r in PYPROJECT["build-system"]["requires"])


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_browser_says_in_one_line_what_it_installs_and_why(tmp_path: Path) -> None:
    log = tmp_path / "apt.log"
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "browser", "CHROMIUM=/nonexistent", f"APT_LOG={log}",
         "APT_INSTALL=for i in 1 2 3; do echo apt line $$i; done"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    if "needs root" in done.stdout:
        pytest.skip("not root and no sudo: nothing is installed")
    assert len(lines) == 1 and "chromium" in lines[0] and "tests/test_app_browser.py" in lines[0], done.stdout
    assert log.read_text().count("apt line") == 3
