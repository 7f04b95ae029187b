"""The state of a running replication at a week's start, and that state as a scenario of the weeks left.

Re-planning (`channelsim replan`) stops a replication at a week, reads its state here and
hands the optimizer a scenario that starts from it: the weeks left as the horizon; each
segment's active customers as its initial customers, the prospects still thinking it over as
its `initial_prospects` (by region, the paid source whose route their first purchase has, or
the partner whose own prospects they are), everyone else who has heard of the brand (lapsed,
lost to a rival, never to buy) as `initial_reached`, and the population as written (word of
mouth reaches q·A/N of the unaware); the programmes' members, the stock on hand, today's
prices, the partners that left taken out, the design the run plays (opened outlets as if always
there, no decision left), and the current spend (its adstock level), tiers and win-back as the
baseline. What the scenario does not hold the optimizer does not see: the regions and loyalty of
the active customers (their last outlet, rival or ours: they start as if without one, spread as
the population is), their mood (detractors and promoters), the lapsed as win-back's pool, stock
on order, penalties running and the trailing margins partners judge their exit by (measured on
the gallery: the prospects were the gap, see docs/optimize.md).

The replication is read only through what its weekly books read too (the market's counts, the
outlets' state) and the market's list of who is considering (`Market.considering`), so the
customer engine can change underneath.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from channelsim.scenario.demand import ProspectGroup, Segment
from channelsim.scenario.design import opened

if TYPE_CHECKING:
    from channelsim.scenario.schema import Scenario
    from channelsim.sim.engine import Replication
    from channelsim.sim.policy import Policy


@dataclass(frozen=True)
class Snapshot:
    """A replication's state at the start of `week` (the weeks before it simulated)."""

    week: int
    active: list[int]  # per segment: active customers
    unaware: list[int]  # per segment: people not yet reached
    prospects: list[int]  # per segment: people who heard of us and have not bought (incl. who never will)
    considering: list[
        dict[tuple[str, str, str | None], int]
    ]  # per segment: (region, source, partner) → prospects who will buy
    lapsed: list[int]  # per segment: lapsed customers (win-back's pool)
    detractors: list[int]  # per segment: active detractors (not seen by the optimizer)
    members: list[int]  # per loyalty programme
    on_hand: dict[str, int]  # outlet id → units in stock, for open outlets with inventory
    prices: dict[str, float]  # outlet id → price index now
    exited: list[str]  # partners that left (the run's own partner exits)
    penalised: list[str]  # partners under an enforcement penalty now


def take(replication: Replication, week: int) -> Snapshot:
    """The state of `replication`, stopped at the start of `week` (`run_until(week)`)."""
    market, outlets = replication.market, replication.outlets
    conflict = replication.conflict
    return Snapshot(
        week=week,
        active=list(market.active),
        unaware=[sum(regions) for regions in market.unaware],
        prospects=list(market.prospects),
        considering=[_considering(replication, s) for s in range(len(market.active))],
        lapsed=list(market.lapsed_count),
        detractors=list(market.detractors),
        members=replication.members(),
        on_hand={o.id: int(o.on_hand) for o in outlets if o.is_open and o.inventory is not None},
        prices={o.id: o.price for o in outlets},
        exited=[o.id for o in outlets if not o.is_open and o.index not in replication.closed_by_plan],
        penalised=[o.id for o in outlets if conflict is not None and conflict.penalised(o)],
    )


def _considering(replication: Replication, segment: int) -> dict[tuple[str, str, str | None], int]:
    """The prospects of `segment` thinking it over, counted by region, who found them and the partner."""
    names, outlets = replication.entities, replication.outlets
    out: dict[tuple[str, str, str | None], int] = {}
    for c in replication.market.considering(segment):
        key = (
            names.regions[c.region],
            names.sources[c.source],
            outlets[c.partner].id if c.partner >= 0 else None,
        )
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")))


def period_count(horizon: int, periods: int, left: int) -> int:
    """Spend periods of the weeks left: as long as the full plan's (`optimize.periods` over the horizon)."""
    length = math.ceil(horizon / periods)
    return max(1, math.ceil(left / length))


