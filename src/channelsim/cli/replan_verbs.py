"""`channelsim replan`: optimize, simulate a period, re-optimize the rest from the simulated state, and so on.

The re-planning itself is `channelsim.experiments.replan`; this module parses the flags, writes
the files as one set and prints what changed each period and the gain over the static plan.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from channelsim.cli import flags
from channelsim.cli.guards import add_yes, check_optimize_size, check_size
from channelsim.cli.run_flags import add_run_flags, execution, run_progress
from channelsim.cli.scenario_verbs import check_replications, load_for_run
from channelsim.results_io import output_set, write_bytes_atomic, write_text_atomic

if TYPE_CHECKING:
    from channelsim.experiments.replan import Replanned


def add_replan(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("replan", help="re-optimize every few weeks from the simulated state; gain over the static plan",
                         description="Optimize the horizon, simulate WEEKS weeks, re-optimize the weeks left from "
                         "the simulated state (customers, stock, prices, partners that left), and so on; beside "
                         "each replication the static plan's with the same seed, for the paired gain.",
                         epilog="example: channelsim replan scenarios/industrial_distributors.yaml --every 13 "
                         "--replications 10\n           --out runs/replan")  # fmt: skip
    flags.add_scenario(cmd)
    cmd.add_argument("--every", required=True, type=flags.whole("of weeks, 1..the horizon"), metavar="WEEKS",
                     help="weeks between re-plans, 1..horizon_weeks, e.g. 13: each quarter (required; no default; "
                     "the horizon: never, the static plan)")  # fmt: skip
    flags.add_variant(cmd, "re-plan this variant")
    flags.add_objective(cmd)
    flags.add_solver(cmd)
    flags.add_replications(cmd)
    flags.add_seed(cmd)
    add_run_flags(cmd)
    flags.add_out(cmd, "runs/replan")
    add_yes(cmd)
    cmd.set_defaults(run=run_replan)


def run_replan(args: argparse.Namespace) -> int:
    from channelsim.experiments.replan import Solving, check_every, replan

    check_replications(args)
    where = execution(args)
    sc = load_for_run(args)
    check_every(sc, args.every)
    check_optimize_size(sc, args)
    check_size(sc, args, runs=2)  # each replication twice: re-planned and static
    print(f"re-planning every {args.every} weeks: {len(sc.sources)} sources, {len(sc.partners)} partners; "
          f"solver {args.solver or sc.optimize.solver}", file=sys.stderr)  # fmt: skip
    with run_progress(args, "re-planning") as progress:
        done = replan(sc, args.every, args.replications, args.seed, Solving(args.objective, args.solver),
                      where, progress)  # fmt: skip
    with output_set(args.out) as out:  # the files of this run replace the old ones as one set
        paths = write_replan(done, out.staging, ["channelsim", *sys.argv[1:]])
    print(headline(done))
    print(f"wrote {', '.join(out.final(paths))}")
    return 0


def write_replan(done: Replanned, folder: str, command: list[str]) -> list[str]:
    """replan.json, replan_allocation.csv, plans/period_K[_rep_R].json, and the re-planned run's
    summary.json, kpis.csv and manifest.json (the static plan's run under static/)."""
    replanned, static = done.results()
    paths = replanned.write(folder, command=command)
    static.write(os.path.join(folder, "static"), command=command)
    path = os.path.join(folder, "replan.json")
    write_text_atomic(path, json.dumps(done.to_dict(), indent=2, ensure_ascii=False) + "\n")
    csv = os.path.join(folder, "replan_allocation.csv")
    frame = done.allocation()
    write_bytes_atomic(csv, frame.to_csv(index=False, float_format="%.10g", lineterminator="\n").encode())
    plans = os.path.join(folder, "plans")
    os.makedirs(plans, exist_ok=True)
    _write_plan(done.first.to_dict(), os.path.join(plans, "period_1.json"))
    for r, output in enumerate(done.outputs):
        for stage in output.stages[1:]:
            _write_plan(stage.plan.to_dict(), os.path.join(plans, f"period_{stage.period}_rep_{r}.json"))
    return [path, csv, *paths, plans, os.path.join(folder, "static")]


def _write_plan(data: dict[str, Any], path: str) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def headline(done: Replanned) -> str:
    """What changed each period (means over the replications' re-plans) and the paired gain."""
    data, sc = done.to_dict(), done.scenario
    cur, n = sc.currency, done.replications
    label = sc.name + (f" [{sc.variant_name}]" if sc.variant_name else "")
    lines = [f"{label}: re-planned every {done.every} weeks, {n} replication(s), {sc.horizon_weeks} weeks "
             f"({len(data['periods'])} period(s))"]  # fmt: skip
    for p in data["periods"]:
        start, end = p["weeks"]
        head = f"  period {p['period']} (weeks {start}–{end - 1}): "
        if p["period"] == 1:
            lines.append(head + "the first plan, " + _spend(p["spend_per_week"], None, cur))
        else:
            lines.append(
                head
                + f"re-planned ({n} plan(s), mean) "
                + _spend(p["spend_per_week"], p["static_spend_per_week"], cur)
            )
        extra = (
            _tiers(p["tiers"], n, p["period"] == 1) + _left(p["state"], n) + _kept(p["programmes_kept"], n)
        )
        if extra:
            lines.append("      " + "; ".join(extra))
        lines.append(f"      profit in these weeks {_money(p['simulated_profit'], cur)} (static plan "
                     f"{_money(p['static_simulated_profit'], cur)})")  # fmt: skip
    counted = "profit_plus_equity" if sc.optimize.terminal_value else "profit"  # what the plans maximise
    for key, what in (("profit", "profit"), ("profit_plus_equity", "profit + customer equity")):
        mark = ", what the plans maximise" if key == counted else ""
        lines.append(f"  re-planning vs the static plan, {what}{mark}: {_gain(data['paired'][key], cur, n)}")
    return "\n".join(lines)


def _spend(now: dict[str, float | None], static: dict[str, float | None] | None, cur: str) -> str:
    parts = []
    for sid, value in now.items():
        was = None if static is None else static.get(sid)
        moved = (
            f" (static {was:,.0f})"
            if was is not None and value is not None and abs(was - value) >= 0.5
            else ""
        )
        parts.append(f"{sid} {value or 0.0:,.0f}{moved}")
    return (f"spend a week ({cur}): " + ", ".join(parts)) if parts else "no paid sources"


def _tiers(tiers: dict[str, dict[str, int]], n: int, first: bool) -> list[str]:
    if first:
        return ["tiers " + ", ".join(f"{pid} {next(iter(c))}" for pid, c in tiers.items())] if tiers else []
    counts = {pid: {level: k for level, k in c.items() if level != "left"} for pid, c in tiers.items()}
    shown = [f"{pid} " + ", ".join(f"{level} {count}/{n}" for level, count in c.items())
             for pid, c in counts.items() if c and (len(c) > 1 or next(iter(c)) != "none")]  # fmt: skip
    return ["tiers " + "; ".join(shown)] if shown else []


def _left(state: dict[str, Any] | None, n: int) -> list[str]:
    if not state or not state["partners_left"]:
        return []
    return [
        "partners gone before this period: "
        + ", ".join(f"{p} in {c}/{n}" for p, c in state["partners_left"].items())
    ]


def _kept(kept: list[dict[str, bool]], n: int) -> list[str]:
    """Programme switches the re-plans wanted and the run cannot make (members enrolled at the start)."""
    wanted = sorted({f"{pid} {'on' if on else 'off'}" for k in kept for pid, on in k.items()})
    return [f"not played: {', '.join(wanted)} (wanted by {len(kept)}/{n} re-plans)"] if wanted else []


def _money(value: float | None, cur: str) -> str:
    return "—" if value is None else f"{value:,.0f} {cur}"


def _gain(stat: dict[str, Any], cur: str, n: int) -> str:
    mean, (lo, hi) = stat["mean"], stat["ci95"]
    if mean is None:
        return "—"
    if n < 2:
        return f"{mean:+,.0f} {cur} (one replication: no interval)"
    return f"{mean:+,.0f} {cur} a run, 95% CI [{lo:+,.0f}, {hi:+,.0f}] (paired, same seeds, {n} replications)"
