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
from channelsim.runner import simulate
from channelsim.scenario.schema import Scenario
from channelsim.stats import describe
from channelsim.valuation import calibration

ATTRIBUTED = ("leads", "attributed_contribution")  # the `by_source` figures calibration reads


def calibrate(sc: Scenario, replications: int | None = None, jobs: int = 1) -> dict[str, float]:
    """Per source, measured ÷ analytic contribution of its leads under today's plan (1 without leads)."""
    measured = simulate(sc, replications=replications, seed=sc.seed, jobs=jobs).summary["by_source"]
    attributed = {sid: {key: float(figures[key]["mean"] or 0.0) for key in ATTRIBUTED}
                  for sid, figures in measured.items()}  # fmt: skip
    return calibration(sc, attributed)


def validate_plan(sc: Scenario, plan: Plan, replications: int | None = None, jobs: int = 1) -> dict[str, Any]:
    """Simulate the baseline and the plan with common random numbers (the same seed, so the same
    streams): `baseline.profit`, `plan.profit` and the paired `uplift.profit` as {mean, std, ci95}."""
    base = simulate(sc, replications=replications, seed=sc.seed, jobs=jobs)
    planned = simulate(sc, replications=replications, seed=sc.seed, plan=plan.as_plan_data(), jobs=jobs)
    before = [r["totals"]["profit"] for r in base.per_replication]
    after = [r["totals"]["profit"] for r in planned.per_replication]
    return {
        "seed": sc.seed, "replications": len(before),
        "baseline": {"profit": base.figure("totals", "profit")},
        "plan": {"profit": planned.figure("totals", "profit")},
        "uplift": {"profit": describe([a - b for a, b in zip(after, before, strict=True)])},
    }  # fmt: skip
