"""Benchmark the optimizer (run by hand, not a test): `python bench/optimize.py [--quick]`.

Random instances with 10, 40, 50 and 200 sources (a third S-shaped) and up to 200 partners × 4
tiers. For each: model build time, solve time with CBC and HiGHS (the MILP, then the
polish of its spends on the exact curves, timed apart), the sources' exact profit of the
HiGHS plan before and after the polish, and, on the sources alone (partners held at their
tiers), our plan against scipy's SLSQP with 1 and 10 starts on the same smooth curves:
objective ratio ours/theirs (≥ 1 means we are at least as good) and time ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import minimize

from channelsim.optimize.coefficients import build_coefficients
from channelsim.optimize.milp import build
from channelsim.optimize.polish import polish
from channelsim.optimize.solvers import solve
from channelsim.scenario import validate_data

TIERS = [
    {"level": "none"},
    {"level": "bronze", "cost_per_week": 30, "rebate": 0.01, "effort_boost": 0.1},
    {"level": "silver", "cost_per_week": 80, "rebate": 0.02, "effort_boost": 0.25},
    {"level": "gold", "cost_per_week": 200, "rebate": 0.04, "effort_boost": 0.5},
]


def instance(sources: int, partners: int, breakpoints: int, seed: int) -> object:
    """A random scenario: `sources` curves (a third S-shaped hills), partners four to a region."""
    rng = np.random.default_rng(seed)
    regions = [f"r{k}" for k in range(max(1, partners // 4))]
    srcs = []
    for k in range(sources):
        top, half = float(rng.uniform(50, 400)), float(rng.uniform(500, 5000))
        shape = float(rng.uniform(1.5, 3.5)) if k % 3 == 0 else float(rng.uniform(0.6, 1.0))
        srcs.append({"id": f"s{k}", "spend_per_week": round(half / 4), "max_spend_per_week": round(4 * half),
                     "response": {"curve": "hill", "max_leads_per_week": top, "half_saturation": half, "shape": shape}})  # fmt: skip
    budget = 0.3 * sum(s["max_spend_per_week"] for s in srcs)
    data = {
        "name": f"bench {sources}x{partners}", "horizon_weeks": 26, "gross_margin": 0.45, "regions": regions,
        "segments": [{"id": "a", "population": 10**8, "conversion": 0.3, "purchases_per_week": 0.05,
                      "churn_per_week": 0.01, "order_value": 120, "channel_affinity": {"dealers": 0.4}},
                     {"id": "b", "population": 10**8, "conversion": 0.2, "purchases_per_week": 0.03,
                      "order_value": 300, "price_sensitivity": 2}],
        "sources": srcs,
        "channels": [{"id": "shop", "variable_cost": 0.08}, {"id": "dealers", "type": "indirect", "partner_margin": 0.2}],
        "partners": [{"id": f"p{k}", "channel": "dealers", "region": regions[k % len(regions)],
                      "effort": float(rng.uniform(0.6, 1.4))} for k in range(partners)],
        "budget": {"marketing_per_week": budget, "incentives_per_week": 60.0 * partners},
        "optimize": {"breakpoints": breakpoints},
    }  # fmt: skip
    if partners:
        data["incentives"] = [{"id": "coop", "channel": "dealers", "tiers": TIERS}]
    return validate_data(data, "<bench>")


def exact_value(problem, spend: np.ndarray) -> float:
    """The sources' part of the profit with the exact curves (one period, no adstock)."""
    weeks = problem.periods[0].weeks
    total = 0.0
    for term, x in zip(problem.sources, spend, strict=True):
        total += weeks * (term.value[0, 0] * term.source.response.leads(float(x)) - x)
    return total


