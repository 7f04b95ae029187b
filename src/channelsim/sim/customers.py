"""The demand side: leads, organic growth (Bass), and the life of each customer.

Unaware people are counts per segment and region (a market of millions costs nothing);
a person becomes an agent when they hear of the brand. A customer's life reads as the
story: consider, buy for the first time, then buy again, join a programme or lapse, each
after an exponential wait at the rates of the moment.

Those waits are not one SimPy process per customer: the customers of a segment are a
cohort (`sim/cohort.py`), one chain of calls on the clock whose next event is the first of all its members'
exponential clocks — Exp(sum of their rates) — and whose member and event are drawn by rate.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from itertools import accumulate
from typing import Any

import numpy as np
import simpy

from channelsim.model.satisfaction import MOOD_LIMIT, referral_weight
from channelsim.sim.choice import RIVALS, Pick
from channelsim.sim.clock import Call, call_in
from channelsim.sim.cohort import CONSIDERING, Cohort, Handlers, active_class, class_rates
from channelsim.sim.ledger import Ledger
from channelsim.sim.outlets import Outlet
from channelsim.sim.streams import Draws, cumulative


class Customer:
    """A person who has heard of the brand: where they live, who brought them, what they did."""

    __slots__ = ("active", "klass", "last", "mood", "orders", "paid", "partner", "programme", "region",
                 "rival_last", "segment", "slot", "source")  # fmt: skip

    def __init__(self, segment: int, region: int, source: int) -> None:
        self.segment = segment
        self.region = region
        self.source = source  # index into the sources (paid, then organic, referral); -1: initial
        self.last: Outlet | None = None
        self.paid = 0.0  # the price index paid at the last purchase
        self.orders = 0
        self.programme = -1  # loyalty programme joined, -1 for none
        self.mood = 0  # satisfaction: good minus bad experiences; ≤ −1 detractor, ≥ 1 promoter
        self.active = False
        self.partner = -1  # the partner (outlet index) whose own prospect this was, -1 for none
        self.rival_last = False  # their last purchase occasion went to a rival
        self.klass = self.slot = -1  # their class in the segment's cohort and place in it (-1: none)


class SegmentParams:
    """A segment's rates, precomputed per programme (index 0: no programme)."""

    def __init__(
        self, segment: Any, region_shares: list[float], programmes: list[Any], active: list[bool]
    ) -> None:
        self.population = segment.population
        self.p, self.q = segment.innovation_per_week, segment.imitation_per_week
        self.conversion = segment.conversion
        self.switch = segment.competition.switch_probability if segment.competition else 0.0
        self.consideration = segment.consideration_weeks
        self.region_cumulative = cumulative(region_shares)
        self.buy = [segment.purchases_per_week] + [
            segment.purchases_per_week * p.purchase_multiplier for p in programmes
        ]
        self.churn = [segment.churn_per_week] + [
            segment.churn_per_week * p.churn_multiplier for p in programmes
        ]
        self.join = [p.enrolment_per_week if on else 0.0 for p, on in zip(programmes, active, strict=True)]
        self.join_total = sum(self.join)
        self.join_cumulative = cumulative(self.join) if self.join_total > 0 else []
        self.classes = class_rates(self.consideration, self.buy, self.churn, self.join_total)
        # refresh the organic rate often enough that it drifts < 0.5% between refreshes
        self.refresh = min(1.0 / 28.0, 0.005 / (self.p + self.q)) if self.p + self.q > 0 else 1.0


