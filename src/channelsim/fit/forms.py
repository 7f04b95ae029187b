"""The curve forms a fit chooses among, as vectors an optimizer moves: to and from `curves.py`'s models.

A form's free parameters are written on log scales relative to the data (spend over its median
positive value `sx`, leads over their mean `sy`), so that every start and bound reads the same
for a source of 50 leads a week and one of 50,000. The curve itself is always `curves.py`'s model,
evaluated by `curves.leads_at`: the fit never writes a response equation of its own.

`logistic` and `tanh` are one family, `M·tanh(k·x)` (docs/model.md): they fit the same, so the
fit estimates the family once (as `logistic`) and writes it in whichever key the scenario used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from channelsim._types import MAX_AMOUNT
from channelsim.curves import Curve, ExponentialCurve, HillCurve, LinearCurve, LogisticCurve, TanhCurve

#: the forms a fit compares, in the order its table lists them
FORMS = ("hill", "exponential", "logistic", "tanh", "linear")
#: forms estimated (tanh is logistic written differently)
ESTIMATED = ("hill", "exponential", "logistic", "linear")
#: bounds of a log-scale parameter: e^±9 is 8,000 times the data's own scale either way
LOG_BOUND = 9.0
#: Hill's shape k on a log scale: 0.25 … 20 (the scenario allows up to 20)
SHAPE_BOUNDS = (math.log(0.25), math.log(20.0))
#: adstock carry-over a: 0 … 0.95 (a half-life of 13.5 weeks at most)
ADSTOCK_BOUNDS = (0.0, 0.95)


@dataclass(frozen=True)
class Scales:
    """The data's own units: median positive spend and mean leads per week."""

    sx: float
    sy: float

    @classmethod
    def of(cls, spend: np.ndarray, leads: np.ndarray) -> Scales:
        positive = spend[spend > 0]
        return cls(float(np.median(positive)) if positive.size else 1.0, max(float(np.mean(leads)), 1e-3))


def n_curve_params(form: str) -> int:
    return {"hill": 3, "exponential": 2, "logistic": 2, "tanh": 2, "linear": 1}[form]


def curve_bounds(form: str) -> list[tuple[float, float]]:
    box = (-LOG_BOUND, LOG_BOUND)
    return (
        [box, box, SHAPE_BOUNDS][: n_curve_params(form)] if form == "hill" else [box] * n_curve_params(form)
    )


def to_curve(form: str, u: np.ndarray, s: Scales, checked: bool = False) -> Curve:
    """The curve of the log-scale vector `u` (`checked`: validated, as a scenario would hold it)."""
    make = _checked if checked else _unchecked
    if form == "hill":
        return make(HillCurve, curve="hill", max_leads_per_week=s.sy * math.exp(u[0]),
                    half_saturation=s.sx * math.exp(u[1]), shape=math.exp(u[2]))  # fmt: skip
    if form == "exponential":
        return make(ExponentialCurve, curve="exponential", max_leads_per_week=s.sy * math.exp(u[0]),
                    scale=s.sx * math.exp(u[1]))  # fmt: skip
    if form in ("logistic", "tanh"):
        top, rate = s.sy * math.exp(u[0]), math.exp(u[1]) / s.sx  # M·tanh(rate·x)
        if form == "logistic":
            return make(LogisticCurve, curve="logistic", max_leads_per_week=top, lam=2.0 * rate)
        return make(TanhCurve, curve="tanh", max_leads_per_week=top, c=1.0 / (top * rate))
    return make(LinearCurve, curve="linear", leads_per_unit_spend=s.sy / s.sx * math.exp(u[0]))


def slopes(curve: Curve, x: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂x [week], ∂L/∂u [parameter, week]) of a curve `to_curve(form, u, ·)` at effective spends `x ≥ 0`,
    where the curve is `value` (its `curves.leads_at`): what the likelihood's gradient needs.

    The derivatives are written in the curve's own value, so the curve's equation stays in
    `curves.py`; tests/test_fit.py checks them against finite differences of `curves.leads_at`.
    Each `u` is a log, so ∂L/∂u is the parameter times ∂L/∂(parameter).
    """
    if isinstance(curve, HillCurve):  # L = M / (1 + (h/x)^k); q = 1 − L/M = (h/x)^k / (1 + (h/x)^k)
        k, positive = curve.shape, x > 0
        safe = np.where(positive, x, 1.0)
        fall = np.where(positive, k * value * (1.0 - value / curve.max_leads_per_week), 0.0)  # k·L·q
        return fall / safe, np.vstack([value, -fall, -fall * np.log(curve.half_saturation / safe)])
    if isinstance(curve, ExponentialCurve):  # L = M (1 − e^(−x/c))
        c = curve.scale
        rest = curve.max_leads_per_week * np.exp(-x / c)  # M − L, without the cancellation
        return rest / c, np.vstack([value, -rest * x / c])
    if isinstance(curve, LogisticCurve | TanhCurve):  # L = M tanh(ρx)
        top, rho = curve.max_leads_per_week, curve.rate
        steep = top * rho * (1.0 - (value / top) ** 2)  # M·ρ·sech²(ρx)
        return steep, np.vstack([value, steep * x])
    if isinstance(curve, LinearCurve):
        return np.full_like(x, curve.leads_per_unit_spend), value[np.newaxis, :]
    raise ValueError(f"a fit has no form for a {curve.curve} curve")


def from_curve(curve: Curve, s: Scales) -> tuple[str, np.ndarray]:
    """The form and log-scale vector of a curve (the inverse of `to_curve`)."""
    if isinstance(curve, HillCurve):
        return "hill", np.log([curve.max_leads_per_week / s.sy, curve.half_saturation / s.sx, curve.shape])
    if isinstance(curve, ExponentialCurve):
        return "exponential", np.log([curve.max_leads_per_week / s.sy, curve.scale / s.sx])
    if isinstance(curve, LogisticCurve | TanhCurve):
        return "logistic", np.log([curve.max_leads_per_week / s.sy, curve.rate * s.sx])
    if isinstance(curve, LinearCurve):
        return "linear", np.log([curve.leads_per_unit_spend * s.sx / s.sy])
    raise ValueError(f"a fit has no form for a {curve.curve} curve")


def start_shapes(form: str) -> list[list[float]]:
    """Starting values of the parameters after M (log scale): saturation below and well above the
    median spend (Hill: gentle at 0.7 of it, S-shaped at 3 times it). M itself starts where the
    leads' total is matched."""
    if form == "hill":
        return [[math.log(0.7), math.log(1.0)], [math.log(3.0), math.log(2.5)]]
    if form == "exponential":
        return [[math.log(h)] for h in (0.5, 1.0, 3.0)]
    if form == "logistic":
        return [[math.log(k)] for k in (0.2, 0.6, 2.0)]
    return [[]]


def parameters(curve: Curve) -> dict[str, float]:
    """The curve's numbers as the scenario writes them (no `curve` key)."""
    return {k: float(v) for k, v in curve.model_dump().items() if k != "curve"}


def _unchecked(cls: type, **values: object) -> Curve:
    return cls.model_construct(**values)  # type: ignore[attr-defined]


def _checked(cls: type, **values: object) -> Curve:
    """Six significant digits, inside the scenario's ranges (a shape at its bound of 20 stays 20)."""
    top = {"shape": 20.0}
    clean = {k: min(float(f"{v:.6g}"), top.get(k, float(MAX_AMOUNT))) if isinstance(v, float) else v
             for k, v in values.items()}  # fmt: skip
    return cls(**clean)