def slsqp(problem, starts: int, seed: int) -> tuple[float, float]:
    """Best exact value of SLSQP from `starts` starting points (the first: today's spend)."""
    rng = np.random.default_rng(seed)
    upper = np.array([t.upper for t in problem.sources])
    budget = problem.marketing_budget
    began, best = time.perf_counter(), -np.inf
    for k in range(starts):
        x0 = np.array([t.source.spend_per_week for t in problem.sources]) if k == 0 else rng.uniform(0, upper)
        x0 = x0 * min(1.0, budget / max(x0.sum(), 1e-9))
        res = minimize(lambda x: -exact_value(problem, x), x0, method="SLSQP", bounds=list(zip(0 * upper, upper, strict=True)),
                       constraints=[{"type": "ineq", "fun": lambda x: budget - x.sum()}], options={"maxiter": 300})  # fmt: skip
        best = max(best, exact_value(problem, np.clip(res.x, 0, upper)))
    return best, time.perf_counter() - began


def run(sources: int, partners: int, breakpoints: int, seed: int, compare: bool) -> dict:
    sc = instance(sources, partners, breakpoints, seed)
    began = time.perf_counter()
    spend = {s.id: [s.spend_per_week] for s in sc.sources}
    tiers = {p.id: "none" for p in sc.partners} if partners else {}
    problem = build_coefficients(sc, "profit", spend, tiers, target_mode=False)
    built_at = time.perf_counter()
    row = {
        "sources": sources,
        "partners": partners,
        "breakpoints": breakpoints,
        "valuation_s": built_at - began,
    }
    for solver in ("highs", "cbc"):
        model = build(problem)
        row[f"{solver}_model_s"] = time.perf_counter() - built_at
        outcome = solve(model.prob, solver, time_limit=120)
        row[f"{solver}_solve_s"], row[f"{solver}_status"] = outcome.seconds, outcome.status
        found = {t.id: [max(float(model.spend[(t.id, 0)].value()), 0.0)] for t in problem.sources}
        row[f"{solver}_exact_milp"] = exact_value(problem, np.array([v[0] for v in found.values()]))
        began = time.perf_counter()
        polished = polish(problem, found, column=0, net=True)
        row[f"{solver}_polish_s"] = time.perf_counter() - began
        row[f"{solver}_exact"] = exact_value(problem, np.array([v[0] for v in polished.values()]))
        row[f"{solver}_solve_s"] = time.perf_counter() - built_at - row[f"{solver}_model_s"]
        built_at = time.perf_counter()
    if compare:
        for starts in (1, 10):
            theirs, seconds = slsqp(problem, starts, seed)
            row[f"slsqp{starts}_ratio"] = row["highs_exact"] / theirs if theirs > 0 else float("nan")
            row[f"slsqp{starts}_time_ratio"] = row["highs_solve_s"] / seconds
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small instances only")
    args = parser.parse_args()
    cases = [
        (10, 0, 24),
        (40, 0, 24),
        (10, 20, 24),
        (50, 0, 24),
        (50, 100, 24),
        (200, 0, 24),
        (200, 200, 24),
        (200, 200, 48),
    ]
    if args.quick:
        cases = cases[:3]
    header = (f"{'src':>4} {'prt':>4} {'bp':>3} {'value s':>8} {'HiGHS s':>8} {'polish s':>8} {'CBC s':>8} "
              f"{'status':>14} {'MILP profit':>13} {'polished':>13} {'ours/SLSQP1':>11} {'ours/SLSQP10':>12} "
              f"{'t/SLSQP1':>9} {'t/SLSQP10':>9}")  # fmt: skip
    print(header)
    for k, (n, m, bp) in enumerate(cases):
        row = run(n, m, bp, seed=k, compare=n <= 50)
        print(f"{n:>4} {m:>4} {bp:>3} {row['valuation_s']:>8.2f} {row['highs_solve_s']:>8.2f} "
              f"{row['highs_polish_s']:>8.3f} {row['cbc_solve_s']:>8.2f} "
              f"{row['highs_status'] + '/' + row['cbc_status']:>14} {row['highs_exact_milp']:>13.2f} "
              f"{row['highs_exact']:>13.2f} {row.get('slsqp1_ratio', float('nan')):>11.4f} "
              f"{row.get('slsqp10_ratio', float('nan')):>12.4f} {row.get('slsqp1_time_ratio', float('nan')):>9.3f} "
              f"{row.get('slsqp10_time_ratio', float('nan')):>9.3f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
