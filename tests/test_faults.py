"""Issue 15, faults survived: dask workers lost (a LocalCluster), a pool worker killed, SIGTERM.
A run that loses its workers ends with exit 1 and one line naming them, never a hang; SIGTERM
ends the command and every process it started. Each test is bounded in time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import channelsim as cs
from channelsim.cli import main
from channelsim.errors import ExecutionError
from conftest import ROOT

WORKSHOP = ROOT / "scenarios" / "workshop_intro.yaml"
CLI = [sys.executable, "-m", "channelsim.cli"]
pytestmark = pytest.mark.usefixtures("deadline")  # conftest: no test here may hang


# -- faults: dask workers lost, SIGTERM -----------------------------------------------------


@pytest.fixture
def dask_cluster(request) -> Iterator[Any]:
    """A local cluster of two worker processes (`allowed_failures` from the test's parameter)."""
    distributed = pytest.importorskip("distributed")
    import dask

    failures = getattr(request, "param", 3)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": failures}),
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        yield cluster, client


def _lose_workers_soon(cluster: Any, client: Any, how: str) -> None:
    def lose() -> None:
        time.sleep(2)
        if how == "retire":
            cluster.scale(0)
        else:
            for pid in client.run(os.getpid).values():
                os.kill(pid, signal.SIGKILL)

    threading.Thread(target=lose, daemon=True).start()


def test_dask_with_every_worker_gone_stops_naming_them(dask_cluster, monkeypatch) -> None:
    from channelsim import runner

    cluster, client = dask_cluster
    monkeypatch.setattr(runner, "NO_WORKERS_GRACE", 2.0)
    workers = set(client.scheduler_info()["workers"])
    sc = cs.load(WORKSHOP)
    _lose_workers_soon(cluster, client, "retire")
    started = time.monotonic()
    with pytest.raises(ExecutionError, match="no workers left for 2 s") as err:
        runner.simulate_points(
            [sc] * 20, replications=5, seed=1, execution=runner.Execution("dask", scheduler=client)
        )
    assert time.monotonic() - started < 90
    assert all(address in str(err.value) for address in workers)


@pytest.mark.parametrize("dask_cluster", [0], indirect=True)  # the first death fails the task
def test_dask_workers_killed_while_running_fail_the_run_with_exit_1(dask_cluster, tmp_path, capsys) -> None:
    cluster, client = dask_cluster
    _lose_workers_soon(cluster, client, "kill")
    started = time.monotonic()
    code = main(["sweep", str(WORKSHOP), "--set", "channels.marketplace.price_index=0.8,0.85,0.9,0.95,1.0",
                 "--replications", "20", "--executor", "dask", "--scheduler", cluster.scheduler_address,
                 "--no-report", "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 1 and time.monotonic() - started < 90
    err = capsys.readouterr().err
    assert "workers died while running a replication" in err and "lost workers: tcp://127.0.0.1:" in err
    assert not (tmp_path / "o").exists()


def _workers_of(psutil: Any, proc: subprocess.Popen[str], count: int) -> list[Any]:
    """The pool's worker processes of a running `simulate --jobs`, once `count` of them have started."""
    me = psutil.Process(proc.pid)
    until = time.monotonic() + 60
    children: list[Any] = []
    while time.monotonic() < until and len(children) < count:
        time.sleep(0.2)
        children = [c for c in me.children(recursive=True) if "spawn_main" in " ".join(c.cmdline())]
    assert len(children) >= count, "the workers never started"
    return children


def _pool_run(folder: Path) -> subprocess.Popen[str]:
    """`simulate --jobs 2` of 40 replications into `folder/o`, started in the background."""
    args = [
        *CLI,
        "simulate",
        str(WORKSHOP),
        "--jobs",
        "2",
        "--replications",
        "40",
        "--no-report",
        "--out",
        "o",
    ]
    return subprocess.Popen(args, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _dies_while_sending_its_result(index: int) -> int:
    """A pool task that dies half-way through sending its result: on the pool's result pipe it
    writes a message's length and the first few of the bytes it promises, then is killed."""
    import gc
    import struct
    from multiprocessing.queues import SimpleQueue

    results = next(o for o in gc.get_objects() if isinstance(o, SimpleQueue))
    os.write(results._writer.fileno(), struct.pack("!i", 1_000_000) + b"the start")
    os.kill(os.getpid(), signal.SIGKILL)
    return index


def test_a_worker_killed_while_it_sends_a_result_ends_the_run_not_hangs() -> None:
    """The pool's own reader then waits for the rest of the message forever (found as a rare hang
    of the SIGTERM test below): the run must still end, with the one line, and leave no thread."""
    from channelsim.runner import Execution, run_tasks

    started = time.perf_counter()
    with pytest.raises(ExecutionError, match="a worker process died"):
        run_tasks(_dies_while_sending_its_result, [(i,) for i in range(4)], Execution(jobs=2))
    assert time.perf_counter() - started < 30
    assert not [t for t in threading.enumerate() if t.name.startswith(("ExecutorManager", "QueueFeeder"))]


def test_a_pool_worker_killed_ends_the_run_with_one_line(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    proc = _pool_run(tmp_path)
    worker = _workers_of(psutil, proc, 2)[0]
    time.sleep(1.0)
    worker.kill()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert "a worker process died" in err and not (tmp_path / "o").exists()


def test_sigterm_ends_simulate_and_its_workers(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    proc = _pool_run(tmp_path)
    _workers_of(psutil, proc, 2)
    everyone = psutil.Process(proc.pid).children(recursive=True)  # the workers and the resource tracker
    time.sleep(1.0)  # the workers are busy with replications
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err
    _, alive = psutil.wait_procs(everyone, timeout=15)
    assert not alive, f"left behind: {[(p.pid, p.cmdline()) for p in alive]}"
    assert not (tmp_path / "o").exists() and not any(p.name.startswith(".o.") for p in tmp_path.iterdir())
