"""One replication of the simulation: builds the world from a scenario and a policy, runs it.

The engine owns the SimPy environment, the outlets, the channel choice and the ledger; the
market (customers) calls back into `sell` for every purchase. A weekly tick closes the
books of each week: costs, end-of-week states, stock-out and membership time.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from channelsim.model.clv import customer_equity
from channelsim.model.media import source_cost
from channelsim.model.money import OrderMoney, order_money
from channelsim.scenario.design import fixed_per_week, is_open, one_off_cost
from channelsim.scenario.schema import Scenario
from channelsim.sim.choice import RIVALS, Chooser, Pick
from channelsim.sim.clock import call_in
from channelsim.sim.conflict import ConflictAgents
from channelsim.sim.customers import Customer, Market, SegmentParams
from channelsim.sim.ledger import Ledger
from channelsim.sim.outlets import Outlet, Stock
from channelsim.sim.policy import Policy
from channelsim.sim.streams import (
    cumulative,
    customer_streams,
    organic_streams,
    partner_streams,
    source_streams,
    streams_for,
)
from channelsim.sim.wholesale import Wholesale, book_resale

#: Allocations between two collections of the youngest generation during a run (Python: 700).
GC_THRESHOLD = 100_000
#: A change of price index a returning customer notices (1 point of list price).
PRICE_NOTICED = 0.01 - 1e-9


@dataclass(frozen=True)
class Entities:
    """The ids of each level, in the order of the ledger's columns."""

    sources: list[str]  # paid sources, then "organic", "referral" and (if any partner prospects) "partners"
    outlets: list[str]  # direct channels, then partners
    outlet_channel: list[int]  # index into channels, per outlet
    channels: list[str]
    partners: list[str]
    segments: list[str]
    regions: list[str]


@dataclass
class ReplicationOutput:
    """What one replication leaves: weekly tables, ids, and a few end-of-run facts."""

    tables: dict[str, dict[str, np.ndarray]]
    entities: Entities
    base_price: list[float]  # per outlet, as in the scenario
    min_price: list[float]  # per outlet
    exited: list[bool]  # per outlet
    events: int  # business events: leads + orders + lapses
    diverted_into: np.ndarray  # orders per (outlet, region it diverted into), over the horizon
    programmes_active: list[bool]  # per loyalty programme, as the policy ran it
    customer_equity: float = 0.0  # what the customers active at the horizon bring in the next 52 weeks


@contextmanager
def few_collections() -> Iterator[None]:
    """Run with the cyclic garbage collector's first threshold raised (`GC_THRESHOLD`).

    A replication keeps hundreds of thousands of customers alive and allocates an event per
    business event; at Python's default (a collection every 700 allocations) the collector's
    passes over the live customers cost as much as the simulation itself. Nothing is left
    uncollected: collections are only rarer."""
    threshold = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def apportion(total: int, shares: list[float]) -> list[int]:
    """Split a whole number by shares, largest remainders first (deterministic)."""
    raw = [total * s for s in shares]
    counts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


