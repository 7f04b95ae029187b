"""Channel design as decisions: opening a candidate and closing a partner against brute force.

The market reduces to a closed form: initial customers who never lapse, no loyalty and no
leads, rivals at every occasion who never win anyone for good, so every week brings N·b
occasions split by the logit with the rivals, `P_j = e^(V_j) / (Σ_open e^(V_k) + e^(V_0))`.
A design's profit over H weeks is Σ_j N·b·H·P_j·(contribution of an order at j), less the
fixed costs of its channels and its one-off opening and closing costs; the optimizer must
pick the design of the best value, and forecast it.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

import channelsim as cs
from builders import scenario, segment
from channelsim.model.money import order_money

N, BUY, WEEKS, VALUE, MARGIN, RIVALS = 2000, 0.5, 20, 100.0, 0.4, 0.5


def market(channels: list[dict[str, Any]], partners: list[dict[str, Any]] | None = None) -> cs.Scenario:
    affinity = {c["id"]: c.pop("affinity") for c in channels + (partners or []) if "affinity" in c}
    return scenario(
        horizon_weeks=WEEKS, gross_margin=MARGIN, replications=4, seed=3,
        segments=[segment(population=N, initial_customers=N, purchases_per_week=BUY, order_value=VALUE,
                          channel_affinity=affinity, competition={"utility": RIVALS})],
        channels=channels, partners=partners or [],
    )  # fmt: skip


def by_hand(sc: cs.Scenario, design: dict[str, bool]) -> float:
    """Profit of a design from the logit with the rivals (see the module)."""
    seg = sc.segments[0]
    offers = []  # (utility, contribution of an order)
    for ch in sc.channels:
        if ch.type == "direct" and design.get(ch.id, not ch.candidate):
            money = order_money(VALUE, ch.price_index, MARGIN, direct=True, variable_cost=ch.variable_cost)
            offers.append((seg.channel_affinity.get(ch.id, 0.0), money.contribution))
    for p in sc.partners:
        if design.get(p.id, not p.candidate):
            ch = sc.channel(p.channel)
            money = order_money(VALUE, ch.price_index, MARGIN, direct=False, partner_margin=ch.partner_margin)
            offers.append((seg.channel_affinity.get(ch.id, 0.0) + math.log(p.effort), money.contribution))
    total = sum(math.exp(u) for u, _ in offers) + math.exp(RIVALS)
    orders = N * BUY * WEEKS
    contribution = sum(orders * math.exp(u) / total * c for u, c in offers)
    fixed = sum(c.fixed_cost_per_week for c in sc.channels if c.type == "indirect" or design.get(c.id, not c.candidate))
    once = sum(o.opening_cost if o.candidate else o.closing_cost
               for o in [*sc.channels, *sc.partners] if (o.candidate or o.closable)
               and design.get(o.id, not o.candidate) != (not o.candidate))  # fmt: skip
    return contribution - fixed * WEEKS - once


def designs(ids: list[str]) -> list[dict[str, bool]]:
    return [dict(zip(ids, states, strict=True)) for states in itertools.product((False, True), repeat=len(ids))]


def check_against_brute_force(sc: cs.Scenario, ids: list[str]) -> cs.Plan:
    values = {tuple(d.values()): by_hand(sc, d) for d in designs(ids)}
    best = max(values, key=lambda k: values[k])
    plan = cs.optimize(sc)
    assert tuple(plan.design[i] for i in ids) == best, (plan.design, values)
    assert plan.expected["plan"]["profit"] == pytest.approx(values[best], rel=1e-3)
    assert plan.objective_value == pytest.approx(values[best], rel=1e-3)
    return plan


SHOP = {"id": "shop", "variable_cost": 0.1, "fixed_cost_per_week": 200}


@pytest.mark.parametrize(("fixed", "pays"), [(300.0, True), (12000.0, False)])
def test_a_candidate_store_opens_where_it_pays_and_not_where_it_does_not(fixed: float, pays: bool) -> None:
    # the store wins occasions from the rivals and a few from the shop; with a small fixed cost that
    # is worth its opening cost, with a large one it is not
    store = {"id": "store", "mode": "offline", "affinity": 0.6, "candidate": True, "opening_cost": 5000,
             "fixed_cost_per_week": fixed}  # fmt: skip
    sc = market([dict(SHOP), store])
    plan = check_against_brute_force(sc, ["store"])
    assert plan.design["store"] is pays
    # worth: the plan against the same plan with the store flipped (no other lever here to re-plan)
    worth = plan.details["design"]["decisions"]["store"]
    flipped = by_hand(sc, {"store": not pays})
    assert worth["worth"] == pytest.approx(by_hand(sc, {"store": pays}) - flipped, rel=1e-3)
    assert worth["worth"] > 0 and worth["worth_reoptimised"] == pytest.approx(worth["worth"], rel=1e-3)
    assert plan.to_dict()["channels"]["store"] == {"open": pays}


def test_a_partner_that_loses_money_on_every_order_is_closed() -> None:
    # a dealer keeping 65% of list price: every order through it costs the brand; closed, its
    # customers buy at the shop or from the rivals
    dealers = {"id": "dealers", "type": "indirect", "partner_margin": 0.65}
    sc = market([dict(SHOP), dealers], [{"id": "d", "channel": "dealers", "region": "all", "closable": True,
                                        "closing_cost": 1000, "effort": 1.5}])  # fmt: skip
    plan = check_against_brute_force(sc, ["d"])
    assert plan.design == {"d": False}
    # the simulation plays it: the dealer sells nothing, the closing cost is paid once
    result = cs.simulate(sc, plan=plan.as_plan_data(), replications=2)
    assert result.summary["by_partner"]["d"]["orders"]["mean"] == 0
    assert result.summary["conflict"]["partner_exits"]["mean"] == 0


def test_design_limits_rule_designs_out() -> None:
    store = {"id": "store", "affinity": 0.6, "candidate": True, "fixed_cost_per_week": 300}
    sc = market([dict(SHOP), store])
    capped = sc.model_copy(update={"budget": sc.budget.model_copy(update={"fixed_per_week": 400.0})})
    assert cs.optimize(capped).design == {"store": False}  # 200 + 300 over the cap
    two = sc.model_copy(update={"budget": sc.budget.model_copy(update={"min_open_channels": 2})})
    assert cs.optimize(two).design == {"store": True}
