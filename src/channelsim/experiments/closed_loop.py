"""The closed loop between the optimizer and the simulation.

`calibrate` scales the optimizer's lead values by what each source's leads brought in a
simulation of today's plan (`optimize --calibrate`); `validate_plan` simulates the baseline
and a plan with the same seed, so the same random streams, and reports the paired uplift
(`optimize --validate`). Both sit here, above the optimizer and the runner, so that neither
engine knows the other.
"""

from __future__ import annotations

from typing import Any

from channelsim.optimize.plan import Plan
from channelsim.results import SimResult
from channelsim.runner import Execution, Progress, execution_for, simulate, simulate_runs
from channelsim.scenario.design import opened
from channelsim.scenario.schema import Scenario
from channelsim.sim.policy import Policy, policy_from_plan
from channelsim.stats import describe
from channelsim.valuation import calibration

ATTRIBUTED = ("leads", "attributed_contribution")  # the `by_source` figures calibration reads


def calibrate(
    sc: Scenario,
    replications: int | None = None,
    jobs: int = 1,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> dict[str, float]:
    """Per source, measured ÷ analytic contribution of its leads under today's plan (1 without leads)."""
    run = simulate(sc, replications=replications, seed=sc.seed, jobs=jobs, execution=execution,
                   progress=progress)  # fmt: skip
    attributed = {sid: {key: float(figures[key]["mean"] or 0.0) for key in ATTRIBUTED}
                  for sid, figures in run.summary["by_source"].items()}  # fmt: skip
    return calibration(opened(sc), attributed)  # the valuation of today's design, as simulated


def validate_plan(
    sc: Scenario,
    plan: Plan,
    replications: int | None = None,
    jobs: int = 1,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Simulate the baseline and the plan with common random numbers (the same seed, so the same
    streams), as one batch on `jobs` local processes or `execution`: `baseline.profit`,
    `plan.profit` and the paired `uplift.profit` as {mean, std, ci95}."""
    execution = execution_for(jobs, execution, "validate_plan")
    count = sc.replications if replications is None else replications
    runs = [(sc, Policy.baseline(sc), None), (sc, policy_from_plan(sc, plan.as_plan_data()), "plan")]
    base, planned = simulate_runs(runs, count, sc.seed, execution, progress)
    before = [r["totals"]["profit"] for r in base.per_replication]
    after = [r["totals"]["profit"] for r in planned.per_replication]
    expected = plan.expected or {}
    return {
        "seed": sc.seed, "replications": len(before),
        "baseline": {"profit": base.figure("totals", "profit")},
        "plan": {"profit": planned.figure("totals", "profit")},
        "uplift": {"profit": describe([a - b for a, b in zip(after, before, strict=True)])},
        "agreement": {name: agreement(expected.get(name, {}).get("profit"), judged(sc, run))
                      for name, run in (("baseline", base), ("plan", planned))},
        "left_out": {name: left_out(run.summary) for name, run in (("baseline", base), ("plan", planned))},
    }  # fmt: skip


def judged(sc: Scenario, run: SimResult) -> dict[str, Any]:
    """The simulated counterpart of the forecast's profit: profit, plus the customer equity left at
    the horizon when the optimizer counts it (`optimize.terminal_value`)."""
    if not sc.optimize.terminal_value:
        return run.figure("totals", "profit")
    return describe([r["totals"]["profit"] + r["totals"]["customer_equity"] for r in run.per_replication])


#: The forecast and the simulation of a plan agree when they differ by at most this share of the
#: simulated value, or by the simulation's own 95% half-interval if that is larger.
AGREEMENT_SHARE = 0.05


def agreement(forecast: float | None, simulated: dict[str, Any]) -> dict[str, Any]:
    """Forecast against simulated profit: the gap, the tolerance (max of 5% and the 95% half-interval)."""
    mean, (low, high) = simulated["mean"], simulated["ci95"]
    if forecast is None or mean is None:
        return {"forecast": forecast, "simulated": mean, "gap": None, "tolerance": None, "agree": None}
    half = (high - low) / 2.0 if low is not None and high is not None else 0.0
    tolerance = max(AGREEMENT_SHARE * abs(mean), half)
    gap = forecast - mean
    return {"forecast": round(forecast, 2), "simulated": round(mean, 2), "gap": round(gap, 2),
            "gap_share": round(gap / abs(mean), 4) if mean else None, "tolerance": round(tolerance, 2),
            "agree": abs(gap) <= tolerance}  # fmt: skip


#: What the analytic forecast leaves out (first-order or not at all), by its simulated size.
LEFT_OUT = (
    ("conflict", "price_war_weeks"),  # prices that move in a war (the forecast prices as written)
    ("conflict", "partner_exits"),  # partners who leave (the forecast keeps them)
    ("conflict", "detections"),  # penalties that cut a diverter's tier and its own prospects
    ("totals", "lost_orders"),  # occasions with nothing of ours to buy and no rival
    ("crm", "detractors_end"),  # dissatisfied customers (slow service, stock-outs, price rises) lapse faster
)


def left_out(summary: dict[str, Any]) -> dict[str, float | None]:
    """The simulated size (mean across replications) of each effect the forecast leaves out."""
    out: dict[str, float | None] = {}
    for section, key in LEFT_OUT:
        node = summary.get(section, {}).get(key)
        out[key] = node.get("mean") if isinstance(node, dict) else None
    out["stockout_weeks"] = sum(
        (p.get("stockout_rate", {}).get("mean") or 0.0) * summary.get("horizon_weeks", 0)
        for p in summary.get("by_partner", {}).values()
    )
    return out
