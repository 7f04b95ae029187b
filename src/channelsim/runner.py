"""Running replications, and where they run: this process, a local process pool or a dask cluster.

Every (scenario, replication) pair is one task. Replication r of every scenario gets the
r-th child of `SeedSequence(seed)`, so scenarios simulated together share common random
numbers, and the outputs do not depend on the executor, the number of workers or the order
tasks finish in: results are always collected in task order.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np

from channelsim.choices import EXECUTORS
from channelsim.errors import UsageError
from channelsim.results import SimResult
from channelsim.scenario.schema import Scenario
from channelsim.sim.engine import ReplicationOutput, run_replication
from channelsim.sim.policy import Policy, load_plan, policy_from_plan
from channelsim.sim.streams import replication_seeds

Progress = Callable[[int, int], None]
Task = tuple[Scenario, Policy, np.random.SeedSequence]


@dataclass(frozen=True)
class Execution:
    """How to run tasks: `local` (a process pool of `jobs`) or `dask` (a cluster at `scheduler`).

    `scheduler` is an address (`tcp://127.0.0.1:8786`) or a `distributed.Client`; with
    `dask` and no scheduler, a local cluster of `jobs` worker processes on 127.0.0.1 is started.
    """

    executor: str = "local"
    jobs: int = 1
    scheduler: Any = None

    def check(self) -> Execution:
        if self.executor not in EXECUTORS:
            raise UsageError(f"--executor: must be one of {', '.join(EXECUTORS)} (got {self.executor!r})")
        if self.jobs < 1:
            raise UsageError(f"--jobs: must be >= 1 (got {self.jobs})")
        if self.scheduler is not None and self.executor != "dask":
            raise UsageError("--scheduler: only with --executor dask")
        return self


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


def run_replications(
    scenario: Scenario,
    policy: Policy,
    seed: int,
    replications: int,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[ReplicationOutput]:
    """Simulate `replications` replications on a local pool of `jobs`; output order is replication order."""
    tasks = [(scenario, policy, s) for s in replication_seeds(seed, replications)]
    return _collect(tasks, Execution("local", max(1, jobs)), progress)


def simulate_points(
    scenarios: list[Scenario],
    replications: int,
    seed: int,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> list[SimResult]:
    """Simulate each scenario's baseline over `replications` common-random-number replications."""
    execution = (execution or Execution()).check()
    if replications < 1:
        raise UsageError(f"--replications: must be >= 1 (got {replications})")
    seeds = replication_seeds(seed, replications)
    tasks = [(sc, Policy.baseline(sc), s) for sc in scenarios for s in seeds]
    started = time.perf_counter()
    outputs = _collect(tasks, execution, progress)
    wall = (time.perf_counter() - started) / max(len(scenarios), 1)
    results = []
    for index, scenario in enumerate(scenarios):
        result = SimResult(scenario, outputs[index * replications : (index + 1) * replications], seed)
        result.wall_seconds = wall  # the share of the experiment's time, for the manifest
        results.append(result)
    return results


def terminal_progress(label: str) -> Progress | None:
    """A one-line progress display on a terminal; None (quiet) when stderr is piped."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\r{label}: {done}/{total} replications", end=end, file=sys.stderr, flush=True)

    return show


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


def _collect(tasks: list[Task], execution: Execution, progress: Progress | None) -> list[ReplicationOutput]:
    outputs: list[ReplicationOutput] = []
    for done, output in enumerate(_run(tasks, execution), start=1):
        outputs.append(output)
        if progress:
            progress(done, len(tasks))
    return outputs


def _run(tasks: list[Task], execution: Execution) -> Iterator[ReplicationOutput]:
    if execution.executor == "dask":
        yield from _dask(tasks, execution)
    elif execution.jobs == 1 or len(tasks) <= 1:
        for task in tasks:
            yield run_replication(*task)
    else:
        workers = min(execution.jobs, len(tasks))
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            # map keeps the submission order whatever order the workers finish in
            yield from pool.map(run_replication, *zip(*tasks, strict=True))


def _dask(tasks: list[Task], execution: Execution) -> Iterator[ReplicationOutput]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "--executor dask: dask.distributed is not installed (pip install 'channelsim[dask]')"
        ) from None
    if isinstance(execution.scheduler, Client):
        yield from _submit(execution.scheduler, tasks)
        return
    if execution.scheduler is None:
        cluster = LocalCluster(
            n_workers=execution.jobs, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        )
        with cluster, Client(cluster) as client:
            yield from _submit(client, tasks)
        return
    with _connect(Client, str(execution.scheduler)) as client:
        yield from _submit(client, tasks)


def _connect(client_class: type, address: str) -> Any:
    try:
        return client_class(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as err:
        raise UsageError(f"--scheduler {address}: cannot reach a dask scheduler there ({err})") from None


def _submit(client: Any, tasks: list[Task]) -> Iterator[ReplicationOutput]:
    # pure=False: tasks are keyed by position, never by hashing a scenario
    futures = client.map(run_replication, *map(list, zip(*tasks, strict=True)), pure=False)
    try:
        for future in futures:
            yield future.result()
    finally:
        client.cancel(futures)
