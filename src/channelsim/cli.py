"""The `channelsim` command: parses arguments and calls the public API; no logic of its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from channelsim import commands
from channelsim.errors import ChannelsimError

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse, but bad flags exit with code 2 and one line (its default is also 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="channelsim", description=__doc__.split(":")[0])
    parser.add_argument("--version", action="version", version=commands.version_line())
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    validate = sub.add_parser("validate", help="check scenario files and summarise them")
    validate.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    validate.set_defaults(run=commands.validate)

    new = sub.add_parser("new", help="write a commented starter scenario")
    new.add_argument("file", metavar="FILE")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.set_defaults(run=commands.new)

    for extend in commands.EXTRA_COMMANDS:
        extend(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except ChannelsimError as err:
        print(str(err), file=sys.stderr)
        return getattr(err, "exit_code", EXIT_INPUT)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
