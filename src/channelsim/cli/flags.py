"""The flags several verbs share, each with a help line that says its default and what it accepts.

A number that does not parse is refused by argparse with the accepted values in the message
(`--replications: expected a whole number 1..100000 (got 'x')`); ranges are checked once
the flags are parsed (`cli.guards`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from channelsim._types import MAX_SEED
from channelsim.choices import OBJECTIVES, SOLVERS


def whole(accepted: str) -> Callable[[str], int]:
    """An argparse type: a whole number, refused with `accepted` in the message."""

    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number {accepted} (got {text!r})") from None

    return parse


def decimal(accepted: str) -> Callable[[str], float]:
    """An argparse type: a number, refused with `accepted` in the message."""

    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number {accepted} (got {text!r})") from None

    return parse


def add_scenario(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "scenario", metavar="SCENARIO", help="the scenario file (YAML), e.g. scenarios/workshop_intro.yaml"
    )


def add_variant(cmd: argparse.ArgumentParser, what: str = "run this variant of the scenario") -> None:
    cmd.add_argument("--variant", metavar="V", help=f"{what} (default: none, the scenario as written; "
                     "`channelsim validate SCENARIO` lists its variants)")  # fmt: skip


def add_replications(cmd: argparse.ArgumentParser, what: str = "") -> None:
    cmd.add_argument("--replications", type=whole("1..100000"), metavar="N",
                     help=f"independent replications{what}, 1..100000 (default: the scenario's `replications`, "
                     "else 1); two or more give 95%% intervals")  # fmt: skip


def add_seed(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--seed", type=whole(f"0..{MAX_SEED}"), metavar="S",
                     help=f"random seed, 0..{MAX_SEED} (default: the scenario's `seed`, else 0); the same seed gives "
                     "the same results")  # fmt: skip


def add_weeks(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--weeks", type=whole("1..520"), metavar="H",
                     help="simulate H weeks, 1..520 (default: the scenario's `horizon_weeks`)")  # fmt: skip


def add_out(cmd: argparse.ArgumentParser, default: str) -> None:
    cmd.add_argument("--out", default=default, metavar="DIR",
                     help="the results folder; its old files are replaced as one set (default: %(default)s)")  # fmt: skip


def add_no_report(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--no-report", action="store_true",
                     help="skip report.html and the PNGs (default: write them; `channelsim report DIR` later)")  # fmt: skip


def add_objective(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--objective", choices=OBJECTIVES,
                     help=f"{' | '.join(OBJECTIVES)} (default: the scenario's optimize.objective, else profit)")  # fmt: skip


def add_solver(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--solver", choices=SOLVERS,
                     help=f"{' | '.join(SOLVERS)} (default: the scenario's optimize.solver, else cbc)")  # fmt: skip
