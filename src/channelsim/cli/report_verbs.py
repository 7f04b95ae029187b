"""`channelsim report DIR`: rebuild report.html and its PNGs from a results folder."""

from __future__ import annotations

import argparse

from channelsim.results_io import output_set


def add_report(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("report", help="rebuild report.html and the PNGs from a results folder",
                         epilog="example: channelsim report runs/latest")  # fmt: skip
    cmd.add_argument("folder", metavar="DIR",
                     help="a results folder of simulate, compare, sweep or optimize (their --out)")  # fmt: skip
    cmd.set_defaults(run=run_report)


def run_report(args: argparse.Namespace) -> int:
    from channelsim.report import write_report
    from channelsim.report.inputs import check_folder

    check_folder(args.folder)  # its own name in the message, not the staging copy's
    with output_set(args.folder, keep=True) as out:  # the results stay, the report is replaced
        paths = write_report(out.staging)
    print(f"wrote {', '.join(out.final(paths))}")
    return 0
