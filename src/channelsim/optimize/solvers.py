"""The solver adapters (CBC bundled with PuLP, HiGHS through highspy) behind one call.

A status is reported as the solver proved it: `optimal` only when the search finished
within the gap tolerance; `time_limit` when a plan was found but the time ran out (with
the gap known then); `infeasible`; `not_solved` when no plan was found in time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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
    return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=GAP_TOLERANCE, threads=1, mip=mip)


def solve(prob: pulp.LpProblem, name: str, time_limit: float) -> Outcome:
    """Solve `prob` in place; values stay on its variables."""
    started = time.perf_counter()
    prob.solve(make_solver(name, time_limit))
    seconds = time.perf_counter() - started
    status = _status(prob)
    gap = _gap(prob, name, status) if status in ("optimal", "time_limit") else None
    return Outcome(name, status, gap, seconds)


def _status(prob: pulp.LpProblem) -> str:
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
