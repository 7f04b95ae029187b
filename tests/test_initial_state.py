"""A scenario that starts mid-funnel: prospects still considering at week 0 (`segments[].initial_prospects`)
and people already past the funnel (`initial_reached`), the state a re-plan starts from (additions to SPEC).

A prospect considering at week 0 is a converted lead who has just come (the wait is memoryless): the first
purchase after Exp(consideration_weeks), a rival able to win it (the prospect is then lost), with the route
of the paid source that found them, or at the partner whose own prospect they are.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from builders import scenario, segment
from channelsim import valuation as va
from channelsim.experiments.closed_loop import agreement
from channelsim.experiments.replan import replan, state_scenario
from channelsim.scenario.schema import Scenario
from channelsim.sim.engine import run_replication
from channelsim.sim.policy import Policy, policy_from_plan
from channelsim.sim.streams import replication_seeds
from channelsim.stats import describe
from conftest import run_cli
from stats import assert_mean_within_se, assert_within_se, binomial_se

WAITING, WEEKS, THINK = 3000, 8, 4.0  # prospects at week 0, horizon, mean consideration (weeks)


def considering(group: dict[str, Any] | None = None, **sections: Any) -> Scenario:
    """Prospects considering at week 0 and nothing else coming in: one shop, rivals as attractive (P_0 = ½)."""
    people = segment(population=10_000, consideration_weeks=THINK, purchases_per_week=0.2, order_value=100,
                     competition={"utility": 0.0}, initial_prospects=[{"count": WAITING} | (group or {})],
                     initial_reached=2000)  # fmt: skip
    return scenario(horizon_weeks=WEEKS, segments=[people], **sections)


def first_occasions(sc: Scenario, seed: int = 5) -> dict[str, np.ndarray]:
    tables = run_replication(sc, Policy.baseline(sc), replication_seeds(seed, 1)[0]).tables
    return {"ours": tables["segment"]["new_customers"][:, 0], "lost": tables["segment"]["lost_prospects"][:, 0],
            "prospects": tables["segment"]["prospects"][:, 0], "tables": tables}  # fmt: skip


def test_prospects_considering_at_week_0_buy_after_the_consideration_time_and_rivals_can_win_them() -> None:
    got = first_occasions(considering())
    ours, lost = got["ours"], got["lost"]
    decided = 1.0 - math.exp(-WEEKS / THINK)  # P(Exp(4) < 8): each decides independently
    assert_within_se((ours.sum() + lost.sum()) / WAITING, decided, binomial_se(decided, WAITING), "decided")
    occasions = ours.sum() + lost.sum()
    assert_within_se(ours.sum() / occasions, 0.5, binomial_se(0.5, occasions), "first occasions ours")
    early = (1.0 - math.exp(-4 / THINK)) / decided  # of those who decided, the share in weeks 0-3
    assert_within_se(
        (ours[:4].sum() + lost[:4].sum()) / occasions, early, binomial_se(early, occasions), "timing"
    )
    # whoever has not decided is still a prospect; nobody else comes (no leads, no Bass)
    assert got["prospects"][-1] == WAITING - occasions
    assert got["tables"]["source"]["leads"].sum() == 0


def test_a_paid_sources_prospects_have_its_route_and_are_its_new_customers() -> None:
    ads = {
        "id": "ads",
        "response": {"curve": "linear", "leads_per_unit_spend": 0.01},
        "routes_to": {"shop": 1.0},
    }
    got = first_occasions(considering({"source": "ads"}, sources=[ads]))
    occasions = got["ours"].sum() + got["lost"].sum()
    share = math.e / (1.0 + math.e)  # the route's bonus of 1 against rivals at 0
    assert_within_se(got["ours"].sum() / occasions, share, binomial_se(share, occasions), "routed share")
    booked = got["tables"]["source"]["new_customers"]
    assert booked[:, 0].sum() == got["ours"].sum() and booked[:, 1:].sum() == 0  # all to `ads`


def test_a_partners_own_prospects_buy_first_at_the_partner_no_rival_in_between() -> None:
    sc = considering({"partner": "dealer"}, regions=["north", "south"],
                     channels=[{"id": "shop"}, {"id": "dealers", "type": "indirect", "partner_margin": 0.2}],
                     partners=[{"id": "dealer", "channel": "dealers", "region": "south"}])  # fmt: skip
    got = first_occasions(sc)
    decided = 1.0 - math.exp(-WEEKS / THINK)
    assert got["lost"].sum() == 0
    assert_within_se(got["ours"].sum() / WAITING, decided, binomial_se(decided, WAITING), "decided")
    tables = got["tables"]  # all at the dealer (outlets: shop, dealer), all in its region (north, south)
    assert tables["outlet"]["new_customers"][:, 1].sum() == got["ours"].sum()
    assert tables["region"]["new_customers"][:, 1].sum() == got["ours"].sum()


def test_the_forecast_counts_the_prospects_considering_and_agrees_with_the_simulation() -> None:
    sc = considering(replications=8)
    fc = va.forecast(sc, {}, {})
    decided = 1.0 - math.exp(-WEEKS / THINK)
    # the grid's trapezoid (a quarter week against a 4-week wait) is the only approximation
    assert fc.customers == pytest.approx(WAITING * decided * 0.5, rel=1e-3)
    runs = [run_replication(sc, Policy.baseline(sc), s).tables for s in replication_seeds(sc.seed, 8)]
    assert_mean_within_se([t["segment"]["new_customers"].sum() for t in runs], fc.customers, "new customers")
    assert_mean_within_se([t["total"]["contribution"].sum() for t in runs], fc.contribution, "contribution")


def test_people_past_the_funnel_are_not_reached_again() -> None:
    # Bass innovators come from the unaware only: population − initial_reached here
    people = segment(population=10_000, initial_reached=6000, innovation_per_week=0.02, purchases_per_week=0.2,
                     order_value=100, competition={"utility": 0.0})  # fmt: skip
    sc = scenario(horizon_weeks=WEEKS, replications=8, segments=[people])
    assert sc.segments[0].unaware_at_start == 4000
    runs = [run_replication(sc, Policy.baseline(sc), s).tables for s in replication_seeds(sc.seed, 8)]
    heard = 1.0 - math.exp(-0.02 * WEEKS)  # each unaware person hears at rate p
    leads = [t["source"]["leads"].sum() / 4000 for t in runs]
    assert_within_se(float(np.mean(leads)), heard, binomial_se(heard, 4000 * 8), "innovators")
    fc = va.forecast(sc, {}, {})
    assert_mean_within_se([t["segment"]["new_customers"].sum() for t in runs], fc.customers, "new customers")


def waiting_funnel() -> Scenario:
    """A builder's market with a long consideration (12 weeks): at any week many leads are still thinking
    it over, so a re-plan that does not see them misses what the weeks left bring."""
    curve = {"curve": "exponential", "max_leads_per_week": 120, "scale": 2000}
    people = segment(population=40_000, initial_customers=600, consideration_weeks=12, conversion=0.6,
                     purchases_per_week=0.25, churn_per_week=0.005, order_value=300, price_sensitivity=1.0,
                     loyalty=0.8, competition={"utility": 0.0})  # fmt: skip
    return scenario(
        horizon_weeks=26, replications=8, segments=[people], gross_margin=0.4,
        sources=[{"id": "ads", "spend_per_week": 1500, "max_spend_per_week": 6000, "response": curve}],
        budget={"marketing_per_week": 4000}, optimize={"periods": 2},
    )  # fmt: skip


def test_the_replans_forecast_of_the_weeks_left_is_what_they_bring_and_without_the_prospects_it_is_not() -> (
    None
):
    sc = waiting_funnel()
    done = replan(sc, every=13, replications=8)
    start = 13
    simulated = describe([float(o.replanned.tables["total"]["profit"][start:].sum()) for o in done.outputs])
    forecasts, blind = [], []
    for o in done.outputs:
        stage = o.stages[1]
        assert stage.snapshot is not None and sum(stage.snapshot.considering[0].values()) > 300
        forecasts.append(float(stage.plan.expected["plan"]["profit"]))
        # the same plan valued from a state without the prospects considering (as before initial_prospects)
        rest = state_scenario(sc, stage.snapshot, Policy.baseline(sc))
        seg = rest.segments[0]
        old = rest.model_copy(update={"segments": [seg.model_copy(update={
            "population": seg.unaware_at_start + seg.initial_customers, "initial_prospects": [], "initial_reached": 0})]})  # fmt: skip
        levers = policy_from_plan(rest, stage.plan.as_plan_data())
        blind.append(va.forecast(old, levers.spend, {}, None, levers.programmes).profit)
    now = agreement(float(np.mean(forecasts)), simulated)
    assert now["agree"], now
    before = agreement(float(np.mean(blind)), simulated)
    assert not before["agree"] and before["gap"] < 0, before


def test_bad_initial_state_gives_one_line_per_problem_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "mid_funnel.yaml"
    path.write_text(
        "name: t\nhorizon_weeks: 8\nregions: [north]\nchannels: [{id: shop}]\n"
        "segments:\n"
        "  - id: people\n    population: 100\n    initial_prospects:\n"
        "      - {count: 5, region: nowhere}\n"
        "      - {count: 5, source: tv}\n"
        "      - {count: 0}\n"
        "  - id: others\n    population: 100\n    initial_customers: 50\n    initial_reached: 40\n"
        "    initial_prospects: [{count: 20}]\n",
        encoding="utf-8",
    )
    result = run_cli("validate", path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{path}:9:28: segments[0].initial_prospects[0].region: unknown region 'nowhere' (known: north)",
        f"{path}:10:28: segments[0].initial_prospects[1].source: unknown source 'tv' (known: organic, referral)",
        f"{path}:11:17: segments[0].initial_prospects[2].count: must be >= 1 (got 0)",
        f"{path}:12:5: segments[1]: initial_customers + initial_prospects + initial_reached (110) exceeds "
        "population (100)",
    ], result.stderr
