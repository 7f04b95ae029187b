"""`channelsim optimize`: flags in, a plan out (plan.json, allocation.csv, regret, frontier, report).

The closed loop (`--calibrate`, `--validate`: simulating today's plan and the new one) is
`channelsim.experiments.closed_loop`; the optimizer itself never runs the simulation.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from channelsim.choices import FRONTIER_KINDS, RISKS
from channelsim.cli import flags
from channelsim.cli.guards import add_yes, check_optimize_size, check_size
from channelsim.cli.run_flags import add_run_flags, execution, run_progress
from channelsim.cli.scenario_verbs import check_replications, load_for_run
from channelsim.errors import UsageError
from channelsim.results_io import output_set

if TYPE_CHECKING:
    from channelsim.optimize.plan import Plan
    from channelsim.runner import Execution
    from channelsim.scenario.schema import Scenario


def add_optimize(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "optimize",
        help="split the budget and partner tiers (MILP); write plan.json",
        epilog="example: channelsim optimize scenarios/electronics_omnichannel.yaml --validate --out runs/plan",
    )
    flags.add_scenario(cmd)
    flags.add_variant(cmd, "plan for this variant")
    flags.add_objective(cmd)
    flags.add_solver(cmd)
    cmd.add_argument("--time-limit", type=flags.decimal("of seconds above 0"), metavar="SECONDS",
                     help="the solver's time limit a solve, > 0 (default: the scenario's optimize.time_limit_seconds)")  # fmt: skip
    cmd.add_argument("--validate", action="store_true",
                     help="simulate baseline and plan with the same seed (default: forecast only)")  # fmt: skip
    cmd.add_argument("--calibrate", action="store_true",
                     help="scale each source's lead value by the simulation's attribution (default: do not)")  # fmt: skip
    flags.add_replications(cmd, " for --validate and --calibrate")
    add_run_flags(cmd, "for the simulations of --validate and --calibrate")
    cmd.add_argument("--robust", metavar="V1,V2",
                     help="one plan for the base and these variants, comma-separated (default: the base only)")  # fmt: skip
    cmd.add_argument("--risk", choices=RISKS,
                     help=f"the robust objective: {' | '.join(RISKS)} (default: expected)")  # fmt: skip
    cmd.add_argument("--alpha", type=flags.decimal("between 0 and 1"), metavar="A",
                     help="the CVaR level, 0 < A <= 1 (default: 0.2)")  # fmt: skip
    cmd.add_argument("--weights", metavar="W0,W1",
                     help="weights of the futures, base first, comma-separated (default: equal)")  # fmt: skip
    cmd.add_argument("--frontier", choices=FRONTIER_KINDS,
                     help="budget: value as the budget moves; conflict: as the diversion cap moves (default: none)")  # fmt: skip
    cmd.add_argument("--frontier-points", type=flags.whole("of at least 2"), default=11, metavar="N",
                     help="points of the frontier, >= 2 (default: %(default)s)")  # fmt: skip
    flags.add_out(cmd, "runs/optimize")
    add_yes(cmd)
    cmd.set_defaults(run=run_optimize)


def run_optimize(args: argparse.Namespace) -> int:
    if args.time_limit is not None and args.time_limit <= 0:
        raise UsageError(f"--time-limit: must be > 0 seconds (got {args.time_limit:g})")
    check_replications(args)
    where = execution(args)
    sc = load_for_run(args)
    if args.frontier_points < 2:
        raise UsageError(f"--frontier-points: must be >= 2 (got {args.frontier_points})")
    robust = _robust_args(args)
    check_optimize_size(sc, args)
    if args.validate or args.calibrate:  # the simulations of the closed loop
        check_size(sc, args, runs=2 * args.validate + args.calibrate)
    _say_limits(sc, args, robust)
    plan = _plan(sc, args, robust, where)
    with output_set(args.out) as out:  # the files of this run replace the old ones as one set
        paths = _write(sc, plan, args, out.staging)
    print(headline(plan))
    print(f"wrote {', '.join(out.final(paths))}")
    return 0


def _say_limits(sc: Scenario, args: argparse.Namespace, robust: dict[str, Any]) -> None:
    """What the solver is given and how long it may take, on stderr before it starts."""
    limit = args.time_limit or sc.optimize.time_limit_seconds
    futures = f", {1 + len(robust['robust'])} futures" if robust else ""
    print(
        f"optimizing: {len(sc.sources)} sources, {len(sc.partners)} partners, {sc.optimize.periods} "
        f"period(s){futures}; solver {args.solver or sc.optimize.solver}, time limit {limit:g} s a solve",
        file=sys.stderr,
    )


def _plan(sc: Scenario, args: argparse.Namespace, robust: dict[str, Any], where: Execution) -> Plan:
    """The optimal plan, calibrated on and validated by the simulation when asked (on `where`)."""
    from channelsim.experiments.closed_loop import calibrate, validate_plan
    from channelsim.optimize import optimize

    calibration = None
    if args.calibrate:  # measure what each source's leads bring in the simulation of today's plan
        with run_progress(args, "calibrating") as progress:
            calibration = calibrate(sc, args.replications, execution=where, progress=progress)
    plan = optimize(sc, objective=args.objective, solver=args.solver, time_limit=args.time_limit,
                    calibration=calibration, **robust)  # fmt: skip
    if args.validate:  # today's plan and the new one, as one batch of replications
        with run_progress(args, "validating") as progress:
            plan.validated = validate_plan(sc, plan, args.replications, execution=where, progress=progress)
    return plan


def _write(sc: Scenario, plan: Plan, args: argparse.Namespace, folder: str) -> list[str]:
    from channelsim.optimize.frontier import frontier, write_frontier
    from channelsim.optimize.robust import write_regret
    from channelsim.report import write_report

    paths = plan.write(folder, command=["channelsim", *sys.argv[1:]])
    paths += write_regret(plan, folder)
    if args.frontier:  # the optimal value as the limit moves, today's limit among the points
        points, now, _ = frontier(sc, args.frontier, args.frontier_points)
        paths += write_frontier(folder, args.frontier, points, now)
    return paths + write_report(folder)  # the folder reads like simulate's: report.html beside plan.json


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


def headline(plan: Plan) -> str:
    """What a planner reads first: status, value against the baseline, the allocation, what binds."""
    sc, cur = plan.scenario, plan.scenario.currency
    gap = f", gap {plan.mip_gap:.2g}" if plan.mip_gap is not None else ""
    futures = f" for {len(plan.robust['futures'])} futures by {plan.value_label}" if plan.robust else ""
    lines = [f"{sc.name}: {plan.objective} plan{futures}, {plan.solver} {plan.status}{gap}",
             f"  {plan.value_label:<21}{plan.objective_value:>14,.0f}   baseline {plan.baseline_value:,.0f}"
             f"   uplift {plan.uplift:+,.0f}"]  # fmt: skip
    if plan.robust:
        lines += _futures(plan.robust) + _polish(plan.robust.get("polish"), plan.value_label)
    lines += _levers(plan)
    if plan.budget_shadow_price is not None:
        lines.append(
            f"  budget shadow price {plan.budget_shadow_price:.3f} per extra {cur} of marketing budget"
        )
    lines.append(f"  binding: {', '.join(plan.binding) or 'none'}")
    if plan.validated:
        lines += _simulated(plan.validated, cur)
    return "\n".join(lines)


def _polish(polish: dict[str, Any] | None, label: str) -> list[str]:
    """What the polish on the exact curves did to a robust plan (its measure before and after, or why not)."""
    if not polish:
        return []
    if "skipped" in polish:
        return [f"  polish on the exact curves: skipped ({polish['skipped']})"]
    before, after = polish["milp_measure"], polish["measure"]
    if not polish["kept"]:
        return [f"  polish on the exact curves: no better plan found ({label} {before:,.0f} kept)"]
    moved = ", ".join(polish["moved"])
    return [f"  polish on the exact curves: {label} {before:,.0f} → {after:,.0f} ({after - before:+,.0f}), "
            f"{moved} moved in {polish['rounds']} round(s)"]  # fmt: skip


def _futures(robust: dict[str, Any]) -> list[str]:
    """A robust plan's value in each future beside today's, and its regret there (regret.csv has all plans)."""
    regret = {r["future"]: r["regret"] for r in robust["regret"] if r["plan"] == "robust"}
    labels = [
        f"{name} ({weight:.2g})" for name, weight in zip(robust["futures"], robust["weights"], strict=True)
    ]
    width = max(19, *(len(label) + 1 for label in labels))
    lines = [f"  {'in the future (weight)':<{width + 2}}{'plan':>12}   {'today':>10}   {'regret':>10}"]
    for name, label in zip(robust["futures"], labels, strict=True):
        lines.append(f"    {label:<{width}}{robust['values'][name]:>12,.0f}   {robust['baseline_values'][name]:>10,.0f}"
                     f"   {regret.get(name, 0.0):>10,.0f}")  # fmt: skip
    return lines


def _simulated(validated: dict[str, Any], currency: str) -> list[str]:
    """`--validate`'s simulated profit of the baseline and the plan, and the paired uplift."""
    lines = []
    for key in ("baseline", "plan", "uplift"):
        stat = validated[key]["profit"]
        lo, hi = stat["ci95"]
        lines.append(
            f"  simulated {key:<9} profit {stat['mean']:>14,.0f} {currency} 95% CI [{lo:,.0f}, {hi:,.0f}]"
        )
    for key, check in (validated.get("agreement") or {}).items():
        if check.get("agree") is None:
            continue
        verdict = "agree" if check["agree"] else "DISAGREE"
        lines.append(
            f"  forecast vs simulated {key}: {check['forecast']:,.0f} vs {check['simulated']:,.0f} "
            f"({check['gap_share']:+.1%}; {verdict} within {check['tolerance']:,.0f})"
        )
    return lines