def as_scenario(sc: Scenario, snap: Snapshot, policy: Policy) -> Scenario:
    """The scenario of the weeks from `snap.week` on, starting from the snapshot, `policy` as its baseline.

    `sc` is the scenario the run plays; the budget limits are kept as `sc` has them (a caller
    gives explicit ones where `sc` leaves them to the baseline, which here is another)."""
    left = sc.horizon_weeks - snap.week
    closed = {pid: False for pid in snap.exited}
    now = opened(sc, policy.open | closed)  # the design played, the partners that left taken out
    total_active = sum(snap.active)
    kept_partners = {p.id for p in now.partners}
    segments = [
        _at_state(s, a, u, considering, kept_partners)
        for s, a, u, considering in zip(
            now.segments, snap.active, snap.unaware, snap.considering, strict=True
        )
    ]
    effective = policy.effective_spend(sc)
    week = snap.week
    sources = [  # the adstock level reached: the baseline the next weeks carry over from
        s.model_copy(update={"spend_per_week": effective[s.id][week - 1]}) for s in now.sources
    ]
    channels = [_priced(c, snap, c.price_index) for c in now.channels]
    partners = [_priced(p, snap, p.price_index or now.channel(p.channel).price_index) for p in now.partners]
    kept = {p.id for p in partners}
    incentives = [  # the tiers the run plays now are the baseline
        i.model_copy(update={"current": {pid: level for pid, (iid, level) in policy.tiers.items()
                                         if iid == i.id and pid in kept}})
        for i in now.incentives
    ]  # fmt: skip
    programmes = [
        p.model_copy(update={"active": policy.programmes.get(p.id, p.active),
                             "initial_members": snap.members[k] / total_active if total_active else 0.0})
        for k, p in enumerate(now.loyalty_programs)
    ]  # fmt: skip
    winback = now.winback
    if winback is not None and policy.winback_spend:
        winback = winback.model_copy(update={"spend_per_week": policy.winback_spend[week]})
    settings = now.optimize.model_copy(
        update={"periods": period_count(sc.horizon_weeks, sc.optimize.periods, left)}
    )
    return now.model_copy(update={
        "horizon_weeks": left, "segments": segments, "sources": sources, "channels": channels,
        "partners": partners, "incentives": incentives, "loyalty_programs": programmes, "winback": winback,
        "optimize": settings,
    })  # fmt: skip


def _at_state(segment: Segment, active: int, unaware: int, considering: dict[tuple[str, str, str | None], int],
              partners: set[str]) -> Segment:  # fmt: skip
    """A segment as the snapshot finds it: its population as written (word of mouth reaches q·A/N of the
    unaware), the active customers, the prospects thinking it over (a partner's that left buy as
    anyone's), and everyone else past the funnel (lapsed, lost to rivals, never to buy)."""
    groups: dict[tuple[str, str | None, str | None], int] = {}
    for (region, source, partner), count in considering.items():
        key: tuple[str, str | None, str | None]
        if partner is not None and partner in partners:
            key = (region, None, partner)
        else:  # found by a paid source (its route on the first purchase), or as organic or referral
            key = (region, None if source == "partners" else source, None)
        groups[key] = groups.get(key, 0) + count
    prospects = [ProspectGroup(count=n, region=r, source=src, partner=p) for (r, src, p), n in groups.items()]
    waiting = sum(groups.values())
    return segment.model_copy(update={
        "initial_customers": active, "initial_prospects": prospects,
        "initial_reached": segment.population - active - waiting - unaware,
    })  # fmt: skip


def _priced(outlet: Any, snap: Snapshot, price: float | None) -> Any:
    """A channel or partner with today's price and stock (a price war's cut stays, as far as the plan sees)."""
    update: dict[str, Any] = {}
    now = snap.prices.get(outlet.id)
    if now is not None and price is not None and abs(now - price) > 1e-12:
        update["price_index"] = now
        if outlet.price_floor is not None and outlet.price_floor > now:
            update["price_floor"] = now
    inventory = getattr(outlet, "inventory", None)
    if inventory is not None and outlet.id in snap.on_hand:
        update["inventory"] = inventory.model_copy(update={"initial": snap.on_hand[outlet.id]})
    return outlet.model_copy(update=update) if update else outlet
