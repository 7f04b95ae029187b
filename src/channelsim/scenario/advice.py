"""Warnings a planner needs about a valid scenario, before anything is simulated.

A scenario can be valid and still not mean what its author thinks: a region where nobody
lives, a region no outlet serves, a partner in a region without customers, one replication
(no interval), leads planned for more people than are left to find. Each check reads the
scenario only and returns plain sentences; `channelsim validate` prints them.
"""

from __future__ import annotations

from channelsim.scenario.schema import Scenario

#: how the one-replication warning begins (a run with more replications than its scenario has none)
ONE_REPLICATION = "replications: 1"
#: leads planned over the horizon above this share of the people not yet aware: the market runs dry
DRY_SHARE = 1.0


def scenario_warnings(scenario: Scenario) -> list[str]:
    """Every warning about the scenario as written, one sentence each."""
    return [
        *_empty_regions(scenario),
        *_regions_without_outlet(scenario),
        *_partners_without_customers(scenario),
        *_one_replication(scenario),
        *_planned_leads(scenario),
    ]


def people_by_region(scenario: Scenario) -> dict[str, float]:
    """Potential customers in each region (population × the segment's share there)."""
    people = dict.fromkeys(scenario.regions, 0.0)
    for segment in scenario.segments:
        shares = segment.regions or {r: 1 / len(scenario.regions) for r in scenario.regions}
        for region, share in shares.items():
            people[region] = people.get(region, 0.0) + segment.population * share
    return people


def _empty_regions(scenario: Scenario) -> list[str]:
    people = people_by_region(scenario)
    return [
        f"region '{region}': nobody lives there (no segment has a share in it); its outlets sell nothing "
        "but diverted orders"
        for region in scenario.regions
        if people[region] <= 0
    ]


def _outlets(scenario: Scenario, region: str) -> list[str]:
    """The direct channels and partners that sell in `region`."""
    found = [c.id for c in scenario.channels if c.type == "direct" and region in scenario.channel_regions(c)]
    return found + [p.id for p in scenario.partners if p.region == region]


def _regions_without_outlet(scenario: Scenario) -> list[str]:
    out = []
    people = people_by_region(scenario)
    for region in scenario.regions:
        if people[region] <= 0 or _outlets(scenario, region):
            continue
        rivals = any(s.competition is not None for s in scenario.segments)
        fate = "go to the rivals" if rivals else "are lost (lost_orders)"
        out.append(f"region '{region}': {people[region]:,.0f} potential customers but no outlet open there "
                   f"(no direct channel serves it, no partner sells in it): its orders {fate}")  # fmt: skip
    return out


def _partners_without_customers(scenario: Scenario) -> list[str]:
    people = people_by_region(scenario)
    return [
        f"partner '{p.id}': no customers live in its region '{p.region}'; it can only sell by diverting "
        "into other regions" + (" and its own leads_per_week find nobody" if p.leads_per_week > 0 else "")
        for p in scenario.partners
        if people.get(p.region, 0.0) <= 0
    ]


def _one_replication(scenario: Scenario) -> list[str]:
    if scenario.replications > 1:
        return []
    return [f"{ONE_REPLICATION} — no interval from one replication (a run cannot tell a change from luck); "
            "use --replications 10 or set replications: 10"]  # fmt: skip


def planned_leads_per_week(scenario: Scenario) -> float:
    """Leads a week at today's spend: each source's curve, and the partners' own (with today's tier)."""
    paid = sum(source.response.leads(source.spend_per_week) for source in scenario.sources)
    boost: dict[str, float] = {}
    for programme in scenario.incentives:
        tiers = {t.level: t.effort_boost for t in programme.tiers}
        boost |= {pid: tiers.get(level, 0.0) for pid, level in programme.current.items()}
    own = sum(p.leads_per_week * (1 + boost.get(p.id, 0.0)) for p in scenario.partners)
    return paid + own


def _planned_leads(scenario: Scenario) -> list[str]:
    """Leads planned over the horizon against the people not yet aware (word of mouth comes on top)."""
    unaware = sum(max(s.population - s.initial_customers, 0) for s in scenario.segments)
    weekly = planned_leads_per_week(scenario)
    if weekly <= 0 or weekly * scenario.horizon_weeks <= DRY_SHARE * unaware:
        return []
    week = unaware / weekly
    return [f"market: {weekly * scenario.horizon_weeks:,.0f} leads planned over {scenario.horizon_weeks} weeks "
            f"({weekly:,.0f} a week) for {unaware:,.0f} people not yet aware: everyone is reached by about week "
            f"{week:,.0f} (sooner with word of mouth), and later leads are wasted — a shorter horizon, less "
            "spend or a larger population"]  # fmt: skip
