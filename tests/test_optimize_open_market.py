"""The optimizer in an open market: tiers that buy a partner's own prospects, spend against rivals.

Brute force is the analytic forecast of every candidate plan (the same valuation the simulation
is checked against in tests/test_valuation.py): a tier is chosen exactly when what its prospects
and share bring exceeds its cost and rebate, and the spend split is the best of a fine grid.
"""

from __future__ import annotations

import pytest

import channelsim as cs
from builders import scenario, segment
from channelsim import valuation as va
from test_optimize import bound, grid_best, hill, plan_value

LEVELS = ("none", "silver", "gold")


def dealer_market(
    silver_cost: float, gold_cost: float, leads: float = 20.0, rebate: float = 0.0
) -> cs.Scenario:
    """Rivals everywhere; a dealer who finds prospects of its own, more on a richer tier."""
    return scenario(
        horizon_weeks=12, gross_margin=0.5, budget={"incentives_per_week": 5000},
        segments=[segment(population=2_000_000, purchases_per_week=0.1, churn_per_week=0.02, order_value=100,
                          conversion=0.6, competition={"utility": 0.5, "switch_probability": 0.2})],
        channels=[{"id": "shop"}, {"id": "dealers", "type": "indirect", "partner_margin": 0.2}],
        partners=[{"id": "d", "channel": "dealers", "region": "all", "leads_per_week": leads}],
        incentives=[{"id": "push", "channel": "dealers", "tiers": [
            {"level": "none"},
            {"level": "silver", "effort_boost": 0.5, "cost_per_week": silver_cost, "rebate": rebate},
            {"level": "gold", "effort_boost": 1.0, "cost_per_week": gold_cost, "rebate": rebate}]}],
    )  # fmt: skip


def brute_force_tier(sc: cs.Scenario) -> tuple[str, dict[str, float]]:
    values = {level: va.forecast(sc, {}, {"d": level}).profit for level in LEVELS}
    return max(values, key=values.__getitem__), values


@pytest.mark.parametrize(
    ("silver", "gold", "expected"),
    [(100, 500, "silver"), (100, 300, "gold"), (600, 1500, "none")],
    ids=["silver beats none and gold", "gold wins", "too dear: none"],
)
def test_tier_choice_matches_brute_force_with_partner_prospects(
    silver: float, gold: float, expected: str
) -> None:
    sc = dealer_market(silver, gold)
    best, values = brute_force_tier(sc)
    assert best == expected, values  # the instance is what its name says
    plan = cs.optimize(sc)
    assert plan.status == "optimal"
    assert plan.tiers["d"] == best, (plan.tiers, values)
    assert plan.objective_value == pytest.approx(values[best], rel=1e-9)


def test_a_tier_buys_prospects_only_where_the_partner_prospects() -> None:
    # the same costs without prospecting: the share a tier buys alone does not pay for it
    sc = dealer_market(100, 300, leads=0.0)
    best, values = brute_force_tier(sc)
    assert best == "none", values
    assert cs.optimize(sc).tiers["d"] == "none"


def rival_market(rival_utility: float | None) -> cs.Scenario:
    """Two sources on the same curves; search routes its leads to the webshop, social to nowhere."""
    seg = segment(population=50_000_000, conversion=0.5, purchases_per_week=0.1, churn_per_week=0.02,
                  order_value=100, channel_affinity={"web": -0.5})  # fmt: skip
    if rival_utility is not None:
        seg["competition"] = {"utility": rival_utility, "switch_probability": 0.2}
    sources = [hill(2000, 300, 3000, 1.0, 8000) | {"id": "search", "routes_to": {"web": 2.5}},
               hill(2000, 330, 3000, 1.0, 8000) | {"id": "social"}]  # fmt: skip
    return scenario(horizon_weeks=12, gross_margin=0.5, segments=[seg], channels=[{"id": "web"}],
                    sources=sources, budget={"marketing_per_week": 4000})  # fmt: skip


@pytest.mark.parametrize("rivals", [None, 1.0], ids=["closed", "rivals"])
def test_spend_split_matches_the_grid(rivals: float | None) -> None:
    sc = rival_market(rivals)
    best, _ = grid_best(sc, steps=400)
    plan = cs.optimize(sc)
    assert plan_value(sc, plan) >= best - bound(plan) - 1e-6 * abs(best)


def test_rivals_move_the_global_optimum_of_the_split() -> None:
    # search's route wins its prospects' first occasion from the rivals; social's prospects are
    # lost to them more often, so with rivals the budget moves to search
    closed = cs.optimize(rival_market(None)).spend
    open_ = cs.optimize(rival_market(1.0)).spend
    assert closed["social"][0] > closed["search"][0]
    assert open_["search"][0] > open_["social"][0]
    assert sum(v[0] for v in open_.values()) <= 4000.0 + 1e-6


def test_terminal_value_counts_the_customers_left_at_the_horizon() -> None:
    # with periods, a plan that counts only the horizon starves the last period (a customer won
    # late is worth little inside it); customer equity counts what they bring afterwards
    sc = rival_market(1.0).with_overrides({"optimize.periods": 3})
    plain = cs.optimize(sc)
    with_equity = cs.optimize(sc.with_overrides({"optimize.terminal_value": True}))
    last = sum(v[-1] for v in with_equity.spend.values())
    assert last > sum(v[-1] for v in plain.spend.values())
    fc = va.forecast(sc.with_overrides({"optimize.terminal_value": True}),
                     {k: [v[p // 4] for p in range(12)] for k, v in with_equity.spend.items()}, {})  # fmt: skip
    assert fc.customer_equity > 0
    assert with_equity.expected["plan"]["profit"] == pytest.approx(
        fc.contribution - fc.marketing - fc.incentives - fc.fixed - fc.crm + fc.customer_equity, abs=0.005
    )  # plan.json rounds to cents
