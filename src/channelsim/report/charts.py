"""Drawing: one function per kind of chart, from the plain data in `report.data`.

Every figure gets a title, labelled axes with units, and money ticks in the currency; it is
made outside pyplot (no global state) inside `style.styled()`.
"""

from __future__ import annotations

import math
from typing import assert_never

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from channelsim.report import style
from channelsim.report.data import Bars, Chart, Curve, Item, Lines, Matrix, Panels, Shift, Tornado, Waterfall


def draw(chart: Chart) -> Figure:
    """The figure of a chart (a single item, or panels under one title)."""
    with style.styled():
        if isinstance(chart, Panels):
            return _panels(chart)
        figure, ax = style.new_figure(*_size(chart))
        _draw_on(figure, ax, chart)
        # a figure title centres on the page whatever the width of the tick labels
        set_title(figure, ax.get_title())
        ax.set_title("")
        return figure


def set_title(figure: Figure, title: str) -> None:
    """The figure's title (set again: the same style, new text)."""
    figure.suptitle(title, fontsize=style.RC["axes.titlesize"], fontweight="bold")


def _size(item: Item) -> tuple[float, float]:
    if isinstance(item, Bars | Tornado | Shift | Waterfall):
        return 11.0, max(3.8, 1.6 + 0.62 * len(item.labels) * (2 if isinstance(item, Shift) else 1))
    if isinstance(item, Matrix):
        return max(10.0, 3.5 + 1.5 * len(item.cols)), max(5.0, 2.6 + 0.8 * len(item.rows))
    return 11.0, 6.0


def _panels(chart: Panels) -> Figure:
    columns = max(1, min(chart.columns, len(chart.items)))
    rows = math.ceil(len(chart.items) / columns)
    height = max(_size(chart.items[0])[1], 5.0)  # side-by-side panels need room for their own titles
    figure, axes = style.new_grid(min(7.5 * columns, 20.0), height * rows * (0.85 if columns > 1 else 1),
                                  rows, columns)  # fmt: skip
    flat: list[Axes] = list(axes.ravel())
    for ax, item in zip(flat, chart.items, strict=False):
        _draw_on(figure, ax, item)
    for ax in flat[len(chart.items) :]:
        ax.set_visible(False)
    set_title(figure, chart.title)
    engine = figure.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)  # style's figures are laid out "constrained"
    engine.set(h_pad=0.12, hspace=0.06)  # air between a row's titles and the one above
    return figure


def _draw_on(figure: Figure, ax: Axes, item: Item) -> None:
    match item:
        case Bars():
            _bars(figure, ax, item)
        case Lines():
            _lines(figure, ax, item)
        case Matrix():
            _matrix(figure, ax, item)
        case Curve():
            _curve(figure, ax, item)
        case Shift():
            _shift(figure, ax, item)
        case Tornado():
            _tornado(figure, ax, item)
        case Waterfall():
            _waterfall(figure, ax, item)
        case _:
            assert_never(item)


def _bars(figure: Figure, ax: Axes, data: Bars) -> None:
    y = np.arange(len(data.labels))[::-1]  # first label on top
    emphasis = data.emphasis or [True] * len(data.labels)
    colours = [style.BLUE if v >= 0 or not data.zero_line else style.VERMILION for v in data.values]
    bars = ax.barh(y, data.values, color=colours, height=0.6)
    for bar, solid in zip(bars, emphasis, strict=True):
        if not solid:  # not significant: an outline, so significance reads in grey print too
            colour = bar.get_facecolor()
            bar.set_facecolor("white")
            bar.set_edgecolor(colour)  # outline and hatch in the bar's own colour
            bar.set_linewidth(1.2)
            bar.set_hatch("//")
    if data.lows is not None and data.highs is not None:
        # whiskers where there is an interval (a bar without one, e.g. a forecast, gets none)
        has = np.isfinite(np.asarray(data.lows, float)) & np.isfinite(np.asarray(data.highs, float))
        err = _whiskers(data.values, data.lows, data.highs)[:, has]
        values = np.asarray(data.values, float)[has]
        ax.errorbar(values, y[has], xerr=err, fmt="none", ecolor=style.BLACK, capsize=5, linewidth=1.5)
    ax.set_yticks(y, data.labels)
    ax.grid(axis="y", visible=False)
    if data.zero_line:
        ax.axvline(0, color=style.BLACK, linewidth=1)
    _value_labels(ax, bars, data)
    ax.set_title(data.title)
    ax.set_xlabel(data.xlabel)
    if not data.percent:
        style.number_axis(ax.xaxis, data.currency or "")


