"""Adstock: the carry-over of media spend (docs/model.md "Leads").

Week by week, the effective spend is `e_t = a·e_(t−1) + (1 − a)·x_t`, started from the
scenario's spend (so a constant spend has e = x). Over a period of L weeks with one spend
x, the level at its end is `e' = a^L·e + (1 − a^L)·x` and the period's average effective
spend `ē = α·e + (1 − α)·x` with `α = a·(1 − a^L) / (L·(1 − a))` (the optimizer's periods).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def adstock_path(carry: float, start: float, spend: Iterable[float]) -> list[float]:
    """Effective spend per week from weekly spend, carrying `carry` of last week's level."""
    level, out = start, []
    for x in spend:
        level = carry * level + (1.0 - carry) * x
        out.append(level)
    return out


def adstock_series(carry: float, start: float, spend: np.ndarray) -> np.ndarray:
    """`adstock_path` for a whole array at once (the same recursion, as a linear filter): the
    fit evaluates it thousands of times, once per likelihood evaluation."""
    import numpy as np
    from scipy.signal import lfilter

    x = np.asarray(spend, float)
    out, _ = lfilter([1.0 - carry], [1.0, -carry], x, zi=[carry * start])
    return np.asarray(out, float)


def period_terms(carry: float, weeks: Sequence[int]) -> tuple[list[float], list[float]]:
    """(a^L, α) per period of `weeks` weeks: its end level's carry and its average's weight."""
    ends, mix = [], []
    for length in weeks:
        span = max(length, 1)
        ends.append(carry**span)
        mix.append(carry * (1 - carry**span) / (span * (1 - carry)) if carry > 0 else 0.0)
    return ends, mix


def period_levels(
    start: float,
    spend: Sequence[float] | np.ndarray,
    ends: Sequence[float] | np.ndarray,
    mix: Sequence[float] | np.ndarray,
) -> list[float]:
    """Average effective spend per period (one spend each), from the level `start` before the first."""
    level, out = start, []
    for x, c, m in zip(spend, ends, mix, strict=True):
        out.append(m * level + (1 - m) * x)
        level = c * level + (1 - c) * x
    return out
