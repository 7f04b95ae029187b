"""`channelsim report DIR`: rebuild report.html and its PNGs from a results folder."""

from __future__ import annotations

import argparse

from channelsim.report import write_report


def run_report(args: argparse.Namespace) -> int:
    paths = write_report(args.folder)
    print(f"wrote {', '.join(paths)}")
    return 0


def add_report(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("report", help="rebuild report.html and the PNGs from a results folder")
    cmd.add_argument("folder", metavar="DIR")
    cmd.set_defaults(run=run_report)