def _levers(plan: Plan) -> list[str]:
    """One line per decision: each source's spend, partner's tier, programme and win-back, beside today's."""
    sc, cur = plan.scenario, plan.scenario.currency
    lines = []
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
        today = sc.winback.spend_per_week if sc.winback else 0.0
        lines.append(f"  {'win-back':<22}{plan.winback:>14,.0f} {cur}/week   (today {today:,.0f})")
    return lines + _design(plan)


def _design(plan: Plan) -> list[str]:
    """Each candidate or closable outlet: open or closed, beside today, and what the decision is worth."""
    design = plan.details.get("design")
    if not design:
        return []
    cur, lines = plan.scenario.currency, []
    for outlet, d in design["decisions"].items():
        state, today = ("open" if d["open"] else "closed"), ("open" if d["today"] else "closed")
        worth = f"; worth {d['worth']:+,.0f} {cur} against the plan with it {'closed' if d['open'] else 'open'}" if d["worth"] is not None else ""
        lines.append(f"  {outlet:<22}{state:>14}   (today {today}; channel design{worth})")
    if design["one_off_cost"]:
        lines.append(f"  {'one-off costs':<22}{design['one_off_cost']:>14,.0f} {cur}   (opening and closing, in the value)")
    if not design["search"].startswith("every"):
        lines.append(f"  design: {design['search']}; {design['designs_solved']} designs solved")
    return lines
