"""Robust planning: one plan against several futures (expected value, worst case, CVaR).

The hand-solved example: two sources with linear curves, a budget of 100 a week and two futures.
One lead is worth 10 (one order of 25 at 40% margin, no repeats), so the net return per unit of
spend is 10·k − 1 for k leads per unit:

    future 1 (base):   a returns 3, b returns 1   (k_a = 0.4, k_b = 0.2)
    future 2 ("flip"): a returns 1, b returns 2   (k_a = 0.2, k_b = 0.3)

Every unit is worth spending, so a + b = 100 and with b = 100 − a, per week:
F1 = 3a + (100 − a) = 100 + 2a, F2 = a + 2(100 − a) = 200 − a.
- expected (equal weights): (F1 + F2)/2 = 150 + a/2 → a = 100, b = 0 (F1 = 300, F2 = 100).
- worst case: max min(100 + 2a, 200 − a) → where they cross, a = 100/3, b = 200/3, value 166.67.
- CVaR at α = 0.5 with two equal futures is the mean of the worse half = the worse future:
  the worst-case plan; CVaR at α = 1 is the expected value.
Over 4 weeks every value is 4 times the weekly one.
"""

from __future__ import annotations

import pytest

import channelsim as cs
from builders import scenario, segment
from channelsim.optimize.robust import measure, optimize_robust
from channelsim.scenario import validate_data

WEEKS = 4


def two_futures():
    people = segment(population=10**9, order_value=25.0)

    def source(name: str, k: float) -> dict:
        return {"id": name, "spend_per_week": 50, "max_spend_per_week": 100,
                "response": {"curve": "linear", "leads_per_unit_spend": k}}  # fmt: skip

    flip = {
        "set": {
            "sources.a.response.leads_per_unit_spend": 0.2,
            "sources.b.response.leads_per_unit_spend": 0.3,
        }
    }
    return scenario(horizon_weeks=WEEKS, segments=[people], sources=[source("a", 0.4), source("b", 0.2)],
                    budget={"marketing_per_week": 100, "max_share_per_source": 1.0}, variants={"flip": flip})  # fmt: skip


@pytest.mark.parametrize(
    ("risk", "alpha", "a", "value"),
    [("expected", 0.2, 100.0, 4 * 200.0), ("worst", 0.2, 100 / 3, 4 * 500 / 3),
     ("cvar", 0.5, 100 / 3, 4 * 500 / 3), ("cvar", 1.0, 100.0, 4 * 200.0)],
)  # fmt: skip
def test_robust_lp_against_the_hand_solution(risk: str, alpha: float, a: float, value: float) -> None:
    plan = cs.optimize(two_futures(), robust=["flip"], risk=risk, alpha=alpha, solver="highs")
    assert plan.spend["a"][0] == pytest.approx(a, abs=0.02)
    assert plan.spend["b"][0] == pytest.approx(100 - a, abs=0.02)
    # the plan's profit in each future is the hand value less the fixed part (the budget is spent)
    base, flip = plan.robust["values"]["base"], plan.robust["values"]["flip"]
    assert base == pytest.approx(WEEKS * (100 + 2 * a), abs=1.0)
    assert flip == pytest.approx(WEEKS * (200 - a), abs=1.0)
    assert plan.robust["measure"] == pytest.approx(value, abs=1.0)
    regret = {(r["plan"], r["future"]): r["regret"] for r in plan.robust["regret"]}
    assert regret[("optimal_for_base", "base")] == pytest.approx(0.0, abs=1.0)
    if risk == "worst":  # the hedge's regret: each future's own optimum (300 and 200 a week) less 166.67
        assert regret[("robust", "base")] == pytest.approx(4 * (300 - 500 / 3), abs=1.0)
        assert regret[("robust", "flip")] == pytest.approx(4 * (200 - 500 / 3), abs=1.0)


def test_cvar_measure_by_hand() -> None:
    assert measure([100.0, 300.0], [0.5, 0.5], "cvar", 0.5) == 100.0
    assert measure([100.0, 300.0], [0.5, 0.5], "cvar", 0.75) == pytest.approx((0.5 * 100 + 0.25 * 300) / 0.75)
    assert measure([100.0, 300.0], [0.5, 0.5], "expected", 0.2) == 200.0


def test_expected_with_one_future_is_the_plain_plan() -> None:
    sc = cs.load("scenarios/coffee_chain.yaml")
    plain = cs.optimize(sc)
    robust = optimize_robust(sc, [], "expected")
    assert robust.objective_value == pytest.approx(plain.objective_value, rel=1e-3)
    assert robust.programmes == plain.programmes
    assert robust.winback == pytest.approx(plain.winback, rel=1e-3)
    for sid, spend in plain.spend.items():
        assert robust.spend[sid][0] == pytest.approx(spend[0], rel=0.02, abs=1.0)


def futures_with_an_exit():
    """The hand example's two sources, a dealer whose tier today is a gold that pays for nothing it is
    worth, and a third future in which the dealer leaves."""
    sc = two_futures()
    gold = {"level": "gold", "cost_per_week": 30, "rebate": 0.05, "effort_boost": 0.5}
    data = sc.to_data() | {
        "regions": ["north"],
        "segments": [segment(population=10**9, order_value=25.0, channel_affinity={"dealers": 0.5})],
        "channels": [{"id": "shop"}, {"id": "dealers", "type": "indirect", "partner_margin": 0.2}],
        "partners": [{"id": "d", "channel": "dealers", "region": "north"}],
        "incentives": [{"id": "bonus", "channel": "dealers", "tiers": [{"level": "none"}, gold],
                        "current": {"d": "gold"}}],
    }  # fmt: skip
    data["variants"] = data["variants"] | {"exit": {"remove": ["partners.d"]}}
    return validate_data(data, "<test>")


@pytest.mark.parametrize("risk", ["expected", "worst", "cvar"])
def test_regret_diagonal_is_zero_and_a_removed_partner_gets_no_tier(risk: str) -> None:
    sc = futures_with_an_exit()
    plan = optimize_robust(sc, ["flip", "exit"], risk=risk, alpha=0.5, solver="highs")
    rows = {(r["plan"], r["future"]): r for r in plan.robust["regret"]}
    assert len(rows) == 4 * 3
    for future in ("base", "flip", "exit"):  # each future's own optimum is the best plan there
        row = rows[(f"optimal_for_{future}", future)]
        assert row["regret"] == pytest.approx(0.0, abs=0.01)
        assert row["value"] == row["best"]
        assert all(
            rows[(p, future)]["regret"] >= 0 for p in ("robust", "optimal_for_flip", "optimal_for_exit")
        )
    # the plan for the future without the dealer spends as the base plan and pays the dealer nothing
    # (not today's gold) where it stays: worth the base plan's value in the base future
    assert rows[("optimal_for_exit", "base")]["value"] == pytest.approx(
        rows[("optimal_for_base", "base")]["value"], abs=0.01
    )
    assert rows[("optimal_for_exit", "base")]["regret"] == pytest.approx(0.0, abs=0.01)
