"""Shared fixtures: paths to the gallery and to small scenarios written for one test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = sorted((ROOT / "scenarios").glob("*.yaml"))
STARTER = ROOT / "src" / "channelsim" / "templates" / "starter.yaml"


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
