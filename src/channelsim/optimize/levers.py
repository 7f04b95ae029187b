"""A plan's decisions (`Levers`), read from a solved MILP and valued by the exact forecast."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulp

from channelsim import valuation as va
from channelsim.choices import OBJECTIVES, SOLVERS
from channelsim.errors import UsageError
from channelsim.optimize.coefficients import Coefficients, current_programmes, weekly_spend
from channelsim.optimize.milp import Built
from channelsim.scenario.planning import Target
from channelsim.scenario.schema import Scenario


@dataclass(frozen=True)
class Levers:
    """A plan's decisions: spend per source and period, tiers, programmes running, win-back per week."""

    spend: dict[str, list[float]]
    tiers: dict[str, str]
    programmes: dict[str, bool] = field(default_factory=dict)
    winback: float | None = None  # None: the scenario has no win-back

    @classmethod
    def of(cls, sc: Scenario) -> Levers:
        """The scenario as written."""
        return cls({s.id: [s.spend_per_week] * sc.optimize.periods for s in sc.sources}, va.baseline_tiers(sc),
                   current_programmes(sc, None), sc.winback.spend_per_week if sc.winback else None)  # fmt: skip


def read_decisions(built: Built, problem: Coefficients) -> Levers:
    """Spend per source and period (rounded to cents), the tier of every eligible partner, which
    programmes run, and the win-back spend (cents)."""
    spend = {t.id: [round(max(pulp.value(built.spend[(t.id, p.index)]) or 0.0, 0.0), 2) for p in problem.periods]
             for t in problem.sources}  # fmt: skip
    tiers = dict(problem.tiers)
    for (g, c), var in built.choose.items():
        if (var.varValue or 0.0) > 0.5:
            tiers |= problem.groups[g].combos[c].levels
    programmes = {pid: (pulp.value(var) or 0.0) > 0.5 for pid, var in built.running.items()}
    winback = round(max(pulp.value(built.winback) or 0.0, 0.0), 2) if built.winback is not None else None
    return Levers(spend, tiers, programmes, winback)


def forecast_of(sc: Scenario, spend: dict[str, list[float]], tiers: dict[str, str],
                calibration: dict[str, float] | None = None, programmes: dict[str, bool] | None = None,
                winback: float | None = None) -> va.Forecast:  # fmt: skip
    rescue = [winback] * sc.horizon_weeks if winback is not None and sc.winback is not None else None
    return va.forecast(sc, weekly_spend(sc, spend), tiers, calibration, programmes, rescue)


def forecast_levers(sc: Scenario, levers: Levers, calibration: dict[str, float] | None = None) -> va.Forecast:
    return forecast_of(sc, levers.spend, levers.tiers, calibration, levers.programmes, levers.winback)


def score(fc: va.Forecast, objective: str, target: Target | None) -> float:
    """What the plan is judged by: the objective, or in target mode the money spent."""
    if target is not None:
        return fc.marketing + fc.incentives + fc.crm
    return fc.metric(objective)


def expected_figures(sc: Scenario, fc: va.Forecast, tiers: dict[str, str]) -> dict[str, Any]:
    """Forecast figures a planner reads next to the simulation's: totals, orders per seller, diversion."""
    sellers = va.sellers(sc)
    orders = {s.id: round(float(fc.totals[fc.layout.seller(j)]), 2) for j, s in enumerate(sellers)}
    return {
        "profit": round(fc.profit, 2), "contribution": round(fc.contribution, 2),
        "revenue": round(fc.revenue, 2), "new_customers": round(fc.customers, 3),
        "marketing_spend": round(fc.marketing, 2), "incentive_cost": round(fc.incentives, 2),
        "member_cost": round(fc.crm, 2),
        "member_weeks": {p.id: round(float(fc.totals[fc.layout.member(k)]), 2)
                         for k, p in enumerate(sc.loyalty_programs)},
        "winback_reactivations": round(float(fc.reactivations.sum()), 3) if fc.reactivations is not None else 0.0,
        "orders": orders, "diverted_orders_per_week": round(fc.diverted_per_week, 4),
        "rival_orders": round(fc.rival_orders, 2),
        "market_share": round(fc.market_share, 6) if fc.market_share == fc.market_share else None,
        "partner_leads": {p: round(rate * sc.horizon_weeks, 2) for p, rate in fc.partner_leads.items()},
        "customer_equity": round(fc.customer_equity, 2),
        "service": service_figures(fc),
    }  # fmt: skip


def service_figures(fc: va.Forecast) -> dict[str, Any]:
    """The service levels the forecast was made at: per outlet with a stock its share of time out,
    per outlet with a queue the share of orders answered later than each segment expects."""
    levels = fc.service
    if levels is None:
        return {"stockout_share": {}, "late_share": {}}
    return {"stockout_share": {k: round(v, 4) for k, v in levels.stockout.items()},
            "late_share": {k: {s: round(v, 4) for s, v in by.items()} for k, by in levels.slow.items()}}  # fmt: skip


def check_choices(objective: str | None, solver: str | None) -> None:
    """A UsageError naming an unknown objective or solver."""
    if objective is not None and objective not in OBJECTIVES:
        raise UsageError(f"objective: must be one of {', '.join(OBJECTIVES)} (got {objective!r})")
    if solver is not None and solver not in SOLVERS:
        raise UsageError(f"solver: must be one of {', '.join(SOLVERS)} (got {solver!r})")
