"""Limits that hold in the simulation: a queue's capacity in the busiest week, not the average one."""

from __future__ import annotations

import channelsim as cs
from builders import scenario, segment
from channelsim.optimize.levers import Levers, forecast_levers


def growing_shop() -> cs.Scenario:
    # few customers at first, many later: the last weeks are the busiest
    return scenario(
        horizon_weeks=16, replications=4, gross_margin=0.6,
        segments=[segment(population=400_000, initial_customers=50, purchases_per_week=0.3, churn_per_week=0.01,
                          order_value=80)],
        channels=[{"id": "shop", "fulfilment": {"servers": 2, "mean_service_weeks": 0.01}}],
        sources=[{"id": "ads", "spend_per_week": 500, "max_spend_per_week": 20000,
                  "response": {"curve": "hill", "max_leads_per_week": 400, "half_saturation": 4000}}],
        budget={"marketing_per_week": 20000},
    )  # fmt: skip


def test_capacity_holds_in_the_busiest_week() -> None:
    sc = growing_shop()
    capacity = 2 / 0.01  # orders a week the servers can take
    plan = cs.optimize(sc)
    assert any(b.startswith("capacity:shop") for b in plan.binding), plan.binding
    assert forecast_levers(sc, Levers.of(sc)).peak > 1.2  # the market grows: the peak is well above the mean
    kpis = cs.simulate(sc, plan=plan.as_plan_data(), seed=2).kpis
    weekly = kpis[(kpis.level == "channel") & (kpis.id == "shop") & (kpis.metric == "orders")]
    busiest = weekly.groupby("week").value.mean().max()
    assert busiest <= capacity, (busiest, capacity)


def test_a_plan_keeps_a_partner_it_could_push_out_and_says_which_it_cannot() -> None:
    from test_optimize_open_market import dealer_market

    # on silver today the dealer earns enough to stay; dropping its tier (what pays best on the
    # forecast alone) would take it below its exit threshold, so the plan keeps the tier
    sc = dealer_market(600, 1500).with_overrides(
        {"partners.d.exit_below_margin_per_week": 300, "incentives.push.current": {"d": "silver"}}
    )
    plan = cs.optimize(sc)
    assert plan.tiers["d"] == "silver"
    assert plan.details["partners_kept"] == ["d"] and plan.details["exits_at_risk"] == []
    simulated = cs.simulate(sc, plan=plan.as_plan_data(), replications=6, seed=3)
    assert simulated.summary["conflict"]["partner_exits"]["mean"] == 0.0
    # on no tier today it already earns too little: the plan cannot promise to keep it
    weak = sc.with_overrides({"incentives.push.current": {"d": "none"}})
    assert cs.optimize(weak).details["exits_at_risk"] == ["d"]
