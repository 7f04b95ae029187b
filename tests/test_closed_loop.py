"""The closed loop: a validated plan says whether forecast and simulation agree, and what was left out."""

from __future__ import annotations

import pytest

import channelsim as cs
from builders import scenario, segment
from channelsim.experiments.closed_loop import AGREEMENT_SHARE, agreement, validate_plan
from conftest import ROOT


def test_agreement_tolerance_is_the_larger_of_five_percent_and_the_half_interval() -> None:
    wide = agreement(104.0, {"mean": 100.0, "ci95": [80.0, 120.0]})
    assert wide["tolerance"] == 20.0 and wide["agree"]
    narrow = agreement(106.0, {"mean": 100.0, "ci95": [99.0, 101.0]})
    assert narrow["tolerance"] == AGREEMENT_SHARE * 100.0 and not narrow["agree"]
    assert agreement(None, {"mean": 100.0, "ci95": [99.0, 101.0]})["agree"] is None


def test_a_validated_plan_lists_what_the_forecast_leaves_out_with_its_simulated_size() -> None:
    sc = scenario(
        horizon_weeks=10, replications=3, segments=[segment(population=5000, initial_customers=500,
                                                            purchases_per_week=0.3, order_value=50)],
        sources=[{"id": "ads", "spend_per_week": 100, "max_spend_per_week": 1000,
                  "response": {"curve": "hill", "max_leads_per_week": 40, "half_saturation": 300}}],
        budget={"marketing_per_week": 400},
    )  # fmt: skip
    plan = cs.optimize(sc)
    checked = validate_plan(sc, plan)
    for name in ("baseline", "plan"):
        assert checked["agreement"][name]["forecast"] == plan.expected[name]["profit"]
        assert checked["agreement"][name]["simulated"] == round(checked[name]["profit"]["mean"], 2)
        assert set(checked["left_out"][name]) >= {
            "price_war_weeks",
            "partner_exits",
            "lost_orders",
            "stockout_weeks",
        }


@pytest.mark.slow
@pytest.mark.parametrize("name", ["workshop_intro", "dtc_vs_marketplace"])
def test_a_gallery_plan_forecast_is_its_simulation(name: str) -> None:
    # the workshop (word of mouth, two sources) and the DTC case (a queue, a marketplace, rivals):
    # the optimizer's expected profit of the baseline and of its plan agree with the simulation of
    # each (same seed, the scenario's replications) by the plans' rule
    sc = cs.load(ROOT / "scenarios" / f"{name}.yaml")
    checked = validate_plan(sc, cs.optimize(sc))
    for which in ("baseline", "plan"):
        assert checked["agreement"][which]["agree"], (which, checked["agreement"][which])
