"""Warnings a planner needs about a finished run: a market run dry, one replication, a loss explained.

Each check reads a SimResult and returns sentences (empty when all is well); the scenario's
own checks (regions, partners, planned leads) are `scenario.advice`. `channelsim simulate`,
`compare` and `sweep` print both at the end of a run and write them to findings.json.
"""

from __future__ import annotations

import math

from channelsim.results import SimResult
from channelsim.scenario.advice import ONE_REPLICATION, scenario_warnings

#: wasted leads above this share of all leads: the market is running dry
WASTED_SHARE = 0.10
#: people still unaware at the end below this share of the population: the market is running dry
UNAWARE_SHARE = 0.05
#: the costs that profit takes from contribution, as the ledger does (summary totals)
COSTS = (("marketing_spend", "marketing"), ("incentive_cost", "incentives"), ("fixed_cost", "outlets' fixed costs"),
         ("crm_cost", "loyalty programmes"), ("winback_spend", "win-back"))  # fmt: skip


def run_warnings(result: SimResult) -> list[str]:
    """The scenario's warnings (one replication: if the run had one), then what the run itself shows."""
    written = [w for w in scenario_warnings(result.scenario) if not w.startswith(ONE_REPLICATION)]
    one = [f"{ONE_REPLICATION} — no interval from one replication (a run cannot tell a change from luck); "
           "use --replications 10"] if result.replications == 1 else []  # fmt: skip
    return [*written, *one, *_market_dry(result), *_loses_money(result)]


def experiment_warnings(runs: dict[str, SimResult]) -> list[str]:
    """The first run's warnings, then each other run's that the first does not have, with the run's name."""
    names = list(runs)
    first = run_warnings(runs[names[0]])
    return first + [f"[{name}] {w}" for name in names[1:] for w in run_warnings(runs[name]) if w not in first]


def _mean(result: SimResult, key: str) -> float:
    return float(result.summary["totals"][key]["mean"] or 0.0)


def _market_dry(result: SimResult) -> list[str]:
    sc = result.scenario
    leads, wasted = _mean(result, "leads"), _mean(result, "wasted_leads")
    population = sum(s.population for s in sc.segments)
    unaware = population - sum(s.initial_customers for s in sc.segments) - (leads - wasted)
    share = wasted / leads if leads else 0.0
    if share <= WASTED_SHARE and unaware >= UNAWARE_SHARE * population:
        return []
    week = _dry_week(result)
    when = f" from about week {week} of {sc.horizon_weeks}" if week is not None else ""
    return [f"market running dry{when}: {wasted:,.0f} of {leads:,.0f} leads wasted ({share:.0%}) and "
            f"{max(unaware, 0):,.0f} of {population:,} people left unaware ({max(unaware, 0) / population:.0%}) — "
            "the spend after that buys nobody; a shorter horizon, less spend or a larger population"]  # fmt: skip


def _dry_week(result: SimResult) -> int | None:
    """The first week in which more than half of the leads (mean over replications) were wasted."""
    frame = result.kpis
    rows = frame[(frame["level"] == "total") & frame["metric"].isin(("leads", "wasted_leads"))]
    weekly = rows.pivot_table(index="week", columns="metric", values="value", aggfunc="mean")
    dry = weekly[(weekly["leads"] > 0) & (weekly["wasted_leads"] > 0.5 * weekly["leads"])]
    return None if dry.empty else int(dry.index[0])


def _loses_money(result: SimResult) -> list[str]:
    """Profit below 0, and why: what the contribution leaves after marketing against the fixed costs."""
    profit = _mean(result, "profit")
    if profit >= 0:
        return []
    cur = result.scenario.currency
    contribution = _mean(result, "contribution")
    costs = {label: _mean(result, key) for key, label in COSTS if _mean(result, key) > 0}
    parts = " − ".join(f"{label} {value:,.0f}" for label, value in costs.items())
    marketing = costs.pop("marketing", 0.0)
    fixed = math.fsum(costs.values())  # what the outlets, tiers and programmes cost whatever is sold
    left = contribution - marketing
    if left > 0:
        detail = ", ".join(f"{k} {v:,.0f}" for k, v in costs.items())
        why = f"after marketing the contribution leaves {left:,.0f} against {fixed:,.0f} of costs that do not grow with sales ({detail})"
    else:
        why = f"the contribution does not even cover the marketing ({marketing:,.0f})"
    equity = _mean(result, "customer_equity")
    later = (
        f"; the customers active at the end would still bring {equity:,.0f} (customer equity, not counted)"
        if equity > 0
        else ""
    )
    return [
        f"loses money: profit {profit:,.0f} {cur} = contribution {contribution:,.0f} − {parts}; {why}{later}"
    ]
