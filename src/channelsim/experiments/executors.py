"""Where replications run: in this process, a local process pool, or a dask.distributed cluster.

An experiment is a list of scenarios (points) each simulated over the same replications.
Every (point, replication) pair is one task; replication r of every point gets the r-th
child of `SeedSequence(seed)`, so points share common random numbers and the outputs do
not depend on the executor, the number of workers or the order tasks finish in: results
are always collected in (point, replication) order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np

from channelsim.errors import UsageError
from channelsim.results import SimResult
from channelsim.scenario.schema import Scenario
from channelsim.sim.engine import ReplicationOutput, run_replication
from channelsim.sim.policy import Policy
from channelsim.sim.streams import replication_seeds

Progress = Callable[[int, int], None]
EXECUTORS = ("local", "dask")


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
    outputs: list[ReplicationOutput] = []
    for done, output in enumerate(_run(tasks, execution), start=1):
        outputs.append(output)
        if progress:
            progress(done, len(tasks))
    wall = (time.perf_counter() - started) / max(len(scenarios), 1)
    results = []
    for index, scenario in enumerate(scenarios):
        result = SimResult(scenario, outputs[index * replications : (index + 1) * replications], seed)
        result.wall_seconds = wall  # the share of the experiment's time, for the manifest
        results.append(result)
    return results


Task = tuple[Scenario, Policy, np.random.SeedSequence]


def _run(tasks: list[Task], execution: Execution) -> Iterator[ReplicationOutput]:
    if execution.executor == "dask":
        yield from _dask(tasks, execution)
    elif execution.jobs == 1 or len(tasks) == 1:
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