class Replication:
    """The world of one replication."""

    def __init__(
        self, scenario: Scenario, policy: Policy, seed: np.random.SeedSequence, conflict: bool = True
    ) -> None:
        self.scenario, self.policy = scenario, policy
        self.weeks = scenario.horizon_weeks
        self.env = simpy.Environment()
        self.draws = streams_for(seed)
        # one stream per paid source, partner and segment (organic leads, customers' lives): a plan
        # that moves one of them leaves the others' draws as they were (common random numbers)
        self._partner_draws = partner_streams(seed, len(scenario.partners))
        self._source_draws = source_streams(seed, len(scenario.sources))
        self._organic_draws = organic_streams(seed, len(scenario.segments))
        self._lives = customer_streams(seed, len(scenario.segments))
        self.regions = list(scenario.regions)
        self.closed_by_plan: set[int] = set()  # outlets the policy's design does not open
        self.outlets = self._build_outlets()
        self._prospecting = any(p.leads_per_week > 0 for p in scenario.partners)
        self._paid_sources = len(scenario.sources)
        self.entities = self._entities()
        sizes = {"source": len(self.entities.sources), "outlet": len(self.outlets),
                 "segment": len(scenario.segments), "region": len(self.regions)}  # fmt: skip
        self.ledger = Ledger(self.weeks, sizes)
        self._cannibalized = self.ledger.flows["total"]["cannibalized_orders"]
        self.stock = Stock(self.env, self._stock_changed)
        # two levels: retailers' reorders go to their wholesalers' stock (it hooks into `self.stock`)
        self.wholesale = (
            Wholesale(self.stock, self.ledger, lambda: self.market.current_week)
            if any(o.supplier is not None for o in self.outlets)
            else None
        )
        self.chooser = self._build_chooser()
        self.programmes = scenario.loyalty_programs
        self._member_count = [0] * len(self.programmes)
        self._member_since = [0.0] * len(self.programmes)
        self._member_time = [0.0] * len(self.programmes)
        self.market = self._build_market()
        self._money: dict[tuple[int, int, int], OrderMoney] = {}
        self.min_price = [o.price for o in self.outlets]
        self.diverted_into = np.zeros((len(self.outlets), len(self.regions)))
        self.conflict = self._build_conflict() if conflict else None
        # cannibalisation needs a direct channel and a partner that could meet at a purchase
        self._watch_prices = (
            self.conflict is not None
            and any(o.direct for o in self.outlets)
            and any(not o.direct for o in self.outlets)
        )

    # -- building -----------------------------------------------------------------------
    def _build_outlets(self) -> list[Outlet]:
        sc = self.scenario
        outlets: list[Outlet] = []
        index_of = {c.id: i for i, c in enumerate(sc.channels)}
        for channel in sc.channels:
            if channel.type != "direct":
                continue
            outlet = Outlet(len(outlets), channel.id, channel.id, index_of[channel.id])
            outlet.regions = frozenset(self.regions.index(r) for r in sc.channel_regions(channel))
            outlet.price = outlet.base_price = channel.price_index
            outlet.floor = channel.price_floor or channel.price_index
            outlet.variable_cost = channel.variable_cost
            outlet.reactive = channel.reactive
            if self._opened(outlet):
                outlet.set_fulfilment(self.env, channel.fulfilment)
                outlet.set_inventory(channel.inventory)
            outlets.append(outlet)
        for partner in sc.partners:
            channel = sc.channel(partner.channel)
            outlet = Outlet(len(outlets), partner.id, channel.id, index_of[channel.id])
            outlet.direct = False
            outlet.region = self.regions.index(partner.region)
            outlet.regions = frozenset({outlet.region})
            outlet.price = outlet.base_price = partner.price_index or channel.price_index
            outlet.floor = partner.price_floor or outlet.price
            outlet.effort, outlet.margin = partner.effort, channel.partner_margin
            outlet.exit_margin = partner.exit_below_margin_per_week
            outlet.diversion = partner.diversion
            self._apply_tier(outlet)
            if self._opened(outlet):
                outlet.set_fulfilment(self.env, partner.fulfilment)
                outlet.set_inventory(partner.inventory)
            outlets.append(outlet)
        by_id = {o.id: o for o in outlets}
        for partner in sc.partners:  # two levels: a retailer's reorders go to its wholesaler
            if partner.supplied_by:
                by_id[partner.id].supplier = by_id[partner.supplied_by]
        return outlets

    def _opened(self, outlet: Outlet) -> bool:
        """Whether the policy's design opens the outlet; one it does not is marked closed (it sells nothing, ever)."""
        if is_open(self.scenario, outlet.id, self.policy.open):
            return True
        outlet.is_open = False
        self.closed_by_plan.add(outlet.index)
        return False

    def _apply_tier(self, outlet: Outlet) -> None:
        choice = self.policy.tiers.get(outlet.id)
        if choice is None:
            return
        incentive = next(i for i in self.scenario.incentives if i.id == choice[0])
        tier = incentive.tier(choice[1])
        outlet.rebate, outlet.effort_boost, outlet.tier_cost = (
            tier.rebate,
            tier.effort_boost,
            tier.cost_per_week,
        )

    def _entities(self) -> Entities:
        sc = self.scenario
        return Entities(
            sources=[s.id for s in sc.sources]
            + ["organic", "referral"]
            + (["partners"] if self._prospecting else []),
            outlets=[o.id for o in self.outlets],
            outlet_channel=[o.channel_index for o in self.outlets],
            channels=[c.id for c in sc.channels],
            partners=[p.id for p in sc.partners],
            segments=[s.id for s in sc.segments],
            regions=list(self.regions),
        )

    def _build_chooser(self) -> Chooser:
        sc = self.scenario
        active = [self.policy.programmes.get(p.id, p.active) for p in sc.loyalty_programs]
        bonus = [
            (frozenset(p.channels), p.channel_bonus if on else 0.0)
            for p, on in zip(sc.loyalty_programs, active, strict=True)
        ]
        return Chooser(
            self.outlets,
            affinity=[dict(s.channel_affinity) for s in sc.segments],
            price_sensitivity=[s.price_sensitivity for s in sc.segments],
            loyalty=[s.loyalty for s in sc.segments],
            routes=[dict(s.routes_to) for s in sc.sources],
            programme_bonus=bonus,
            draws=self.draws["choice"],
            rival_utility=[s.competition.utility if s.competition else None for s in sc.segments],
            regions=len(self.regions),
        )

    def _build_conflict(self) -> ConflictAgents:
        sc = self.scenario
        population = [
            [s.population * (s.regions or {}).get(r, 0.0) for r in self.regions] for s in sc.segments
        ]
        flows = self.ledger.flows["outlet"]
        revenue, brand = flows["revenue"], flows["brand_revenue"]
        upstream, wholesale = flows["supplier_margin"], flows["wholesale_margin"]

        def margin_of(outlet: int, week: int) -> float:  # its own level's margin (as the ledger's)
            return (
                revenue[week][outlet] - brand[week][outlet] - upstream[week][outlet] + wholesale[week][outlet]
            )

        def detected(outlet: Outlet, week: int) -> None:
            self.ledger.add("outlet", "detections", week, outlet.index)

        return ConflictAgents(
            sc, self.outlets, self.chooser, self.draws["conflict"], population, margin_of, detected
        )

    def _build_market(self) -> Market:
        sc = self.scenario
        active = [self.policy.programmes.get(p.id, p.active) for p in sc.loyalty_programs]
        params, unaware = [], []
        for segment in sc.segments:
            shares = [(segment.regions or {}).get(r, 0.0) for r in self.regions]
            params.append(SegmentParams(segment, shares, list(sc.loyalty_programs), active))
            people = apportion(segment.population, shares)
            initial = apportion(segment.initial_customers, shares)
            taken = [0] * len(self.regions)  # considering or past the funnel at week 0 (none: as SPEC)
            for region, count, _, _ in self._considering(segment):
                taken[region] += count
            for region, count in enumerate(apportion(segment.initial_reached, shares)):
                taken[region] += count
            unaware.append([max(p - i - k, 0) for p, i, k in zip(people, initial, taken, strict=True)])
        return Market(
            self.env,
            self.ledger,
            params,
            unaware,
            self.draws,
            self.sell,
            self.weeks,
            self._membership_changed,
            lives=self._lives,
            organic=self._organic_draws,
        )

    def _considering(self, segment: Any) -> list[tuple[int, int, int, int]]:
        """(region, count, source, partner outlet or −1) of a segment's `initial_prospects`: a group
        without a region is spread by the segment's regions, a partner's prospects live in its region."""
        sources, out = self.entities.sources, []  # paid, "organic", "referral", ("partners")
        outlets = {o.id: o for o in self.outlets}
        for group in segment.initial_prospects:
            partner = outlets[group.partner] if group.partner is not None else None
            source = sources.index(group.source or "organic")
            if partner is not None and self._prospecting:
                source = sources.index("partners")  # booked as the partner's own prospects
            found_by = -1 if partner is None else partner.index
            home = self.regions.index(group.region) if group.region is not None else None
            if home is None and partner is not None:
                home = partner.region
            if home is not None:
                out.append((home, group.count, source, found_by))
                continue
            shares = [(segment.regions or {}).get(r, 0.0) for r in self.regions]
            for region, count in enumerate(apportion(group.count, shares)):
                if count:
                    out.append((region, count, source, found_by))
        return out

    # -- running ------------------------------------------------------------------------
    def run(self) -> ReplicationOutput:
        self.start()
        self.run_until(self.weeks)
        return self.finish()

    def start(self) -> None:
        """Put the initial customers in and start the processes (run them with `run_until`)."""
        sc, market = self.scenario, self.market
        for s, segment in enumerate(sc.segments):
            shares = [(segment.regions or {}).get(r, 0.0) for r in self.regions]
            for region, count in enumerate(apportion(segment.initial_customers, shares)):
                for programme, members in enumerate(self._initial_members(count)):
                    for _ in range(members):
                        customer = Customer(s, region, -1)
                        if programme < len(self.programmes):
                            market.enrol_at_start(customer, programme)
                        market.start_active(customer)
            for region, count, found, partner in self._considering(segment):
                for _ in range(count):
                    market.start_considering(Customer(s, region, found), partner)
            self.env.process(market.organic(s, len(sc.sources)))
        # the weekly rates are kept: `switch_policy` rewrites their future weeks in place
        self._lead_rates = self._rates()
        for i, source in enumerate(sc.sources):
            mix = [(source.segment_mix or {}).get(seg.id, 0.0) for seg in sc.segments]
            self.env.process(market.paid_leads(i, self._lead_rates[i], mix, self._source_draws[i]))
        self._winback_rates: list[float] = []
        if sc.winback is not None and self.policy.winback_spend:
            self._winback_rates = [sc.winback.response.leads(x) for x in self.policy.winback_spend]
            self.env.process(market.winback(self._winback_rates))
        self.env.process(self._weekly())

    def _rates(self) -> list[list[float]]:
        """Leads per week of each paid source under the policy, from its adstocked spend."""
        effective = self.policy.effective_spend(self.scenario)
        return [[s.response.leads(x) for x in effective[s.id]] for s in self.scenario.sources]

    def run_until(self, week: int) -> None:
        """Simulate up to the start of `week` (stopping and going on again changes nothing)."""
        with few_collections():
            self.env.run(until=week)

    def finish(self) -> ReplicationOutput:
        """Close the last week's books; what the replication leaves."""
        self._close_week(self.weeks - 1)
        return self._output()

    def switch_policy(self, policy: Policy, week: int) -> None:
        """Play `policy` from `week` on, the run stopped at its start (`run_until(week)`): its spend
        and win-back from that week (adstock carried from the weeks run), its tiers from now. The
        weeks before must be the old policy's, and the design and programmes stay as the run began
        with them: an outlet's open state and a programme's members were set when the world was built."""
        retiered, sc = policy.tiers != self.policy.tiers, self.scenario
        self.policy = policy
        for now, new in zip(self._lead_rates, self._rates(), strict=True):
            now[week:] = new[week:]  # the same lists the lead processes read, week by week
        if self._winback_rates and sc.winback is not None:
            self._winback_rates[week:] = [sc.winback.response.leads(x) for x in policy.winback_spend[week:]]
        if not retiered:
            return
        for outlet in self.outlets:
            if outlet.direct or not outlet.is_open:
                continue  # a partner that left (or was never opened) has no tier to change
            self._apply_tier(outlet)
            if self.conflict is not None:
                self.conflict.retier(outlet)
        self.changed()

    def _initial_members(self, customers: int) -> list[int]:
        """Initial customers per programme they start in (active programmes), then non-members."""
        active = [self.policy.programmes.get(p.id, p.active) for p in self.programmes]
        shares = [p.initial_members if on else 0.0 for p, on in zip(self.programmes, active, strict=True)]
        return apportion(customers, [*shares, max(0.0, 1.0 - sum(shares))])

    def _weekly(self) -> Generator[Any, Any, None]:
        for week in range(self.weeks):
            self.market.current_week = week
            if week > 0:
                self._close_week(week - 1)
            if self.conflict is not None and self.conflict.weekly(week):
                self._money.clear()  # prices or rebates moved
                self.min_price = [min(m, o.price) for m, o in zip(self.min_price, self.outlets, strict=True)]
            self._book_costs(week)
            self._prospect(week)
            yield self.env.timeout(1.0)

    def _prospect(self, week: int) -> None:
        """Start each prospecting partner's week, at its rate after this week's decisions."""
        if not self._prospecting:
            return
        source = len(self.scenario.sources) + 2
        for k, partner in enumerate(self.scenario.partners):
            outlet = self.outlets[len(self.outlets) - len(self.scenario.partners) + k]
            penalised = self.conflict is not None and self.conflict.penalised(outlet)
            if partner.leads_per_week <= 0 or not outlet.is_open or penalised or not partner.segment_mix:
                continue
            rate = partner.leads_per_week * (1.0 + outlet.effort_boost)
            mix = [partner.segment_mix.get(seg.id, 0.0) for seg in self.scenario.segments]
            draws = self._partner_draws[k]
            self.env.process(
                self.market.partner_week(
                    outlet.index, outlet.region or 0, rate, cumulative(mix), source, draws
                )
            )

    def _book_costs(self, week: int) -> None:
        sc, ledger = self.scenario, self.ledger
        for i, source in enumerate(sc.sources):
            spend = self.policy.spend[source.id][week]
            cost = source_cost(source, spend)
            ledger.add("source", "marketing_spend", week, i, cost)
            ledger.add("total", "marketing_spend", week, 0, cost)
        if sc.winback is not None and self.policy.winback_spend:
            ledger.add("total", "marketing_spend", week, 0, self.policy.winback_spend[week])
            ledger.add("total", "winback_spend", week, 0, self.policy.winback_spend[week])
        incentives = sum(o.tier_cost for o in self.outlets if o.is_open)
        ledger.add("total", "incentive_cost", week, 0, incentives)
        once = one_off_cost(sc, self.policy.open) if week == 0 else 0.0  # opening and closing costs
        ledger.add("total", "fixed_cost", week, 0, fixed_per_week(sc, self.policy.open) + once)

    def _close_week(self, week: int) -> None:
        end, states, market = week + 1.0, self.ledger.states, self.market
        for s in range(len(self.scenario.segments)):
            states["segment"]["active_customers"][week][s] = market.active[s]
            states["segment"]["lapsed_customers"][week][s] = market.lapsed_count[s]
            states["segment"]["prospects"][week][s] = market.prospects[s]
            states["segment"]["members"][week][s] = market.members[s]
            states["segment"]["detractors"][week][s] = market.detractors[s]
            states["segment"]["promoters"][week][s] = market.promoters[s]
            states["segment"]["repeat_customers"][week][s] = market.repeaters[s]
        for outlet in self.outlets:
            states["outlet"]["price_index"][week][outlet.index] = outlet.price
            states["outlet"]["open"][week][outlet.index] = 1.0 if outlet.is_open else 0.0
            states["outlet"]["diverting"][week][outlet.index] = 1.0 if outlet.diverts_into else 0.0
            if outlet.stockout_since is not None:
                self.ledger.add(
                    "outlet", "stockout_weeks", week, outlet.index, end - max(outlet.stockout_since, week)
                )
            if outlet.inventory is not None:
                self.ledger.add(
                    "outlet", "stock_unit_weeks", week, outlet.index, self.stock.held(outlet, end)
                )
        for p, programme in enumerate(self.programmes):
            self._membership_changed(p, 0, at=end)
            self.ledger.add(
                "total", "crm_cost", week, 0, self._member_time[p] * programme.cost_per_member_per_week
            )
            self._member_time[p] = 0.0

    def _output(self) -> ReplicationOutput:
        tables = self.ledger.arrays()
        events = int(tables["total"]["leads"].sum() + tables["total"]["orders"].sum()
                     + tables["segment"]["lapses"].sum())  # fmt: skip
        exited = [not o.is_open and o.index not in self.closed_by_plan for o in self.outlets]
        base = [o.base_price for o in self.outlets]
        active = [self.policy.programmes.get(p.id, p.active) for p in self.programmes]
        return ReplicationOutput(
            tables, self.entities, base, self.min_price, exited, events, self.diverted_into, active,
            self._customer_equity(),
        )  # fmt: skip

    def _customer_equity(self) -> float:
        """Σ over the active customers of what they bring in the next 52 weeks (SPEC §3), by state."""
        states: dict[tuple[int, int, int, int, bool], int] = {}
        for c in self.market.active_customers():
            key = (c.segment, c.region, c.programme, -1 if c.last is None else c.last.index, c.rival_last)
            states[key] = states.get(key, 0) + 1
        total = 0.0
        for key in sorted(states):  # a fixed order: the sum is the same whatever the set's order
            total += states[key] * self._equity_of(*key)
        return total

    def _equity_of(self, segment: int, region: int, programme: int, last: int, rival_last: bool) -> float:
        """One active customer's equity: their rates, today's shares from their loyalty state."""
        offered, weights, _, rivals = self.chooser.offered(segment, region, -1, programme)
        factor = self.chooser.loyalty_factor[segment]
        weights = [
            w * (1.0 + factor) if o.index == last else w for o, w in zip(offered, weights, strict=True)
        ]
        rivals *= 1.0 + factor if rival_last else 1.0
        everyone = sum(weights) + rivals
        if everyone <= 0.0:
            return 0.0
        ours = sum(weights) / everyone
        per_order = sum(w * self._order_money(o, segment, programme).contribution
                        for o, w in zip(offered, weights, strict=True)) / sum(weights) if ours > 0 else 0.0  # fmt: skip
        params = self.market.segments[segment]
        tier = programme + 1
        return customer_equity(params.buy[tier], params.churn[tier], 1.0 - ours, params.switch, per_order)

    def members(self) -> list[int]:
        """Members of each loyalty programme now."""
        return list(self._member_count)

    # -- purchases ----------------------------------------------------------------------
    def sell(self, customer: Customer, first: bool) -> Pick:
        """One purchase occasion: the customer chooses an outlet (or the rivals); an order of ours is
        booked and fulfilled. A partner's own prospect buys first at that partner when it can."""
        last, market, ledger, chooser = customer.last, self.market, self.ledger, self.chooser
        segment, region, programme = customer.segment, customer.region, customer.programme
        if last is not None and not last.in_stock and last.is_open:
            market.disappoint(customer)  # their usual outlet is out of stock
        route, found_by, situation = -1, None, None
        if first:
            route = customer.source if 0 <= customer.source < self._paid_sources else -1
            found_by = self.outlets[customer.partner] if customer.partner >= 0 else None
        if first and found_by is not None and found_by.is_open and found_by.in_stock:
            outlet: Pick = found_by  # the sale its rep closes: no logit, no rival
        else:
            situation = chooser.situation(segment, region, route, programme, last, customer.rival_last)
            outlet = chooser.pick(situation)
        week = market.current_week
        if outlet is None:
            ledger.add("total", "lost_orders", week, 0)
            ledger.add("region", "lost_orders", week, region)
            return None
        if outlet is RIVALS:
            ledger.add("segment", "lost_prospects" if first else "rival_orders", week, segment)
            customer.last, customer.rival_last = None, True
            return outlet
        assert isinstance(outlet, Outlet)
        customer.rival_last = False
        money = self._money.get((outlet.index, segment, programme)) or self._order_money(
            outlet, segment, programme
        )
        ledger.order(week, outlet.index, segment, customer.source, region, money)
        if outlet.supplier is not None:
            book_resale(ledger, week, outlet, money)
        if not outlet.direct and outlet.region != region:
            ledger.add("outlet", "diverted_orders", week, outlet.index)
            ledger.add("region", "diverted_orders", week, region)
            self.diverted_into[outlet.index, region] += 1.0
        if self._watch_prices:  # the situation keeps its answer (it depends on nothing else)
            moved = None if situation is None else situation.moved
            if moved is None:
                moved = chooser.cannibalized(segment, region, route, programme, last)
                if situation is not None:
                    situation.moved = moved
            if moved:
                self._cannibalized[week][0] += moved  # ledger.add, on the hot path
        if customer.mood:
            kind = "promoter_orders" if customer.mood > 0 else "detractor_orders"
            self.ledger.add("outlet", kind, week, outlet.index)
        if outlet is last and abs(outlet.price - customer.paid) > PRICE_NOTICED:
            # their usual outlet changed its price since they last paid: a rise hurts, a cut pleases
            if outlet.price > customer.paid:
                self.market.disappoint(customer)
            else:
                self.market.delight(customer)
        customer.last, customer.paid = outlet, outlet.price
        if outlet.inventory is not None:
            self.stock.take(outlet)
        if outlet.queue is not None:
            self._fulfil(outlet, customer, week)
        return outlet

    def _order_money(self, outlet: Outlet, segment: int, programme: int) -> OrderMoney:
        key = (outlet.index, segment, programme)
        money = self._money.get(key)
        if money is None:
            seg = self.scenario.segments[segment]
            points = self.programmes[programme].points_cost if programme >= 0 else 0.0
            supplier = outlet.supplier  # two levels: the wholesaler's margin and current rebate
            money = self._money[key] = order_money(
                seg.order_value, outlet.price, self.scenario.gross_margin, direct=outlet.direct,
                variable_cost=outlet.variable_cost, partner_margin=outlet.margin, rebate=outlet.rebate,
                points_cost=points, supplier_margin=supplier.margin if supplier else None,
                supplier_rebate=supplier.rebate if supplier else 0.0,
            )  # fmt: skip
        return money

    def _fulfil(self, outlet: Outlet, customer: Customer, week: int) -> None:
        """The order waits for a server, is served, and the customer judges the response time.

        The steps are calls on the clock, not a process: the same SimPy resource and order of
        events, without a generator per order."""
        placed, queue = self.env.now, outlet.queue
        assert queue is not None
        turn = queue.request()

        def served(_: object) -> None:
            queue.release(turn)
            response = self.env.now - placed
            self.ledger.add("outlet", "response_time_sum", week, outlet.index, response)
            self.ledger.add("outlet", "responses", week, outlet.index)
            if response > self.scenario.segments[customer.segment].service_expectation_weeks:
                self.market.disappoint(customer)

        def serve(_: object) -> None:
            call_in(self.env, self.draws["service"].exponential(outlet.mean_service), served)

        turn.callbacks.append(serve)

    # -- changes ------------------------------------------------------------------------
    def changed(self) -> None:
        """An outlet's price, rebate, stock or status changed: drop cached choices and money."""
        self.chooser.invalidate()
        self._money.clear()

    def _stock_changed(self, outlet: Outlet, back_in_stock: bool) -> None:
        if back_in_stock and outlet.stockout_since is not None:
            now, week = self.env.now, self.market.current_week
            self.ledger.add(
                "outlet", "stockout_weeks", week, outlet.index, now - max(outlet.stockout_since, week)
            )
            outlet.stockout_since = None
        self.chooser.stock_changed(outlet, back_in_stock)

    def _membership_changed(self, programme: int, change: int, at: float | None = None) -> None:
        now = self.env.now if at is None else at
        self._member_time[programme] += self._member_count[programme] * (now - self._member_since[programme])
        self._member_since[programme] = now
        self._member_count[programme] += change


def run_replication(
    scenario: Scenario,
    policy: Policy,
    seed: np.random.SeedSequence,
    conflict: bool = True,
    on_week: Callable[[int, int], None] | None = None,
) -> ReplicationOutput:
    """Simulate one replication (`conflict=False`: partners never decide anything). `on_week(done,
    weeks)` is told each week that ends, for progress: it reads and changes nothing of the model."""
    replication, weeks = Replication(scenario, policy, seed, conflict), scenario.horizon_weeks

    def tell(told: Callable[[int, int], None]) -> Generator[Any, Any, None]:
        for week in range(1, weeks):  # the horizon's own end is told once the run has returned
            yield replication.env.timeout(1.0)
            told(week, weeks)

    if on_week is not None:
        replication.env.process(tell(on_week))
    output = replication.run()
    if on_week is not None:
        on_week(weeks, weeks)
    return output
