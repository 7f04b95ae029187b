"""`channelsim compare` and `channelsim sweep`: parse flags, call the experiments, print, write."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from channelsim.cli import flags
from channelsim.cli.guards import add_yes, check_size
from channelsim.cli.run_flags import add_run_flags, execution, run_progress
from channelsim.cli.scenario_verbs import check_replications, load_for_run
from channelsim.errors import UsageError
from channelsim.results_io import output_set

if TYPE_CHECKING:
    from channelsim.runner import Execution
    from channelsim.scenario.schema import Scenario


def add_compare(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("compare", help="simulate the base and its variants with common random numbers",
                         description="Simulate the base and each variant with the same seeds; print every KPI's "
                         "paired change, what each variant moved most, the alerts and warnings.",
                         epilog="example: channelsim compare scenarios/workshop_intro.yaml --replications 10 --out runs/compare")  # fmt: skip
    _common(cmd, "runs/compare")
    cmd.add_argument("--variants", metavar="A,B,...",
                     help="the variants to compare, comma-separated (default: all the scenario's variants)")  # fmt: skip
    cmd.set_defaults(run=run_compare)


def add_sweep(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("sweep", help="simulate a grid of parameter values; tornado sensitivities",
                         description="Simulate every point of a grid with the same seeds, and print what each "
                         "point moved against the base; or a tornado of profit sensitivities.",
                         epilog="examples: channelsim sweep scenarios/workshop_intro.yaml --out runs/price \\\n"
                         "            --set channels.marketplace.price_index=0.85,0.9,0.95,1.0\n"
                         "          channelsim sweep scenarios/workshop_intro.yaml --tornado 10 --out runs/tornado")  # fmt: skip
    _common(cmd, "runs/sweep")
    flags.add_variant(cmd, "sweep around this variant instead of the base")
    cmd.add_argument("--set", action="append", default=[], metavar="PATH=V1,V2,...",
                     help="an axis of the grid, a dotted path and its values (repeat for more axes; default: none); "
                     "with --tornado a bare PATH is a parameter to move")  # fmt: skip
    cmd.add_argument("--tornado", type=flags.decimal("between 0 and 100"), metavar="PCT",
                     help="move each --set PATH (default: a standard list of spends, prices, margins and demand) "
                     "±PCT%% one at a time, 0 < PCT < 100 (default: no tornado)")  # fmt: skip
    cmd.set_defaults(run=run_sweep)


def _common(cmd: argparse.ArgumentParser, out: str) -> None:
    flags.add_scenario(cmd)
    flags.add_replications(cmd, " per variant or point")
    flags.add_seed(cmd)
    flags.add_weeks(cmd)
    add_run_flags(cmd)
    flags.add_out(cmd, out)
    flags.add_no_report(cmd)
    add_yes(cmd)


def run_compare(args: argparse.Namespace) -> int:
    from channelsim.experiments.compare import compare
    from channelsim.experiments.findings import compare_findings, write_findings
    from channelsim.experiments.text import compare_text, experiment_findings_text

    scenario = load_for_run(args)
    where = _execution(args)
    names = [n.strip() for n in args.variants.split(",")] if args.variants else None
    if names is not None and not all(names):
        raise UsageError(f"--variants: expected A,B,... (got {args.variants!r})")
    check_size(scenario, args, runs=1 + len(names if names is not None else scenario.variants))
    with run_progress(args, "comparing") as progress:
        outcome = compare(scenario, names, args.replications, args.seed, where, progress)
    found = compare_findings(outcome)
    print(compare_text(outcome))
    print(experiment_findings_text(found, scenario.currency))
    with output_set(args.out) as out:  # the files of this run replace the old ones as one set
        paths = outcome.write(out.staging, command=["channelsim", *sys.argv[1:]])
        paths.append(write_findings(out.staging, found))
        paths = _with_report(out.staging, paths, args.no_report)
    _print_warnings(found)
    print(f"wrote {', '.join(out.final(paths))}")
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    from channelsim.experiments.findings import sweep_findings, write_findings
    from channelsim.experiments.sweep import sweep
    from channelsim.experiments.text import experiment_findings_text, sweep_text, tornado_text
    from channelsim.experiments.tornado import tornado

    scenario = load_for_run(args)
    where = _execution(args)
    axes, paths_given = _axes(args)
    check_size(scenario, args, runs=_sweep_runs(scenario, axes, paths_given, args.tornado))
    written: list[str] = []
    with output_set(args.out) as out:  # grid, tornado and report replace the old files as one set
        if axes:
            with run_progress(args, "sweeping") as progress:
                grid = sweep(scenario, axes, args.replications, args.seed, where, progress)
            print(sweep_text(grid))
            found = sweep_findings(grid, where)
            print(experiment_findings_text(found, scenario.currency))
            written += [*grid.write(out.staging), write_findings(out.staging, found)]
            _print_warnings(found)
        if args.tornado is not None:
            chosen = paths_given or None
            with run_progress(args, "tornado") as progress:
                sens = tornado(scenario, args.tornado, chosen, args.replications, args.seed, where, progress)
            print(tornado_text(sens))
            written += sens.write(out.staging)
        written = _with_report(out.staging, written, args.no_report)
    print(f"wrote {', '.join(out.final(written))}")
    return 0


def _print_warnings(found: dict[str, Any]) -> None:
    from channelsim.experiments.text import warnings_text

    if found["warnings"]:
        print(warnings_text(found["warnings"]), file=sys.stderr)


def _axes(args: argparse.Namespace) -> tuple[dict[str, list[Any]], list[str]]:
    """The grid's axes (`--set PATH=V1,V2`) and every path named (a bare PATH is a tornado parameter)."""
    from channelsim.experiments.paths import parse_set

    specs = [parse_set(spec, values_required=args.tornado is None) for spec in args.set]
    paths_given = [path for path, _ in specs]
    if len(set(paths_given)) != len(paths_given):
        raise UsageError(f"--set: each path once (got {', '.join(paths_given)})")
    axes = {path: values for path, values in specs if values}
    if not axes and args.tornado is None:
        raise UsageError("sweep: give at least one --set PATH=V1,V2,... or --tornado PCT")
    return axes, paths_given


def _sweep_runs(scenario: Scenario, axes: dict[str, list[Any]], paths: list[str], pct: float | None) -> int:
    """Scenarios a sweep simulates, from the axes' lengths (the grid is not built for this)."""
    from channelsim.experiments.sweep import MAX_POINTS, grid_size
    from channelsim.experiments.tornado import default_parameters

    runs = grid_size(axes) if axes else 0
    if runs > MAX_POINTS:
        raise UsageError(f"--set: the grid has {runs:,} points (at most {MAX_POINTS:,})")
    if pct is not None:
        runs += 1 + 2 * len(paths or default_parameters(scenario))
    return max(runs, 1)


def _execution(args: argparse.Namespace) -> Execution:
    check_replications(args)
    return execution(args)


def _with_report(folder: str, paths: list[str], no_report: bool) -> list[str]:
    if no_report:
        return paths
    from channelsim.report import write_report

    return [*paths, *write_report(folder)]
