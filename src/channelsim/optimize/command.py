"""The `channelsim optimize` sub-command and the closed loop (simulate baseline and plan with the same seed).

The simulation and the report writer are handed in (`optimize_command(channelsim.simulate,
channelsim.report.write_report)`): the optimizer's layer imports neither the engine nor the
report, and the command needs both.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from channelsim import valuation as va
from channelsim.errors import UsageError
from channelsim.optimize.frontier import KINDS, frontier, write_frontier
from channelsim.optimize.plan import Plan
from channelsim.optimize.robust import RISKS, write_regret
from channelsim.optimize.run import OBJECTIVES, SOLVERS, optimize
from channelsim.results_io import output_set
from channelsim.scenario import load
from channelsim.scenario.schema import Scenario
from channelsim.stats import describe

Simulate = Callable[..., Any]
Report = Callable[[str], list[str]]  # channelsim.report.write_report: the report sits above this layer


def validate_plan(sc: Scenario, plan: Plan, simulate: Simulate, replications: int | None = None,
                  jobs: int = 1) -> dict[str, Any]:  # fmt: skip
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


def headline(plan: Plan) -> str:
    """What a planner reads first: status, value against the baseline, the allocation, what binds."""
    sc, cur = plan.scenario, plan.scenario.currency
    gap = f", gap {plan.mip_gap:.2g}" if plan.mip_gap is not None else ""
    lines = [f"{sc.name}: {plan.objective} plan, {plan.solver} {plan.status}{gap}",
             f"  expected {plan.objective:<12}{plan.objective_value:>14,.0f}   baseline {plan.baseline_value:,.0f}"
             f"   uplift {plan.uplift:+,.0f}"]  # fmt: skip
    for src in sc.sources:
        spend = " / ".join(f"{x:,.0f}" for x in plan.spend[src.id])
        lines.append(f"  {src.id:<22}{spend:>14} {cur}/week   (today {src.spend_per_week:,.0f})")
    for partner, level in plan.tiers.items():
        lines.append(
            f"  {partner:<22}{level:>14}   (today {plan.details['baseline_tiers'].get(partner, '')})"
        )
    for prog in sc.loyalty_programs:
        state = "on" if plan.programmes.get(prog.id, prog.active) else "off"
        lines.append(
            f"  {prog.id:<22}{state:>14}   (today {'on' if prog.active else 'off'}; loyalty programme)"
        )
    if plan.winback is not None:
        lines.append(
            f"  {'win-back':<22}{plan.winback:>14,.0f} {cur}/week   (today {sc.winback.spend_per_week:,.0f})"
        )
    if plan.budget_shadow_price is not None:
        lines.append(
            f"  budget shadow price {plan.budget_shadow_price:.3f} per extra {cur} of marketing budget"
        )
    lines.append(f"  binding: {', '.join(plan.binding) or 'none'}")
    if plan.validated:
        for key in ("baseline", "plan", "uplift"):
            stat = plan.validated[key]["profit"]
            lo, hi = stat["ci95"]
            lines.append(
                f"  simulated {key:<9} profit {stat['mean']:>14,.0f} {cur} 95% CI [{lo:,.0f}, {hi:,.0f}]"
            )
    return "\n".join(lines)


def _robust_args(args: argparse.Namespace) -> dict[str, Any]:
    """`--robust V1,V2 [--risk R] [--alpha A] [--weights W0,W1,...]` as keyword arguments of optimize."""
    if not args.robust:
        if args.risk or args.alpha is not None or args.weights:
            raise UsageError("--risk, --alpha and --weights need --robust VARIANTS")
        return {}
    names = [v.strip() for v in args.robust.split(",") if v.strip()]
    weights = None
    if args.weights:
        try:
            weights = [float(w) for w in args.weights.split(",")]
        except ValueError:
            raise UsageError(
                f"--weights: expected numbers separated by commas (got {args.weights!r})"
            ) from None
    alpha = 0.2 if args.alpha is None else args.alpha
    return {"robust": names, "risk": args.risk or "expected", "alpha": alpha, "weights": weights}


def run(args: argparse.Namespace, simulate: Simulate, report: Report | None = None) -> int:
    if args.time_limit is not None and args.time_limit <= 0:
        raise UsageError(f"--time-limit: must be > 0 seconds (got {args.time_limit:g})")
    if args.replications is not None and args.replications < 1:
        raise UsageError(f"--replications: must be >= 1 (got {args.replications})")
    sc = load(args.scenario)
    if args.variant:
        sc = sc.variant(args.variant)
    calibration = None
    if args.calibrate:  # measure what each source's leads bring in the simulation of today's plan
        measured = simulate(sc, replications=args.replications, seed=sc.seed, jobs=args.jobs).summary[
            "by_source"
        ]
        attributed = {sid: {k: float(v[k]["mean"] or 0.0) for k in ("leads", "attributed_contribution")}
                      for sid, v in measured.items()}  # fmt: skip
        calibration = va.calibration(sc, attributed)
    if args.frontier_points < 2:
        raise UsageError(f"--frontier-points: must be >= 2 (got {args.frontier_points})")
    robust = _robust_args(args)
    plan = optimize(sc, objective=args.objective, solver=args.solver, time_limit=args.time_limit,
                    calibration=calibration, **robust)  # fmt: skip
    if args.validate:
        plan.validated = validate_plan(sc, plan, simulate, args.replications, args.jobs)
    with output_set(args.out) as out:  # the files of this run replace the old ones as one set
        paths = plan.write(out.staging, command=["channelsim", *sys.argv[1:]])
        paths += write_regret(plan, out.staging)
        if args.frontier:  # the optimal value as the limit moves, today's limit among the points
            points, now, _ = frontier(sc, args.frontier, args.frontier_points)
            paths += write_frontier(out.staging, args.frontier, points, now)
        if report is not None:  # the folder reads like simulate's: report.html beside plan.json
            paths += report(out.staging)
    print(headline(plan))
    print(f"wrote {', '.join(out.final(paths))}")
    return 0


def optimize_command(
    simulate: Simulate, report: Report | None = None
) -> Callable[[argparse._SubParsersAction], None]:
    """The function that adds `optimize` to the CLI's sub-commands (`report` writes report.html)."""

    def add(sub: argparse._SubParsersAction) -> None:
        cmd = sub.add_parser(
            "optimize", help="allocate marketing budget and partner tiers (MILP); write plan.json"
        )
        cmd.add_argument("scenario", metavar="SCENARIO")
        cmd.add_argument("--variant", metavar="V")
        cmd.add_argument("--objective", choices=OBJECTIVES, help="default: the scenario's optimize.objective")
        cmd.add_argument("--solver", choices=SOLVERS, help="default: the scenario's optimize.solver")
        cmd.add_argument("--time-limit", type=float, metavar="SECONDS", help="the solver's time limit")
        cmd.add_argument(
            "--validate", action="store_true", help="simulate baseline and plan with the same seed"
        )
        cmd.add_argument(
            "--calibrate",
            action="store_true",
            help="scale each source's lead value by the simulation's attribution",
        )
        cmd.add_argument(
            "--replications", type=int, metavar="N", help="replications for --validate/--calibrate"
        )
        cmd.add_argument(
            "--jobs", type=int, default=1, metavar="J", help="worker processes for the simulations"
        )
        cmd.add_argument("--robust", metavar="V1,V2", help="one plan for the base and these variants")
        cmd.add_argument("--risk", choices=RISKS, help="robust objective: expected (default), worst, cvar")
        cmd.add_argument("--alpha", type=float, metavar="A", help="CVaR level (default 0.2)")
        cmd.add_argument(
            "--weights", metavar="W0,W1", help="weights of the futures, base first (default equal)"
        )
        cmd.add_argument(
            "--frontier",
            choices=KINDS,
            help="budget: value as the budget moves; conflict: as the diversion cap moves",
        )
        cmd.add_argument(
            "--frontier-points", type=int, default=11, metavar="N", help="grid points (default 11)"
        )
        cmd.add_argument("--out", default="runs/optimize", metavar="DIR")
        cmd.set_defaults(run=lambda args: run(args, simulate, report))

    return add
