"""Checks every run makes before any work starts: flag ranges, the output folder, the size.

A mistake on the command line should cost nothing: a negative seed, an `--out` that is a
file or read-only, a run of hours, more processes than cores are all found here, in one
line each, before a replication is simulated.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from channelsim._types import MAX_SEED
from channelsim.errors import UsageError
from channelsim.results_io import check_output_folder

if TYPE_CHECKING:
    from channelsim.scenario.schema import Scenario

#: The most replications a command accepts (as a scenario's `replications`).
MAX_REPLICATIONS = 100_000
#: The largest plan `optimize` makes without --yes: sources × periods. Its time grows with them
#: (1,000 sources: 14 s to optimize, then 6.5 minutes and 3 GB for the report's charts).
MAX_SPEND_DECISIONS = 200


def add_yes(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--yes", action="store_true",
                     help="run even when the size estimate is above the limit (default: refuse, with the estimate)")  # fmt: skip


def check_run_flags(args: argparse.Namespace) -> None:
    """--replications, --seed and --jobs in range (--jobs capped at the cores), --out writable."""
    replications = getattr(args, "replications", None)
    if replications is not None and not 1 <= replications <= MAX_REPLICATIONS:
        raise UsageError(f"--replications: must be between 1 and {MAX_REPLICATIONS} (got {replications})")
    seed = getattr(args, "seed", None)
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise UsageError(f"--seed: must be between 0 and {MAX_SEED} (got {seed})")
    cap_jobs(args)
    if getattr(args, "out", None) is not None:
        check_output_folder(args.out)


def cap_jobs(args: argparse.Namespace) -> None:
    """More worker processes than cores only cost memory: use the cores, and say so."""
    jobs = getattr(args, "jobs", None)
    if jobs is None:
        return
    if jobs < 1:
        raise UsageError(f"--jobs: must be >= 1 (got {jobs})")
    from channelsim.runner import cores

    if jobs > cores() and getattr(args, "scheduler", None) is None:
        print(f"--jobs {jobs}: this computer has {cores()} core(s); using {cores()}", file=sys.stderr)
        args.jobs = cores()


def check_size(scenario: Scenario, args: argparse.Namespace, runs: int = 1) -> None:
    """Refuse a run above the documented size (channelsim.scenario.size) unless --yes."""
    from channelsim.scenario.size import estimate, refusal

    work = estimate(scenario, getattr(args, "replications", None), runs)
    jobs = getattr(args, "jobs", 1) or 1
    parallel = min(jobs, work.replications * work.runs) if getattr(args, "scheduler", None) is None else 1
    reason = refusal(work, parallel, bool(getattr(args, "yes", False)))
    if reason:
        raise UsageError(f"{scenario.file}: {reason}")


def check_optimize_size(scenario: Scenario, args: argparse.Namespace) -> None:
    """Refuse a plan of more than MAX_SPEND_DECISIONS spends (sources × periods) unless --yes."""
    decisions = len(scenario.sources) * scenario.optimize.periods
    if decisions > MAX_SPEND_DECISIONS and not getattr(args, "yes", False):
        raise UsageError(
            f"{scenario.file}: a plan of {decisions:,} spends ({len(scenario.sources):,} sources × "
            f"{scenario.optimize.periods} period(s)) is above the {MAX_SPEND_DECISIONS} optimize makes "
            "without --yes (about 0.4 s a source for the report alone); add --yes to run it anyway"
        )
