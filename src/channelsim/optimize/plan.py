"""A plan from the optimizer: the allocation, the solver's account of it, and its files.

`plan.json` is what `channelsim simulate --plan` reads (`sources.ID.spend_per_week`, one
number or one per period; `incentives.PARTNER.tier`) plus the explanation of the plan.
Everything in it is a function of the scenario and seed except `solve_seconds` (a
contract key); timings are also in `manifest.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pandas as pd

from channelsim.results_io import write_bytes_atomic, write_text_atomic
from channelsim.scenario.design import decisions
from channelsim.scenario.schema import Scenario

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def risk_label(risk: str, alpha: float, objective: str) -> str:
    """The name of a robust plan's value: "CVaR₀.₂ profit", "worst-case profit", "expected profit"."""
    if risk == "cvar":
        return f"CVaR{f'{alpha:g}'.translate(_SUBSCRIPT)} {objective}"
    if risk == "worst":
        return f"worst-case {objective}"
    return f"expected {objective}"


def _round(value: float | None, digits: int = 6) -> float | None:
    """Stable numbers in files: `digits` significant digits after the point, -0 as 0."""
    if value is None:
        return None
    return float(f"{value:.{digits}f}") + 0.0


@dataclass
class Plan:
    """The optimizer's answer (`channelsim.optimize`); `allocation` is the table of decisions."""

    scenario: Scenario
    status: str  # optimal | time_limit (a plan, optimality not proven)
    objective: str  # profit | revenue | customers | least_spend (target mode)
    solver: str
    objective_value: float  # the plan's analytic value (forecast with the exact curves)
    baseline_value: float  # the same for the scenario as written
    spend: dict[str, list[float]]  # source → spend per week, one value per period
    tiers: dict[str, str]  # partner → tier level
    mip_gap: float | None = None
    solve_seconds: float = 0.0
    budget_shadow_price: float | None = None  # objective per extra unit of marketing budget
    incentive_shadow_price: float | None = None
    binding: list[str] = field(default_factory=list)
    marginal_return: dict[str, list[float]] = field(default_factory=dict)
    approximation_bound: dict[str, float] = field(default_factory=dict)
    milp_objective: float | None = None
    leads: dict[str, list[float]] = field(default_factory=dict)  # per period, at the plan
    expected: dict[str, Any] = field(default_factory=dict)  # forecast figures, plan and baseline
    details: dict[str, Any] = field(default_factory=dict)  # rounds, target, notes
    validated: dict[str, Any] | None = None
    programmes: dict[str, bool] = field(default_factory=dict)  # loyalty programme → running
    winback: float | None = None  # win-back spend per week (None: the scenario has no win-back)
    robust: dict[str, Any] | None = None  # robust planning: futures, risk measure, regret table
    design: dict[str, bool] = field(default_factory=dict)  # candidate or closable outlet → open

    @property
    def uplift(self) -> float:
        return self.objective_value - self.baseline_value

    @property
    def value_label(self) -> str:
        """What `objective_value` is: "expected profit" ("profit + equity" with `optimize.terminal_value`),
        or a robust plan's risk measure ("CVaR₀.₂ profit")."""
        if self.robust:
            return str(self.robust["label"])
        if self.objective == "least_spend":
            return "least spend"
        if self.objective == "profit" and self.scenario.optimize.terminal_value:
            return "profit + equity"  # optimize.terminal_value: the customers left at the horizon count
        return f"expected {self.objective}"

    @property
    def allocation(self) -> pd.DataFrame:
        """One row per source and period (spend) and per partner (tier), with the baseline beside it."""
        rows = []
        for src in self.scenario.sources:
            for p, spend in enumerate(self.spend[src.id]):
                rows.append({"kind": "source", "id": src.id, "period": p, "spend_per_week": spend,
                             "baseline_spend_per_week": src.spend_per_week,
                             "leads_per_week": self.leads.get(src.id, [None] * (p + 1))[p],
                             "marginal_return": self.marginal_return.get(src.id, [None] * (p + 1))[p],
                             "tier": "", "baseline_tier": ""})  # fmt: skip
        baseline = self.details.get("baseline_tiers", {})
        for partner, level in self.tiers.items():
            rows.append({"kind": "partner", "id": partner, "period": 0, "spend_per_week": None,
                         "baseline_spend_per_week": None, "leads_per_week": None, "marginal_return": None,
                         "tier": level, "baseline_tier": baseline.get(partner, "")})  # fmt: skip
        for prog in self.scenario.loyalty_programs:  # a programme's "tier" is on or off
            rows.append({"kind": "loyalty_program", "id": prog.id, "period": 0, "spend_per_week": None,
                         "baseline_spend_per_week": None, "leads_per_week": None, "marginal_return": None,
                         "tier": _on(self.programmes.get(prog.id, prog.active)),
                         "baseline_tier": _on(prog.active)})  # fmt: skip
        for d in decisions(self.scenario):  # an outlet's "tier" is open or closed
            if d.id in self.design:
                rows.append({"kind": d.kind, "id": d.id, "period": 0, "spend_per_week": None,
                             "baseline_spend_per_week": None, "leads_per_week": None, "marginal_return": None,
                             "tier": "open" if self.design[d.id] else "closed",
                             "baseline_tier": "open" if d.today else "closed"})  # fmt: skip
        if self.winback is not None:
            wb = self.scenario.winback
            assert wb is not None  # a plan has a win-back spend only for a scenario with a winback section
            rows.append({"kind": "winback", "id": "winback", "period": 0, "spend_per_week": self.winback,
                         "baseline_spend_per_week": wb.spend_per_week,
                         "leads_per_week": wb.response.leads(self.winback),
                         "marginal_return": self.marginal_return.get("winback", [None])[0],
                         "tier": "", "baseline_tier": ""})  # fmt: skip
        return pd.DataFrame(rows)

    def as_plan_data(self) -> dict[str, Any]:
        """The levers in the form `policy_from_plan` reads."""
        return {
            "sources": {
                sid: {"spend_per_week": v[0] if len(v) == 1 else list(v)} for sid, v in self.spend.items()
            },
            "incentives": {pid: {"tier": level} for pid, level in self.tiers.items()},
        } | self._crm_levers() | self._design_levers()

    def _design_levers(self) -> dict[str, Any]:
        """`channels.ID.open` and `partners.ID.open`, for the candidate and closable outlets."""
        out: dict[str, Any] = {}
        for d in decisions(self.scenario):
            if d.id in self.design:
                out.setdefault(f"{d.kind}s", {})[d.id] = {"open": self.design[d.id]}
        return out

    def _crm_levers(self) -> dict[str, Any]:
        """`loyalty_programs.ID.active` and `winback.spend_per_week`, where the scenario has them."""
        out: dict[str, Any] = {}
        if self.programmes:
            out["loyalty_programs"] = {pid: {"active": on} for pid, on in self.programmes.items()}
        if self.winback is not None:
            out["winback"] = {"spend_per_week": self.winback}
        return out

    def to_dict(self) -> dict[str, Any]:
        """The content of plan.json (SPEC §4 keys first)."""
        sc = self.scenario
        data: dict[str, Any] = {
            "scenario": sc.name, "variant": sc.variant_name, "status": self.status, "objective": self.objective,
            "solver": self.solver, "objective_value": _round(self.objective_value, 2),
            "baseline_value": _round(self.baseline_value, 2), "uplift": _round(self.uplift, 2),
            "solve_seconds": _round(self.solve_seconds, 3), "mip_gap": self.mip_gap,
        }  # fmt: skip
        data |= self.as_plan_data()
        data |= {
            "budget_shadow_price": _round(self.budget_shadow_price),
            "incentive_budget_shadow_price": _round(self.incentive_shadow_price),
            "binding": list(self.binding),
            "marginal_return": {k: [_round(x) for x in v] for k, v in self.marginal_return.items()},
            "approximation_bound": {k: _round(v, 2) for k, v in self.approximation_bound.items()}
            | {"total": _round(sum(self.approximation_bound.values()), 2)},
            "milp_objective": _round(self.milp_objective, 2),
            "expected": self.expected,
            "details": self.details,
        }
        if self.validated is not None:
            data["validated"] = self.validated
        if self.robust is not None:
            data["robust"] = self.robust
        return data

    def write(self, folder: str | os.PathLike[str], command: list[str] | None = None) -> list[str]:
        """Write plan.json, allocation.csv and manifest.json into `folder`, each atomically."""
        os.makedirs(folder, exist_ok=True)
        names = ("plan.json", "allocation.csv", "manifest.json")
        paths = [os.path.join(folder, n) for n in names]
        write_text_atomic(paths[0], json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        csv = self.allocation.to_csv(index=False, float_format="%.10g", lineterminator="\n")
        write_bytes_atomic(paths[1], csv.encode())
        write_text_atomic(paths[2], json.dumps(self._manifest(command), indent=2, ensure_ascii=False) + "\n")
        return paths

    def _manifest(self, command: list[str] | None) -> dict[str, Any]:
        sc = self.scenario
        return {
            "scenario_file": sc.file, "scenario_sha256": _sha256(sc.file), "variant": sc.variant_name,
            "seed": sc.seed, "solver": self.solver, "solve_seconds": round(self.solve_seconds, 3),
            "versions": {name: _version(name) for name in ("channelsim", "pulp", "highspy", "numpy", "scipy")},
            "command": command if command is not None else sys.argv,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "resolved_scenario": sc.to_data(),
        }  # fmt: skip


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _sha256(path: str) -> str | None:
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
