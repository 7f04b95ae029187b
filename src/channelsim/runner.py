"""Running replications: one seed sequence per replication, in this process or in a pool.

Replication i always gets the i-th child of `SeedSequence(seed)`, so results do not depend
on the number of worker processes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import numpy as np

from channelsim.results import SimResult
from channelsim.scenario.schema import Scenario
from channelsim.sim.engine import ReplicationOutput, run_replication
from channelsim.sim.policy import Policy, load_plan, policy_from_plan
from channelsim.sim.streams import replication_seeds

Progress = Callable[[int, int], None]


def run_replications(
    scenario: Scenario,
    policy: Policy,
    seed: int,
    replications: int,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[ReplicationOutput]:
    """Simulate `replications` replications; output order is replication order."""
    seeds = replication_seeds(seed, replications)
    jobs = max(1, min(jobs, replications))
    outputs: list[ReplicationOutput] = []
    for done, output in enumerate(_outputs(scenario, policy, seeds, jobs), start=1):
        outputs.append(output)
        if progress:
            progress(done, replications)
    return outputs


def _outputs(
    scenario: Scenario, policy: Policy, seeds: list[np.random.SeedSequence], jobs: int
) -> Iterator[ReplicationOutput]:
    if jobs == 1:
        for seed in seeds:
            yield run_replication(scenario, policy, seed)
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        yield from pool.map(run_replication, [scenario] * len(seeds), [policy] * len(seeds), seeds)


def terminal_progress(label: str) -> Progress | None:
    """A one-line progress display on a terminal; None (quiet) when stderr is piped."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\r{label}: {done}/{total} replications", end=end, file=sys.stderr, flush=True)

    return show


def simulate(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    plan: Policy | str | os.PathLike[str] | dict | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> SimResult:
    """Simulate a scenario (its baseline, or a plan) over independent replications."""
    policy, plan_name = _policy(scenario, plan)
    seed = scenario.seed if seed is None else seed
    count = scenario.replications if replications is None else replications
    started = time.perf_counter()
    outputs = run_replications(scenario, policy, seed, count, jobs, progress)
    result = SimResult(scenario, outputs, seed, plan_name)
    result.wall_seconds = time.perf_counter() - started
    return result


def _policy(scenario: Scenario, plan: Any) -> tuple[Policy, str | None]:
    if plan is None:
        return Policy.baseline(scenario), None
    if isinstance(plan, Policy):
        return plan, "policy"
    if isinstance(plan, dict):
        return policy_from_plan(scenario, plan), "plan"
    if hasattr(plan, "as_plan_data"):  # an optimizer Plan
        return policy_from_plan(scenario, plan.as_plan_data()), "optimizer plan"
    return load_plan(scenario, plan), os.fspath(plan)