class Market:
    """Population state and the processes that move people through the funnel."""

    def __init__(
        self,
        env: simpy.Environment,
        ledger: Ledger,
        segments: list[SegmentParams],
        unaware: list[list[int]],
        draws: dict[str, Draws],
        sell: Callable[[Customer, bool], Pick],
        weeks: int,
        on_membership: Callable[[int, int], None],
        *,
        lives: list[Draws],
        organic: list[Draws],
    ) -> None:
        """`draws`: the replication's named streams; per segment, `lives`: its customers' own stream
        (`customer_streams`): their cohort's clocks, whether a prospect converts, which programme
        they join; `organic`: its organic leads' (`organic_streams`)."""
        self.env = env
        self.ledger = ledger
        self.segments = segments
        self._unaware = unaware  # per segment, per region (read through `unaware`)
        self.active = [0] * len(segments)
        self.referrers = [0] * len(segments)  # word of mouth: Σ referral_weight over active customers
        self.promoters = [0] * len(segments)  # active promoters
        self.detractors = [0] * len(segments)  # active detractors
        self.repeaters = [0] * len(segments)  # active customers with two or more orders
        self._prospects = [0] * len(segments)  # read through `prospects`
        # per segment: the paid leads that will not convert, drawn ahead by the week, not yet booked:
        # (time, region, source, week) in time order, from `_due[segment]` on (see `settle`)
        self._pending: list[list[tuple[float, int, int, int]]] = [[] for _ in segments]
        self._due = [0] * len(segments)
        self.members = [0] * len(segments)
        self.lapsed: list[Customer] = []
        self.lapsed_count = [0] * len(segments)
        self.draws = draws
        self.lives = lives
        self.organic_draws = organic
        on = Handlers(first=self.first_purchase, buy=self.repeat_purchase, lapse=self._lapse, join=self._join)
        self.cohorts = [
            Cohort(env, params.classes, mine, on) for params, mine in zip(segments, lives, strict=True)
        ]
        # one cohort per segment runs the clocks of its prospects-to-be and its active customers, on
        # the segment's own stream: a lead more in one segment does not shift another's clocks
        self.on_membership = on_membership  # told (programme, ±1) so the engine meters member cost
        self.sell = sell
        self.weeks = weeks
        self.current_week = 0  # the week under way, kept by the engine's weekly tick

    # -- leads --------------------------------------------------------------------------
    def paid_leads(
        self, source: int, weekly_rate: list[float], mix: list[float], draws: Draws
    ) -> Generator[Any, Any, None]:
        """A Poisson stream of leads, its rate constant within each week (a process: it starts the
        stream, a week of leads drawn at once at the start of each week, and ends). `draws` is the
        source's own stream (`source_streams`): nothing else draws from it, so its leads are a
        function of its rate path alone (common random numbers across plans)."""
        PaidLeadWeeks(self, source, weekly_rate, cumulative(mix), draws)
        yield from ()

    def lead_week(
        self,
        source: int,
        mean: float,
        span: tuple[float, float],
        week: int,
        mix_cumulative: list[float],
        draws: Draws,
    ) -> list[tuple[float, int, int]]:
        """Draw the paid leads of `source` in the `span` (start, end) of `week` at once: a Poisson
        count of the given mean at independent uniform times (the events of a Poisson process on
        the span, in time order), each with its segment (by the mix), region and whether it converts.

        Returns the leads that convert, (time, segment, region) in time order: the caller makes
        each a call at its time (`converting_lead`: a prospect who will buy arrives). One that
        does not only moves counts (one unaware person fewer and a prospect more, or a wasted
        lead), so it waits in `_pending` and is booked, in time order, before anything reads
        those counts (`settle`): nothing can tell it from a lead booked at its time.

        Every number comes from `draws` (the source's own stream) and how many depends only on
        `mean` (4 per lead), never on the market's state: that is what keeps the source's leads
        identical under a plan that changes anything else."""
        count = draws.poisson(mean)
        if count == 0:
            return []
        u = draws.uniforms(4 * count).reshape(4, count)
        start, end = span
        times = np.sort(start + (end - start) * u[0])
        mix = np.asarray(mix_cumulative)
        segments = np.minimum(np.searchsorted(mix, u[1] * mix[-1]), len(mix) - 1)
        regions = np.zeros(count, dtype=np.int64)
        converts = np.zeros(count, dtype=bool)
        for s in np.unique(segments).tolist():
            here = segments == s
            params = self.segments[s]
            shares = np.asarray(params.region_cumulative)
            regions[here] = np.minimum(np.searchsorted(shares, u[2][here] * shares[-1]), len(shares) - 1)
            converts[here] = u[3][here] <= params.conversion
        arrivals: list[tuple[float, int, int]] = []
        new: list[list[tuple[float, int, int, int]]] = [[] for _ in self.segments]
        for t, s, r, c in zip(
            times.tolist(), segments.tolist(), regions.tolist(), converts.tolist(), strict=True
        ):
            if c:
                arrivals.append((t, s, r))
            else:
                new[s].append((t, r, source, week))
        for s, leads in enumerate(new):
            if leads:
                pending = self._pending[s][self._due[s] :] + leads
                pending.sort()
                self._pending[s], self._due[s] = pending, 0
        return arrivals

    def converting_lead(self, segment: int, region: int, source: int, week: int) -> None:
        """A paid lead who will buy (once they have thought it over), or a wasted lead."""
        self.settle(segment)
        self.ledger.add("source", "leads", week, source)
        if self._unaware[segment][region] == 0:
            self.ledger.add("source", "wasted_leads", week, source)
            return
        self._unaware[segment][region] -= 1
        self._prospects[segment] += 1
        self._newcomer(segment, region, source, -1)

    def settle(self, segment: int) -> None:
        """Book the pending leads of `segment` due by now (those that do not convert), in time order."""
        pending, due = self._pending[segment], self._due[segment]
        if due == len(pending) or pending[due][0] > self.env.now:
            return
        now, unaware = self.env.now, self._unaware[segment]
        while due < len(pending) and pending[due][0] <= now:
            _, region, source, week = pending[due]
            self.ledger.add("source", "leads", week, source)
            if unaware[region] == 0:
                self.ledger.add("source", "wasted_leads", week, source)
            else:
                unaware[region] -= 1
                self._prospects[segment] += 1
            due += 1
        self._due[segment] = due

    def settle_all(self) -> None:
        """Book every pending lead due by now."""
        for segment in range(len(self.segments)):
            self.settle(segment)

    @property
    def unaware(self) -> list[list[int]]:
        """Per segment and region, the people who have not heard of the brand (as of now)."""
        self.settle_all()
        return self._unaware

    @property
    def prospects(self) -> list[int]:
        """Per segment, the people who heard of the brand and have not bought (as of now)."""
        self.settle_all()
        return self._prospects

    def organic(self, segment: int, organic_source: int) -> Generator[Any, Any, None]:
        """Bass: unaware people hear of the brand at rate (p + q·A/N)·U (A: word of mouth, see `referrers`).
        A process: it starts the stream, a chain of calls on the clock, and ends. It draws from the
        segment's own organic stream (`organic_streams`): another segment's organic leads do not
        shift its numbers (its rate follows its own state, so its draws are not a plan's alone)."""
        self._organic_next(segment, organic_source)
        yield from ()

    def _organic_next(self, segment: int, organic_source: int) -> None:
        """Wait for the next organic lead at the rate of now, or re-read the rate after `refresh`."""
        self.settle(segment)
        unaware = self._unaware[segment]
        left = sum(unaware)
        if left == 0:
            return
        params = self.segments[segment]
        innovation = params.p * left
        rate = innovation + params.q * self.referrers[segment] / params.population * left
        gap = self.organic_draws[segment].exponential(1.0 / rate) if rate > 0 else params.refresh
        if gap >= params.refresh:  # the rate is re-read at least this often
            call_in(self.env, params.refresh, lambda _: self._organic_next(segment, organic_source))
            return
        call_in(self.env, gap, lambda _: self._organic_lead(segment, organic_source, innovation, rate))

    def _organic_lead(self, segment: int, organic_source: int, innovation: float, rate: float) -> None:
        """An organic lead: an innovator (`organic`) with probability innovation/rate, else `referral`."""
        self.settle(segment)
        draws, unaware = self.organic_draws[segment], self._unaware[segment]
        region = draws.pick(list(accumulate(unaware)))  # exact: ints compare exactly with floats
        source = organic_source if draws.uniform() * rate <= innovation else organic_source + 1
        self.ledger.add("source", "leads", self.current_week, source)
        self.awaken(segment, region, source)
        self._organic_next(segment, organic_source)

    def partner_week(
        self, partner: int, region: int, rate: float, mix_cumulative: list[float], source: int, draws: Draws
    ) -> Generator[Any, Any, None]:
        """One week of a partner's own prospecting: a Poisson stream at `rate` in its region."""
        env = self.env
        end = self.current_week + 1.0
        while rate > 0.0:
            gap = draws.exponential(1.0 / rate)
            if env.now + gap >= end:
                return
            yield env.timeout(gap)
            segment = draws.pick(mix_cumulative)
            week = self.current_week
            self.ledger.add("source", "leads", week, source)
            self.ledger.add("outlet", "leads", week, partner)
            self.settle(segment)
            if self._unaware[segment][region] == 0:
                self.ledger.add("source", "wasted_leads", week, source)
                continue
            self.awaken(segment, region, source, partner)

    def awaken(self, segment: int, region: int, source: int, partner: int = -1) -> None:
        """An unaware person hears of the brand and becomes a prospect; some go on to buy."""
        self._unaware[segment][region] -= 1
        self._prospects[segment] += 1
        params = self.segments[segment]
        if params.conversion >= 1.0 or self.lives[segment].bernoulli(params.conversion):
            self._newcomer(segment, region, source, partner)

    def _newcomer(self, segment: int, region: int, source: int, partner: int) -> None:
        """A prospect who will buy: thinks it over (an exponential wait in the cohort), or buys at once."""
        customer = Customer(segment, region, source)
        customer.partner = partner
        if self.segments[segment].consideration > 0:
            self.cohorts[segment].add(customer, CONSIDERING)
        else:  # at once, so the next rate sees this customer
            self.first_purchase(customer)

    # -- a customer's life --------------------------------------------------------------
    def start_active(self, customer: Customer) -> None:
        """An existing customer at week 0."""
        self._activate(customer)

    def start_considering(self, customer: Customer, partner: int) -> None:
        """A prospect considering at week 0 (`initial_prospects`): a converted lead who has just come
        (by memorylessness, one who came earlier and is still thinking it over is the same)."""
        self._prospects[customer.segment] += 1
        self._newcomer(customer.segment, customer.region, customer.source, partner)

    def considering(self, segment: int) -> list[Customer]:
        """The prospects of `segment` who will buy and are thinking it over now."""
        return list(self.cohorts[segment].classes[CONSIDERING])

    def active_customers(self) -> Iterator[Customer]:
        """Everyone active now (their equity is read at the horizon)."""
        for cohort in self.cohorts:
            yield from cohort.active()

    def first_purchase(self, customer: Customer) -> bool:
        """The first order makes a prospect a customer (False: a rival won them, or nothing to buy)."""
        sold = self.sell(customer, True)
        if sold is None:
            return False  # the order is lost; they stay a prospect
        self._prospects[customer.segment] -= 1
        if sold is RIVALS:
            return False  # a rival won the first occasion: the prospect is lost for good
        self._activate(customer)
        self._book_new(customer)
        customer.orders = 1
        return True

    def repeat_purchase(self, customer: Customer) -> bool:
        """A repeat occasion; False when a rival won it and the customer defects for good."""
        sold = self.sell(customer, False)
        if sold is RIVALS:
            switch = self.segments[customer.segment].switch
            if switch > 0.0 and self.draws["rivals"].bernoulli(switch):
                self.ledger.add("segment", "switched_to_rivals", self.current_week, customer.segment)
                self._lapse(customer)
                return False
        elif sold is not None:
            customer.orders += 1
            if customer.orders == 2:
                self.repeaters[customer.segment] += 1
        return True

    def _join(self, customer: Customer) -> None:
        """An active non-member joins one of the programmes open to them, by their enrolment rates."""
        segment = customer.segment
        self._enrol(customer, self.lives[segment].pick(self.segments[segment].join_cumulative))

    def _activate(self, customer: Customer) -> None:
        customer.active = True
        self.cohorts[customer.segment].add(customer, active_class(customer.programme, customer.mood))
        self.active[customer.segment] += 1
        if customer.mood == 0:  # the common case, inlined: a passive refers once
            self.referrers[customer.segment] += 1
        else:
            self._count_mood(customer, +1)
        if customer.orders >= 2:
            self.repeaters[customer.segment] += 1
        if customer.programme >= 0:
            self.members[customer.segment] += 1

    def _count_mood(self, customer: Customer, sign: int) -> None:
        """Add (+1) or remove (−1) an active customer's satisfaction from the counts."""
        segment, mood = customer.segment, customer.mood
        self.referrers[segment] += sign * referral_weight(mood)
        if mood >= 1:
            self.promoters[segment] += sign
        elif mood <= -1:
            self.detractors[segment] += sign

    def _book_new(self, customer: Customer) -> None:
        week = self.current_week
        self.ledger.add("source", "new_customers", week, customer.source)
        self.ledger.add("segment", "new_customers", week, customer.segment)
        self.ledger.add("region", "new_customers", week, customer.region)
        if customer.partner >= 0:
            self.ledger.add("outlet", "new_customers", week, customer.partner)

    def _lapse(self, customer: Customer) -> None:
        customer.active = False
        self.cohorts[customer.segment].remove(customer)
        self.active[customer.segment] -= 1
        if customer.mood == 0:
            self.referrers[customer.segment] -= 1
        else:
            self._count_mood(customer, -1)
        if customer.orders >= 2:
            self.repeaters[customer.segment] -= 1
        if customer.programme >= 0:
            self.members[customer.segment] -= 1
            self.on_membership(customer.programme, -1)
            customer.programme = -1  # a lapsed customer's membership ends
        self.ledger.add("segment", "lapses", self.current_week, customer.segment)
        self.lapsed.append(customer)
        self.lapsed_count[customer.segment] += 1

    def _enrol(self, customer: Customer, programme: int) -> None:
        customer.programme = programme
        self.members[customer.segment] += 1
        self.on_membership(programme, +1)
        self.cohorts[customer.segment].move(customer, active_class(programme, customer.mood))
        self.delight(customer)  # a welcome, points, member prices: a good experience

    def enrol_at_start(self, customer: Customer, programme: int) -> None:
        """An initial customer who is already a member at week 0 (before any event)."""
        customer.programme = programme
        customer.mood = 1
        self.on_membership(programme, +1)

    def disappoint(self, customer: Customer) -> None:
        """A bad experience (slow service, a stock-out, a price rise): towards detractor."""
        self._move_mood(customer, -1)

    def delight(self, customer: Customer) -> None:
        """A good experience (joining a programme, a price cut): towards promoter."""
        self._move_mood(customer, +1)

    def _move_mood(self, customer: Customer, step: int) -> None:
        mood = max(-MOOD_LIMIT, min(MOOD_LIMIT, customer.mood + step))
        if mood == customer.mood:
            return
        if customer.active:
            self._count_mood(customer, -1)
        customer.mood = mood
        if customer.active:
            self._count_mood(customer, +1)
            self.cohorts[customer.segment].move(customer, active_class(customer.programme, mood))

    # -- win-back -----------------------------------------------------------------------
    def winback(self, weekly_rate: list[float]) -> Generator[Any, Any, None]:
        """Win-back spend reactivates lapsed customers as a Poisson stream (a process that starts it).

        Its own stream (`winback`), one exponential and one uniform per contact whoever is lapsed:
        the contacts' times are a function of the win-back spend alone, and a plan that moves the
        win-back spend no longer shifts the customers' own clocks (`lives`)."""
        draws = self.draws["winback"]

        def reactivate() -> None:
            u = draws.uniform()  # drawn even when wasted, so the stream's use is the spend's alone
            if self.lapsed:  # with nobody lapsed the contact is wasted
                self._win_back(int(u * len(self.lapsed)) % len(self.lapsed))

        WeeklyPoisson(self.env, weekly_rate, draws, reactivate)
        yield from ()

    def _win_back(self, index: int) -> None:
        lapsed = self.lapsed
        customer = lapsed[index]
        lapsed[index] = lapsed[-1]
        lapsed.pop()
        self.lapsed_count[customer.segment] -= 1
        customer.mood = 0  # a fresh start
        self._activate(customer)
        week = self.current_week
        self.ledger.add("total", "won_back", week, 0)
        self.ledger.add("segment", "won_back", week, customer.segment)


