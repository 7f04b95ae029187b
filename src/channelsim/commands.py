"""What each CLI sub-command does, as functions of parsed arguments (thin: calls the API)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib import resources

import channelsim
from channelsim.errors import ScenarioError, UsageError
from channelsim.results_io import output_set
from channelsim.scenario.schema import Scenario

#: Sub-commands other modules add (simulate, optimize, ...): functions that take the subparsers.
EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def version_line() -> str:
    return f"channelsim {channelsim.__version__}"


def describe(scenario: Scenario) -> str:
    """A one-screen summary of a valid scenario."""
    population = sum(s.population for s in scenario.segments)
    spend = sum(s.spend_per_week for s in scenario.sources)
    budget = scenario.budget.marketing_per_week
    direct = sum(c.type == "direct" for c in scenario.channels)
    lines = [
        f"{scenario.file}: OK — {scenario.name}",
        f"  horizon {scenario.horizon_weeks} weeks, {scenario.replications} replication(s), seed {scenario.seed}",
        f"  regions     {len(scenario.regions)}: {', '.join(scenario.regions)}",
        f"  segments    {len(scenario.segments)}, population {population:,}",
        f"  sources     {len(scenario.sources)}, spend {spend:,.0f} {scenario.currency}/week",
        f"  channels    {len(scenario.channels)} ({direct} direct, {len(scenario.channels) - direct} indirect)",
        f"  partners    {len(scenario.partners)}, incentive programmes {len(scenario.incentives)}",
        "  budget      "
        + (f"{budget:,.0f} {scenario.currency}/week marketing" if budget is not None else "not set"),
        f"  variants    {len(scenario.variants)}"
        + (f": {', '.join(scenario.variants)}" if scenario.variants else ""),
    ]
    return "\n".join(lines)


def validate(args: argparse.Namespace) -> int:
    """Validate each file and each of its variants; print a summary or every problem."""
    failed = False
    for path in args.scenarios:
        try:
            scenario = channelsim.load(path)
            for name in scenario.variants:
                scenario.variant(name)
        except (ScenarioError, UsageError) as err:
            print(str(err), file=sys.stderr)
            failed = True
            continue
        print(describe(scenario))
    return 2 if failed else 0


def load_for_run(args: argparse.Namespace) -> Scenario:
    """The scenario named on the command line, with its variant and `--weeks` applied."""
    scenario = channelsim.load(args.scenario)
    if getattr(args, "variant", None):
        scenario = scenario.variant(args.variant)
    if getattr(args, "weeks", None) is not None:
        if not 1 <= args.weeks <= 520:
            raise UsageError(f"--weeks: must be between 1 and 520 (got {args.weeks})")
        scenario = scenario.with_overrides({"horizon_weeks": args.weeks})
    return scenario


def simulate(args: argparse.Namespace) -> int:
    """Simulate the baseline (or a plan) and write the SPEC §4 files."""
    from channelsim.runner import terminal_progress

    scenario = load_for_run(args)
    if args.replications is not None and args.replications < 1:
        raise UsageError(f"--replications: must be >= 1 (got {args.replications})")
    if args.jobs < 1:
        raise UsageError(f"--jobs: must be >= 1 (got {args.jobs})")
    result = channelsim.simulate(
        scenario, replications=args.replications, seed=args.seed, plan=args.plan, jobs=args.jobs,
        progress=terminal_progress("simulating"),
    )  # fmt: skip
    with output_set(args.out) as out:  # the files of this run replace the old ones as one set
        paths = result.write(out.staging, command=["channelsim", *sys.argv[1:]])
        if not args.no_report:
            from channelsim.report import write_report

            paths += write_report(out.staging)
    print(headline(result))
    print(f"wrote {', '.join(out.final(paths))}")
    return 0


def headline(result: channelsim.SimResult) -> str:
    """A few lines a person reads first."""
    cur = result.scenario.currency
    rows = [("profit", cur), ("contribution", cur), ("revenue", cur), ("orders", ""), ("new_customers", ""),
            ("active_customers_end", "")]  # fmt: skip
    label = result.scenario.name + (
        f" [{result.scenario.variant_name}]" if result.scenario.variant_name else ""
    )
    lines = [f"{label}: {result.replications} replication(s), {result.scenario.horizon_weeks} weeks"]
    for key, unit in rows:
        stat = result.figure("totals", key)
        lo, hi = stat["ci95"]
        lines.append(f"  {key:<22}{stat['mean']:>14,.0f} {unit:<4} 95% CI [{lo:,.0f}, {hi:,.0f}]")
    return "\n".join(lines)


def add_simulate(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("simulate", help="run the agent-based simulation and write summary.json, kpis.csv")
    cmd.add_argument("scenario", metavar="SCENARIO")
    cmd.add_argument("--variant", metavar="V")
    cmd.add_argument("--plan", metavar="PLAN.json", help="simulate this allocation instead of the baseline")
    cmd.add_argument("--replications", type=int, metavar="N")
    cmd.add_argument("--seed", type=int, metavar="S")
    cmd.add_argument("--weeks", type=int, metavar="H")
    cmd.add_argument(
        "--jobs", type=int, default=1, metavar="J", help="worker processes (results do not depend on it)"
    )
    cmd.add_argument("--out", default="runs/latest", metavar="DIR")
    cmd.add_argument("--no-report", action="store_true", help="skip report.html and the PNGs")
    cmd.set_defaults(run=simulate)


EXTRA_COMMANDS.append(add_simulate)


def _add_workbench(sub: argparse._SubParsersAction) -> None:
    from channelsim.experiments.commands import add_compare, add_sweep
    from channelsim.report.command import add_report

    for add in (add_compare, add_sweep, add_report):
        add(sub)


EXTRA_COMMANDS.append(_add_workbench)


def new(args: argparse.Namespace) -> int:
    """Write the commented starter scenario to FILE."""
    if os.path.exists(args.file) and not args.force:
        raise UsageError(f"{args.file}: already exists (use --force to overwrite)")
    text = resources.files("channelsim").joinpath("templates/starter.yaml").read_text("utf-8")
    from channelsim.results_io import write_text_atomic

    write_text_atomic(args.file, text)
    print(f"wrote {args.file} — next: channelsim validate {args.file}")
    return 0


import channelsim.report  # noqa: E402  (the optimize command writes report.html)
from channelsim.optimize.command import optimize_command  # noqa: E402  (registers `optimize`)

EXTRA_COMMANDS.append(optimize_command(channelsim.simulate, channelsim.report.write_report))


def _add_app(sub: argparse._SubParsersAction) -> None:
    from channelsim.app.command import add_app  # the web app loads only when asked for

    add_app(sub)


EXTRA_COMMANDS.append(_add_app)
