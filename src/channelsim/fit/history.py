"""The history file of `channelsim fit`: weekly spend and attributed leads per source, checked line by line.

`HISTORY.csv` (SPEC §5) has one row per week and source, columns `week, source, spend, leads`;
`week` is an integer from 0 or an ISO date (every row alike, dates 7 days apart). Every problem
is reported at once, one line each, as `FILE:LINE:COL: COLUMN: what is wrong (got VALUE)`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from channelsim._types import MAX_AMOUNT
from channelsim.errors import Problem, ScenarioError, UsageError

COLUMNS = ("week", "source", "spend", "leads")
#: fewest weeks a source needs: adstock and a curve of three parameters, with a bootstrap on top
MIN_WEEKS = 12
#: the largest history file read (10 years of weekly rows for 400 sources is far less)
MAX_BYTES = 20_000_000


@dataclass(frozen=True)
class SourceHistory:
    """One source's weeks, in time order, consecutive."""

    source: str
    weeks: np.ndarray  # week index from the first week of the file
    spend: np.ndarray  # spend per week (the scenario's currency)
    leads: np.ndarray  # attributed leads per week (whole numbers)
    lines: np.ndarray  # the file's line of each week's row


@dataclass(frozen=True)
class History:
    file: str
    sources: dict[str, SourceHistory]
    labels: dict[int, str]  # week index -> the week as the file writes it


@dataclass
class _Row:
    line: int
    week: int | None
    label: str
    source: str
    spend: float
    leads: int


def read_history(path: str | os.PathLike[str], known: list[str]) -> History:
    """The history at `path`, for the scenario's sources `known`; raises `ScenarioError` listing every problem."""
    shown = os.fspath(path)
    lines = _lines(shown)
    problems: list[Problem] = []
    header = _fields(lines[0]) if lines else []
    names = [name.strip().lower() for name, _ in header]
    for col, (name, at) in zip(names, header, strict=True):
        if col not in COLUMNS:
            close = difflib.get_close_matches(col, COLUMNS, n=1)
            hint = f" — did you mean '{close[0]}'?" if close else f" (expected {', '.join(COLUMNS)})"
            problems.append(Problem(shown, 1, at, (), f"unknown column '{name.strip()}'{hint}"))
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        problems.append(Problem(shown, 1, 1, (), f"missing column(s) {', '.join(missing)}: the header must be "
                                                  f"{','.join(COLUMNS)}"))  # fmt: skip
        raise ScenarioError(problems)
    rows = [row for number, text in enumerate(lines[1:], start=2) if text.strip()
            if (row := _row(shown, number, text, names, known, problems)) is not None]  # fmt: skip
    if not rows and not problems:
        problems.append(Problem(shown, 1, 1, (), "no rows: the history has a header and nothing else"))
    _index_weeks(shown, rows, problems)
    sources = _by_source(shown, rows, problems, whole=not problems)  # a dropped bad row is no gap
    if problems:
        raise ScenarioError(problems)
    labels = {r.week: r.label for r in rows if r.week is not None}
    return History(shown, sources, labels)


def _lines(path: str) -> list[str]:
    try:
        if os.path.getsize(path) > MAX_BYTES:
            raise UsageError(
                f"{path}: larger than {MAX_BYTES // 1_000_000} MB; a weekly history is far smaller"
            )
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return handle.read().splitlines()
    except FileNotFoundError:
        raise UsageError(f"{path}: history file not found") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder; give the history CSV file") from None
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}: not UTF-8 text (byte {err.start}); save the CSV as UTF-8") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read it ({err.strerror})") from None


def _fields(text: str) -> list[tuple[str, int]]:
    """The comma-separated fields of one line and the column (from 1) each starts at; quotes allowed."""
    out: list[tuple[str, int]] = []
    current: list[str] = []
    start, quoted = 1, False
    for i, ch in enumerate(text, start=1):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append(("".join(current), start))
            current, start = [], i + 1
        else:
            current.append(ch)
    out.append(("".join(current), start))
    return out


