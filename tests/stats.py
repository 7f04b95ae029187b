"""Tolerances for statistical tests, all from standard errors (never guessed).

A test compares an estimate with what the model says it should be and allows `Z` standard
errors of the estimate: for a correct model a two-sided miss beyond 4 SE happens about
6 times in 100,000 (normal approximation), and every test uses a fixed seed, so a failure
is a change of the model or of the random numbers, not bad luck. A test of a direction
(comparative statics with common random numbers) asks for the mean paired difference to
exceed `Z_DIRECTION` standard errors: one-sided, a false "yes" about 1 in 700.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Two-sided tolerance of an estimate against theory, in standard errors of the estimate.
Z = 4.0
#: One-sided: how many standard errors a paired difference must exceed to count as a direction.
Z_DIRECTION = 3.0


def assert_within_se(observed: object, expected: object, se: object, what: str = "") -> None:
    """`|observed − expected| < Z·se`, elementwise; the message says by how many SE it missed.

    An exact match passes even when `se` is 0; a NaN anywhere fails.
    """
    got, want, error = (np.asarray(x, dtype=float) for x in (observed, expected, se))
    miss = np.abs(got - want)
    ok = (miss == 0) | (miss < Z * error)
    if not np.all(ok):
        with np.errstate(divide="ignore", invalid="ignore"):
            sigmas = miss / error
        raise AssertionError(
            f"{what or 'estimate'}: observed {got.tolist()} vs expected {want.tolist()}, "
            f"off by {np.round(sigmas, 2).tolist()} standard errors (SE {error.tolist()}, allowed {Z:g})"
        )


def mean_se(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """The sample mean of independent observations and its standard error s/√n."""
    x = np.asarray(values, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))


def assert_mean_within_se(values: Sequence[float] | np.ndarray, expected: float, what: str = "") -> None:
    """The mean of independent observations (e.g. replications) is within Z SE of `expected`."""
    mean, se = mean_se(values)
    assert_within_se(mean, expected, se, what)


def binomial_se(p: object, n: object) -> np.ndarray:
    """Standard error of a share estimated from `n` independent trials of probability `p`."""
    share = np.asarray(p, dtype=float)
    return np.sqrt(share * (1.0 - share) / np.asarray(n, dtype=float))


def poisson_mean_se(rate: float, n: int) -> float:
    """Standard error of the mean of `n` Poisson counts of mean `rate` (variance = mean)."""
    return math.sqrt(rate / n)


def poisson_variance_se(rate: float, n: int) -> float:
    """Standard error of the sample variance of `n` Poisson counts of mean `rate`.

    Var(s²) = (μ₄ − σ⁴·(n − 3)/(n − 1)) / n with σ² = λ and μ₄ = λ + 3λ² for a Poisson.
    """
    mu4, sigma4 = rate + 3.0 * rate**2, rate**2
    return math.sqrt((mu4 - sigma4 * (n - 3) / (n - 1)) / n)


def assert_increases(low: Sequence[float] | np.ndarray, high: Sequence[float] | np.ndarray) -> None:
    """`high` exceeds `low` (paired, common random numbers) by more than Z_DIRECTION SE of the differences."""
    diff = np.asarray(high, dtype=float) - np.asarray(low, dtype=float)
    mean, se = mean_se(diff)
    assert mean > Z_DIRECTION * se and mean > 0, (
        f"paired difference {mean} is not above {Z_DIRECTION:g} standard errors ({se})"
    )