def _whiskers(values: list[float], lows: list[float], highs: list[float]) -> np.ndarray:
    v, lo, hi = (np.asarray(a, float) for a in (values, lows, highs))
    return np.vstack([np.nan_to_num(v - lo), np.nan_to_num(hi - v)]).clip(min=0)


def _value_labels(ax: Axes, bars: BarContainer, data: Bars) -> None:
    """Each bar's value beside its whisker, outside the bar so it reads on any colour."""
    if data.value_labels is not None:
        texts = data.value_labels
    elif data.percent:
        texts = [f"{v:.1f}%" for v in data.values]
    elif data.currency:
        texts = [style.money(v, data.currency) for v in data.values]
    else:
        texts = [style.amount(v) for v in data.values]
    ends = [*data.values, *(data.lows or []), *(data.highs or [])]
    span = max([abs(v) for v in ends if math.isfinite(v)] or [1.0]) or 1.0
    for i, (bar, text, value) in enumerate(zip(bars, texts, data.values, strict=True)):
        right = value >= 0  # a negative bar's label goes left of its end and whisker, never inside the bar
        whisker = (data.highs if right else data.lows) or data.values
        edge = max(value, whisker[i]) if right else min(value, whisker[i])
        x = (edge if math.isfinite(edge) else value) + (0.02 if right else -0.02) * span
        ax.text(x, bar.get_y() + bar.get_height() / 2, text, va="center", ha="left" if right else "right",
                fontsize=style.RC["xtick.labelsize"])  # fmt: skip
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo - (0.3 * span if lo < 0 else 0), hi + 0.3 * span)


def _lines(figure: Figure, ax: Axes, data: Lines) -> None:
    for index, (name, ys) in enumerate(data.series.items()):
        colour = style.PALETTE[index % len(style.PALETTE)]
        # dashes as well as colours: overlapping lines stay visible, and print in grey
        dashes = style.LINESTYLES[index % len(style.LINESTYLES)]
        ax.plot(data.x, ys, label=name, color=colour, linestyle=dashes, marker="o" if data.markers else None)
        if name in data.bands:
            lo, hi = data.bands[name]
            ax.fill_between(
                data.x, lo, hi, color=colour, alpha=0.2, linewidth=0, label=f"{name}: 95% interval"
            )
    if data.reference is not None:
        ax.axhline(
            data.reference[0], color=style.BLACK, linestyle="--", linewidth=1.5, label=data.reference[1]
        )
    if data.x_ticks is not None:
        ax.set_xticks(data.x, data.x_ticks)
    if data.y_range is not None:
        ax.set_ylim(*data.y_range)
    ax.set_title(data.title)
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    style.number_axis(ax.yaxis, data.currency or "")
    if len(data.series) > 1 or data.reference:
        # beside the plot: never over a line (lines fill the whole width of a time axis)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    elif data.bands:
        ax.legend(loc="best")


def _matrix(figure: Figure, ax: Axes, data: Matrix) -> None:
    values = np.asarray(data.values, float)
    finite = values[np.isfinite(values)]
    if data.diverging:
        # changes: capped so one huge % does not wash out the rest; grey cells have no %
        limit = float(min(max(np.abs(finite).max(initial=0.0), 1.0), 100.0))
        norm: Normalize = TwoSlopeNorm(0.0, -limit, limit)
        name = style.DIVERGING
    else:
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        norm, name = Normalize(lo, hi if hi > lo else lo + 1), style.SEQUENTIAL
    cmap = colormaps[name].with_extremes(bad="#dddddd")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    for i, row in enumerate(data.texts):
        for j, text in enumerate(row):
            shade = image.cmap(image.norm(values[i, j])) if math.isfinite(values[i, j]) else (1, 1, 1, 1)
            dark = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] < 0.5
            ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black",
                    fontsize=style.RC["xtick.labelsize"])  # fmt: skip
    ax.set_xticks(range(len(data.cols)), data.cols, rotation=30 if len(data.cols) > 4 else 0, ha="right"
                  if len(data.cols) > 4 else "center")  # fmt: skip
    ax.set_yticks(range(len(data.rows)), data.rows)
    ax.grid(False)
    ax.set_title(data.title)
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    bar = figure.colorbar(image, ax=ax, label=data.colorbar)
    style.number_axis(bar.ax.yaxis)


