"""What each figure plots, as plain data: prepared from results, drawn by `figures`.

Keeping the numbers apart from the drawing lets a test compare a figure's content (bar
lengths, line points, titles, labels) with the results it came from, not its pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bars:
    """Horizontal bars, one per label, optionally with 95% interval whiskers."""

    title: str
    xlabel: str
    labels: list[str]
    values: list[float]
    lows: list[float] | None = None
    highs: list[float] | None = None
    currency: str | None = None  # money: ticks and value labels in this currency
    percent: bool = False  # values are percentages
    emphasis: list[bool] | None = None  # solid bars where True, hatched where False
    value_labels: list[str] | None = None  # text at the end of each bar
    zero_line: bool = False  # a reference line at 0 (changes)


@dataclass(frozen=True)
class Lines:
    """Lines over a shared x, optionally with a shaded 95% band per series."""

    title: str
    xlabel: str
    ylabel: str
    x: list[float]
    series: dict[str, list[float]]
    bands: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    reference: tuple[float, str] | None = None  # a horizontal line (y, label), e.g. the MAP floor
    currency: str | None = None  # money on the y axis
    x_ticks: list[str] | None = None  # categorical x: these labels at positions 0..n-1
    markers: bool = False
    y_range: tuple[float, float] | None = None  # fixed y limits (e.g. 0 to 100 for shares in %)


@dataclass(frozen=True)
class Matrix:
    """A heatmap: `values[i][j]` for row i and column j, each cell annotated."""

    title: str
    xlabel: str
    ylabel: str
    rows: list[str]
    cols: list[str]
    values: list[list[float]]
    texts: list[list[str]]
    colorbar: str
    diverging: bool = False  # centre the colours on 0


@dataclass(frozen=True)
class Curve:
    """One source's response curve, with today's spend and the plan's spend marked."""

    title: str
    xlabel: str
    ylabel: str
    x: list[float]
    y: list[float]
    current: tuple[float, float]
    optimal: tuple[float, float] | None = None
    currency: str | None = None  # money on the x axis
    line_label: str = "response curve"
    current_label: str = "today"
    y_currency: str | None = None  # money on the y axis
    optimal_label: str = "optimal"
    annotate: bool = False  # write the y value beside the two markers (and the gap beside the diamond)


@dataclass(frozen=True)
class Shift:
    """Budget per source today and in the plan (grouped bars), Robyn-style."""

    title: str
    xlabel: str
    labels: list[str]
    current: list[float]
    optimal: list[float]
    currency: str
    names: tuple[str, str] = ("today", "optimal plan")  # the legend of the two bars


@dataclass(frozen=True)
class Tornado:
    """The change of a KPI when each parameter goes down and up, largest swing on top."""

    title: str
    xlabel: str
    labels: list[str]
    low: list[float]
    high: list[float]
    low_labels: list[str]
    high_labels: list[str]
    currency: str
    # 95% intervals of the paired changes (NaN or absent: no whisker)
    low_ci: tuple[list[float], list[float]] | None = None
    high_ci: tuple[list[float], list[float]] | None = None


@dataclass(frozen=True)
class Waterfall:
    """Money from a first total down to the last, step by step: each total a bar from 0, each step a bar
    from the running total; the first total plus the steps is every later total (revenue … profit)."""

    title: str
    xlabel: str
    labels: list[str]
    values: list[float]  # a total's level, or a step's signed change
    totals: list[bool]  # True: a total (drawn from 0), False: a step
    currency: str
    lows: list[float] | None = None  # 95% intervals of the totals (NaN for the steps)
    highs: list[float] | None = None


Item = Bars | Lines | Matrix | Curve | Shift | Tornado | Waterfall


@dataclass(frozen=True)
class Panels:
    """Several items side by side (or in a grid) under one title."""

    title: str
    items: list[Item]
    columns: int = 2


Chart = Item | Panels


@dataclass(frozen=True)
class Panel:
    """One figure on the page: its file name, section, caption and what it plots."""

    name: str  # PNG file stem
    section: str
    caption: str
    chart: Chart


@dataclass(frozen=True)
class Table:
    """A table on the page: a heading, a sentence or two above it, and its cells as text."""

    title: str
    intro: str
    headers: list[str]
    rows: list[list[str]]
    strong: list[bool] | None = None  # rows in bold (a changed lever, a significant change)
    align: str = ""  # per column, l (text, left) or r (figures, right); default: first left, rest right
