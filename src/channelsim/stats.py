"""Statistics across replications: mean, sample standard deviation, 95% t-interval."""

from __future__ import annotations

import math
from typing import Any

# two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)  # fmt: skip


def t975(dof: int) -> float:
    """The 97.5% quantile of Student's t (normal approximation refined beyond 30 dof)."""
    if dof <= 0:
        return math.nan
    if dof <= len(_T975):
        return _T975[dof - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)


def _clean(value: float) -> float | None:
    """JSON-safe, stable rendering: None for NaN/inf, 10 significant digits otherwise."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.10g}")


def describe(values: list[float]) -> dict[str, Any]:
    """`{"mean", "std", "ci95": [lo, hi]}` of one figure over replications (NaNs ignored)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    n = len(finite)
    if n == 0:
        return {"mean": None, "std": None, "ci95": [None, None]}
    mean = math.fsum(finite) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in finite) / (n - 1)) if n > 1 else 0.0
    half = t975(n - 1) * std / math.sqrt(n) if n > 1 else 0.0
    return {"mean": _clean(mean), "std": _clean(std), "ci95": [_clean(mean - half), _clean(mean + half)]}


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan
