"""A run's output files are one set: a killed or failed run never leaves files of two runs mixed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from channelsim.cli import main
from channelsim.results_io import output_set
from conftest import ROOT, STARTER

WORKSHOP = ROOT / "scenarios" / "workshop_intro.yaml"
SMALL = ["--replications", "2", "--weeks", "4"]
OLD_RUN = ["simulate", str(STARTER), *SMALL, "--seed", "1", "--no-report"]
NEW_RUN = ["simulate", str(STARTER), "--replications", "3", "--weeks", "4", "--seed", "22", "--no-report"]
VOLATILE = ("command", "created", "wall_seconds")  # differ between two runs of the same command

# Runs the CLI and kills itself with SIGKILL just before the KILL_AT-th file operation on the
# folder WATCH (a temporary renamed into place, a folder renamed, a folder removed): as a power
# cut or `kill -9` at that moment would. Prints how many operations there were when not killed.
KILLER = r"""
import os, shutil, signal, sys
watch, kill_at = sys.argv[1], int(sys.argv[2])
steps = 0
def hooked(real):
    def call(*args, **kwargs):
        global steps
        if any(isinstance(a, str) and a.startswith(watch) for a in args):
            steps += 1
            if steps == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return call
os.replace, os.rename, shutil.rmtree = hooked(os.replace), hooked(os.rename), hooked(shutil.rmtree)
from channelsim.cli import main
code = main(sys.argv[3:])
print(f"steps={steps}")
sys.exit(code)
"""


def _killed_run(parent: Path, kill_at: int, argv: list[str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", KILLER, os.path.realpath(parent), str(kill_at), *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _fingerprint(folder: Path) -> dict[str, Any] | None:
    """What identifies a run's set: its names, result bytes and manifest (without wall times)."""
    if not folder.exists():
        return None
    manifest, nested = json.loads((folder / "manifest.json").read_text()), folder / "plan" / "plan.json"
    return {
        "names": sorted(os.listdir(folder)),
        "summary": (folder / "summary.json").read_bytes(),
        "kpis": (folder / "kpis.csv").read_bytes(),
        "manifest": {k: v for k, v in manifest.items() if k not in VOLATILE},
        "nested": nested.read_bytes() if nested.exists() else None,  # another run's output in this one
    }


def _leftovers(parent: Path) -> list[str]:
    """Anything a run left that is not the results folder: staging, old sets, temporaries."""
    found = [p.name for p in parent.iterdir() if p.name != "out"]
    return found + [str(p) for p in parent.rglob(".tmp-*")]


