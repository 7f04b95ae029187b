"""Progress of a run: plain lines on stderr when piped, a live bar on a terminal, weeks inside a
replication; never on stdout, never in the output files, silent with --quiet."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import channelsim as cs
from channelsim import progress as progress_module
from channelsim.progress import RunProgress
from channelsim.runner import Execution
from conftest import ROOT, run_cli

WORKBENCH = ROOT / "tests" / "data" / "workbench.yaml"  # 8 weeks, ~0.05 s a replication
LINE = re.compile(r"^simulating: (\d+)/(\d+) replications \(\d+\.\d s\)$")
pytestmark = pytest.mark.usefixtures("deadline")  # conftest: no test here may hang


def told(stderr: str) -> list[tuple[str, str]]:
    """(done, total) of each line on stderr; every line but a planner's warning must be a replication line."""
    matches = [LINE.match(line) for line in progress_lines(stderr)]
    assert all(matches), stderr
    return [m.groups() for m in matches if m]


def progress_lines(stderr: str) -> list[str]:
    """stderr without the warnings a run ends with (they are not progress, and --quiet keeps them)."""
    return [line for line in stderr.splitlines() if not line.startswith("warning: ")]


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_piped_run_prints_a_line_per_replication_on_stderr_and_changes_nothing_else(tmp_path: Path) -> None:
    args = ["simulate", WORKBENCH, "--replications", "3", "--no-report"]
    said = run_cli(*args, "--out", tmp_path / "told")
    quiet = run_cli(*args, "--quiet", "--out", tmp_path / "quiet")
    assert said.returncode == quiet.returncode == 0, said.stderr + quiet.stderr
    assert told(said.stderr) == [("1", "3"), ("2", "3"), ("3", "3")]
    assert progress_lines(quiet.stderr) == []
    assert said.stdout.splitlines()[:-1] == quiet.stdout.splitlines()[:-1]  # all but the "wrote" line
    assert "replications" not in said.stdout
    for name in ("summary.json", "kpis.csv"):
        assert (tmp_path / "told" / name).read_bytes() == (tmp_path / "quiet" / name).read_bytes(), name


def test_a_pool_tells_the_replications_in_order(tmp_path: Path) -> None:
    said = run_cli(
        "simulate", WORKBENCH, "--replications", "4", "--jobs", "2", "--no-report", "--out", tmp_path / "o"
    )
    assert said.returncode == 0, said.stderr
    assert told(said.stderr) == [(str(done), "4") for done in range(1, 5)]


def test_many_replications_are_told_every_tenth() -> None:
    stream = io.StringIO()
    with RunProgress("simulating", stream, live=False) as progress:
        for done in range(26):
            progress(done, 25)
    assert [done for done, _ in told(stream.getvalue())] == [
        "3",
        "5",
        "8",
        "10",
        "13",
        "15",
        "18",
        "20",
        "23",
        "25",
    ]


def test_a_long_replication_piped_tells_its_weeks(monkeypatch) -> None:
    monkeypatch.setattr(progress_module, "PIPED_WEEK_SECONDS", 0.0)  # as if every week took 30 s
    stream = io.StringIO()
    with RunProgress("simulating", stream, live=False) as progress:
        seen = cs.simulate(cs.load(WORKBENCH), replications=2, seed=9, progress=progress)
    lines = stream.getvalue().splitlines()
    weeks = [f"simulating: replication {r}/2: week {w}/8" for r in (1, 2) for w in range(1, 8)]
    assert [line.rsplit(" (", 1)[0] for line in lines if "week" in line] == weeks
    assert [line for line in lines if LINE.match(line)][-1].startswith("simulating: 2/2 replications")
    plain = cs.simulate(cs.load(WORKBENCH), replications=2, seed=9)
    assert seen.summary == plain.summary and seen.kpis.equals(plain.kpis)  # told or not, the same run