def _curve(figure: Figure, ax: Axes, data: Curve) -> None:
    ax.plot(data.x, data.y, color=style.BLUE, label=data.line_label, marker="." if len(data.x) < 30 else None)
    ax.plot(
        *data.current,
        marker="o",
        markersize=12,
        color=style.ORANGE,
        linestyle="none",
        label=data.current_label,
    )
    if data.optimal is not None:
        ax.plot(
            *data.optimal,
            marker="D",
            markersize=11,
            color=style.GREEN,
            linestyle="none",
            label=data.optimal_label,
        )
    if data.annotate:
        unit = data.y_currency or ""
        ax.annotate(style.money(data.current[1], unit).strip(), data.current, xytext=(14, 0),
                    textcoords="offset points", va="center", fontsize=style.RC["xtick.labelsize"])  # fmt: skip
        if data.optimal is not None:
            gap = data.optimal[1] - data.current[1]
            ax.annotate(f"{style.money(data.optimal[1], unit).strip()} ({gap:+,.0f})", data.optimal,
                        # above and left: a frontier rises from the left, so the line is below there
                        xytext=(-12, 12), textcoords="offset points", va="bottom", ha="right",
                        fontsize=style.RC["xtick.labelsize"])  # fmt: skip
    ax.set_title(data.title)
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    if min(data.y, default=0.0) >= 0:
        ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    if data.currency:
        style.number_axis(ax.xaxis, data.currency)
    if data.y_currency:
        style.number_axis(ax.yaxis, data.y_currency)
    ax.legend(loc="lower right")


def _shift(figure: Figure, ax: Axes, data: Shift) -> None:
    y = np.arange(len(data.labels))[::-1] * 1.0
    ax.barh(y + 0.2, data.current, height=0.38, color=style.SKY, label=data.names[0])
    ax.barh(y - 0.2, data.optimal, height=0.38, color=style.BLUE, label=data.names[1])
    span = max([*data.current, *data.optimal, 1.0])
    for yy, now, best in zip(y, data.current, data.optimal, strict=True):
        change = ("±0" if abs(best - now) < 0.005 * abs(now) else f"{(best - now) / now:+.0%}") if now else (
            "new" if best else "±0")  # fmt: skip
        text = f"{style.amount(now)} → {style.amount(best)} ({change})"  # the currency is on the axis
        ax.text(max(now, best) + 0.02 * span, yy, text, va="center")
    ax.set_yticks(y, data.labels)
    ax.set_xlim(0, span * 1.7)
    ax.grid(axis="y", visible=False)
    ax.set_title(data.title)
    ax.set_xlabel(data.xlabel)
    style.number_axis(ax.xaxis, data.currency)
    # under the plot, laid out with it: never on a bar or its label, and no empty band above it
    figure.legend(loc="outside lower center", ncol=2)


