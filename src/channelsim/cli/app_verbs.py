"""`channelsim app SCENARIO [--port P]`: start the workshop web app on 127.0.0.1."""

from __future__ import annotations

import argparse

from channelsim.cli import flags
from channelsim.errors import UsageError


def add_app(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("app", help="the workshop web app: sliders, simulate, optimize, save",
                         epilog="example: channelsim app scenarios/workshop_intro.yaml --open")  # fmt: skip
    flags.add_scenario(cmd)
    cmd.add_argument("--port", type=flags.whole("0..65535"), default=8765, metavar="P",
                     help="port on 127.0.0.1, 0..65535; 0: any free one (default: %(default)s)")  # fmt: skip
    flags.add_variant(cmd, "start from this variant")
    cmd.add_argument(
        "--save-to", metavar="FILE", help="where saved variants go (default: SCENARIO_workshop.yaml)"
    )
    cmd.add_argument(
        "--open", action="store_true", help="open the page in the default browser (default: do not)"
    )
    cmd.set_defaults(run=run_app)


def run_app(args: argparse.Namespace) -> int:
    import webbrowser

    from channelsim.app import make_server

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: must be between 0 and 65535 (got {args.port})")
    try:
        server = make_server(args.scenario, args.port, args.variant, args.save_to)
    except OSError as err:  # port taken, no permission: say so, no traceback
        raise UsageError(f"--port {args.port}: cannot listen on 127.0.0.1 ({err.strerror})") from None
    print(f"channelsim app: {server.workbench.scenario.name}")
    print(f"  open {server.url} in a browser (this computer only); Ctrl+C stops")
    print(f"  saved variants go to {server.workbench.save_to}", flush=True)
    if args.open:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0
