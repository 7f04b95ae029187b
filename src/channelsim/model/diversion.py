"""Cross-territory diversion 窜货 (docs/model.md "Cross-territory diversion").

A partner i pays the brand `k_i = (1 − m)·(1 − rebate_i)` per unit of list price. Against a
region's partners j of the same channel it could undercut by the gap
`g = max_j (k_j − k_i) + (p_j − p_i)`; above its threshold `price_gap` it diverts with the
weight `w = propensity · min(1, (g − price_gap) / price_gap)` (full weight at twice the
threshold; `propensity` from the first cent when the threshold is 0). Detected at
`enforcement_per_week`, it loses its tier (and its diversion) for `penalty_weeks`, so in the
long run it diverts in a share `1 / (1 + e·P)` of the weeks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from channelsim.model.money import wholesale_share

#: What a partner pays per unit of list price (the diversion rules call it its unit cost).
unit_cost = wholesale_share


def diversion_gap(cost: float, price: float, victims: Iterable[tuple[float, float]]) -> float:
    """How far a partner could undercut a region's partners: max of (k_j − k_i) + (p_j − p_i).

    `victims` are the (unit cost, price) of the open partners of the same channel in the
    other region; with none there, there is nobody to divert against (−inf).
    """
    return max(((k - cost) + (p - price) for k, p in victims), default=-math.inf)


def diversion_weight(gap: float, threshold: float, propensity: float) -> float:
    """The diverter's weight in the other region: 0 up to the threshold, full at twice it."""
    if gap <= threshold or propensity <= 0.0:
        return 0.0
    if threshold <= 0.0:
        return propensity
    return propensity * min(1.0, (gap - threshold) / threshold)


def penalty_length(penalty_weeks: float) -> int:
    """Whole weeks of penalty (a started week counts)."""
    return math.ceil(penalty_weeks - 1e-9)


def diverting_share(enforcement_per_week: float, penalty_weeks: float) -> float:
    """Long-run share of weeks a diverter is not under penalty: `1 / (1 + e·P)`, P whole weeks."""
    return 1.0 / (1.0 + enforcement_per_week * penalty_length(penalty_weeks))
