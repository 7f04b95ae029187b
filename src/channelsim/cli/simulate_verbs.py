"""`channelsim simulate`: simulate the baseline (or a plan) and write summary.json, kpis.csv, manifest.json."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from channelsim.cli import flags
from channelsim.cli.guards import add_yes, check_size
from channelsim.cli.run_flags import add_run_flags, execution, run_progress
from channelsim.cli.scenario_verbs import check_replications, load_for_run
from channelsim.results_io import output_set

if TYPE_CHECKING:
    from channelsim.results import SimResult
    from channelsim.runner import Execution
    from channelsim.scenario.schema import Scenario


def add_simulate(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("simulate", help="run the agent-based simulation and write summary.json, kpis.csv",
                         description="Simulate the scenario (or a variant, beside its base with the same seeds, "
                         "or a plan) and print the headline: totals, what moved, alerts, warnings.",
                         epilog="example: channelsim simulate scenarios/industrial_distributors.yaml --variant no_enforcement\n"
                         "           --out runs/ne")  # fmt: skip
    flags.add_scenario(cmd)
    flags.add_variant(cmd, "simulate this variant, and the base with the same seeds to show what it changed")
    cmd.add_argument("--plan", metavar="PLAN.json",
                     help="simulate this allocation (a plan.json of `channelsim optimize`) instead of today's, "
                     "and today's with the same seeds to show what it changed (default: today's, as written)")  # fmt: skip
    flags.add_replications(cmd)
    flags.add_seed(cmd)
    flags.add_weeks(cmd)
    add_run_flags(cmd)
    flags.add_out(cmd, "runs/latest")
    flags.add_no_report(cmd)
    add_yes(cmd)
    cmd.set_defaults(run=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    """Simulate the baseline (or a plan) and write the SPEC §4 files; a variant beside its base."""
    from channelsim.experiments.checks import run_warnings
    from channelsim.experiments.findings import findings, write_findings
    from channelsim.experiments.text import findings_text, warnings_text

    scenario = load_for_run(args)
    check_replications(args)
    where = execution(args)
    check_size(scenario, args, runs=2 if args.variant or args.plan else 1)
    if args.plan:  # a plan that cannot be read is refused before anything is simulated
        from channelsim.sim.policy import load_plan

        load_plan(scenario, args.plan)
    runs = {}
    # beside the base with the same seeds, what a variant or a plan changed is a paired difference
    if args.variant:
        runs["base"] = _simulate(
            load_for_run(argparse.Namespace(**{**vars(args), "variant": None})), args, "base", where, args.plan
        )
    elif args.plan:
        runs["base"] = _simulate(scenario, args, "today's allocation", where, None)
    name = args.variant or ("plan" if args.plan else "base")
    label = name if args.variant or args.plan else ""
    result = runs[name] = _simulate(scenario, args, label, where, args.plan)
    found = findings(runs, run_warnings(result))
    with output_set(args.out) as out:  # the files of this run replace the old ones as one set
        paths = result.write(out.staging, command=["channelsim", *sys.argv[1:]])
        paths.append(write_findings(out.staging, found))
        if not args.no_report:
            from channelsim.report import write_report

            paths += write_report(out.staging)
    print(headline(result))
    extra = findings_text(found, scenario.currency, name)
    if extra:
        print(extra)
    if found["warnings"]:
        print(warnings_text(found["warnings"]), file=sys.stderr)
    print(f"wrote {', '.join(out.final(paths))}")
    return 0


def _simulate(scenario: Scenario, args: argparse.Namespace, label: str, where: Execution,
              plan: str | None) -> SimResult:  # fmt: skip
    from channelsim.runner import simulate

    with run_progress(args, f"simulating {label}".strip()) as progress:
        return simulate(scenario, replications=args.replications, seed=args.seed, plan=plan,
                        progress=progress, execution=where)  # fmt: skip


#: what `simulate` prints, in this order: the catalogue's names; the open market's only where the scenario has it
SIMULATE_HEADLINE = ("profit", "contribution", "revenue", "orders", "market_share", "rival_orders",
                     "new_customers", "partner_leads", "partner_new_customers", "active_customers_end")  # fmt: skip


def headline(result: SimResult) -> str:
    """A few lines a person reads first: mean and 95% interval across replications."""
    from channelsim.kpi_catalogue import headline_for, per_replication
    from channelsim.stats import describe

    cur = result.scenario.currency
    shown = {k.name: k for k in headline_for([result.scenario])}
    label = result.scenario.name + (
        f" [{result.scenario.variant_name}]" if result.scenario.variant_name else ""
    )
    lines = [f"{label}: {result.replications} replication(s), {result.scenario.horizon_weeks} weeks"]
    for name in SIMULATE_HEADLINE:
        if name not in shown:
            continue
        kpi = shown[name]
        stat = describe(per_replication(result, kpi))
        lo, hi = stat["ci95"]
        lines.append(f"  {name:<22}" + _figure(stat["mean"], lo, hi, kpi.unit, cur, result.replications))
    return "\n".join(lines)


def _figure(mean: float | None, lo: float | None, hi: float | None, unit: str, currency: str,
            replications: int = 2) -> str:  # fmt: skip
    if mean is None or lo is None or hi is None:  # no replication had a value (a share of no orders)
        return f"{'—':>14}"
    one = "no interval from one replication"  # a zero-width "95% CI" would claim a certainty it has not
    if unit == "share":
        return f"{100 * mean:>13.1f}% {'':<4} " + (
            one if replications < 2 else f"95% CI [{100 * lo:.1f}%, {100 * hi:.1f}%]"
        )
    shown = currency if unit == "money" else ""
    return f"{mean:>14,.0f} {shown:<4} " + (one if replications < 2 else f"95% CI [{lo:,.0f}, {hi:,.0f}]")
