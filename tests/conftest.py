"""Shared fixtures: paths to the gallery and to small scenarios written for one test."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = sorted((ROOT / "scenarios").glob("*.yaml"))
STARTER = ROOT / "src" / "channelsim" / "templates" / "starter.yaml"
INVALID = ROOT / "tests" / "data" / "invalid"

# One problem as a user sees it: `FILE:LINE:COL: PATH: what is wrong (got VALUE)`, where PATH
# is `(top level)` or keys and indexes as `channels[2].price_index` / `set["a.b"]`.
_NAME, _INDEX, _QUOTED = r"[^\W\d]\w*", r"\[\d+\]", r'\["(?:[^"\\]|\\.)*"\]'
_PATH = rf"\(top level\)|(?:{_NAME}|{_INDEX}|{_QUOTED})(?:\.{_NAME}|{_INDEX}|{_QUOTED})*"
PROBLEM_LINE = re.compile(
    rf"^(?P<file>.+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?P<path>{_PATH}): (?P<message>\S.*)$"
)


def problem_lines(text: str) -> list[re.Match[str]]:
    """Parse error output into one match per problem; fail on any line not in the format."""
    lines = text.rstrip("\n").split("\n")
    bad = [line for line in lines if not PROBLEM_LINE.match(line)]
    assert lines and not bad, f"lines not in the FILE:LINE:COL: PATH: message format: {bad!r}"
    return [m for m in map(PROBLEM_LINE.match, lines) if m]


@pytest.fixture
def starter_text() -> str:
    """The starter scenario, a small valid scenario that uses most sections."""
    return STARTER.read_text("utf-8")


@pytest.fixture
def write(tmp_path: Path):
    """Write a scenario text to a file in a temporary folder and return its path."""

    def _write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the channelsim command in a subprocess (as a user would) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "channelsim.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


@pytest.fixture
def deadline() -> Iterator[None]:
    """A test that must not hang: stopped after two minutes (`pytestmark = usefixtures("deadline")`)."""

    def stop(signum: int, frame: Any) -> None:
        raise TimeoutError("the test ran past its two minutes (a hang?)")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(120)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- the workshop app ----------------------------------------------------------------------
@pytest.fixture()
def scenario_copy(tmp_path: Path) -> Path:
    """The workshop scenario in a scratch folder, so saved variants land there."""
    target = tmp_path / "workshop_intro.yaml"
    shutil.copy(ROOT / "scenarios" / "workshop_intro.yaml", target)
    return target


@pytest.fixture()
def server(scenario_copy: Path) -> Iterator[str]:
    """The app on that copy, on 127.0.0.1: its URL."""
    from app_client import serving  # the app only for the tests that ask for it

    with serving(scenario_copy) as app:
        yield app.url