def _row(file: str, number: int, text: str, names: list[str], known: list[str],
         problems: list[Problem]) -> _Row | None:  # fmt: skip
    fields = _fields(text)
    if len(fields) != len(names):
        problems.append(Problem(file, number, 1, (), f"expected {len(names)} fields ({','.join(names)}), "
                                                     f"got {len(fields)}", text.strip()))  # fmt: skip
        return None
    cell = {name: (value.strip(), col) for name, (value, col) in zip(names, fields, strict=True)}
    found = len(problems)
    source, at = cell["source"]
    if source not in known:
        close = difflib.get_close_matches(source, known, n=1)
        hint = f" — did you mean '{close[0]}'?" if close else f" (the scenario's sources: {', '.join(known)})"
        problems.append(Problem(file, number, at, ("source",), f"unknown source{hint}", source))
    spend = _number(file, number, cell["spend"], "spend", problems, whole=False)
    leads = _number(file, number, cell["leads"], "leads", problems, whole=True)
    label, at = cell["week"]
    week = int(label) if label.isdigit() else None
    if week is None and _date(label) is None:
        problems.append(Problem(file, number, at, ("week",),
                                "must be a week number from 0 or an ISO date (YYYY-MM-DD)", label))  # fmt: skip
    if len(problems) > found:
        return None
    return _Row(number, week, label, source, float(spend), int(leads))


def _number(
    file: str, line: int, cell: tuple[str, int], name: str, problems: list[Problem], whole: bool
) -> float:
    text, col = cell
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    rule = "a whole number of leads >= 0" if whole else f"a number from 0 to {MAX_AMOUNT:,}"
    if not (math.isfinite(value) and 0 <= value <= MAX_AMOUNT) or (whole and value != int(value)):
        problems.append(Problem(file, line, col, (name,), f"must be {rule}", text))
        return 0.0
    return value


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _index_weeks(file: str, rows: list[_Row], problems: list[Problem]) -> None:
    """Dates become week numbers from the first date (7 days apart); numbers and dates never mix."""
    dated = [r for r in rows if r.week is None]
    if not dated:
        return
    if len(dated) != len(rows):
        first = next(r for r in rows if r.week is not None)
        problems.append(Problem(file, first.line, 1, ("week",), "weeks are ISO dates elsewhere in the file; "
                                                                "use dates or numbers, not both", first.label))  # fmt: skip
        return
    origin = min(_date(r.label) for r in dated)  # type: ignore[type-var]
    for r in dated:
        days = (_date(r.label) - origin).days  # type: ignore[operator]
        if days % 7:
            problems.append(Problem(file, r.line, 1, ("week",), f"dates must be 7 days apart (this one is {days} "
                                                                f"days after the first, {origin})", r.label))  # fmt: skip
        r.week = days // 7


def _by_source(file: str, rows: list[_Row], problems: list[Problem], whole: bool) -> dict[str, SourceHistory]:
    grouped: dict[str, dict[int, _Row]] = {}
    for r in rows:
        seen = grouped.setdefault(r.source, {})
        if r.week in seen:
            problems.append(Problem(file, r.line, 1, ("week",), f"a second row for source '{r.source}' in this "
                                                                f"week (the first is line {seen[r.week].line})", r.label))  # fmt: skip
            continue
        seen[r.week] = r  # type: ignore[index]
    out = {}
    for source, weeks in grouped.items():
        order = sorted(weeks)
        gaps = [(a, b) for a, b in itertools.pairwise(order) if b != a + 1] if whole else []
        for a, b in gaps[:3]:
            problems.append(Problem(file, weeks[b].line, 1, ("week",), f"source '{source}' has no row for the "
                                    f"week(s) between {weeks[a].label} and {weeks[b].label}: adstock needs every "
                                    "week (write spend 0 and its leads for a week without spend)", weeks[b].label))  # fmt: skip
        if len(order) < MIN_WEEKS and whole:
            first = weeks[order[0]]
            problems.append(Problem(file, first.line, 1, ("source",), f"only {len(order)} week(s) of history; "
                                    f"a fit needs at least {MIN_WEEKS}", source))  # fmt: skip
        spend = np.array([weeks[w].spend for w in order])
        if not (spend > 0).any():
            first = weeks[order[0]]
            problems.append(Problem(file, first.line, 1, ("spend",), f"source '{source}' never spends: "
                                                                     "no curve can be fitted", 0))  # fmt: skip
        out[source] = SourceHistory(source, np.array(order), spend, np.array([weeks[w].leads for w in order]),
                                    np.array([weeks[w].line for w in order]))  # fmt: skip
    return out


def describe_history(history: History) -> dict[str, Any]:
    """Weeks and totals per source, for the report."""
    return {s: {"weeks": len(h.weeks), "spend": float(h.spend.sum()), "leads": int(h.leads.sum())}
            for s, h in history.sources.items()}  # fmt: skip
