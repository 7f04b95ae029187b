"""`channelsim fit` and `channelsim import-curves`: curves from history, or from another tool's fit, into FITTED.yaml."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, TextIO

from channelsim._types import MAX_SEED
from channelsim.cli import flags
from channelsim.errors import UsageError

if TYPE_CHECKING:
    from channelsim.fit.run_fit import Fitted

#: the most draws a FITTED.yaml gets (each is one future of a robust plan)
MAX_DRAWS = 500
TOOLS = ("pymc-marketing", "meridian", "robyn")


def add_fit(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "fit", help="fit each source's response curve and adstock from a weekly history",
        epilog="example: channelsim fit scenarios/coffee_chain_history.csv --scenario scenarios/coffee_chain.yaml "
        "--out runs/fitted.yaml --draws 20",
    )  # fmt: skip
    cmd.add_argument(
        "history", metavar="HISTORY.csv", help="a tidy CSV with the columns week, source, spend, leads"
    )
    cmd.add_argument("--scenario", required=True, metavar="SCENARIO",
                     help="the scenario whose sources the history is of (required; no default)")  # fmt: skip
    cmd.add_argument("--out", required=True, metavar="FITTED.yaml", help="the scenario with the fitted curves; "
                     "fit.html is written beside it (required; no default)")  # fmt: skip
    cmd.add_argument("--draws", type=flags.whole(f"0..{MAX_DRAWS}"), default=0, metavar="N",
                     help="add N variants fit_draw_01… drawn from the fit's uncertainty, for optimize --robust "
                     "(default: %(default)s, none)")  # fmt: skip
    cmd.add_argument("--bootstrap", type=flags.whole("of at least 1"), default=200, metavar="B",
                     help="bootstrap refits per source (default: %(default)s)")  # fmt: skip
    cmd.add_argument("--seed", type=flags.whole(f"0..{MAX_SEED}"), metavar="S",
                     help="the bootstrap's seed (default: the scenario's seed)")  # fmt: skip
    cmd.add_argument("--plans", type=flags.whole("of at least 0"), default=10, metavar="K",
                     help="with --draws: optimize the plan of the first K draws to show how it moves "
                     "(default: %(default)s; 0: skip)")  # fmt: skip
    cmd.add_argument("--quiet", action="store_true",
                     help="no progress on stderr (by default: a line a source fitted, and one before the plans)")  # fmt: skip
    cmd.set_defaults(run=run_fit)


def add_import_curves(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "import-curves", help="map curves fitted by PyMC-Marketing, Meridian or Robyn into a scenario",
        epilog="example: channelsim import-curves params.csv --from pymc-marketing --scenario S.yaml --out fitted.yaml",
    )  # fmt: skip
    cmd.add_argument("params", metavar="PARAMS", help="CSV: one row per channel (or per channel and draw)")
    cmd.add_argument("--from", dest="tool", required=True, choices=TOOLS,
                     help=f"the tool that fitted them: {' | '.join(TOOLS)} (required; no default)")  # fmt: skip
    cmd.add_argument("--scenario", required=True, metavar="SCENARIO",
                     help="the scenario whose sources the channels are (required; no default)")  # fmt: skip
    cmd.add_argument("--out", required=True, metavar="FITTED.yaml",
                     help="the scenario with the imported curves (required; no default)")  # fmt: skip
    cmd.add_argument("--leads-per-outcome", type=flags.decimal("above 0"), default=1.0, metavar="F",
                     help="leads per unit of the tool's outcome (default: %(default)s, the tool modelled leads)")  # fmt: skip
    cmd.add_argument("--draws", type=flags.whole(f"0..{MAX_DRAWS}"), default=0, metavar="N",
                     help="with a table of draws: add N of them as variants (default: %(default)s, none)")  # fmt: skip
    cmd.set_defaults(run=run_import_curves)


def _check_out(out: str) -> None:
    if os.path.isdir(out):
        raise UsageError(
            f"--out {out}: is a folder; give the file to write, such as {out.rstrip('/')}/fitted.yaml"
        )
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise UsageError(f"--out {out}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"--out {out}: the folder {folder} is not writable")


def _check_counts(args: argparse.Namespace) -> None:
    if not 0 <= args.draws <= MAX_DRAWS:
        raise UsageError(f"--draws: must be between 0 and {MAX_DRAWS} (got {args.draws})")
    if getattr(args, "bootstrap", 20) < 20 or getattr(args, "bootstrap", 20) > 10_000:
        raise UsageError(f"--bootstrap: must be between 20 and 10000 (got {args.bootstrap})")
    seed = getattr(args, "seed", None)
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise UsageError(f"--seed: must be between 0 and {MAX_SEED} (got {seed})")
    if getattr(args, "plans", 0) < 0:
        raise UsageError(f"--plans: must be >= 0 (got {args.plans})")


def run_fit(args: argparse.Namespace) -> int:
    from channelsim.fit.fit_page import write_page
    from channelsim.fit.plan_spread import plan_spread
    from channelsim.fit.run_fit import fit_history, write
    from channelsim.scenario import load

    _check_counts(args)
    _check_out(args.out)
    scenario = load(args.scenario)
    seed = scenario.seed if args.seed is None else args.seed
    tell = None if args.quiet else FitProgress(args.history, max(args.bootstrap, args.draws))
    fitted = fit_history(scenario, args.history, replicates=args.bootstrap, draws=args.draws, seed=seed,
                         progress=tell)  # fmt: skip
    write(fitted, args.out)
    plans = min(args.plans, args.draws)
    if tell and plans:
        tell.line(f"optimizing the plans of the point fit and {plans} draw(s)")
    spread = plan_spread(args.out, plans) if plans else None
    page = os.path.join(os.path.dirname(os.path.abspath(args.out)), "fit.html")
    write_page(fitted, page, args.out, spread)
    print(summary(fitted))
    shown = os.path.join(os.path.dirname(args.out), "fit.html")
    print(f"wrote {args.out}, {shown} — next: channelsim validate {args.out}")
    return 0


class FitProgress:
    """What a fit is doing, on stderr (never stdout, never a file; none with --quiet): the refits it makes,
    a line a source fitted, as a piped `simulate` tells its replications (`label: done/total … (s)`)."""

    def __init__(self, history: str, refits: int, stream: TextIO | None = None) -> None:
        self.history, self.refits = history, refits
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if done == 0:
            print(f"fitting {self.history}: {total} source(s), {self.refits} bootstrap refits each",
                  file=self.stream, flush=True)  # fmt: skip
        else:
            self.line(f"{done}/{total} sources")

    def line(self, text: str) -> None:
        print(f"fitting: {text} ({time.monotonic() - self.started:.1f} s)", file=self.stream, flush=True)


def summary(fitted: Fitted) -> str:
    """One block per source: the form chosen, adstock and leads at today's spend with their intervals."""
    lines = [f"{fitted.scenario.name}: {len(fitted.sources)} source(s) fitted in {fitted.seconds:.1f} s "
             f"({fitted.replicates} bootstrap refits each{f', {len(fitted.draws)} draws' if fitted.draws else ''})"]  # fmt: skip
    for source, fit in fitted.sources.items():
        lo, hi = fit.intervals_["adstock"]
        lines.append(
            f"  {source:<20} {fit.form_} ({fit.family_}), adstock {fit.adstock_:.2f} [{lo:.2f}, {hi:.2f}]"
        )
        if fit.today_ > 0:
            mid, low, high = fit.at(fit.today_)
            lines.append(
                f"  {'':<20} at today's {fit.today_:,.0f}/week: {mid:,.1f} leads/week [{low:,.1f}, {high:,.1f}]"
            )
        lines += [f"  {'':<20} warning: {w}" for w in fit.warnings_]
    return "\n".join(lines)


def run_import_curves(args: argparse.Namespace) -> int:
    from channelsim.fit.external import import_curves
    from channelsim.scenario import load

    _check_counts(args)
    _check_out(args.out)
    if not 0 < args.leads_per_outcome < 1e9:
        raise UsageError(f"--leads-per-outcome: must be a number > 0 (got {args.leads_per_outcome:g})")
    scenario = load(args.scenario)
    imported = import_curves(scenario, args.params, args.tool, args.out, args.leads_per_outcome, args.draws)
    for source, (curve, adstock) in imported.items():
        params = ", ".join(f"{k} {v:.6g}" for k, v in curve.items() if k != "curve")
        print(f"  {source:<20} {curve['curve']}: {params}; adstock {adstock:.4g}")
    print(f"wrote {args.out} — next: channelsim validate {args.out}")
    return 0
