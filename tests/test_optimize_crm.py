"""The optimizer's CRM levers: a loyalty programme on or off, and win-back spend on its curve.

The programme case is reduced to what a hand computation covers: no leads, no word of mouth,
one direct channel, customers active at week 0. A non-member buys at r, lapses at d and joins
at e; a member buys at r·m_p and lapses at d·m_c (docs/model.md "Membership and win-back").
The member-weeks come from the double integral done numerically (scipy.integrate.dblquad), not
from the closed form the valuation uses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import dblquad

import channelsim as cs
from builders import scenario, segment
from channelsim import valuation as va

N, R, D, E = 1000, 0.5, 0.05, 0.1  # initial customers, buy, lapse, join (per week)
M_P, M_C, POINTS = 1.4, 0.5, 0.03  # member purchase and churn multipliers, points on spend
T, VALUE, MARGIN = 20, 10.0, 0.4  # weeks, order value, gross margin (one direct channel)


def crm_scenario(cost_per_member: float, **extra: object):
    people = segment(initial_customers=N, purchases_per_week=R, churn_per_week=D, order_value=VALUE)
    programme = {"id": "club", "channels": ["shop"], "enrolment_per_week": E, "purchase_multiplier": M_P,
                 "churn_multiplier": M_C, "points_cost": POINTS, "cost_per_member_per_week": cost_per_member,
                 "active": False}  # fmt: skip
    return scenario(horizon_weeks=T, gross_margin=MARGIN, segments=[people], loyalty_programs=[programme],
                    **extra)  # fmt: skip


def hand_values() -> tuple[float, float]:
    """(gain in contribution from running the programme, member-weeks) over the horizon, by hand.

    Off: each customer buys r·(1 − e^(−dT))/d times. On: as a non-member r·(1 − e^(−aT))/a with
    a = d + e; joins at u with density e·e^(−a·u) and is then a member for s − u weeks with
    probability e^(−d·m_c·(s − u)): member-weeks = ∫_0^T ∫_u^T e·e^(−a·u)·e^(−b(s−u)) ds du."""
    per_order = VALUE * MARGIN  # payment − cost of goods (price index 1, no variable cost)
    a, b = D + E, D * M_C
    off = R * (1 - math.exp(-D * T)) / D
    non_member = R * (1 - math.exp(-a * T)) / a
    weeks, _ = dblquad(lambda s, u: E * math.exp(-a * u - b * (s - u)), 0, T, lambda u: u, lambda u: T)
    member_orders = R * M_P * weeks
    gain = N * (per_order * (non_member + member_orders - off) - POINTS * VALUE * member_orders)
    return gain, N * weeks


def test_valuation_matches_the_hand_computation() -> None:
    gain, weeks = hand_values()
    sc = crm_scenario(0.0)
    on, off = (va.forecast(sc, {}, {}, programmes={"club": flag}) for flag in (True, False))
    assert on.contribution - off.contribution == pytest.approx(gain, rel=1e-6)
    assert on.totals[on.layout.member(0)] == pytest.approx(weeks, rel=1e-6)


@pytest.mark.parametrize("factor", [0.99, 1.01])
def test_programme_runs_exactly_when_its_value_exceeds_its_cost(factor: float) -> None:
    """Break-even cost per member-week = gain / member-weeks; 1% below it the programme runs,
    1% above it does not, and the plan's value is the better of the two options."""
    gain, weeks = hand_values()
    break_even = gain / weeks
    assert break_even > 0
    cost = break_even * factor
    plan = cs.optimize(crm_scenario(cost), solver="highs")
    running = factor < 1
    assert plan.programmes == {"club": running}
    assert plan.as_plan_data()["loyalty_programs"] == {"club": {"active": running}}
    net = gain - cost * weeks  # on against off
    assert plan.objective_value - plan.baseline_value == pytest.approx(max(net, 0.0), rel=1e-6, abs=1e-6)


def winback_scenario(budget: float):
    people = segment(initial_customers=N, purchases_per_week=R, churn_per_week=0.1, order_value=VALUE)
    winback = {"spend_per_week": 100, "max_spend_per_week": 2000,
               "response": {"curve": "hill", "max_leads_per_week": 60, "half_saturation": 400, "shape": 1.0}}  # fmt: skip
    return scenario(horizon_weeks=T, gross_margin=MARGIN, segments=[people], winback=winback,
                    budget={"marketing_per_week": budget})  # fmt: skip


@pytest.mark.parametrize("budget", [60.0, 5000.0])
def test_winback_spend_against_brute_force(budget: float) -> None:
    """The optimizer's win-back spend is as good as the best of a fine grid on the exact curve
    (within the pieces' error), and never beyond the marketing budget."""
    sc = winback_scenario(budget)
    plan = cs.optimize(sc, solver="highs")
    grid = np.linspace(0.0, min(budget, 2000.0), 401)
    values = [va.forecast(sc, {}, {}, winback=[x] * T).profit for x in grid]
    best = float(np.max(values))
    assert plan.winback <= budget + 1e-6
    got = va.forecast(sc, {}, {}, winback=[plan.winback] * T).profit
    assert got == pytest.approx(plan.objective_value, rel=1e-9)
    assert got >= best - 1e-3 * abs(best)
    if budget < 1000:  # a tight budget binds: every euro goes to win-back
        assert plan.winback == pytest.approx(budget, abs=0.01)
        assert "marketing_budget" in plan.binding
