"""The look of every figure: large fonts, a colour-blind-safe palette, money in the currency."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler
from matplotlib.ticker import FuncFormatter

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour deficiency
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
BLUE, ORANGE, GREEN, PINK, SKY, VERMILION, YELLOW, BLACK = PALETTE
GREY = "#999999"
LINESTYLES = ("-", "--", "-.", ":")
DIVERGING = "PuOr"  # colour-blind-safe diverging map for changes around zero
SEQUENTIAL = "cividis"  # perceptually uniform and colour-blind-safe

# sizes chosen to read on a projector at the back of a room and in print at half a page
RC: dict[RcKeyType, Any] = {
    "font.size": 14,
    "axes.titlesize": 17,
    "axes.titleweight": "bold",
    "axes.labelsize": 15,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 13,
    "legend.frameon": False,
    "axes.prop_cycle": cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "lines.linewidth": 2.5,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
DPI = 100


@contextmanager
def styled() -> Iterator[None]:
    """Artists read the style when they are made: draw every figure inside this."""
    with rc_context(RC):
        yield


def _figure(width: float, height: float) -> Figure:
    """A figure outside pyplot (no global state), laid out so labels never overlap."""
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    # the Agg canvas, attached to this figure only: no pyplot, and a user's backend is left alone
    FigureCanvasAgg(figure)
    return figure


def new_figure(width: float = 11.0, height: float = 6.0) -> tuple[Figure, Axes]:
    """A figure with one plot."""
    figure = _figure(width, height)
    return figure, figure.subplots()


def new_grid(width: float, height: float, rows: int, columns: int) -> tuple[Figure, np.ndarray]:
    """A figure with a grid of plots (`rows` × `columns` axes, a 2-D array even when 1 × 1)."""
    figure = _figure(width, height)
    return figure, figure.subplots(nrows=rows, ncols=columns, squeeze=False)


def compact(value: float) -> str:
    """Short tick labels: 1,500 → 1.5k; 1,234,567 → 1.23M."""
    size = abs(value)
    for limit, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.0f}" if size >= 100 or value == 0 else f"{value:.3g}"


def amount(value: float) -> str:
    """A value label: exact with thousands separators up to 100,000, short beyond."""
    return f"{value:,.0f}" if 100 <= abs(value) < 1e5 else compact(value)


def money(value: float, currency: str) -> str:
    return f"{amount(value)} {currency}"


def number_axis(axis: Axis, currency: str = "") -> None:
    """Tick labels like `12.3k` or `2,500` on an axis whose label carries the unit (money or counts)."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG, with no timestamp or version in it (same data, same bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
