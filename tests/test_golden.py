"""One golden seeded run: a small scenario that uses most of the model, with its key figures pinned.

The theory tests allow a few standard errors; this one allows nothing. Same scenario, same
seed ⇒ the same numbers, so any change of results — a refactoring that reorders random
draws, a rounding that moves, an equation edited by accident — fails here, figure by figure,
with the old and the new value side by side. The figures are the summary's `mean` and `std`
as `summary.json` holds them (10 significant digits).

To change results deliberately (a model change, a new draw, a bug fixed), run

    .venv/bin/python tests/test_golden.py

which prints `GOLDEN` for the current code; paste it over the one below and say in the
commit message which figures moved and why. Never update it to make an unexplained
difference go away.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

import channelsim as cs
from builders import scenario, segment

SEED, REPLICATIONS = 2024, 2


def golden_scenario() -> cs.Scenario:
    """Two segments and regions, paid and organic leads, a queue, stock, a rebate that makes a
    partner divert (and get caught), a price war, a loyalty programme and win-back."""
    return scenario(
        horizon_weeks=16,
        gross_margin=0.42,
        regions=["north", "south"],
        segments=[
            segment(id="shoppers", population=20000, initial_customers=400, regions={"north": 0.6, "south": 0.4},
                    innovation_per_week=0.001, imitation_per_week=0.05, conversion=0.4, consideration_weeks=1.0,
                    purchases_per_week=0.15, churn_per_week=0.02, order_value=70, price_sensitivity=3.0,
                    loyalty=0.6, channel_affinity={"web": 0.3, "dealers": 0.2}),
            segment(id="trade", population=2000, initial_customers=150, regions={"north": 0.5, "south": 0.5},
                    purchases_per_week=0.4, churn_per_week=0.01, order_value=400, price_sensitivity=1.5,
                    loyalty=1.0, service_expectation_weeks=0.5, channel_affinity={"dealers": 0.8}),
        ],
        channels=[
            {"id": "web", "variable_cost": 0.05, "fixed_cost_per_week": 300,
             "fulfilment": {"servers": 2, "mean_service_weeks": 0.02}},
            {"id": "market", "price_index": 0.93, "variable_cost": 0.15, "reactive": True, "price_floor": 0.88},
            {"id": "dealers", "type": "indirect", "partner_margin": 0.22},
        ],
        partners=[
            {"id": "d_north", "channel": "dealers", "region": "north", "price_floor": 0.9,
             "diversion": {"propensity": 0.4, "price_gap": 0.02},
             "inventory": {"initial": 60, "reorder_point": 15, "order_up_to": 80, "lead_time_weeks": 1.0}},
            {"id": "d_south", "channel": "dealers", "region": "south", "price_floor": 0.9, "effort": 1.2},
        ],
        incentives=[{"id": "rebate", "channel": "dealers", "current": {"d_north": "gold"},
                     "tiers": [{"level": "none"},
                               {"level": "gold", "cost_per_week": 150, "rebate": 0.05, "effort_boost": 0.2}]}],
        sources=[
            {"id": "search", "spend_per_week": 1500, "routes_to": {"web": 0.5},
             "response": {"curve": "hill", "max_leads_per_week": 120, "half_saturation": 1500}},
            {"id": "fairs", "spend_per_week": 800, "setup_cost_per_week": 100, "segment_mix": {"trade": 1.0},
             "response": {"curve": "linear", "leads_per_unit_spend": 0.005}},
        ],
        loyalty_programs=[{"id": "club", "channels": ["web", "dealers"], "enrolment_per_week": 0.05,
                           "points_cost": 0.02, "cost_per_member_per_week": 0.3, "churn_multiplier": 0.6,
                           "initial_members": 0.2}],
        winback={"spend_per_week": 200, "response": {"curve": "linear", "leads_per_unit_spend": 0.02}},
        conflict={"enforcement_per_week": 0.2, "penalty_weeks": 2,
                  "price_war": {"trigger_share_drop": 0.05, "undercut_step": 0.02, "recovery_per_week": 0.01}},
    )  # fmt: skip


#: The figures pinned, as paths into the summary.
FIGURES = (
    *(f"totals.{m}" for m in ("leads", "new_customers", "orders", "lost_orders", "revenue", "brand_revenue",
                              "contribution", "marketing_spend", "incentive_cost", "fixed_cost", "crm_cost",
                              "profit", "active_customers_end", "lapsed_customers")),
    *(f"by_channel.{c}.{m}" for c in ("web", "market", "dealers") for m in ("orders", "revenue", "contribution")),
    "by_channel.web.response_time_mean",
    *(f"by_partner.{p}.{m}" for p in ("d_north", "d_south")
      for m in ("orders", "diverted_orders", "partner_margin", "min_price_index", "stockout_rate")),
    *(f"by_source.{s}.{m}" for s in ("search", "fairs", "organic", "referral")
      for m in ("new_customers", "attributed_contribution")),
    *(f"by_segment.{s}.{m}" for s in ("shoppers", "trade") for m in ("orders", "contribution", "clv")),
    *(f"conflict.{m}" for m in ("diverted_orders", "cannibalized_orders", "price_war_weeks", "detections")),
    *(f"crm.{m}" for m in ("members_end", "won_back", "nps", "promoters_end", "detractors_end")),
    "concentration.hhi",
)  # fmt: skip

#: Printed by `python tests/test_golden.py` (see the docstring); (mean, std) over the replications.
GOLDEN: dict[str, tuple[float, float]] = {
    "totals.leads": (1931.5, 75.66042559),
    "totals.new_customers": (806.0, 62.22539674),
    "totals.orders": (3685.0, 16.97056275),
    "totals.lost_orders": (0.0, 0.0),
    "totals.revenue": (761189.95, 21226.14349),
    "totals.brand_revenue": (683666.465, 22349.60181),
    "totals.contribution": (186124.4965, 6343.069561),
    "totals.marketing_spend": (41600.0, 0.0),
    "totals.incentive_cost": (1800.0, 0.0),
    "totals.fixed_cost": (4800.0, 0.0),
    "totals.crm_cost": (1415.163086, 9.326774028),
    "totals.profit": (136509.3334, 6333.742787),
    "totals.active_customers_end": (1181.0, 59.39696962),
    "totals.lapsed_customers": (175.0, 2.828427125),
    "by_channel.web.orders": (1232.0, 1.414213562),
    "by_channel.web.revenue": (216260.0, 11568.26694),
    "by_channel.web.contribution": (78734.4, 4237.832361),
    "by_channel.market.orders": (1116.5, 4.949747468),
    "by_channel.market.revenue": (200354.55, 14868.54642),
    "by_channel.market.contribution": (44128.2565, 3307.143365),
    "by_channel.dealers.orders": (1336.5, 10.60660172),
    "by_channel.dealers.revenue": (344575.4, 5210.669871),
    "by_channel.dealers.contribution": (63261.84, 1201.906166),
    "by_channel.web.response_time_mean": (0.09224232653, 0.04402986318),
    "by_partner.d_north.orders": (580.0, 0.0),
    "by_partner.d_north.diverted_orders": (56.5, 9.192388155),
    "by_partner.d_north.partner_margin": (33327.485, 541.08518),
    "by_partner.d_north.min_price_index": (0.98, 0.0),
    "by_partner.d_north.stockout_rate": (0.3708856337, 0.0177571969),
    "by_partner.d_south.orders": (756.5, 10.60660172),
    "by_partner.d_south.diverted_orders": (0.0, 0.0),
    "by_partner.d_south.partner_margin": (44196.0, 582.373145),
    "by_partner.d_south.min_price_index": (0.98, 0.0),
    "by_partner.d_south.stockout_rate": (0.0, 0.0),
    "by_source.search.new_customers": (412.5, 4.949747468),
    "by_source.search.attributed_contribution": (47915.92, 9719.229376),
    "by_source.fairs.new_customers": (74.0, 7.071067812),
    "by_source.fairs.attributed_contribution": (29126.78, 4181.235534),
    "by_source.organic.new_customers": (112.5, 20.50609665),
    "by_source.organic.attributed_contribution": (4266.0065, 452.7088532),
    "by_source.referral.new_customers": (207.0, 29.69848481),
    "by_source.referral.attributed_contribution": (7008.848, 613.6399926),
    "by_segment.shoppers.orders": (2104.5, 88.38834765),
    "by_segment.shoppers.contribution": (38624.4565, 1762.976305),
    "by_segment.shoppers.clv": (221.5332162, 0.8081195536),
    "by_segment.trade.orders": (1580.5, 71.4177849),
    "by_segment.trade.contribution": (147500.04, 8106.045865),
    "by_segment.trade.clv": (5898.90534, 57.70039883),
    "conflict.diverted_orders": (56.5, 9.192388155),
    "conflict.cannibalized_orders": (33.33086338, 0.3633372503),
    "conflict.price_war_weeks": (15.0, 0.0),
    "conflict.detections": (2.0, 0.0),
    "crm.members_end": (503.5, 31.81980515),
    "crm.won_back": (62.5, 4.949747468),
    "crm.nps": (29.57526111, 0.7278697754),
    "crm.promoters_end": (445.5, 36.06244584),
    "crm.detractors_end": (96.0, 9.899494937),
    "concentration.hhi": (0.3351181864, 7.177077781e-05),
}  # fmt: skip


def figures(summary: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """(mean, std) of each pinned figure, as the summary holds them."""
    out = {}
    for path in FIGURES:
        node = summary
        for key in path.split("."):
            node = node[key]
        out[path] = (node["mean"], node["std"])
    return out


@pytest.fixture(scope="module")
def golden_run() -> cs.SimResult:
    return cs.simulate(golden_scenario(), replications=REPLICATIONS, seed=SEED)


def test_the_golden_run_reproduces_its_pinned_figures_exactly(golden_run: cs.SimResult) -> None:
    got = figures(golden_run.summary)
    assert set(GOLDEN) == set(FIGURES), "GOLDEN and FIGURES disagree: regenerate GOLDEN (see the docstring)"
    moved = {path: (GOLDEN[path], value) for path, value in got.items() if value != GOLDEN[path]}
    assert not moved, "results changed (pinned (mean, std) → now):\n" + "\n".join(
        f"  {path}: {old} → {new}" for path, (old, new) in moved.items()
    )


def test_the_golden_scenario_exercises_what_it_claims(golden_run: cs.SimResult) -> None:
    # guard the guard: a figure pinned at 0 because nothing happened would pin nothing
    means = {path: mean for path, (mean, _) in figures(golden_run.summary).items()}
    for path in ("conflict.diverted_orders", "conflict.cannibalized_orders", "conflict.detections",
                 "conflict.price_war_weeks", "crm.won_back", "crm.members_end", "by_source.referral.new_customers",
                 "by_channel.web.response_time_mean", "by_partner.d_north.stockout_rate"):  # fmt: skip
        assert means[path] > 0, path
    assert means["by_partner.d_south.min_price_index"] < 1.0  # the war moved a price


def _print_golden() -> None:
    summary = cs.simulate(golden_scenario(), replications=REPLICATIONS, seed=SEED).summary
    print("GOLDEN: dict[str, tuple[float, float]] = {")
    for path, (mean, std) in figures(summary).items():
        print(f'    "{path}": ({mean!r}, {std!r}),')
    print("}  # fmt: skip")


if __name__ == "__main__":
    sys.exit(_print_golden())
