"""Executors: a local pool and a dask.distributed cluster give the same results as one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import channelsim as cs
from channelsim.cli import main
from channelsim.experiments import Execution, simulate_points
from conftest import ROOT

WORKBENCH = ROOT / "tests" / "data" / "workbench.yaml"
PRICE = "channels.marketplace.price_index"


@pytest.fixture(scope="module")
def points() -> list[cs.Scenario]:
    sc = cs.load(WORKBENCH)
    return [sc, sc.with_overrides({PRICE: 0.9})]


@pytest.fixture(scope="module")
def serial(points: list[cs.Scenario]) -> list[cs.SimResult]:
    return simulate_points(points, replications=2, seed=9)


def _same(got: list[cs.SimResult], want: list[cs.SimResult]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.summary == b.summary
        assert a.kpis.equals(b.kpis)


def test_local_pool_equals_one_process(points, serial) -> None:
    _same(simulate_points(points, replications=2, seed=9, execution=Execution("local", jobs=2)), serial)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    # loopback only, no dashboard: nothing leaves this machine
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as local:  # fmt: skip
        yield local


def test_dask_client_equals_local(points, serial, cluster) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.Client(cluster) as client:
        _same(
            simulate_points(points, replications=2, seed=9, execution=Execution("dask", scheduler=client)),
            serial,
        )


def test_dask_by_address_equals_local(points, serial, cluster) -> None:
    got = simulate_points(
        points, replications=2, seed=9, execution=Execution("dask", scheduler=cluster.scheduler_address)
    )
    _same(got, serial)


def test_cli_sweep_on_dask_writes_the_same_bytes(tmp_path: Path, cluster, capsys) -> None:
    args = ["sweep", str(WORKBENCH), "--set", f"{PRICE}=0.9,1.0", "--replications", "2", "--no-report"]
    assert main([*args, "--out", str(tmp_path / "local")]) == 0
    local = capsys.readouterr().out
    dask = ["--executor", "dask", "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask")]
    assert main([*args, *dask]) == 0
    remote = capsys.readouterr().out
    assert local.splitlines()[:-1] == remote.splitlines()[:-1]  # all but the "wrote" line
    for name in ("sweep.csv", "sweep.json"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()


def test_bad_scheduler_address_is_a_usage_error(points) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(cs.UsageError, match="--scheduler nonsense: cannot reach a dask scheduler"):
        simulate_points(points, replications=1, seed=1, execution=Execution("dask", scheduler="nonsense"))


@pytest.mark.parametrize(
    ("execution", "message"),
    [
        (Execution("spark"), "--executor: must be one of local, dask"),
        (Execution("local", jobs=0), "--jobs: must be >= 1"),
        (Execution("local", scheduler="tcp://127.0.0.1:8786"), "--scheduler: only with --executor dask"),
    ],
)
def test_bad_execution_settings(points, execution: Execution, message: str) -> None:
    with pytest.raises(cs.UsageError, match=message):
        simulate_points(points, replications=1, seed=1, execution=execution)


# -- several machines: a scheduler and two workers, each started as its own `dask` command ------


def _until(what: Callable[[], Any], seconds: float, failing: str) -> Any:
    """`what()`'s first truthy value within `seconds` (checked every 0.2 s), or the test fails."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(failing)


def _address(file: Path) -> str | None:
    try:
        return json.loads(file.read_text("utf-8"))["address"]
    except (OSError, ValueError, KeyError):  # not written yet, or half written
        return None


