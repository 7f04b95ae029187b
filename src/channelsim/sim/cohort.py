"""The customers of one segment as a cohort: one chain of SimPy events for all their exponential clocks.

Every prospect thinking it over and every active customer waits an exponential time for their
next event (a first purchase; a repeat purchase, a lapse or an enrolment) at the rates of the
moment. Those clocks compete: the first of them rings after Exp(R), R the sum of all the
members' rates, and it is a given member's given event with probability (its rate) / R
(superposition of Poisson processes). So the cohort waits Exp(R) (one call on SimPy's clock,
`sim/clock.py`), then draws the member and the event by rate, instead of one process and one
timeout per customer.

Members with equal rates form a class (considering; active by programme and detractor or
not), a list with O(1) removal, so a draw walks a handful of classes, not the customers.
Rates changed from outside the cohort's own events (a lead's new prospect, a win-back, a slow
order that makes a detractor) are merged into the clock already running: a rise `Δ` adds a
clock Exp(Δ) that wakes the cohort earlier if it rings first (the first of Exp(R) and Exp(Δ)
is Exp(R + Δ)); a fall is thinned (a ring drawn beyond the current R is no event). Both are
exact for a piecewise-constant rate: nothing is discretised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import simpy

from channelsim.model.satisfaction import DETRACTOR_CHURN_MULTIPLIER
from channelsim.sim.clock import URGENT, Call, call_in
from channelsim.sim.streams import Draws

if TYPE_CHECKING:
    from channelsim.sim.customers import Customer

CONSIDERING = 0  # the class of prospects who will buy once they have thought it over
_BUSY, _WAITING, _SLEEPING = 0, 1, 2  # the cohort: handling an event, waiting Exp(R), idle at R = 0


def active_class(programme: int, mood: int) -> int:
    """The class of an active customer: by programme (−1: none) and detractor or not."""
    return 1 + 2 * (programme + 1) + (1 if mood <= -1 else 0)


class ClassRates:
    """The rates of one class: buy, lapse and join per member (a prospect's first purchase is `buy`)."""

    __slots__ = ("buy", "churn", "join", "total")

    def __init__(self, buy: float, churn: float, join: float) -> None:
        self.buy, self.churn, self.join = buy, churn, join
        self.total = buy + churn + join


def class_rates(
    consideration: float, buy: list[float], churn: list[float], join_total: float
) -> list[ClassRates]:
    """Per class: considering (rate 1/consideration), then per programme tier non-detractor, detractor."""
    rates = [ClassRates(1.0 / consideration if consideration > 0 else 0.0, 0.0, 0.0)]
    for tier, (b, c) in enumerate(zip(buy, churn, strict=True)):
        join = join_total if tier == 0 else 0.0
        rates += [ClassRates(b, c, join), ClassRates(b, c * DETRACTOR_CHURN_MULTIPLIER, join)]
    return rates


class Cohort:
    """One segment's prospects-to-be and active customers, and the chain of calls that runs their clocks.

    `on` holds what happens at a ring: `first` (a prospect's first purchase, already out of the
    cohort), `buy`, `lapse` and `join` (an active customer's events)."""

    def __init__(self, env: simpy.Environment, rates: list[ClassRates], draws: Draws, on: Handlers) -> None:
        self.env, self.rates, self.draws, self.on = env, rates, draws, on
        self.classes: list[list[Customer]] = [[] for _ in rates]
        self._live = 0  # members whose rate is above 0
        self._total = 0.0  # R, kept as members come and go (0 exactly when no member has a rate)
        self._state = _BUSY  # until the process has started
        self._clock = 0.0  # the rate the pending ring was drawn at (≥ the current rate)
        self._due = 0.0
        self._pending: Call | None = None  # the ring to come (an earlier one voids it)
        call_in(env, 0.0, self._next, URGENT)  # starts at time 0 as a process would

    # -- members --------------------------------------------------------------------------
    def add(self, customer: Customer, klass: int) -> None:
        members = self.classes[klass]
        customer.klass, customer.slot = klass, len(members)
        members.append(customer)
        rate = self.rates[klass].total
        if rate > 0.0:
            self._live += 1
            self._total += rate
            if self._state != _BUSY:
                self._rose()

    def remove(self, customer: Customer) -> None:
        members = self.classes[customer.klass]
        rate = self.rates[customer.klass].total
        if rate > 0.0:
            self._live -= 1
            self._total = self._total - rate if self._live else 0.0
        moved = members.pop()
        if moved is not customer:
            members[customer.slot] = moved
            moved.slot = customer.slot
        customer.klass = customer.slot = -1

    def move(self, customer: Customer, klass: int) -> None:
        if klass != customer.klass:
            self.remove(customer)
            self.add(customer, klass)

    def active(self) -> Iterator[Customer]:
        """The active members (every class but the considering prospects)."""
        for members in self.classes[CONSIDERING + 1 :]:
            yield from members

    # -- the clock ------------------------------------------------------------------------
    def _rose(self) -> None:
        """A rate rose outside the cohort's own event: merge the rise into the running clock."""
        if self._state == _WAITING:
            rise = self._total - self._clock
            if rise > 0.0:
                self._clock += rise
                due = self.env.now + self.draws.exponential(1.0 / rise)
                if due < self._due:  # the new clock rings first: ring then (the old ring is void)
                    self._due = due
                    self._pending = call_in(self.env, due - self.env.now, self._ring)
        elif self._state == _SLEEPING:
            self._state = _BUSY
            call_in(self.env, 0.0, self._next)

    def _next(self, _: object = None) -> None:
        """Draw the next ring, the first of all the members' clocks: Exp(R); none while R = 0."""
        total = self._total
        if total <= 0.0:
            self._state = _SLEEPING
            return
        gap = self.draws.exponential(1.0 / total)
        self._clock, self._due, self._state = total, self.env.now + gap, _WAITING
        self._pending = call_in(self.env, gap, self._ring)

    def _ring(self, ring: Call) -> None:
        """The first clock rang: the member and event at `target` within [0, R); beyond R: none."""
        if ring is not self._pending:
            return  # a ring moved earlier by a rise: this one is void
        self._state = _BUSY
        classes, rates, on = self.classes, self.rates, self.on
        target = self.draws.uniform() * self._clock
        for klass, members in enumerate(classes):
            r = rates[klass]
            weight = len(members) * r.total
            if target >= weight:
                target -= weight
                continue
            index = int(target / r.total)
            if index >= len(members):
                index = len(members) - 1
            customer, pick = members[index], target - index * r.total
            if klass == CONSIDERING:
                self.remove(customer)
                on.first(customer)
            elif pick < r.buy:
                on.buy(customer)
            elif pick < r.buy + r.churn:
                on.lapse(customer)
            else:
                on.join(customer)
            break
        self._next()


class Handlers(NamedTuple):
    """What a ring does to the member it falls on."""

    first: Callable[[Customer], Any]
    buy: Callable[[Customer], Any]
    lapse: Callable[[Customer], Any]
    join: Callable[[Customer], Any]
