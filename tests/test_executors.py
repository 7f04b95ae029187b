"""Executors: a local pool and a dask.distributed cluster give the same results as one process."""

from __future__ import annotations

from pathlib import Path

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
