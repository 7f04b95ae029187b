"""Benchmark the simulation (run by hand, never as a timed test).

    python bench/simulate.py            # one replication of a large market, plus bare SimPy
    python bench/simulate.py --jobs     # also 8 replications with --jobs 1 and --jobs 2

Prints business events (leads + orders + lapses) per second, bare SimPy events per second
measured in the same run (1,000 processes × 1,000 random timeouts), their ratio, and peak
memory. Compare ratios, not absolute speeds: these machines are noisy.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from typing import Any

import numpy as np
import simpy

import channelsim as cs
from channelsim.scenario import validate_data
from channelsim.sim.engine import run_replication
from channelsim.sim.policy import Policy

REGIONS = ["north", "south", "east", "west"]


def large_scenario(population: int = 2_000_000, weeks: int = 52) -> cs.Scenario:
    """About 2 million people, 6 segments, 4 regions, 8 sources, 6 channels, 24 partners with stock."""
    rng = np.random.default_rng(0)
    channels: list[dict[str, Any]] = [
        {"id": "webshop", "variable_cost": 0.05, "fixed_cost_per_week": 5000},
        {"id": "app", "variable_cost": 0.04},
        {"id": "marketplace", "price_index": 0.97, "variable_cost": 0.15},
        {"id": "stores", "mode": "offline", "fulfilment": {"servers": 40, "mean_service_weeks": 0.01}},
        {"id": "retailers", "type": "indirect", "partner_margin": 0.25},
        {"id": "distributors", "type": "indirect", "partner_margin": 0.18},
    ]
    segments = [
        {"id": f"seg{i}", "population": population // 6, "initial_customers": 8000, "innovation_per_week": 0.0004,
         "imitation_per_week": 0.02, "conversion": 0.35, "consideration_weeks": 1.0, "purchases_per_week": 0.05,
         "churn_per_week": 0.01, "order_value": float(rng.integers(50, 300)), "price_sensitivity": 2.0, "loyalty": 0.6,
         "channel_affinity": {c["id"]: float(rng.normal(0, 0.5)) for c in channels}}
        for i in range(6)
    ]  # fmt: skip
    sources = [
        {"id": f"src{i}", "spend_per_week": 6000, "max_spend_per_week": 30000,
         "response": {"curve": "hill", "max_leads_per_week": 1200, "half_saturation": 8000, "shape": 1.0 + i % 2}}
        for i in range(8)
    ]  # fmt: skip
    partners = [
        {"id": f"{ch[0]}{k}_{r}", "channel": ch, "region": r,
         "inventory": {"initial": 400, "reorder_point": 100, "order_up_to": 500, "lead_time_weeks": 1.0}}
        for ch in ("retailers", "distributors") for r in REGIONS for k in range(3)
    ]  # fmt: skip
    data = {"name": "benchmark", "horizon_weeks": weeks, "gross_margin": 0.4, "regions": REGIONS,
            "segments": segments, "sources": sources, "channels": channels, "partners": partners}  # fmt: skip
    return validate_data(data, "<bench>")


def bare_simpy(processes: int = 1000, timeouts: int = 1000) -> float:
    """Events per second of plain SimPy: processes that each wait `timeouts` random times."""
    env = simpy.Environment()
    draws = np.random.default_rng(1).random((processes, timeouts)).tolist()

    def waiter(gaps: list[float]):
        for gap in gaps:
            yield env.timeout(gap)

    for gaps in draws:
        env.process(waiter(gaps))
    started = time.perf_counter()
    env.run()
    return processes * timeouts / (time.perf_counter() - started)


def one_replication(scenario: cs.Scenario) -> tuple[float, int]:
    started = time.perf_counter()
    out = run_replication(scenario, Policy.baseline(scenario), np.random.SeedSequence(1))
    return time.perf_counter() - started, out.events


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", action="store_true", help="also time 8 replications with 1 and 2 jobs")
    parser.add_argument("--population", type=int, default=2_000_000)
    args = parser.parse_args()
    scenario = large_scenario(args.population)
    seconds, events = one_replication(scenario)
    bare = bare_simpy()
    ours = events / seconds
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"business events      {events:,} in {seconds:.2f} s")
    print(f"our events/s         {ours:,.0f}")
    print(f"bare SimPy events/s  {bare:,.0f}")
    print(f"ratio                {ours / bare:.3f}   (target >= 1.0)")
    print(f"peak memory          {peak_mb:,.0f} MB (target < 1024)")
    if args.jobs:
        timings = {}
        for jobs in (1, 2):
            started = time.perf_counter()
            cs.simulate(scenario, replications=8, seed=3, jobs=jobs)
            timings[jobs] = time.perf_counter() - started
        print(f"8 replications       jobs=1 {timings[1]:.1f} s, jobs=2 {timings[2]:.1f} s, "
              f"speed-up {timings[1] / timings[2]:.2f} (target >= 1.7)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
