"""How much the optimal plan moves across the fit's draws: the plan of the point fit and of each draw.

Each draw (`fit_draw_NN` of FITTED.yaml) is optimized on its own, with the scenario's objective
and limits; the spread of each source's optimal spend across the draws is what the curves'
uncertainty does to the decision (a robust plan, `optimize --robust … --risk cvar`, is one plan
chosen against all of them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from channelsim.fit.roundtrip import DRAW_PREFIX


@dataclass(frozen=True)
class PlanSpread:
    point: dict[str, float]  # source -> optimal spend a week with the point fit
    draws: dict[str, list[float]]  # source -> optimal spend in each draw optimized
    values: list[float]  # each draw's optimal objective value
    point_value: float
    objective: str

    def quantiles(self, source: str) -> tuple[float, float, float]:
        low, mid, high = np.percentile(self.draws[source], [5, 50, 95])
        return float(low), float(mid), float(high)


def plan_spread(fitted_file: str, count: int) -> PlanSpread:
    """Optimize FITTED.yaml and its first `count` draws; each source's spend (the mean over periods)."""
    from channelsim.optimize import optimize
    from channelsim.scenario import load

    base = load(fitted_file)
    point = optimize(base)
    names = [n for n in base.variants if n.startswith(DRAW_PREFIX)][:count]
    draws: dict[str, list[float]] = {s.id: [] for s in base.sources}
    values = []
    for name in names:
        plan = optimize(base.variant(name))
        values.append(float(plan.objective_value))
        for source, spend in plan.spend.items():
            draws[source].append(float(np.mean(spend)))
    return PlanSpread({s: float(np.mean(v)) for s, v in point.spend.items()}, draws, values,
                      float(point.objective_value), point.objective)  # fmt: skip
