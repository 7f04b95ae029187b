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
    "totals.leads": (1868.0, 35.35533906),
    "totals.new_customers": (781.5, 53.03300859),
    "totals.orders": (3559.0, 84.85281374),
    "totals.lost_orders": (0.0, 0.0),
    "totals.revenue": (706766.1, 10161.40729),
    "totals.brand_revenue": (638090.365, 10922.55824),
    "totals.contribution": (172556.1635, 1719.0975),
    "totals.marketing_spend": (41600.0, 0.0),
    "totals.incentive_cost": (1800.0, 0.0),
    "totals.fixed_cost": (4800.0, 0.0),
    "totals.crm_cost": (1378.151279, 30.99175052),
    "totals.profit": (122978.0122, 1688.10575),
    "totals.active_customers_end": (1180.5, 48.7903679),
    "totals.lapsed_customers": (151.0, 4.242640687),
    "by_channel.web.orders": (1157.5, 30.40559159),
    "by_channel.web.revenue": (197845.0, 205.0609665),
    "by_channel.web.contribution": (72033.55, 189.9995921),
    "by_channel.market.orders": (1148.0, 45.254834),
    "by_channel.market.revenue": (204093.15, 14881.69861),
    "by_channel.market.contribution": (44865.0055, 3191.882132),
    "by_channel.dealers.orders": (1253.5, 9.192388155),
    "by_channel.dealers.revenue": (304827.95, 4515.230351),
    "by_channel.dealers.contribution": (55657.608, 1282.785039),
    "by_channel.web.response_time_mean": (0.06852239892, 0.0008455379384),
    "by_partner.d_north.orders": (556.5, 33.23401872),
    "by_partner.d_north.diverted_orders": (68.5, 14.8492424),
    "by_partner.d_north.partner_margin": (30902.985, 1907.54075),
    "by_partner.d_north.min_price_index": (0.98, 0.0),
    "by_partner.d_north.stockout_rate": (0.3839403768, 0.006512685666),
    "by_partner.d_south.orders": (697.0, 24.04163056),
    "by_partner.d_south.diverted_orders": (0.0, 0.0),
    "by_partner.d_south.partner_margin": (37772.75, 2668.691703),
    "by_partner.d_south.min_price_index": (0.98, 0.0),
    "by_partner.d_south.stockout_rate": (0.0, 0.0),
    "by_source.search.new_customers": (401.5, 27.57716447),
    "by_source.search.attributed_contribution": (46119.07, 5082.789609),
    "by_source.fairs.new_customers": (49.0, 1.414213562),
    "by_source.fairs.attributed_contribution": (17905.52, 636.8486514),
    "by_source.organic.new_customers": (110.0, 5.656854249),
    "by_source.organic.attributed_contribution": (4015.263, 95.87660846),
    "by_source.referral.new_customers": (221.0, 18.38477631),
    "by_source.referral.attributed_contribution": (7043.9355, 628.8901646),
    "by_segment.shoppers.orders": (2116.5, 68.58935778),
    "by_segment.shoppers.contribution": (38451.1435, 1431.531315),
    "by_segment.shoppers.clv": (219.2884196, 1.058245284),
    "by_segment.trade.orders": (1442.5, 16.26345597),
    "by_segment.trade.contribution": (134105.02, 287.5661858),
    "by_segment.trade.clv": (5877.888235, 53.66669198),
    "conflict.diverted_orders": (68.5, 14.8492424),
    "conflict.cannibalized_orders": (31.89534382, 0.233508828),
    "conflict.price_war_weeks": (15.0, 0.0),
    "conflict.detections": (2.0, 0.0),
    "crm.members_end": (496.5, 23.33452378),
    "crm.won_back": (65.5, 2.121320344),
    "crm.nps": (28.38870575, 1.522139024),
    "crm.promoters_end": (427.5, 30.40559159),
    "crm.detractors_end": (92.0, 1.414213562),
    "concentration.hhi": (0.3339050703, 0.0003420184329),
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
