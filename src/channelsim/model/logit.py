"""Multinomial-logit channel choice (SPEC §3 "Channel choice").

`V_j = affinity[segment][channel] + ln w_divert (a partner selling outside its region)
 + routes_to[source][channel] (first purchase only) + channel_bonus (members)
 − price_sensitivity·(price_j − 1) + ln(effort_j·(1 + effort_boost_j))`
and `P_j = exp(V_j) / Σ_k exp(V_k)`; the outlet of the last purchase gets `+ loyalty`, that
is its weight times `exp(loyalty)`, `1 + loyalty_factor`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def log_effort(effort: float, effort_boost: float = 0.0) -> float:
    """The effort term of the utility: `ln(effort·(1 + boost))`."""
    return math.log(effort * (1.0 + effort_boost))


def utility(
    affinity: float,
    price: float,
    price_sensitivity: float,
    effort_term: float,
    *,
    diversion: float = 0.0,
    route: float = 0.0,
    bonus: float = 0.0,
) -> float:
    """V_j of one outlet: the intercepts (`diversion` is ln of the diverter's weight), the price
    term and the effort term (`log_effort`); the loyalty term is added by `loyalty_factor`."""
    return affinity + diversion + route + bonus - price_sensitivity * (price - 1.0) + effort_term


def logit_weights(utilities: Sequence[float]) -> list[float]:
    """exp(V_j − max V): the logit's weights, shifted for numerical safety (shares unchanged)."""
    if not utilities:
        return []
    top = max(utilities)
    return [math.exp(u - top) for u in utilities]


def logit_shares(utilities: Sequence[float]) -> list[float]:
    """P_j = exp(V_j) / Σ_k exp(V_k)."""
    weights = logit_weights(utilities)
    total = sum(weights)
    return [w / total for w in weights]


def loyalty_factor(loyalty: float) -> float:
    """The extra weight of the last outlet, relative to its own: `exp(loyalty) − 1`."""
    return math.exp(loyalty) - 1.0


def without_price(weight: float, price: float, price_sensitivity: float) -> float:
    """An outlet's weight with its price term taken out (the same choice at list prices)."""
    return weight * math.exp(price_sensitivity * (price - 1.0))
