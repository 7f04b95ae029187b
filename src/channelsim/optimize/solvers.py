"""The solver adapters (CBC through COIN_CMD, HiGHS through highspy) behind one call, for PuLP 3 and 4.

A status is reported as the solver proved it: `optimal` only when the search finished
within the gap tolerance; `time_limit` when a plan was found but the time ran out (with
the gap known then); `infeasible`; `not_solved` when no plan was found in time.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pulp

#: Relative MIP gap at which the search may stop and call the plan optimal.
GAP_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Outcome:
    """What the solver said."""

    solver: str
    status: str  # optimal | time_limit | infeasible | unbounded | not_solved
    mip_gap: float | None  # relative gap between the plan and the best bound; None if unknown
    seconds: float

    @property
    def has_plan(self) -> bool:
        return self.status in ("optimal", "time_limit")


def make_solver(name: str, time_limit: float, mip: bool = True) -> pulp.LpSolver:
    """The PuLP solver object: single-threaded so that the same problem gives the same plan."""
    if name == "highs":
        return pulp.HiGHS(msg=False, timeLimit=time_limit, gapRel=GAP_TOLERANCE, threads=1, mip=mip)
    return pulp.COIN_CMD(msg=False, timeLimit=time_limit, gapRel=GAP_TOLERANCE, threads=1, mip=mip,
                         **_cbc_path())  # fmt: skip


def _cbc_path() -> dict[str, str]:
    """PuLP 3 runs the CBC bundled in its wheel (what its deprecated PULP_CBC_CMD ran); PuLP 4 finds
    the `cbcbox` wheel's CBC (`pulp[cbc]`) or a `cbc` on PATH by itself."""
    bundled = getattr(getattr(pulp, "PULP_CBC_CMD", None), "pulp_cbc_path", None)
    return {"path": bundled} if bundled and os.path.isfile(bundled) else {}


def solve(prob: pulp.LpProblem, name: str, time_limit: float, mip: bool = True) -> Outcome:
    """Solve `prob` in place; values stay on its variables."""
    started = time.perf_counter()
    with _quiet_stdout(name == "highs"):  # HiGHS prints its banner on stdout whatever msg says
        stats = prob.solve(make_solver(name, time_limit, mip))
    seconds = time.perf_counter() - started
    status = _status_v4(stats) if hasattr(stats, "has_solution") else _status(prob)
    gap = _gap(prob, name, status) if status in ("optimal", "time_limit") else None
    return Outcome(name, status, gap, seconds)


@contextmanager
def _quiet_stdout(quiet: bool) -> Iterator[None]:
    """Send what the solver's C code writes to file descriptor 1 to /dev/null while it runs."""
    if not quiet:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


PULP_4 = not hasattr(pulp, "LpSolutionOptimal")  # PuLP 4 reads a solve's outcome from what solve returns


def dual_sign(name: str, maximize: bool) -> float:
    """The factor that makes a constraint's `pi` d(objective)/d(limit): in a maximisation, HiGHS
    reports the duals of the minimisation form under PuLP 3 and CBC does under PuLP 4."""
    flipped = "cbc" if PULP_4 else "highs"
    return -1.0 if maximize and name == flipped else 1.0


def _status_v4(stats: Any) -> str:
    """PuLP 4: `solve` returns an LpSolveStats with an LpSolveStatus."""
    name = getattr(stats.status, "name", str(stats.status))
    gap = stats.gap_rel if stats.gap_rel is not None else stats.solver_gap
    if name == "Optimal" or (name == "GapLimit" and stats.has_solution and (gap or 0.0) <= GAP_TOLERANCE):
        return "optimal"  # CBC says GapLimit when it stopped at gapRel: proven within the tolerance
    if stats.has_solution:  # a limit (time, nodes) stopped the search with a plan
        return "time_limit"
    return {"Infeasible": "infeasible", "Unbounded": "unbounded"}.get(name, "not_solved")


def _status(prob: pulp.LpProblem) -> str:
    """PuLP 3: `solve` returns an int; the status and the solution's status are on the problem."""
    if prob.sol_status == pulp.LpSolutionOptimal:
        return "optimal"
    if prob.sol_status == pulp.LpSolutionIntegerFeasible:
        return "time_limit"
    if prob.status == pulp.LpStatusInfeasible or prob.sol_status == pulp.LpSolutionInfeasible:
        return "infeasible"
    if prob.status == pulp.LpStatusUnbounded:
        return "unbounded"
    return "not_solved"


def _gap(prob: pulp.LpProblem, name: str, status: str) -> float | None:
    """HiGHS reports its gap; CBC through PuLP does not, so for CBC: optimal means within the
    tolerance (reported as the tolerance, an upper bound), and a time-limited plan's gap is unknown."""
    if not prob.isMIP():
        return 0.0
    if name == "highs":
        info = prob.solverModel.getInfo()
        return float(info.mip_gap) if info.mip_gap < 1e100 else None
    return GAP_TOLERANCE if status == "optimal" else None