def _tornado(figure: Figure, ax: Axes, data: Tornado) -> None:
    """Two bars a parameter, down above up: bars of the same sign never hide each other, and each label
    sits at its own bar's end, beyond its whisker, so no two labels share a line."""
    y = np.arange(len(data.labels))[::-1] * 1.0  # largest swing (first) on top
    half = 0.2
    sides = ((data.low, data.low_labels, data.low_ci, y + half, style.BLUE, "parameter down"),
             (data.high, data.high_labels, data.high_ci, y - half, style.ORANGE, "parameter up"))  # fmt: skip
    ends = [abs(v) for v in [*data.low, *data.high] if math.isfinite(v)]
    for _, _, ci, _, _, _ in sides:
        ends += [abs(v) for v in [*(ci or ([], []))[0], *(ci or ([], []))[1]] if math.isfinite(v)]
    span = max([*ends, 1.0])
    for values, texts, ci, rows, colour, name in sides:
        ax.barh(rows, values, height=2 * half * 0.9, color=colour, label=name)
        if ci is not None:
            err = _whiskers(values, *ci)
            ax.errorbar(values, rows, xerr=err, fmt="none", ecolor=style.BLACK, capsize=3, linewidth=1.2)
        for row, value, text, lo, hi in zip(rows, values, texts, *(ci or ([math.nan] * len(values),) * 2),
                                            strict=True):  # fmt: skip
            right = value >= 0
            whisker = hi if right else lo
            edge = max(value, whisker) if right and math.isfinite(whisker) else (
                min(value, whisker) if math.isfinite(whisker) else value)  # fmt: skip
            ax.text(edge + (0.02 if right else -0.02) * span, row, text, va="center",
                    ha="left" if right else "right", fontsize=style.RC["xtick.labelsize"] - 1)  # fmt: skip
    ax.axvline(0, color=style.BLACK, linewidth=1)
    ax.set_yticks(y, data.labels)
    ax.set_ylim(y.min() - 0.6, y.max() + 0.6)
    ax.set_xlim(-1.6 * span, 1.6 * span)
    ax.grid(axis="y", visible=False)
    ax.set_title(data.title)
    ax.set_xlabel(data.xlabel)
    style.number_axis(ax.xaxis, data.currency)
    # under the plot, laid out with it: never on a bar or a label, and no empty band above it
    figure.legend(loc="outside lower center", ncol=2)


def _waterfall(figure: Figure, ax: Axes, data: Waterfall) -> None:
    """Totals from 0 (blue), steps from the running total (green up, vermilion down), joined by thin lines."""
    y = np.arange(len(data.labels))[::-1] * 1.0  # the first total on top
    level, starts, ends = 0.0, [], []
    for value, total in zip(data.values, data.totals, strict=True):
        start = 0.0 if total else level
        end = value if total else level + value
        starts.append(start)
        ends.append(end)
        level = end
    colours = [style.BLUE if t else style.GREEN if v > 0 else style.VERMILION
               for v, t in zip(data.values, data.totals, strict=True)]  # fmt: skip
    lefts = [min(a, b) for a, b in zip(starts, ends, strict=True)]
    widths = [abs(b - a) for a, b in zip(starts, ends, strict=True)]
    ax.barh(y, widths, left=lefts, color=colours, height=0.6)
    for i in range(len(y) - 1):  # the running total carried to the next bar
        ax.plot(
            [ends[i], ends[i]], [y[i] - 0.3, y[i + 1] + 0.3], color=style.GREY, linewidth=1, linestyle=":"
        )
    lows, highs = data.lows or [math.nan] * len(y), data.highs or [math.nan] * len(y)
    has = np.isfinite(np.asarray(lows, float)) & np.isfinite(np.asarray(highs, float))
    if has.any():
        err = _whiskers(ends, lows, highs)[:, has]
        ax.errorbar(np.asarray(ends, float)[has], y[has], xerr=err, fmt="none", ecolor=style.BLACK, capsize=5,
                    linewidth=1.5)  # fmt: skip
    span = max([abs(v) for v in [*starts, *ends, *lows, *highs] if math.isfinite(v)] or [1.0]) or 1.0
    for row, start, end, value, total, hi in zip(
        y, starts, ends, data.values, data.totals, highs, strict=True
    ):
        text = (
            style.money(value, data.currency)
            if total
            else f"{'+' if value > 0 else '−'}{style.amount(abs(value))}"
        )
        # right of the bar, never inside it: a step's beside the running total before it, a total's beyond
        # its whisker (a loss's right of 0, clear of the category labels on the left)
        edge = max(start, end, hi if math.isfinite(hi) else end) if total else max(start, end)
        ax.text(edge + 0.02 * span, row, text, va="center", ha="left", fontsize=style.RC["xtick.labelsize"])
    ax.axvline(0, color=style.BLACK, linewidth=1)
    ax.set_yticks(y, data.labels)
    ax.grid(axis="y", visible=False)
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo, hi + 0.3 * span)
    ax.set_title(data.title)
    ax.set_xlabel(data.xlabel)
    style.number_axis(ax.xaxis, data.currency)
