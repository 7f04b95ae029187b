"""When things happen within the horizon: repeat purchases, member-weeks and consideration delays.

A customer whose first purchase is at `t` buys again at rate b and lapses at rate c: the
k-th repeat happens iff the first k of the competing events are purchases (probability
(b/(b+c))^k) before the horizon (Gamma(k, b+c) < T−t). These are the closed forms the
lead and customer values integrate over the time grid.
"""

from __future__ import annotations

import math

import numpy as np


def repeat_weights(buy: float, churn: float, remaining: np.ndarray) -> np.ndarray:
    """W[i, k−1] = P(the k-th repeat purchase happens within `remaining[i]` weeks)."""
    from scipy.special import gammainc  # scipy loads only when a valuation runs

    rate = buy + churn
    if buy <= 0.0:
        return np.zeros((len(remaining), 0))
    p = buy / rate
    mean = rate * float(np.max(remaining, initial=0.0))
    top = mean + 10.0 * math.sqrt(mean) + 10.0
    k_max = int(min(top, math.log(1e-10) / math.log(p) if p < 1 else top)) + 1
    k = np.arange(1, k_max + 1)
    return np.asarray(p**k * gammainc(k[None, :], rate * np.maximum(remaining, 0.0)[:, None]))


def decay_integral(rate: float, remaining: np.ndarray) -> np.ndarray:
    """∫_0^τ e^(−rate·u) du = (1 − e^(−rate·τ)) / rate (τ when rate is 0; any sign of rate)."""
    if abs(rate) < 1e-12:
        return remaining.astype(float)
    return np.asarray(-np.expm1(-rate * remaining) / rate)


def member_exposure(leave: float, member_churn: float, remaining: np.ndarray) -> np.ndarray:
    """Expected member-weeks within `remaining` of an active non-member who joins at rate 1.

    A non-member stays one at rate `leave` (lapse + joining any programme); once a member they
    lapse at `member_churn`: ∫_0^τ e^(−a·u) ∫_u^τ e^(−b·(s−u)) ds du
    = (I(a, τ) − e^(−b·τ)·I(a − b, τ)) / b with I the decay integral (b → 0: τ/a − I(a, τ)/a)."""
    remaining = np.maximum(remaining, 0.0)
    a, b = leave, member_churn
    if b < 1e-9:
        if a < 1e-12:
            return np.asarray(remaining**2 / 2.0)
        return np.asarray(remaining / a - decay_integral(a, remaining) / a)
    return np.asarray(
        (decay_integral(a, remaining) - np.exp(-b * remaining) * decay_integral(a - b, remaining)) / b
    )


def delay_convolve(values: np.ndarray, mean_delay: float, step: float) -> np.ndarray:
    """D(t) = ∫_0^(T−t) exp(−d/w)/w · X(t+d) dd on the grid (rows: time), trapezoid rule."""
    from scipy.signal import lfilter  # scipy loads only when a valuation runs

    if mean_delay <= 0.0:
        return values.copy()
    lam = math.exp(-step / mean_delay)
    later = np.vstack([values[1:], np.zeros((1, values.shape[1]))])
    drive = (1.0 - lam) / 2.0 * (values + later)
    drive[-1] = 0.0  # nothing converts after the horizon
    out = lfilter([1.0], [1.0, -lam], drive[::-1], axis=0)[::-1]
    return np.asarray(out)
