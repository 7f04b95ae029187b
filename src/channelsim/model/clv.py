"""Customer lifetime value (docs/model.md "CRM"): lifetime orders × contribution per order.

A customer is a non-member first: they buy at r, lapse at d and join programme k at e_k.
A member buys at r·m_p,k and lapses at d·m_c,k. The chance that a non-member's next event
is a purchase, a lapse or joining k is r, d, e_k over their sum (competing exponential
clocks), so lifetime orders = 1 (the first) + r/(d + Σe) + Σ_k e_k/(d + Σe) · r·m_p,k/(d·m_c,k).
Undiscounted; where nobody ever lapses, a lifetime is capped at the horizon.

Customer equity (SPEC §3 "Customer equity"): what a customer active at the horizon still
brings in the next `EQUITY_WEEKS` weeks, undiscounted. They buy from us at `b·(1 − P_0)`
(`P_0` the rivals' share at an occasion) and leave at `k = c + b·P_0·s` (a lapse, or a rival
occasion followed by a switch with probability `s`), so the expected contribution is
`b·(1 − P_0)·m·(1 − e^(−k·W))/k` with `m` the mean contribution of one of our orders.
"""

from __future__ import annotations

import math

#: Customer equity counts the weeks after the horizon up to this many.
EQUITY_WEEKS = 52


def lifetime_orders(
    purchases_per_week: float,
    churn_per_week: float,
    horizon: int,
    programmes: tuple[tuple[float, float, float], ...] = (),
) -> float:
    """Expected orders of a new customer over their life (the first included).

    `programmes`: (enrolment per week, purchase multiplier, churn multiplier) of the
    programmes that run."""
    join = sum(e for e, _, _ in programmes)
    leave = churn_per_week + join
    as_non_member = purchases_per_week / leave if leave > 0 else purchases_per_week * horizon
    as_member = 0.0
    for enrolment, buy, stay in programmes:
        member_churn = churn_per_week * stay
        lifetime = 1.0 / member_churn if member_churn > 0 else float(horizon)
        as_member += enrolment / leave * purchases_per_week * buy * lifetime
    return 1.0 + as_non_member + as_member


def clv(
    contribution_per_order: float,
    purchases_per_week: float,
    churn_per_week: float,
    horizon: int,
    programmes: tuple[tuple[float, float, float], ...] = (),
) -> float:
    """Lifetime value of a new customer; NaN when the segment had no orders (no contribution per order)."""
    if math.isnan(contribution_per_order):
        return math.nan
    return contribution_per_order * lifetime_orders(purchases_per_week, churn_per_week, horizon, programmes)


def customer_equity(
    buy: float, churn: float, rival_share: float, switch: float, contribution_per_order: float,
    weeks: float = EQUITY_WEEKS,
) -> float:  # fmt: skip
    """Expected contribution of one active customer over the next `weeks` (see the module's note)."""
    ours = buy * (1.0 - rival_share)
    leave = churn + buy * rival_share * switch
    survival = -math.expm1(-leave * weeks) / leave if leave > 0 else weeks  # ∫_0^W e^(−k·t) dt
    return ours * contribution_per_order * survival
