"""`channelsim simulate`: simulate the baseline (or a plan) and write summary.json, kpis.csv, manifest.json."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from channelsim.cli.guards import add_yes, check_size
from channelsim.cli.run_flags import add_run_flags, execution, run_progress
from channelsim.cli.scenario_verbs import check_replications, load_for_run
from channelsim.results_io import output_set

if TYPE_CHECKING:
    from channelsim.results import SimResult


def add_simulate(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("simulate", help="run the agent-based simulation and write summary.json, kpis.csv")
    cmd.add_argument("scenario", metavar="SCENARIO")
    cmd.add_argument("--variant", metavar="V")
    cmd.add_argument("--plan", metavar="PLAN.json", help="simulate this allocation instead of the baseline")
    cmd.add_argument("--replications", type=int, metavar="N")
    cmd.add_argument("--seed", type=int, metavar="S")
    cmd.add_argument("--weeks", type=int, metavar="H")
    add_run_flags(cmd)
    cmd.add_argument("--out", default="runs/latest", metavar="DIR")
    cmd.add_argument("--no-report", action="store_true", help="skip report.html and the PNGs")
    add_yes(cmd)
    cmd.set_defaults(run=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    """Simulate the baseline (or a plan) and write the SPEC §4 files."""
    from channelsim.runner import simulate

    scenario = load_for_run(args)
    check_replications(args)
    where = execution(args)
    check_size(scenario, args)
    with run_progress(args, "simulating") as progress:
        result = simulate(scenario, replications=args.replications, seed=args.seed, plan=args.plan,
                          progress=progress, execution=where)  # fmt: skip
    with output_set(args.out) as out:  # the files of this run replace the old ones as one set
        paths = result.write(out.staging, command=["channelsim", *sys.argv[1:]])
        if not args.no_report:
            from channelsim.report import write_report

            paths += write_report(out.staging)
    print(headline(result))
    print(f"wrote {', '.join(out.final(paths))}")
    return 0


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
        lines.append(f"  {name:<22}" + _figure(stat["mean"], lo, hi, kpi.unit, cur))
    return "\n".join(lines)


def _figure(mean: float | None, lo: float | None, hi: float | None, unit: str, currency: str) -> str:
    if mean is None or lo is None or hi is None:  # no replication had a value (a share of no orders)
        return f"{'—':>14}"
    if unit == "share":
        return f"{100 * mean:>13.1f}% {'':<4} 95% CI [{100 * lo:.1f}%, {100 * hi:.1f}%]"
    shown = currency if unit == "money" else ""
    return f"{mean:>14,.0f} {shown:<4} 95% CI [{lo:,.0f}, {hi:,.0f}]"
