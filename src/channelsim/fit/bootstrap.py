"""The fit's uncertainty: a circular block bootstrap of the weeks, refitted with the chosen form.

A resample draws blocks of `ℓ` consecutive weeks (wrapping round the end: Politis & Romano's
circular block bootstrap, 1992) until it has as many weeks as the history, and counts how often
each week was drawn. The refit weights each week's log-likelihood by its count, while the adstock
still runs over the whole spend history in its order: carry-over is never cut at a block's edge,
and within a block the weeks keep whatever dependence the model leaves in them. ℓ = ⌈1.5·T^(1/3)⌉
(7 weeks for two years), the order Hall, Horowitz & Jing (1995) show best for the distribution
of an estimator. Intervals are the 2.5% and 97.5% percentiles of the refits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from channelsim.curves import Curve, leads_at
from channelsim.fit.estimate import Data, FormFit, fit_form, mean_leads


def block_length(weeks: int) -> int:
    return max(2, math.ceil(1.5 * weeks ** (1 / 3)))


def block_weights(weeks: int, rng: np.random.Generator, length: int | None = None) -> np.ndarray:
    """How often each week appears in one circular block resample of `weeks` weeks."""
    size = length or block_length(weeks)
    blocks = math.ceil(weeks / size)
    starts = rng.integers(0, weeks, size=blocks)
    picked = ((starts[:, None] + np.arange(size)[None, :]) % weeks).ravel()[:weeks]
    return np.bincount(picked, minlength=weeks).astype(float)


@dataclass
class Bootstrap:
    """The refits of one source: each one's parameters, curve and weekly means."""

    fits: list[FormFit]
    curves: list[Curve]
    means: np.ndarray  # [refit, week]: μ_t of each refit

    def band(self, spends: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise percentiles of the refitted curves at steady `spends` (effective = spend)."""
        values = np.array([leads_at(c, spends) for c in self.curves])
        tail = 100 * (1 - level) / 2
        return np.percentile(values, tail, axis=0), np.percentile(values, 100 - tail, axis=0)

    def interval(self, values: list[float], level: float = 0.95) -> tuple[float, float]:
        tail = 100 * (1 - level) / 2
        return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def bootstrap(point: FormFit, data: Data, replicates: int, rng: np.random.Generator) -> Bootstrap:
    """`replicates` refits of `point`'s form and family, each from the point optimum and its other basin."""
    fits, curves, means = [], [], []
    starts = [point.theta, *point.others[:1]]
    for _ in range(replicates):
        weights = block_weights(len(data.leads), rng)
        refit = fit_form(point.form, point.family, data, weights=weights, starts=starts)
        fits.append(refit)
        curves.append(refit.curve(data.scales))
        means.append(mean_leads(point.form, refit.theta, data))
    return Bootstrap(fits, curves, np.array(means) if means else np.zeros((0, len(data.leads))))
