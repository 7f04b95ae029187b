"""The `channelsim` command: parses arguments and calls the library; no logic of its own.

Every sub-command is listed once, in `VERBS`; each verb group's module adds its parsers and
holds the functions that run them. The modules import the engines inside those functions, so
`channelsim --help` and `channelsim validate` start without loading pandas, SciPy or PuLP.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from channelsim import __version__
from channelsim.cli import (
    app_verbs,
    fit_verbs,
    optimize_verbs,
    replan_verbs,
    report_verbs,
    scenario_verbs,
    simulate_verbs,
    workbench_verbs,
)
from channelsim.errors import ChannelsimError, printable

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3

#: every sub-command, in the order `channelsim --help` lists them
VERBS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    scenario_verbs.add_validate,
    scenario_verbs.add_new,
    simulate_verbs.add_simulate,
    workbench_verbs.add_compare,
    workbench_verbs.add_sweep,
    report_verbs.add_report,
    optimize_verbs.add_optimize,
    replan_verbs.add_replan,
    fit_verbs.add_fit,
    fit_verbs.add_import_curves,
    app_verbs.add_app,
)


class _Formatter(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal; examples (an epilog starting "example") kept line by line;
    room for the longest verb (import-curves) beside its one line."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        kwargs.setdefault("max_help_position", 30)
        super().__init__(prog, **kwargs)
        self._action_max_length = 20  # the verbs' column: "    import-curves" and a space

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("example"):
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """argparse, but bad flags exit with code 2 and one line (its default is also 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        if message.startswith("unrecognized arguments") or message.startswith("the following arguments"):
            message += f" (`{self.prog} --help` lists what it accepts)"
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


DESCRIPTION = "Channel strategy as code: simulate, compare, optimize and report a scenario of sales channels."
EPILOG = """examples:
  channelsim new my.yaml                                    a commented starter scenario
  channelsim validate scenarios/workshop_intro.yaml         its summary and warnings
  channelsim simulate scenarios/workshop_intro.yaml --variant lose_south --out runs/south
  channelsim compare scenarios/workshop_intro.yaml --replications 10
  channelsim optimize scenarios/workshop_intro.yaml --validate
  channelsim app scenarios/workshop_intro.yaml --open

`channelsim COMMAND --help` lists a command's flags, each with its default."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="channelsim", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"channelsim {__version__}",
                        help="print the version and exit")  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, title="commands",
                                metavar="COMMAND")  # fmt: skip
    for add in VERBS:
        add(sub)
    return parser


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that worker processes and staging folders are cleaned up."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    previous = _catch_sigterm()
    try:
        return run(args)
    except ChannelsimError as err:
        print("\n".join(printable(line) for line in str(err).split("\n")), file=sys.stderr)
        return getattr(err, "exit_code", EXIT_INPUT)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except MemoryError:
        print("out of memory: the run needs more memory than this computer has "
              "(fewer customers, replications or --jobs)", file=sys.stderr)  # fmt: skip
        return EXIT_BUG
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _catch_sigterm() -> Any:
    """Turn SIGTERM into `Terminated` (from the main thread only; the workshop app runs in one too)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm)


__all__ = ["VERBS", "build_parser", "main"]