@pytest.fixture(scope="module")
def old_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good results folder with another run's output (`make demo`'s plan/) nested inside."""
    out = tmp_path_factory.mktemp("template") / "out"
    assert main([*OLD_RUN, "--out", str(out)]) == 0
    (out / "plan").mkdir()
    (out / "plan" / "plan.json").write_text('{"nested": "kept"}\n')
    return out


def test_a_run_killed_at_any_step_leaves_the_old_set_or_the_new_one(old_set: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(old_set, reference / "out")
    done = _killed_run(reference, 0, [*NEW_RUN, "--out", str(reference / "out")])
    assert done.returncode == 0, done.stderr
    steps = int(done.stdout.rsplit("steps=", 1)[1])
    old, new = _fingerprint(old_set), _fingerprint(reference / "out")
    assert old is not None and new is not None and old["summary"] != new["summary"]
    seen = set()
    for kill_at in range(1, steps + 1):
        parent = tmp_path / f"kill{kill_at}"
        shutil.copytree(old_set, parent / "out")
        killed = _killed_run(parent, kill_at, [*NEW_RUN, "--out", str(parent / "out")])
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)
        seen.add(_which(_fingerprint(parent / "out"), old, new))
        # the next run on the folder tidies up first; even when it fails, one complete set is there
        with pytest.raises(RuntimeError), output_set(parent / "out"):
            raise RuntimeError("a run that fails")
        assert _fingerprint(parent / "out") in (old, new), kill_at
        assert _leftovers(parent) == [], kill_at
        assert main([*NEW_RUN, "--out", str(parent / "out")]) == 0
        assert _fingerprint(parent / "out") == new and _leftovers(parent) == [], kill_at
    # killed before the swap, between its two renames (the next run puts the old set back), after
    # it but before the nested folder came over from the old one (the next run moves it), after all
    assert seen == {"old", "none", "new without nested", "new"}


def _which(state: dict[str, Any] | None, old: dict[str, Any], new: dict[str, Any]) -> str:
    """Which complete set a folder holds right after a kill; never a mix of the two runs."""
    if state is None:
        return "none"
    if state in (old, new):
        return "old" if state == old else "new"
    moved = {k: v for k, v in new.items() if k != "nested"} | {"nested": None}
    moved["names"] = [n for n in new["names"] if n != "plan"]
    assert state == moved, "a mixed set"
    return "new without nested"


def _raise_on_second_write(monkeypatch: pytest.MonkeyPatch, parent: Path) -> None:
    real, calls = os.replace, []

    def replace(source: str, target: str) -> None:
        if str(target).startswith(os.path.realpath(parent)):
            calls.append(target)
            if len(calls) == 2:
                raise OSError("disk full (injected)")
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)


RUNS: dict[str, Callable[[int], list[str]]] = {
    "simulate": lambda seed: [*OLD_RUN[:-3], "--seed", str(seed), "--no-report"],
    "compare": lambda seed: ["compare", str(WORKSHOP), *SMALL, "--seed", str(seed), "--no-report",
                             "--variants", "marketplace_discount"],
    "sweep": lambda seed: ["sweep", str(WORKSHOP), *SMALL, "--seed", str(seed), "--no-report",
                           "--set", "channels.marketplace.price_index=0.9,1.0"],
    "optimize": lambda seed: ["optimize", str(WORKSHOP), "--objective", "profit" if seed == 1 else "revenue"],
}  # fmt: skip


@pytest.mark.parametrize("command", [*RUNS, "report"])
def test_a_run_that_fails_while_writing_leaves_the_old_set_untouched(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    first = RUNS.get(command, RUNS["simulate"])
    assert main([*first(1), "--out", str(out)]) == 0
    if command == "report":
        assert main(["report", str(out)]) == 0
    # mark the old files: a file the failed run replaced would lose its mark
    marked = [p for p in out.iterdir() if command != "report" or p.suffix in (".png", ".html")]
    assert marked
    for path in marked:
        path.write_bytes(b"old " + path.name.encode())
    _raise_on_second_write(monkeypatch, tmp_path)
    again = ["report", str(out)] if command == "report" else [*first(22), "--out", str(out)]
    with pytest.raises(OSError, match="injected"):
        main(again)
    assert all(p.read_bytes() == b"old " + p.name.encode() for p in marked)
    assert _leftovers(tmp_path) == []


def test_a_run_replaces_the_old_results_and_keeps_what_else_is_there(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "compare.json").write_text("{}")  # another command's result: not part of the new run
    (out / ".tmp-summary.json123").write_text("half")  # a temporary left by a killed writer
    (out / "plan").mkdir()  # a nested run's folder (make demo: runs/demo/plan)
    (out / "plan" / "plan.json").write_text("{}")
    (out / ".gitignore").write_text("*\n")
    assert main([*OLD_RUN, "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == [
        ".gitignore",
        "findings.json",
        "kpis.csv",
        "manifest.json",
        "plan",
        "summary.json",
    ]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((out / "summary.json").stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask  # not mkdtemp's 0700
    assert _leftovers(tmp_path) == []


def test_report_rebuilds_the_page_and_keeps_the_results(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main([*OLD_RUN, "--out", str(out)]) == 0
    summary = (out / "summary.json").read_bytes()
    assert main(["report", str(out)]) == 0
    assert (out / "summary.json").read_bytes() == summary and (out / "report.html").exists()
    assert _leftovers(tmp_path) == []


def test_a_folder_that_is_not_for_results_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "README.md").write_text("mine")
    assert main([*OLD_RUN, "--out", str(tmp_path)]) == 2
    assert "README.md" in capsys.readouterr().err and (tmp_path / "README.md").read_text() == "mine"
    assert sorted(os.listdir(tmp_path)) == ["README.md"]
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # swapping the current folder away would strand the shell in it
    assert main([*OLD_RUN, "--out", "."]) == 2
    assert "current folder" in capsys.readouterr().err and os.listdir(work) == []