@pytest.fixture(scope="module")
def dask_processes(tmp_path_factory) -> Iterator[str]:
    """`dask scheduler` and two `dask worker ADDRESS` processes on 127.0.0.1, as docs/workbench.md
    starts them on several machines; yields the scheduler's address, and stops all three after."""
    distributed = pytest.importorskip("distributed")
    folder = tmp_path_factory.mktemp("dask")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    }
    dask = [sys.executable, "-m", "dask"]  # the `dask` command
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> None:
        with open(folder / f"{name}.log", "wb") as log:  # the child keeps its own handle
            started.append(subprocess.Popen([*dask, *args], cwd=folder, env=env, stdout=log, stderr=log))

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(folder / "scheduler.json"))  # fmt: skip
        address = _until(lambda: _address(folder / "scheduler.json"), 60, "the scheduler did not start")
        for name in ("worker-1", "worker-2"):
            start(name, "worker", address, "--host", "127.0.0.1", "--name", name, "--nthreads", "1",
                  "--no-nanny", "--no-dashboard", "--death-timeout", "60")  # fmt: skip
        with distributed.Client(address, timeout="10s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:  # the workers first: a worker whose scheduler has gone waits to reconnect
        for proc in reversed(started):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.mark.usefixtures("deadline")
def test_simulate_on_a_scheduler_and_two_worker_processes_writes_the_same_bytes(
    tmp_path: Path, dask_processes: str, capsys
) -> None:
    args = ["simulate", str(WORKBENCH), "--replications", "4", "--no-report"]
    assert main([*args, "--out", str(tmp_path / "local")]) == 0
    local = capsys.readouterr().out
    distributed = pytest.importorskip("distributed")
    started = time.monotonic()
    with (
        distributed.Client(dask_processes, timeout="10s") as watcher,
        distributed.get_task_stream(watcher) as stream,
    ):
        code = main(
            [*args, "--executor", "dask", "--scheduler", dask_processes, "--out", str(tmp_path / "dask")]
        )
    seconds = time.monotonic() - started
    ran = [task for task in stream.data if task["key"].startswith("run_replication")]
    assert len(ran) == 4 and len({task["worker"] for task in ran}) == 2  # both worker processes took some
    remote = capsys.readouterr().out
    assert code == 0 and seconds < 60
    assert local.splitlines()[:-1] == remote.splitlines()[:-1]  # the headline; all but the "wrote" line
    for name in ("summary.json", "kpis.csv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name


@pytest.mark.usefixtures("deadline")
def test_compare_and_validate_on_the_worker_processes_equal_local(
    tmp_path: Path, dask_processes: str
) -> None:
    from channelsim.experiments.closed_loop import validate_plan

    cluster = Execution("dask", scheduler=dask_processes)
    sc = cs.load(WORKBENCH)
    plan = cs.optimize(sc)
    local = validate_plan(sc, plan, replications=2)
    assert validate_plan(sc, plan, replications=2, execution=cluster) == local
    out = tmp_path / "plan"
    flags = ["--validate", "--replications", "2", "--executor", "dask", "--scheduler", dask_processes]
    assert (
        main(["optimize", str(WORKBENCH), *flags, "--quiet", "--out", str(out)]) == 0
    )  # the command's wiring
    assert json.loads((out / "plan.json").read_text("utf-8"))["validated"] == json.loads(json.dumps(local))
    here = cs.compare(sc, ["more_search"], replications=2)
    there = cs.compare(sc, ["more_search"], 2, None, cluster)
    assert here.table.equals(there.table)
    for name in here.results:
        assert here.results[name].summary == there.results[name].summary


def test_simulate_takes_an_execution_or_jobs_and_gives_the_same_result(serial) -> None:
    sc = cs.load(WORKBENCH)
    one = cs.simulate(sc, replications=2, seed=9)
    assert one.summary == serial[0].summary and one.kpis.equals(serial[0].kpis)
    for other in (cs.simulate(sc, replications=2, seed=9, jobs=2),
                  cs.simulate(sc, replications=2, seed=9, execution=Execution("local", jobs=2))):  # fmt: skip
        assert other.summary == one.summary and other.kpis.equals(one.kpis)
    with pytest.raises(cs.UsageError, match="simulate: give jobs or execution, not both"):
        cs.simulate(sc, replications=2, jobs=2, execution=Execution("local", jobs=2))
