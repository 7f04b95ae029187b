"""Where a run's replications run and what it says meanwhile: --jobs, --executor, --scheduler, --quiet.

`simulate`, `compare`, `sweep` and `optimize` (for `--validate`/`--calibrate`) share these
flags and one runner, so a run goes to a local pool or a dask cluster the same way in each.
"""

from __future__ import annotations

import argparse
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from channelsim.choices import EXECUTORS
from channelsim.cli.flags import whole

if TYPE_CHECKING:
    from channelsim.progress import RunProgress
    from channelsim.runner import Execution


def add_run_flags(cmd: argparse.ArgumentParser, what: str = "results do not depend on it") -> None:
    """--jobs, --executor, --scheduler and --quiet, with their defaults in the help."""
    cmd.add_argument("--jobs", type=whole("of at least 1"), default=1, metavar="J",
                     help=f"worker processes, at most the cores (default: %(default)s; {what})")  # fmt: skip
    cmd.add_argument(
        "--executor", default="local", choices=EXECUTORS,
        help=f"{' or '.join(EXECUTORS)}: local processes or a dask cluster; the results are the same (default: %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="with --executor dask: the scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster of J workers)",
    )  # fmt: skip
    cmd.add_argument(
        "--quiet",
        action="store_true",
        help="no progress on stderr (by default: a bar on a terminal, lines when piped)",
    )


def execution(args: argparse.Namespace) -> Execution:
    """The flags' Execution, checked (an unknown executor, --jobs 0, --scheduler without dask)."""
    from channelsim.runner import Execution

    return Execution(args.executor, args.jobs, args.scheduler).check()


def run_progress(args: argparse.Namespace, label: str) -> AbstractContextManager[RunProgress | None]:
    """Progress on stderr for the replications of one step (`label`), or none with --quiet."""
    if args.quiet:
        return nullcontext(None)
    from channelsim.progress import RunProgress

    return RunProgress(label)