class WeeklyPoisson:
    """Calls `happen` at the events of a Poisson process whose rate is constant within each week,
    from now to the end of `weekly_rate`: a chain of calls on the clock, one per event and one at
    the end of each week (the next week's first gap is drawn there, at its rate)."""

    __slots__ = ("draws", "env", "happen", "rates", "week")

    def __init__(
        self, env: simpy.Environment, weekly_rate: list[float], draws: Draws, happen: Callable[[], None]
    ) -> None:
        self.env, self.rates, self.draws, self.happen = env, weekly_rate, draws, happen
        self.week = 0
        self._wait()

    def _wait(self) -> None:
        """Wait for the next event of the week under way, or for its end."""
        env, rates = self.env, self.rates
        while self.week < len(rates):
            rate, end = rates[self.week], self.week + 1.0
            if rate > 0.0:
                gap = self.draws.exponential(1.0 / rate)
                if env.now + gap < end:
                    call_in(env, gap, self._event)
                    return
            if env.now < end:
                call_in(env, end - env.now, self._week_ended)
                return
            self.week += 1

    def _event(self, _: Call) -> None:
        self.happen()
        self._wait()

    def _week_ended(self, _: Call) -> None:
        self.week += 1
        self._wait()


class PaidLeadWeeks:
    """A paid source's leads, drawn a week at a time (`Market.lead_week`) at the start of each week;
    those who convert arrive one after the other, each a call at its time (one at a time on the
    clock keeps SimPy's queue of events short)."""

    __slots__ = ("_pending", "arrivals", "draws", "market", "mix", "next", "rates", "source", "week")

    def __init__(
        self, market: Market, source: int, weekly_rate: list[float], mix_cumulative: list[float], draws: Draws
    ) -> None:
        self.market, self.source, self.rates, self.mix = market, source, weekly_rate, mix_cumulative
        self.draws = draws  # the source's own stream
        self.week = 0
        self.arrivals: list[tuple[float, int, int]] = []
        self.next = 0
        self._pending: Call | None = None  # the call of the next arrival
        self._start()

    def _start(self) -> None:
        """Draw the week under way (from now to its end) and wait for its end."""
        env = self.market.env
        while self.week < len(self.rates):
            start, end = max(env.now, float(self.week)), self.week + 1.0
            if start < end:
                rate = self.rates[self.week]
                if rate > 0.0:
                    span, mean = (start, end), rate * (end - start)
                    self.arrivals = self.market.lead_week(
                        self.source, mean, span, self.week, self.mix, self.draws
                    )
                    self.next = 0
                    self._wait()
                call_in(env, end - env.now, self._week_ended)
                return
            self.week += 1

    def _wait(self) -> None:
        """Wait for the next lead of the week who converts."""
        if self.next < len(self.arrivals):
            delay = self.arrivals[self.next][0] - self.market.env.now
            self._pending = call_in(self.market.env, delay, self._arrive)

    def _arrive(self, call: Call) -> None:
        if call is self._pending:  # else the week ended first (a lead at its very end) and took it
            self._one()
            self._wait()

    def _one(self) -> None:
        segment, region = self.arrivals[self.next][1:]
        self.next += 1
        self.market.converting_lead(segment, region, self.source, self.week)

    def _week_ended(self, _: Call) -> None:
        self._pending = None
        while self.next < len(self.arrivals):  # leads at the week's very end (a time drawn as `end`)
            self._one()
        self.market.settle_all()  # the week's leads are all booked by its end
        self.week += 1
        self._start()
