"""Synthetic histories for the fit's tests: weekly leads drawn from known curves and a known adstock.

The means are the model's own (`channelsim.curves.leads_at` of `channelsim.model.adstock`), the
counts Poisson or negative binomial (NB2, size r: variance μ + μ²/r), spend log-normal around a
level so that it varies about 3-fold over the weeks (enough to see saturation).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from channelsim.curves import Curve, leads_at
from channelsim.model.adstock import adstock_series


def weekly(curve: Curve, adstock: float, level: float, weeks: int, rng: np.random.Generator,
           size: float | None = None, spread: float = 0.55) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(spend, leads) of `weeks` weeks; `size` None: Poisson, else NB2 with that size."""
    spend = np.round(level * np.exp(rng.normal(0.0, spread, weeks)), 0)
    mu = leads_at(curve, adstock_series(adstock, float(spend[0]), spend))
    leads = rng.poisson(mu) if size is None else rng.negative_binomial(size, size / (size + mu))
    return spend, leads


def write_history(path: Path, series: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["week", "source", "spend", "leads"])
        for source, (spend, leads) in series.items():
            out.writerows(
                (week, source, f"{x:g}", int(y)) for week, (x, y) in enumerate(zip(spend, leads, strict=True))
            )
    return path
