"""Bad input, as a user meets it on the command line: exit code 2, no traceback, and every
problem on its own line as `FILE:LINE:COL: PATH: what is wrong (got VALUE)` (SPEC §2, §5).

Each file in tests/data/invalid/ is one kind of broken scenario. Its leading comment lines
say what it must produce, one per problem:

    # expect: LINE:COL: PATH: message fragment
    # expect: bases/other.yaml:LINE:COL: PATH: message fragment   (a problem in another file)

Files under tests/data/invalid/bases/ are helpers (the targets of `extends`), not cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import INVALID, problem_lines, run_cli

EXPECT = re.compile(
    r"^# expect: (?:(?P<file>[^:\s]+):)?(?P<line>\d+):(?P<col>\d+): (?P<path>\(top level\)|\S+?): (?P<fragment>.+)$"
)
CASES = sorted(INVALID.glob("*.yaml"))


@dataclass(frozen=True)
class Expected:
    file: str
    line: int
    col: int
    path: str
    fragment: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.path}: ...{self.fragment}..."


def expectations(case: Path) -> list[Expected]:
    """The `# expect:` lines at the top of a case file (relative file names, as run from INVALID)."""
    found = []
    for line in case.read_text("utf-8").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# expect:"):
            match = EXPECT.match(line)
            assert match, f"{case.name}: malformed expectation {line!r}"
            file = match["file"] or case.name
            found.append(
                Expected(file, int(match["line"]), int(match["col"]), match["path"], match["fragment"])
            )
    return found


def assert_bad_input(result, expected: list[Expected]) -> None:
    """Exit 2, no traceback, nothing on stdout, every line well formed, every expectation met."""
    assert result.returncode == 2, f"exit {result.returncode}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    problems = problem_lines(result.stderr)
    for want in expected:
        hits = [
            p
            for p in problems
            if (p["file"], int(p["line"]), int(p["col"]), p["path"])
            == (want.file, want.line, want.col, want.path)
            and want.fragment in p["message"]
        ]
        assert hits, f"expected {want}\ngot:\n{result.stderr}"


def test_there_are_enough_distinct_cases():
    assert len(CASES) >= 20
    for case in CASES:
        assert expectations(case), f"{case.name} has no `# expect:` line"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_validate_reports_every_expected_problem(case: Path):
    result = run_cli("validate", case.name, cwd=INVALID)
    assert_bad_input(result, expectations(case))


def test_multiple_problems_are_all_reported_once_each_in_file_order():
    result = run_cli("validate", "multiple_problems.yaml", cwd=INVALID)
    problems = problem_lines(result.stderr)
    assert len(problems) == len(expectations(INVALID / "multiple_problems.yaml"))
    positions = [(int(p["line"]), int(p["col"])) for p in problems]
    assert positions == sorted(positions)


def test_validate_reports_every_bad_file_and_still_summarises_good_ones(tmp_path: Path, starter_text: str):
    good = tmp_path / "good.yaml"
    good.write_text(starter_text, encoding="utf-8")
    result = run_cli("validate", INVALID / "horizon_zero.yaml", good, INVALID / "wrong_type.yaml")
    assert result.returncode == 2
    assert "good.yaml: OK" in result.stdout
    files = {Path(p["file"]).name for p in problem_lines(result.stderr)}
    assert files == {"horizon_zero.yaml", "wrong_type.yaml"}


# -- cases written from the test: bytes that are awkward to keep in a repository ----------

GENERATED = {
    "zero_bytes": (b"", [Expected("case.yaml", 1, 1, "(top level)", "the file is empty")]),
    "binary_nul": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        [Expected("case.yaml", 1, 1, "(top level)", "is a binary file, not a YAML scenario")],
    ),
    "latin1_not_utf8": (
        b"name: Caf\xe9\nhorizon_weeks: 4\n",
        [Expected("case.yaml", 1, 10, "(top level)", "is not UTF-8 text")],
    ),
    "control_character": (
        b"name: t\nhorizon_weeks: 4\x07\n",
        [Expected("case.yaml", 2, 17, "(top level)", "character U+0007 is not allowed in YAML")],
    ),
    "tab_indentation": (
        b"name: t\nsegments:\n\t- id: people\n",
        [
            Expected(
                "case.yaml", 3, 1, "(top level)", "(while scanning for the next token) — indent with spaces"
            )
        ],
    ),
    "number_too_long": (
        b"name: t\nhorizon_weeks: 1" + b"0" * 5000 + b"\n",
        [Expected("case.yaml", 2, 16, "horizon_weeks", "cannot be read as a whole number")],
    ),
    "nested_too_deep": (
        b"name: " + b"[" * 3000 + b"]" * 3000 + b"\n",
        [Expected("case.yaml", 1, 1, "(top level)", "nested too deeply")],
    ),
}


@pytest.mark.parametrize("name", GENERATED)
def test_validate_reports_generated_bad_bytes(name: str, tmp_path: Path):
    content, expected = GENERATED[name]
    (tmp_path / "case.yaml").write_bytes(content)
    assert_bad_input(run_cli("validate", "case.yaml", cwd=tmp_path), expected)


def test_a_missing_file_and_a_folder_are_bad_input(tmp_path: Path):
    result = run_cli("validate", "nowhere.yaml", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "nowhere.yaml: (top level): file not found" in result.stderr
    assert ".: (top level): is a folder, not a scenario file" in result.stderr


# -- the command line itself ----------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "--no-such-flag", "x.yaml"),
        ("--no-such-flag",),
        ("validate",),
        ("no-such-command",),
        ("new",),
    ],
    ids=["unknown-flag", "unknown-top-flag", "missing-file-argument", "unknown-command", "new-without-file"],
)
def test_bad_command_line_exits_2_with_one_error_line(args: tuple[str, ...]):
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "channelsim" in result.stderr and "error:" in result.stderr


# A few kinds are enough here: the loader is shared, this checks the commands route its errors.
SAMPLE = ["yaml_syntax.yaml", "python_object_tag.yaml", "multiple_problems.yaml", "extends_bad_base.yaml"]


@pytest.mark.parametrize("command", ["simulate", "optimize"])
@pytest.mark.parametrize("case", SAMPLE)
def test_other_commands_report_bad_scenarios_the_same_way(command: str, case: str):
    result = run_cli(command, case, cwd=INVALID)
    assert_bad_input(result, expectations(INVALID / case))
