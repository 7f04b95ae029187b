"""How much work a simulation is, estimated before it starts: customer-weeks and memory.

The estimate is an upper bound read from the scenario alone: every potential customer
(`population`) may become an agent that buys `purchases_per_week` times a week, and every
lead of the sources' response curves at today's spend is an event, over every week of every
replication of every scenario simulated (a sweep's points, a comparison's variants). The
command line refuses a run above `MAX_CUSTOMER_WEEKS` (hours of computing) or one whose agents
could fill half the memory unless it is given `--yes`, and always refuses one whose customers
at week 0 alone cannot fit in memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from channelsim.scenario.schema import Scenario

#: The largest run without --yes: customer-weeks, purchases and leads counted (about 10 to 40
#: minutes on one core; the gallery's scenarios are 4 to 160 million).
MAX_CUSTOMER_WEEKS = 2_000_000_000
#: Memory of one customer agent in the simulation (measured: about 1.1 kB).
BYTES_PER_CUSTOMER = 1_200


@dataclass(frozen=True)
class Work:
    """The estimated size of simulating `runs` scenarios like this one, `replications` each."""

    people: int  # potential customers of one scenario (each may become an agent)
    initial: int  # customers at week 0 (agents from the start)
    weeks: int
    replications: int
    runs: int
    per_week: float  # events a week of one replication: people, their purchases, leads

    @property
    def customer_weeks(self) -> float:
        return self.runs * self.replications * self.weeks * self.per_week

    def memory(self, parallel: int) -> float:
        """Bytes if every potential customer became an agent, in `parallel` replications at once."""
        return self.people * BYTES_PER_CUSTOMER * max(parallel, 1)

    def certain_memory(self, parallel: int) -> float:
        """Bytes of the customers at week 0 alone."""
        return self.initial * BYTES_PER_CUSTOMER * max(parallel, 1)

    def describe(self) -> str:
        runs = f" × {self.runs:,} scenarios" if self.runs > 1 else ""
        return (
            f"about {_words(self.customer_weeks)} customer-weeks ({self.people:,} customers × "
            f"{self.weeks} weeks × {self.replications:,} replication(s){runs}, purchases and leads counted)"
        )


def estimate(scenario: Scenario, replications: int | None = None, runs: int = 1) -> Work:
    """The work of simulating `runs` scenarios the size of `scenario`."""
    count = scenario.replications if replications is None else replications
    people = sum(s.population for s in scenario.segments)
    boost = max([1.0, *(p.purchase_multiplier for p in scenario.loyalty_programs)])
    buying = sum(s.population * s.purchases_per_week * boost for s in scenario.segments)
    leads = sum(s.response.leads(s.spend_per_week) for s in scenario.sources)
    initial = sum(s.initial_customers for s in scenario.segments)
    return Work(people, initial, scenario.horizon_weeks, count, runs, people + buying + leads)


def physical_memory() -> float | None:
    """Bytes of memory in this computer (None where the system does not say)."""
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def refusal(work: Work, parallel: int, yes: bool) -> str | None:
    """Why the run should not start (None: it may), as one line for the command line."""
    memory = physical_memory()
    if memory and work.certain_memory(parallel) > memory:
        return (
            f"{work.initial:,} customers at week 0 need about {_bytes(work.certain_memory(parallel))} "
            f"of memory ({parallel} at once); this computer has {_bytes(memory)}"
        )
    if yes:
        return None
    if work.customer_weeks > MAX_CUSTOMER_WEEKS:
        return (
            f"this run is {work.describe()}, above the {_words(MAX_CUSTOMER_WEEKS)} a run may be "
            "without --yes (hours of computing); add --yes to run it anyway"
        )
    if memory and work.memory(parallel) > memory / 2:
        return (
            f"{work.people:,} potential customers could need up to {_bytes(work.memory(parallel))} of "
            f"memory ({parallel} replication(s) at once; this computer has {_bytes(memory)}); "
            "add --yes to run it anyway"
        )
    return None


def _words(count: float) -> str:
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if count >= size:
            return f"{count / size:.3g} {word}"
    return f"{count:,.0f}"


def _bytes(count: float) -> str:
    return f"{count / 2**30:.1f} GB" if count >= 2**30 else f"{count / 2**20:.0f} MB"