def test_the_weeks_are_told_from_inside_the_replication_and_change_nothing() -> None:
    from channelsim.sim.engine import run_replication
    from channelsim.sim.policy import Policy
    from channelsim.sim.streams import replication_seeds

    sc = cs.load(WORKBENCH)
    (seed,) = replication_seeds(3, 1)
    weeks: list[tuple[int, int]] = []
    seen = run_replication(
        sc, Policy.baseline(sc), seed, on_week=lambda done, total: weeks.append((done, total))
    )
    assert weeks == [(w, 8) for w in range(1, 9)]
    plain = run_replication(sc, Policy.baseline(sc), seed)
    assert seen.events == plain.events
    for level, table in plain.tables.items():
        for metric, values in table.items():
            assert (seen.tables[level][metric] == values).all(), (level, metric)


def test_a_terminal_gets_a_live_bar_with_the_weeks(monkeypatch, capsys) -> None:
    monkeypatch.setattr(progress_module, "REDRAW_SECONDS", 0.0)
    monkeypatch.delenv("CI", raising=False)
    stream = Terminal()
    with RunProgress("simulating", stream) as progress:
        assert progress.live
        cs.simulate(cs.load(WORKBENCH), replications=3, seed=9, progress=progress)
    drawn = stream.getvalue()
    assert "\r" in drawn and "simulating: 100%" in drawn and "3/3" in drawn and "week 8/8" in drawn
    assert drawn.endswith("\n") and capsys.readouterr().out == ""


def test_ci_is_never_a_terminal(monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert not RunProgress("simulating", Terminal()).live


def test_the_command_on_a_pseudo_terminal_draws_a_bar_on_stderr_only(tmp_path: Path) -> None:
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()  # a terminal of 0 × 0: the bar falls back to 80 columns
    chunks: list[bytes] = []

    def read() -> None:  # as a terminal does, while the command runs (it never blocks on a full buffer)
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end closed: all was read
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    args = ["simulate", str(WORKBENCH), "--replications", "3", "--no-report", "--out", str(tmp_path / "o")]
    with subprocess.Popen([sys.executable, "-m", "channelsim.cli", *args], stdout=subprocess.PIPE,
                          stderr=follower, env=env, text=True) as proc:  # fmt: skip
        os.close(follower)
        out, _ = proc.communicate(timeout=60)
    reader.join(timeout=10)
    os.close(leader)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0 and "simulating: 100%" in text and "3/3" in text, text
    assert "replications (" not in text  # no piped lines on a terminal
    assert "simulating" not in out and out.startswith("Workbench test: 3 replication(s)")


@pytest.mark.parametrize("verb", ["simulate", "compare", "sweep", "optimize"])
def test_every_run_verb_has_the_run_flags(verb: str, capsys) -> None:
    from channelsim.cli import main

    with pytest.raises(SystemExit):
        main([verb, "--help"])
    shown = capsys.readouterr().out
    for flag in ("--jobs", "--executor", "--scheduler", "--quiet"):
        assert flag in shown, (verb, flag)


def test_quiet_compare_prints_no_progress(tmp_path: Path, capsys) -> None:
    from channelsim.cli import main

    args = ["compare", str(WORKBENCH), "--variants", "more_search", "--replications", "2", "--no-report"]
    assert main([*args, "--quiet", "--out", str(tmp_path / "q")]) == 0
    assert progress_lines(capsys.readouterr().err) == []
    assert main([*args, "--out", str(tmp_path / "t")]) == 0
    assert progress_lines(capsys.readouterr().err)[-1].startswith("comparing: 4/4 replications")


def test_progress_through_a_pool_sees_no_weeks() -> None:
    weeks: list[int] = []

    class Watch(RunProgress):
        def week(self, done: int, total: int) -> None:
            weeks.append(done)

    with Watch("simulating", io.StringIO(), live=False) as progress:
        cs.simulate(
            cs.load(WORKBENCH), replications=2, seed=9, progress=progress, execution=Execution("local", 2)
        )
    assert weeks == []  # the replications ran in worker processes: only their ends are told
