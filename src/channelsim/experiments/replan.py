"""Re-planning every few weeks (`channelsim replan`), against the static plan with common random numbers.

The first plan is the optimizer's for the whole horizon. Each replication then runs in stages:
simulate to the end of a period (`Replication.run_until`), read the state (`sim.snapshot`),
optimize the weeks left from that state (`snapshot.as_scenario`), play the new plan from that
week on (`Replication.switch_policy`), and so on. The static plan's replication has the same
seed and plays the first plan to the end: the two are the same world, draw for draw, until
the first re-plan changes a lever, so the paired difference in profit is what re-planning
changed. Each replication re-plans from its own state: its later plans are its own.

What a re-plan may change: spend per source and period, partner tiers, win-back spend. What
it keeps: the design of the first plan (an outlet opened stays open, its opening cost paid
once; no outlet opens or closes later) and the loyalty programmes (a programme's members were
enrolled as the run began); a re-plan that would switch a programme is played without the
switch and says so (`programmes_kept`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from channelsim import valuation as va
from channelsim.errors import UsageError
from channelsim.optimize import optimize
from channelsim.optimize.coefficients import baseline_marketing
from channelsim.optimize.plan import Plan
from channelsim.results import SimResult
from channelsim.runner import Execution, Progress, run_tasks
from channelsim.scenario.design import opened
from channelsim.scenario.schema import Scenario
from channelsim.sim.engine import Replication, ReplicationOutput, run_replication
from channelsim.sim.policy import Policy, policy_from_plan
from channelsim.sim.snapshot import Snapshot, as_scenario, take
from channelsim.sim.streams import replication_seeds
from channelsim.stats import describe


@dataclass(frozen=True)
class Solving:
    """How each plan is solved (as `channelsim.optimize`'s arguments)."""

    objective: str | None = None
    solver: str | None = None
    time_limit: float | None = None


@dataclass
class Stage:
    """One period of one replication: its weeks, the plan played, and the state it started from."""

    period: int  # from 1
    start: int  # first week
    end: int  # the week after the last
    plan: Plan  # the first plan (period 1) or the re-plan of the weeks from `start`
    snapshot: Snapshot | None = None  # None for period 1 (the scenario as written)
    programmes_kept: dict[str, bool] = field(default_factory=dict)  # a re-plan's switches not played


@dataclass
class ReplanOutput:
    """One replication re-planned, its static twin, and the stages of the re-planned one."""

    replanned: ReplicationOutput
    static: ReplicationOutput
    stages: list[Stage]
    policy: Policy  # the levers as played, every week (the splice of the stages' plans)


def periods_of(horizon: int, every: int) -> list[tuple[int, int]]:
    """(first week, week after the last) of each period: `every` weeks, the last one shorter."""
    return [(start, min(start + every, horizon)) for start in range(0, horizon, every)]


def check_every(sc: Scenario, every: Any) -> int:
    """`--every`: a whole number of weeks from 1 to the horizon, and a scenario re-planning can use."""
    if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= sc.horizon_weeks:
        raise UsageError(f"--every: must be a whole number of weeks from 1 to the horizon ({sc.horizon_weeks}) "
                         f"(got {every!r})")  # fmt: skip
    if sc.optimize.target is not None:
        raise UsageError("--every: optimize.target (least spend reaching a target over the horizon) cannot be "
                         "re-planned; replan plans for the most value (remove optimize.target)")  # fmt: skip
    return every


def state_scenario(sc: Scenario, snap: Snapshot, policy: Policy) -> Scenario:
    """The weeks left as a scenario from the snapshot (`snapshot.as_scenario`), with the budgets the first
    plan had: where `sc` leaves a budget to its baseline, the baseline of the design played."""
    design = opened(sc, policy.open)
    budget = sc.budget
    if sc.budget.marketing_per_week is None:
        budget = budget.model_copy(update={"marketing_per_week": baseline_marketing(design)})
    if sc.budget.incentives_per_week is None:
        budget = budget.model_copy(
            update={"incentives_per_week": va.incentive_cost(design, va.baseline_tiers(design))}
        )
    return as_scenario(sc, snap, policy).model_copy(update={"budget": budget})


def spliced(policy: Policy, rest: Scenario, plan: Plan, week: int) -> tuple[Policy, dict[str, bool]]:
    """`policy` for the weeks before `week`, the plan of the weeks left (`rest`) from it on; the
    programmes as they run (and the switches the plan wanted but the run cannot make)."""
    later = policy_from_plan(rest, plan.as_plan_data(), "re-plan")
    spend = {sid: policy.spend[sid][:week] + later.spend[sid] for sid in policy.spend}
    winback = policy.winback_spend[:week] + later.winback_spend if policy.winback_spend else []
    tiers = policy.tiers | later.tiers  # a partner that left keeps its last tier (it costs nothing)
    kept = {pid: on for pid, on in later.programmes.items() if policy.programmes.get(pid) != on}
    return Policy(spend, tiers, policy.programmes, winback, policy.open), kept


def replan_replication(
    sc: Scenario, first: Plan, seed: np.random.SeedSequence, every: int, solving: Solving
) -> ReplanOutput:
    """One replication re-planned every `every` weeks, and the static plan's with the same seed."""
    policy = policy_from_plan(sc, first.as_plan_data())
    static = run_replication(sc, policy, seed)
    run = Replication(sc, policy, seed)
    run.start()
    stages = []
    for period, (start, end) in enumerate(periods_of(sc.horizon_weeks, every), start=1):
        if start == 0:
            stages.append(Stage(period, start, end, first))
        else:
            snap = take(run, start)
            rest = state_scenario(sc, snap, policy)
            plan = optimize(rest, solving.objective, solving.solver, solving.time_limit)
            policy, kept = spliced(policy, rest, plan, start)
            run.switch_policy(policy, start)
            stages.append(Stage(period, start, end, plan, snap, kept))
        run.run_until(end)
    return ReplanOutput(run.finish(), static, stages, policy)


def replan(
    sc: Scenario, every: int, replications: int | None = None, seed: int | None = None,
    solving: Solving | None = None, execution: Execution | None = None, progress: Progress | None = None,
) -> Replanned:  # fmt: skip
    """Optimize, then re-plan every `every` weeks in each of `replications` replications (seeded from
    `seed`), each beside the static plan's replication with the same seed."""
    check_every(sc, every)
    solving = solving or Solving()
    seed = sc.seed if seed is None else seed
    count = sc.replications if replications is None else replications
    if count < 1:
        raise UsageError(f"--replications: must be >= 1 (got {count})")
    first = optimize(sc, solving.objective, solving.solver, solving.time_limit)
    tasks = [(sc, first, s, every, solving) for s in replication_seeds(seed, count)]
    outputs: list[ReplanOutput] = run_tasks(replan_replication, tasks, execution, progress)
    return Replanned(sc, first, every, seed, outputs)


@dataclass
class Replanned:
    """The outcome of `replan`: the first plan, each replication's stages, both runs' results."""

    scenario: Scenario
    first: Plan
    every: int
    seed: int
    outputs: list[ReplanOutput]

    @property
    def replications(self) -> int:
        return len(self.outputs)

    def results(self) -> tuple[SimResult, SimResult]:
        """(re-planned, static) as `SimResult`s."""
        replanned = SimResult(self.scenario, [o.replanned for o in self.outputs], self.seed, "replan")
        static = SimResult(self.scenario, [o.static for o in self.outputs], self.seed, "static plan")
        return replanned, static

    @property
    def static(self) -> Policy:
        """The first plan's levers, every week: what the static plan plays to the horizon."""
        return policy_from_plan(self.scenario, self.first.as_plan_data())

    def paired(self, equity: bool = False) -> list[float]:
        """Re-planned less static profit per replication (with `equity`: plus the customer equity left)."""
        return [_judged(o.replanned, equity) - _judged(o.static, equity) for o in self.outputs]

    def periods(self) -> list[dict[str, Any]]:
        """Per period: weeks, the plans' allocation (mean over replications), forecast and simulated profit."""
        out, equity, static = [], self.scenario.optimize.terminal_value, self.static.spend
        for k, (start, end) in enumerate(periods_of(self.scenario.horizon_weeks, self.every)):
            stages = [o.stages[k] for o in self.outputs]
            out.append({
                "period": k + 1, "weeks": [start, end],
                "plans": ["plans/period_1.json"] if k == 0 else
                         [f"plans/period_{k + 1}_rep_{r}.json" for r in range(self.replications)],
                "spend_per_week": {sid: _mean([float(np.mean(o.policy.spend[sid][start:end])) for o in self.outputs])
                                   for sid in self.first.spend},
                "static_spend_per_week": {sid: _round(float(np.mean(static[sid][start:end])))
                                          for sid in self.first.spend},
                "tiers": {pid: dict(sorted(Counter(_tier_at(o, pid, k) for o in self.outputs).items()))
                          for pid in sorted(self.first.tiers)},
                # the plan's own forecast of the weeks from `start` to the horizon, and what they brought
                # (profit, and the equity left at the horizon where the plans count it: optimize.terminal_value)
                "forecast_value_rest": _mean([_forecast(s.plan) for s in stages]),
                "simulated_value_rest": _mean([_profit(o.replanned, start) + (o.replanned.customer_equity if equity else 0.0)
                                               for o in self.outputs]),
                "simulated_profit": _mean([_profit(o.replanned, start, end) for o in self.outputs]),
                "static_simulated_profit": _mean([_profit(o.static, start, end) for o in self.outputs]),
                "state": _state(stages),
                "programmes_kept": [s.programmes_kept for s in stages if s.programmes_kept],
            })  # fmt: skip
        return out

    def to_dict(self) -> dict[str, Any]:
        """The content of replan.json."""
        sc = self.scenario
        data: dict[str, Any] = {
            "scenario": sc.name, "variant": sc.variant_name, "seed": self.seed,
            "replications": self.replications, "horizon_weeks": sc.horizon_weeks, "every": self.every,
            "objective": self.first.objective, "solver": self.first.solver, "periods": self.periods(),
            "value_rest": "profit + equity" if sc.optimize.terminal_value else "profit",
            # both, whatever the plans maximise: a re-plan of the last weeks without terminal_value buys
            # profit in the horizon with customers after it, which only the equity shows
            "paired": {"profit": _paired(self.paired()), "profit_plus_equity": _paired(self.paired(equity=True))},
        }  # fmt: skip
        return data

    def allocation(self) -> pd.DataFrame:
        """One row per replication, period, plan (replan or static) and source (mean spend a week) or partner (tier)."""
        rows = []
        static = self.static
        for r, o in enumerate(self.outputs):
            for k, (start, end) in enumerate(periods_of(self.scenario.horizon_weeks, self.every)):
                for name, policy in (("replan", o.policy), ("static", static)):
                    tiers = (
                        {p: _tier_at(o, p, k) for p in self.first.tiers}
                        if name == "replan"
                        else self.first.tiers
                    )
                    for sid, spend in policy.spend.items():
                        rows.append({"replication": r, "period": k + 1, "first_week": start, "weeks": end - start,
                                     "plan": name, "kind": "source", "id": sid,
                                     "spend_per_week": float(np.mean(spend[start:end])), "tier": ""})  # fmt: skip
                    for pid in sorted(tiers):
                        rows.append({"replication": r, "period": k + 1, "first_week": start, "weeks": end - start,
                                     "plan": name, "kind": "partner", "id": pid, "spend_per_week": None,
                                     "tier": tiers[pid]})  # fmt: skip
        return pd.DataFrame(rows)


def _tier_at(out: ReplanOutput, pid: str, k: int) -> str:
    """A partner's tier in period `k` (0-based): its plan's, or "left" once it has left (no plan names it)."""
    return out.stages[k].plan.tiers.get(pid, "left")


def _judged(out: ReplicationOutput, equity: bool) -> float:
    profit = float(out.tables["total"]["profit"].sum())
    return profit + out.customer_equity if equity else profit


def _profit(out: ReplicationOutput, start: int, end: int | None = None) -> float:
    return float(out.tables["total"]["profit"][start:end].sum())


def _forecast(plan: Plan) -> float:
    return float((plan.expected.get("plan") or {}).get("profit", math.nan))


def _mean(values: list[float]) -> float | None:
    return _round(math.fsum(values) / len(values)) if values else None


def _round(value: float) -> float | None:
    return float(f"{value:.10g}") if math.isfinite(value) else None


def _paired(values: list[float]) -> dict[str, Any]:
    return {"per_replication": [_round(v) for v in values]} | describe(values)


def _state(stages: list[Stage]) -> dict[str, Any] | None:
    """The state the re-plans started from, over the replications: customers, partners that left."""
    snaps = [s.snapshot for s in stages if s.snapshot is not None]
    if not snaps:
        return None
    exits = Counter(pid for snap in snaps for pid in snap.exited)
    return {
        "active_customers": _mean([float(sum(s.active)) for s in snaps]),
        "prospects": _mean([float(sum(s.prospects)) for s in snaps]),
        "considering": _mean([float(sum(sum(c.values()) for c in s.considering)) for s in snaps]),
        "detractors": _mean([float(sum(s.detractors)) for s in snaps]),
        "partners_left": dict(sorted(exits.items())),  # in how many replications
        "penalised": dict(sorted(Counter(pid for s in snaps for pid in s.penalised).items())),
    }
