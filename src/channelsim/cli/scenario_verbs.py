"""`channelsim validate` and `channelsim new`, and the scenario every other verb starts from."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from typing import TYPE_CHECKING

from channelsim.errors import ScenarioError, UsageError
from channelsim.results_io import write_text_atomic

if TYPE_CHECKING:
    from channelsim.scenario.schema import Scenario


def add_validate(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("validate", help="check scenario files and summarise them",
                         description="Check each scenario file and its variants: a one-screen summary and the "
                         "warnings a planner needs, or every problem as FILE:LINE:COL.",
                         epilog="example: channelsim validate scenarios/*.yaml")  # fmt: skip
    cmd.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="one or more scenario files (YAML)")
    cmd.set_defaults(run=run_validate)


def add_new(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("new", help="write a commented starter scenario",
                         epilog="example: channelsim new my.yaml && channelsim validate my.yaml")  # fmt: skip
    cmd.add_argument("file", metavar="FILE", help="where to write it, e.g. my.yaml")
    cmd.add_argument("--force", action="store_true", help="overwrite an existing file (default: refuse)")
    cmd.set_defaults(run=run_new)


def run_validate(args: argparse.Namespace) -> int:
    """Validate each file and each of its variants; print a summary or every problem."""
    from channelsim.scenario import load
    from channelsim.scenario.advice import scenario_warnings

    failed = False
    for path in args.scenarios:
        try:
            scenario = load(path)
            for name in scenario.variants:
                scenario.variant(name)
        except (ScenarioError, UsageError) as err:
            print(str(err), file=sys.stderr)
            failed = True
            continue
        print(describe(scenario))
        for warning in scenario_warnings(scenario):  # valid, but perhaps not what the author meant
            print(f"warning: {scenario.file}: {warning}", file=sys.stderr)
    return 2 if failed else 0


def run_new(args: argparse.Namespace) -> int:
    """Write the commented starter scenario to FILE."""
    if os.path.exists(args.file) and not args.force:
        raise UsageError(f"{args.file}: already exists (use --force to overwrite)")
    if os.path.isdir(args.file):
        raise UsageError(
            f"{args.file}: is a folder; give a file name such as {args.file.rstrip('/')}/my.yaml"
        )
    text = resources.files("channelsim").joinpath("templates/starter.yaml").read_text("utf-8")
    try:
        write_text_atomic(args.file, text)
    except (OSError, ValueError) as err:  # a read-only folder, a file in the way, a NUL in the name
        raise UsageError(f"{args.file}: cannot write it ({getattr(err, 'strerror', None) or err})") from None
    print(f"wrote {args.file} — next: channelsim validate {args.file}")
    return 0


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


def load_for_run(args: argparse.Namespace) -> Scenario:
    """The scenario named on the command line, with its `--variant` and `--weeks` applied."""
    from channelsim.scenario import load

    scenario = load(args.scenario)
    if getattr(args, "variant", None):
        scenario = scenario.variant(args.variant)
    if getattr(args, "weeks", None) is not None:
        if not 1 <= args.weeks <= 520:
            raise UsageError(f"--weeks: must be between 1 and 520 (got {args.weeks})")
        scenario = scenario.with_overrides({"horizon_weeks": args.weeks})
    return scenario


def check_replications(args: argparse.Namespace) -> None:
    """The run's flags in range and its --out writable, before any work (cli.guards)."""
    from channelsim.cli.guards import check_run_flags

    check_run_flags(args)
