"""Piecewise-linear functions inside the MILP: response curves (leads) and rate cards (media cost).

A function given by breakpoints `xs`, `ys` is written with segment fills `δ_k ∈ [0, len_k]`,
`x = xs_0 + Σ δ_k`, `f(x) = ys_0 + Σ slope_k·δ_k`. When the optimizer's own pressure fills
the segments in order (a concave curve whose leads are worth something, a convex cost)
that is an exact LP. Otherwise (S-shaped curves, `points` data, volume discounts, or a
lead that is worth nothing) incremental binaries force the order: `δ_(k+1) > 0` only if
segment k is full (`δ_k ≥ len_k·b_k ≥ len_k·…`, `δ_(k+1) ≤ len_(k+1)·b_k`).

A response curve given by a concave formula (exponential, linear, logistic, tanh, hill with
shape ≤ 1) has concave pieces: the breakpoints lie on the curve, so the chords' slopes fall.
That is taken from the curve's form, not re-derived from rounded slopes; `points` are judged
on their pieces.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pulp

from channelsim.curves import Curve, PointsCurve, breakpoints, max_error


@dataclass(frozen=True)
class Piecewise:
    """Breakpoints of a piecewise-linear function on `[xs[0], xs[-1]]`."""

    xs: np.ndarray
    ys: np.ndarray
    error: float = 0.0  # largest gap to the true function on the interval
    concave_by_form: bool = False  # the function is known to be concave (a concave curve's chords)

    @property
    def slopes(self) -> np.ndarray:
        return np.diff(self.ys) / np.diff(self.xs)

    @property
    def concave(self) -> bool:
        return self.concave_by_form or bool(
            np.all(np.diff(self.slopes) <= 1e-12 * max(1.0, float(np.abs(self.slopes).max(initial=0))))
        )

    @property
    def convex(self) -> bool:
        return bool(
            np.all(np.diff(self.slopes) >= -1e-12 * max(1.0, float(np.abs(self.slopes).max(initial=0))))
        )

    def __call__(self, x: float) -> float:
        return float(np.interp(x, self.xs, self.ys))


def response_pieces(curve: Curve, upper: float, pieces: int) -> Piecewise:
    """The curve on `[0, upper]` with `pieces` pieces placed where it bends, and its error bound.

    Concave curves (`logistic` and `tanh` always) give concave pieces, which the MILP fills in
    order without binaries when their leads are worth something.
    """
    xs, ys = breakpoints(curve, upper, pieces)
    if len(xs) < 2:  # a source that cannot spend: one flat piece
        xs, ys = np.array([0.0, 1.0]), np.array([0.0, 0.0])
    # a concave formula's chords are concave; `points` are judged on the pieces themselves (its
    # flat tail beyond the last point can break concavity of falling data)
    by_form = bool(curve.concave) and not isinstance(curve, PointsCurve)
    return Piecewise(xs, ys, max_error(curve, xs, ys), by_form)


def rate_card_pieces(tiers: list[tuple[float, float]], upper: float) -> Piecewise:
    """Media cost of spend-equivalent `x` on `[0, upper]`: price tiers `(up_to, price)`, last price beyond."""
    xs, ys, cost, lower = [0.0], [0.0], 0.0, 0.0
    for up_to, price in tiers:
        if up_to >= upper:
            break
        cost += (up_to - lower) * price
        xs.append(up_to)
        ys.append(cost)
        lower = up_to
    price = next((p for u, p in tiers if u >= upper), tiers[-1][1])
    xs.append(max(upper, lower + 1e-9))
    ys.append(cost + (xs[-1] - lower) * price)
    return Piecewise(np.array(xs), np.array(ys))


def add_piecewise(
    prob: pulp.LpProblem, name: str, x: pulp.LpAffineExpression, f: Piecewise, ordered: bool
) -> tuple[pulp.LpAffineExpression, list[pulp.LpVariable]]:
    """Add `y = f(x)` to `prob` and return `y`'s expression and the binaries (empty if `ordered` is False).

    With `ordered` False the caller guarantees the optimizer fills segments in order itself.
    """
    lengths = np.diff(f.xs)
    fills = [prob.add_variable(f"{name}_d{k}", 0, float(length)) for k, length in enumerate(lengths)]
    prob += (x == float(f.xs[0]) + pulp.lpSum(fills), f"{name}_link")
    binaries: list[pulp.LpVariable] = []
    if ordered and len(fills) > 1:
        binaries = [prob.add_variable(f"{name}_b{k}", 0, 1, pulp.LpBinary) for k in range(len(fills) - 1)]
        for k, (now, nxt) in enumerate(itertools.pairwise(fills)):
            prob += (now >= float(lengths[k]) * binaries[k], f"{name}_full{k}")
            prob += (nxt <= float(lengths[k + 1]) * binaries[k], f"{name}_next{k}")
    value = float(f.ys[0]) + pulp.lpSum(float(s) * d for s, d in zip(f.slopes, fills, strict=True))
    return value, binaries
