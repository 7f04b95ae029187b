"""What each CLI sub-command does, as functions of parsed arguments (thin: calls the API)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib import resources

import channelsim
from channelsim.errors import ScenarioError, UsageError
from channelsim.scenario.model import Scenario

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


def new(args: argparse.Namespace) -> int:
    """Write the commented starter scenario to FILE."""
    if os.path.exists(args.file) and not args.force:
        raise UsageError(f"{args.file}: already exists (use --force to overwrite)")
    text = resources.files("channelsim").joinpath("templates/starter.yaml").read_text("utf-8")
    from channelsim.results_io import write_text_atomic

    write_text_atomic(args.file, text)
    print(f"wrote {args.file} — next: channelsim validate {args.file}")
    return 0
