"""Running replications, and where they run: this process, a local process pool or a dask cluster.

Every (scenario, replication) pair is one task. Replication r of every scenario gets the
r-th child of `SeedSequence(seed)`, so scenarios simulated together share common random
numbers, and the outputs do not depend on the executor, the number of workers or the order
tasks finish in: results are always collected in task order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from channelsim.choices import EXECUTORS
from channelsim.errors import ExecutionError, UsageError
from channelsim.results import SimResult
from channelsim.scenario.schema import Scenario
from channelsim.sim.engine import run_replication
from channelsim.sim.policy import Policy, load_plan, policy_from_plan
from channelsim.sim.streams import replication_seeds

#: `progress(done, total)`: told before the first replication (done 0) and after each, in task
#: order. A progress with a method `week(done, weeks)` (`channelsim.progress.RunProgress`) is
#: also told each week of a replication that runs in this process (local, one job).
Progress = Callable[[int, int], None]
WeekProgress = Callable[[int, int], None]


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
    execution: Execution | None = None,
) -> SimResult:
    """Simulate a scenario (its baseline, or a plan) over independent replications.

    Where they run: `jobs` worker processes here, or `execution` (a local pool or a dask
    cluster, as for `sweep`); the result is the same wherever it runs.
    """
    execution = execution_for(jobs, execution, "simulate")
    policy, plan_name = _policy(scenario, plan)
    seed = scenario.seed if seed is None else seed
    count = scenario.replications if replications is None else replications
    return simulate_runs([(scenario, policy, plan_name)], count, seed, execution, progress)[0]


def execution_for(jobs: int, execution: Execution | None, caller: str) -> Execution:
    """`execution`, or a local pool of `jobs` (the older argument) when it is not given; not both."""
    if execution is None:
        return Execution("local", jobs)
    if jobs != 1:
        raise UsageError(f"{caller}: give jobs or execution, not both (got jobs={jobs} and {execution})")
    return execution


def cores() -> int:
    """The CPU cores this process may use (its affinity mask where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def simulate_points(
    scenarios: list[Scenario],
    replications: int,
    seed: int,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> list[SimResult]:
    """Simulate each scenario's baseline over `replications` common-random-number replications."""
    runs = [(sc, Policy.baseline(sc), None) for sc in scenarios]
    return simulate_runs(runs, replications, seed, execution, progress)


def simulate_runs(
    runs: Sequence[tuple[Scenario, Policy, str | None]],
    replications: int,
    seed: int,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> list[SimResult]:
    """Simulate each (scenario, policy, plan name) over the same `replications` seeds, as one batch
    of tasks: common random numbers across the runs, one pool or cluster for all of them."""
    execution = (execution or Execution()).check()
    if replications < 1:
        raise UsageError(f"--replications: must be >= 1 (got {replications})")
    seeds = replication_seeds(seed, replications)
    tasks = [(sc, policy, s) for sc, policy, _ in runs for s in seeds]
    started = time.perf_counter()
    outputs = _collect(tasks, execution, progress)
    wall = (time.perf_counter() - started) / max(len(runs), 1)
    results = []
    for index, (scenario, _, plan_name) in enumerate(runs):
        chunk = outputs[index * replications : (index + 1) * replications]
        result = SimResult(scenario, chunk, seed, plan_name)
        result.wall_seconds = wall  # the share of the batch's time, for the manifest
        results.append(result)
    return results


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


def run_tasks(
    work: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], execution: Execution | None = None,
    progress: Progress | None = None,
) -> list[Any]:  # fmt: skip
    """`work(*task)` for each task, where `execution` says, the results in task order. `work` is a
    module-level function (a worker process imports it), e.g. a replication that re-plans itself."""
    return _collect(list(tasks), (execution or Execution()).check(), progress, work)


def _collect(
    tasks: Sequence[tuple[Any, ...]], execution: Execution, progress: Progress | None,
    work: Callable[..., Any] = run_replication,
) -> list[Any]:  # fmt: skip
    outputs: list[Any] = []
    if progress:
        progress(0, len(tasks))
    on_week: WeekProgress | None = getattr(progress, "week", None) if work is run_replication else None
    for done, output in enumerate(_run(tasks, execution, on_week, work), start=1):
        outputs.append(output)
        if progress:
            progress(done, len(tasks))
    return outputs


def _run(
    tasks: Sequence[tuple[Any, ...]], execution: Execution, on_week: WeekProgress | None,
    work: Callable[..., Any] = run_replication,
) -> Iterator[Any]:  # fmt: skip
    if execution.executor == "dask":
        yield from _dask(tasks, execution, work)
    elif execution.jobs == 1 or len(tasks) <= 1:
        for task in tasks:  # here, so the weeks of each replication can be told
            yield work(*task, on_week=on_week) if on_week is not None else work(*task)
    else:
        workers = min(execution.jobs, len(tasks), cores())  # more processes than cores only cost memory
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        # results in submission order, whatever order the workers finish in (not pool.map: closing
        # its iterator cancels the pending futures, which Python 3.11's pool cannot then mark broken)
        futures = [pool.submit(work, *task) for task in tasks]
        try:
            for future in futures:
                yield _pool_result(pool, future)
        except BaseException:  # Ctrl-C, SIGTERM (the CLI raises it here), a failed task
            _stop_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True)


WORKER_CHECK_SECONDS = 0.5  # how often a wait for a replication also checks that the workers live


def _pool_result(pool: ProcessPoolExecutor, future: Future[Any]) -> Any:
    """The future's result; a worker that died ends the run. The pool itself says so (a broken
    pool) unless the worker died while sending a result: then the pool's reader waits for the rest
    of that message forever and the future never ends, so the wait also looks at the workers."""
    while True:
        done, _ = wait([future], timeout=WORKER_CHECK_SECONDS)
        if done:
            try:
                return future.result()
            except BrokenProcessPool:
                break
        processes = (getattr(pool, "_processes", None) or {}).values()
        if any(not process.is_alive() for process in processes):
            break
    raise ExecutionError(
        "--jobs: a worker process died (killed, or out of memory?); the run stops, the old results stay"
    ) from None


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's processes now: shutdown() alone would wait for the replications they run.

    A worker ended while it sent a result leaves the pool's reader waiting for the rest of the
    message, and shutdown (or Python's exit) waiting for that reader: the pipe's other end is open
    here too. Closing it once the workers are gone ends the wait (end of file), and the pool then
    winds itself down as broken."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()


def _dask(tasks: Sequence[tuple[Any, ...]], execution: Execution, work: Callable[..., Any]) -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "--executor dask: dask.distributed is not installed (pip install 'channelsim[dask]')"
        ) from None
    if isinstance(execution.scheduler, Client):
        yield from _submit(execution.scheduler, tasks, work)
        return
    if execution.scheduler is None:
        try:
            cluster = LocalCluster(
                n_workers=min(execution.jobs, cores()), threads_per_worker=1, host="127.0.0.1",
                dashboard_address=None,
            )  # fmt: skip
        except Exception as err:  # a worker killed while the cluster starts: "Nanny failed to start"
            raise ExecutionError(
                f"--executor dask: the local cluster did not start ({_first_line(err)})"
            ) from None
        with cluster, Client(cluster) as client:
            yield from _submit(client, tasks, work)
        return
    with _connect(Client, str(execution.scheduler)) as client:
        yield from _submit(client, tasks, work)


def _connect(client_class: type, address: str) -> Any:
    try:
        return client_class(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as err:
        raise UsageError(f"--scheduler {address}: cannot reach a dask scheduler there ({err})") from None


#: Seconds a dask run waits with no worker at all before it gives up (workers may come back).
NO_WORKERS_GRACE = 30.0


def _submit(client: Any, tasks: Sequence[tuple[Any, ...]], work: Callable[..., Any]) -> Iterator[Any]:
    # pure=False: tasks are keyed by position, never by hashing a scenario
    futures = client.map(work, *map(list, zip(*tasks, strict=True)), pure=False)
    watch = _Workers(client)
    try:
        for future in futures:
            yield _result(future, watch)
    finally:
        client.cancel(futures)


def _result(future: Any, watch: _Workers) -> Any:
    """A task's output; an `ExecutionError` naming the lost workers instead of waiting for ever."""
    from distributed import KilledWorker

    while True:
        try:
            return future.result(timeout=1.0)
        except TimeoutError:
            watch.check()
        except KilledWorker as err:
            last = err.args[1] if len(err.args) > 1 else None
            watch.refresh()
            lost = watch.lost() or [str(getattr(last, "address", last) or "unknown")]
            raise ExecutionError(
                "--executor dask: workers died while running a replication, as many times as the "
                f"cluster allows (distributed.scheduler.allowed-failures); lost workers: {', '.join(lost)}"
            ) from None


class _Workers:
    """The cluster's workers as the run goes: who was seen, who is gone, and since when none is left."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.seen: set[str] = set()
        self.current: set[str] = set()
        self.empty_since: float | None = None
        self.refresh()

    def refresh(self) -> None:
        try:
            self.current = set(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        except TypeError:  # an older distributed without n_workers
            self.current = set(self.client.scheduler_info().get("workers", {}))
        except Exception as err:  # the scheduler itself is gone
            raise ExecutionError(f"--executor dask: lost the scheduler ({_first_line(err)})") from None
        self.seen |= self.current

    def lost(self) -> list[str]:
        return sorted(self.seen - self.current)

    def check(self) -> None:
        """Raise once the cluster has had no worker for NO_WORKERS_GRACE seconds."""
        if getattr(self.client, "status", "running") not in ("running", "connecting"):
            raise ExecutionError(f"--executor dask: lost the scheduler (client {self.client.status})")
        self.refresh()
        if self.current:
            self.empty_since = None
            return
        now = time.monotonic()
        self.empty_since = self.empty_since or now
        if now - self.empty_since >= NO_WORKERS_GRACE:
            lost = ", ".join(self.lost()) or "none had joined"
            raise ExecutionError(
                f"--executor dask: no workers left for {NO_WORKERS_GRACE:g} s; the run stops "
                f"(lost workers: {lost})"
            )


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
