"""The optimizer: a PuLP MILP that allocates marketing spend across sources and incentive tiers across partners.

`optimize` finds one plan for a scenario (`run`), or one plan for several futures (`robust`).
"""

from __future__ import annotations

from channelsim.optimize.designs import Robust, optimize_design
from channelsim.optimize.diagnose import InfeasibleError
from channelsim.optimize.plan import Plan
from channelsim.optimize.robust import optimize_robust
from channelsim.optimize.run import optimize_plan
from channelsim.scenario.design import decisions
from channelsim.scenario.schema import Scenario


def optimize(
    sc: Scenario, objective: str | None = None, solver: str | None = None, time_limit: float | None = None,
    calibration: dict[str, float] | None = None, robust: list[str] | None = None, risk: str = "expected",
    alpha: float = 0.2, weights: list[float] | None = None,
) -> Plan:  # fmt: skip
    """The best plan for the scenario's budget and limits (or the least spend reaching its target).

    `calibration`: per source, a factor on what its leads bring (`valuation.calibration` from a
    simulation's attribution); default: the analytic values as they are. `robust`: variant names;
    one plan for the base and these futures by `risk` (expected, worst, cvar at level `alpha`),
    with futures weighted by `weights` (default equal), see `optimize.robust`."""
    if decisions(sc):  # which candidate and closable outlets to have: every design planned
        futures = Robust(robust, risk, alpha, weights) if robust else None
        return optimize_design(sc, objective, solver, time_limit, calibration, futures)
    if robust:
        return optimize_robust(sc, robust, risk, alpha, weights, objective, solver, time_limit)
    return optimize_plan(sc, objective, solver, time_limit, calibration)


__all__ = ["InfeasibleError", "Plan", "optimize"]
