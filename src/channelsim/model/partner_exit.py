"""Partner exit (docs/model.md "Partner exit"): a partner leaves when its trailing margin is too thin.

Each week a partner looks at its margin (what its customers paid less what it paid the brand)
over the last `EXIT_WINDOW_WEEKS` weeks and leaves when the mean is below its
`exit_below_margin_per_week`. A plan that means to keep a partner must leave room for the weekly
noise of that mean: with Poisson orders of mean n a week at margin m each, the window's mean
margin has standard deviation m·√(n/W), so it keeps `n·m − z·m·√(n/W) ≥ threshold`.
"""

from __future__ import annotations

import math

#: A partner judges its margin over this many trailing weeks before deciding to leave.
EXIT_WINDOW_WEEKS = 4


def should_exit(margins: list[float], threshold: float) -> bool:
    """Leave when the mean weekly margin over the trailing window is below the threshold."""
    return threshold > 0.0 and len(margins) >= EXIT_WINDOW_WEEKS and sum(margins) / len(margins) < threshold


def orders_to_stay(threshold: float, margin_per_order: float, cushion_sd: float) -> float:
    """The least mean orders a week n with n·m − z·m·√(n/W) ≥ threshold (∞ if an order earns nothing).

    With √n = y: y² − (z/√W)·y − threshold/m ≥ 0, so y = (k + √(k² + 4·threshold/m)) / 2, k = z/√W."""
    if margin_per_order <= 0.0:
        return math.inf
    k = cushion_sd / math.sqrt(EXIT_WINDOW_WEEKS)
    root = (k + math.sqrt(k * k + 4.0 * threshold / margin_per_order)) / 2.0
    return root * root
