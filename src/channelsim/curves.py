"""Response curves: weekly spend to expected leads per week, and their piecewise-linear forms.

Each curve is a scenario section (`response:` of a source or of win-back) and a function.
`breakpoints()` gives a piecewise-linear approximation for the optimizer, with pieces
placed where the curve bends, and `max_error()` bounds how far it strays from the curve.

`logistic` and `tanh` are the saturation curves of PyMC-Marketing's MMMs, written natively so
that a fitted curve needs no sampling into `points`. Both are `M·tanh(k·x)` (logistic:
`(1 − e^(−λx))/(1 + e^(−λx)) = tanh(λx/2)`, so k = λ/2; tanh: k = 1/(M·c)): increasing,
concave for x ≥ 0 (L'' = −2Mk²·tanh(kx)·sech²(kx) ≤ 0) and saturating at M. Concavity lets
the optimizer use their pieces without binaries and gives their piecewise error in closed form.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field, Strict, model_validator

from channelsim._types import Model, NonNeg, Positive

if TYPE_CHECKING:  # numpy is imported where used: loading a scenario (`channelsim validate`) does not need it
    import numpy as np


class HillCurve(Model):
    """`L(x) = max_leads_per_week · x^shape / (x^shape + half_saturation^shape)`.

    shape ≤ 1 is concave; shape > 1 is S-shaped (slow start, then saturation).
    """

    curve: Literal["hill"]  # selects this curve
    max_leads_per_week: NonNeg  # leads per week at unlimited spend
    half_saturation: Positive  # weekly spend that gives half the maximum
    shape: Annotated[float, Field(gt=0, le=20)] = 1.0  # ≤ 1: concave; > 1: S-shaped

    def leads(self, spend: float) -> float:
        if spend <= 0:
            return 0.0
        try:
            ratio = (self.half_saturation / spend) ** self.shape
        except OverflowError:  # a spend so small next to half_saturation that it buys nothing
            return 0.0
        return self.max_leads_per_week / (1.0 + ratio)

    @property
    def concave(self) -> bool:
        return self.shape <= 1

    @property
    def inflection(self) -> float:
        """Spend where the S-curve is steepest (0 for concave curves)."""
        if self.shape <= 1:
            return 0.0
        k = self.shape
        return self.half_saturation * ((k - 1) / (k + 1)) ** (1 / k)


class ExponentialCurve(Model):
    """`L(x) = max_leads_per_week · (1 − exp(−x / scale))`: concave, saturating."""

    curve: Literal["exponential"]  # selects this curve
    max_leads_per_week: NonNeg  # leads per week at unlimited spend
    scale: Positive  # weekly spend that reaches 63% of the maximum

    def leads(self, spend: float) -> float:
        return self.max_leads_per_week * -math.expm1(-max(spend, 0.0) / self.scale)

    concave: ClassVar[bool] = True
    inflection: ClassVar[float] = 0.0


class LinearCurve(Model):
    """`L(x) = leads_per_unit_spend · x`: no saturation (use with a spend bound)."""

    curve: Literal["linear"]  # selects this curve
    leads_per_unit_spend: NonNeg  # leads per week per unit of weekly spend

    def leads(self, spend: float) -> float:
        return self.leads_per_unit_spend * max(spend, 0.0)

    concave: ClassVar[bool] = True
    inflection: ClassVar[float] = 0.0


class LogisticCurve(Model):
    """`L(x) = max_leads_per_week · (1 − e^(−lam·x)) / (1 + e^(−lam·x))`: concave, saturating.

    PyMC-Marketing's `LogisticSaturation`, `beta · logistic_saturation(x, lam)`, with
    `beta = max_leads_per_week`; the same as `max_leads_per_week · tanh(lam·x/2)`. A fit on
    scaled spend and leads converts as docs/model.md says.
    """

    curve: Literal["logistic"]  # selects this curve
    max_leads_per_week: NonNeg  # leads per week at unlimited spend (PyMC-Marketing's beta)
    lam: Positive  # steepness λ per unit of weekly spend: the slope at 0 is max_leads_per_week·λ/2

    def leads(self, spend: float) -> float:
        return self.max_leads_per_week * math.tanh(0.5 * self.lam * max(spend, 0.0))

    @property
    def rate(self) -> float:
        """k in `max_leads_per_week · tanh(k·x)`."""
        return 0.5 * self.lam

    concave: ClassVar[bool] = True
    inflection: ClassVar[float] = 0.0


class TanhCurve(Model):
    """`L(x) = max_leads_per_week · tanh(x / (max_leads_per_week · c))`: concave, saturating.

    PyMC-Marketing's `tanh_saturation(x, b, c)` with `b = max_leads_per_week`: `c` is the
    cost of a lead at the first unit of spend. With `max_leads_per_week: 0` the curve is 0
    (its limit as b → 0). A fit on scaled spend and leads converts as docs/model.md says.
    """

    curve: Literal["tanh"]  # selects this curve
    max_leads_per_week: NonNeg  # leads per week at unlimited spend (PyMC-Marketing's b)
    c: Positive  # cost of a lead at the first unit of spend: the slope at 0 is 1/c

    def leads(self, spend: float) -> float:
        if self.max_leads_per_week == 0:
            return 0.0
        return self.max_leads_per_week * math.tanh(max(spend, 0.0) / (self.max_leads_per_week * self.c))

    @property
    def rate(self) -> float:
        """k in `max_leads_per_week · tanh(k·x)` (0 for a curve that brings nothing)."""
        if self.max_leads_per_week == 0:
            return 0.0
        return 1.0 / (self.max_leads_per_week * self.c)

    concave: ClassVar[bool] = True
    inflection: ClassVar[float] = 0.0


class PointsCurve(Model):
    """Piecewise-linear through `[spend, leads]` pairs (e.g. measured data).

    Spends strictly increase. Below the first point the curve runs linearly from (0, 0);
    beyond the last it stays flat at the last point's leads.
    """

    curve: Literal["points"]  # selects this curve
    # [spend, leads] pairs: YAML gives lists, so the pair itself is not strict (its numbers are)
    points: Annotated[list[Annotated[tuple[NonNeg, NonNeg], Strict(False)]], Field(min_length=1)]  # [spend, leads] pairs  # fmt: skip

    @model_validator(mode="after")
    def _spends_increase(self) -> PointsCurve:
        spends = [s for s, _ in self.points]
        if any(b <= a for a, b in itertools.pairwise(spends)):
            raise ValueError("the spends of `points` must strictly increase")
        return self

    def _xy(self) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        xs = [s for s, _ in self.points]
        ys = [y for _, y in self.points]
        if xs[0] > 0:
            xs, ys = [0.0, *xs], [0.0, *ys]
        return np.asarray(xs, float), np.asarray(ys, float)

    def leads(self, spend: float) -> float:
        import numpy as np

        xs, ys = self._xy()
        return float(np.interp(max(spend, 0.0), xs, ys))

    @property
    def concave(self) -> bool:
        import numpy as np

        xs, ys = self._xy()
        if len(xs) < 3:
            return True
        slopes = np.diff(ys) / np.diff(xs)
        return bool(np.all(np.diff(slopes) <= 1e-12))

    inflection: ClassVar[float] = 0.0


Curve = Annotated[
    HillCurve | ExponentialCurve | LinearCurve | LogisticCurve | TanhCurve | PointsCurve,
    Field(discriminator="curve"),
]
TanhFamily = LogisticCurve | TanhCurve  # `max_leads_per_week · tanh(rate · x)`


def leads_at(curve: Curve, spends: np.ndarray) -> np.ndarray:
    """`curve.leads` at many spends at once (vectorised; the same values)."""
    import numpy as np

    x = np.maximum(np.asarray(spends, float), 0.0)
    if isinstance(curve, HillCurve):
        with np.errstate(divide="ignore", over="ignore"):
            ratio = np.where(x > 0, (curve.half_saturation / np.where(x > 0, x, 1.0)) ** curve.shape, np.inf)
        return np.where(x > 0, curve.max_leads_per_week / (1.0 + ratio), 0.0)
    if isinstance(curve, ExponentialCurve):
        return curve.max_leads_per_week * -np.expm1(-x / curve.scale)
    if isinstance(curve, LinearCurve):
        return curve.leads_per_unit_spend * x
    if isinstance(curve, LogisticCurve):
        return curve.max_leads_per_week * np.tanh(0.5 * curve.lam * x)
    if isinstance(curve, TanhCurve):
        if curve.max_leads_per_week == 0:
            return np.zeros_like(x)
        return curve.max_leads_per_week * np.tanh(x / (curve.max_leads_per_week * curve.c))
    xs, ys = curve._xy()
    return np.interp(x, xs, ys)


def breakpoints(curve: Curve, upper: float, pieces: int) -> tuple[np.ndarray, np.ndarray]:
    """Spends and leads of a piecewise-linear approximation on `[0, upper]` with `pieces` pieces.

    Points curves are exact (their own points, clipped to `upper`). Smooth curves get more
    breakpoints where they bend: spacing uniform in the curve's own output (leads) mixed
    with uniform spend, so flat tails need few pieces and the knee gets many.
    """
    import numpy as np

    upper = max(float(upper), 0.0)
    if upper == 0.0:
        return np.zeros(1), np.zeros(1)
    if isinstance(curve, PointsCurve):
        xs, ys = curve._xy()
        inside = xs < upper
        xs = np.append(xs[inside], upper)
        ys = np.append(ys[inside], curve.leads(upper))
        return xs, ys
    if isinstance(curve, LinearCurve):
        return np.array([0.0, upper]), np.array([0.0, curve.leads(upper)])
    fine = np.linspace(0.0, upper, 4097)
    values = leads_at(curve, fine)
    # arc length in normalised (spend, leads) space puts points where the curve turns
    span = max(values[-1] - values[0], 1e-12)
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(fine) / upper, np.diff(values) / span))])
    targets = np.linspace(0.0, arc[-1], max(pieces, 1) + 1)
    xs = np.unique(np.concatenate([np.interp(targets, arc, fine), [0.0, upper]]))
    if curve.inflection and 0 < curve.inflection < upper:
        xs = np.unique(np.append(xs, curve.inflection))
    return xs, leads_at(curve, xs)


def max_error(curve: Curve, xs: np.ndarray, ys: np.ndarray, samples: int = 2049) -> float:
    """Largest gap in leads per week between the curve and its piecewise-linear form.

    Exact for `logistic` and `tanh` with breakpoints on the curve (`tanh_chord_error`). Otherwise
    sampled, about `samples` spends in all, spread over the pieces (at least 33 in each) so that a
    knee much narrower than the whole interval, where the pieces crowd, is sampled at its scale.
    """
    import numpy as np

    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    if len(xs) < 2:
        return 0.0
    if isinstance(curve, LogisticCurve | TanhCurve) and np.allclose(
        ys, leads_at(curve, xs), rtol=1e-12, atol=0
    ):
        return tanh_chord_error(curve, xs)
    a, b = xs[:-1], xs[1:]
    steps = np.linspace(0.0, 1.0, max(-(-samples // len(a)), 33))
    grid = (a[:, None] + (b - a)[:, None] * steps[None, :]).ravel()
    truth = leads_at(curve, grid)
    return float(np.max(np.abs(truth - np.interp(grid, xs, ys))))


def tanh_chord_error(curve: TanhFamily, xs: np.ndarray) -> float:
    """Largest gap between `L(x) = M·tanh(k·x)` and its chords through `(xs, L(xs))`, in closed form.

    L is concave on x ≥ 0, so each chord lies below the curve and the gap on `[a, b]` is largest
    where the curve is parallel to the chord: `L'(x) = M·k·sech²(k·x) = s`, i.e.
    `x* = arccosh(√(M·k/s)) / k`, inside `[a, b]` by the mean value theorem.
    """
    import numpy as np

    top, k = curve.max_leads_per_week, curve.rate
    xs = np.maximum(np.asarray(xs, float), 0.0)
    if top == 0 or len(xs) < 2:
        return 0.0
    a, b = xs[:-1], xs[1:]
    la, lb = leads_at(curve, a), leads_at(curve, b)
    width = b - a
    slope = np.divide(lb - la, width, out=np.zeros_like(width), where=width > 0)
    with np.errstate(divide="ignore"):
        ratio = np.where(slope > 0, top * k / np.where(slope > 0, slope, 1.0), np.inf)
    # s ≤ L'(0) = M·k, so the ratio is ≥ 1 up to rounding; a flat chord (s = 0) touches at b
    tangent = np.where(np.isfinite(ratio), np.arccosh(np.sqrt(np.maximum(ratio, 1.0))) / k, b)
    tangent = np.clip(tangent, a, b)
    gap = leads_at(curve, tangent) - (la + slope * (tangent - a))
    return float(np.max(np.maximum(gap, 0.0), initial=0.0))
