"""The risk measures a robust plan is judged by: exactly over the futures' values, and as the
objective of a MILP or LP over expressions of them (the epigraph forms).

`expected` Σ p_f·v_f; `worst` min v_f (max t with t ≤ v_f); `cvar` at level α, the mean of the
worst α of the weighted futures (Rockafellar–Uryasev: max η − (1/α)·Σ p_f·u_f, u_f ≥ η − v_f,
u_f ≥ 0). Each is concave and non-decreasing in every v_f, and moves by at most max_f |Δv_f|.
"""

from __future__ import annotations

from typing import Any

import pulp


def measure(values: list[float], weights: list[float], risk: str, alpha: float) -> float:
    """Expected value, worst case, or CVaR_α (the mean of the worst α of the weighted futures)."""
    if risk == "expected":
        return sum(w * v for w, v in zip(weights, values, strict=True))
    if risk == "worst":
        return min(values)
    tail, total = 0.0, 0.0
    for v, w in sorted(zip(values, weights, strict=True)):
        take = min(w, alpha - total)
        if take <= 0:
            break
        tail, total = tail + take * v, total + take
    return tail / alpha


def risk_objective(
    prob: pulp.LpProblem, values: list[Any], weights: list[float], risk: str, alpha: float
) -> None:
    """Set the risk measure of the futures' values (expressions in `prob`) as the (maximised) objective."""
    if risk == "expected":
        prob.setObjective(pulp.lpSum(w * v for w, v in zip(weights, values, strict=True)))
        return
    if risk == "worst":
        t = prob.add_variable("robust_t", None)  # free: values may be negative
        for f, value in enumerate(values):
            prob += (t <= value, f"robust_worst_{f}")
        prob.setObjective(t)
        return
    eta = prob.add_variable("robust_eta", None)
    shortfall = [prob.add_variable(f"robust_u_{f}", 0) for f in range(len(values))]
    for f, (u, value) in enumerate(zip(shortfall, values, strict=True)):
        prob += (u >= eta - value, f"robust_cvar_{f}")
    prob.setObjective(
        eta - (1.0 / alpha) * pulp.lpSum(w * u for w, u in zip(weights, shortfall, strict=True))
    )
