"""What the app's buttons do: simulate the levers' settings, optimize, save them as a variant.

The browser sends the levers' values; every answer is plain JSON (KPIs, charts as PNG data
URLs, the levers' new values after an optimization), so the page holds no model logic.
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from channelsim.app import images as charts
from channelsim.app.bodies import shown
from channelsim.app.controls import controls_for, overrides_for
from channelsim.app.saved import (
    MAX_DESCRIPTION,
    VariantExists,
    check_name,
    check_save_to,
    checked_write,
    saved_variants,
    variant_file_text,
)
from channelsim.app.turns import Turns
from channelsim.errors import UsageError
from channelsim.kpi_catalogue import BY_NAME, PROSPECTING, RIVALS, market, per_replication
from channelsim.optimize import optimize as optimize_plan
from channelsim.runner import simulate as simulate_scenario
from channelsim.scenario import load
from channelsim.scenario.schema import Scenario
from channelsim.stats import describe

if TYPE_CHECKING:
    from channelsim.results import SimResult

MAX_REPLICATIONS = 20  # a workshop click must answer in seconds
# simulations at once. One: Python runs one thread at a time, and two simulations in threads take
# longer than one after the other (4 + 4 replications: 4.1 s against 2.7 s; charts drawn beside a
# simulation 5x slower), so clicks take fair turns at one slot instead (see `Turns`)
SLOTS = 1
# process-wide, whatever the workbench: the solvers' banner is silenced by swapping file descriptor 1
# for the whole process, and a save reads, checks and rewrites its file
_SOLVING, _SAVING = threading.Lock(), threading.Lock()
# (key, label, money?, which way is good): the page colours a change green when it is good news
KPIS = (
    ("profit", "Profit", True, "up"), ("revenue", "Revenue", True, "up"), ("orders", "Orders", False, "up"),
    ("new_customers", "New customers", False, "up"),
    ("active_customers_end", "Active customers at the end", False, "up"),
    ("marketing_spend", "Marketing spend", True, "down"), ("incentive_cost", "Incentive cost", True, "down"),
)  # fmt: skip
CONFLICT_KPIS = (("diverted_orders", "Diverted orders"), ("price_war_weeks", "Price-war weeks"),
                 ("map_violations", "MAP violations"), ("partner_exits", "Partner exits"))  # fmt: skip
# the open market's cards, where the scenario has it: (catalogue name, what it needs, the card it follows)
MARKET_KPIS = (("market_share", RIVALS, "orders"), ("partner_new_customers", PROSPECTING, "new_customers"))


@dataclass
class Workbench:
    """One scenario on the workshop screen; `save_to` is the YAML file saved variants go to.

    Many browsers may ask at once (each request on its own thread): at most `SLOTS` simulate or
    optimize at the same time, taking fair turns (`Turns`): the rest wait in arrival order, and
    a simulation lets the first waiting go ahead after each replication.
    """

    scenario: Scenario
    save_to: str
    replications: int

    def __post_init__(self) -> None:
        self._turns = Turns(SLOTS)

    @classmethod
    def open(cls, path: str, variant: str | None = None, save_to: str | None = None) -> Workbench:
        scenario = load(path)
        if variant:
            scenario = scenario.variant(variant)
        stem, _ = os.path.splitext(path)
        save_to = save_to or f"{stem}_workshop.yaml"
        check_save_to(path, save_to)
        reps = min(scenario.replications, 3)  # a click should answer in seconds, even on a big scenario
        return cls(scenario, save_to, max(1, reps))

    # -- what the page asks for ------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        sc = self.scenario
        return {"name": sc.name, "description": sc.description or "", "currency": sc.currency,
                "horizon_weeks": sc.horizon_weeks, "replications": self.replications,
                "variant": sc.variant_name, "save_to": self.save_to,
                "controls": [c.to_data() for c in controls_for(sc)]}  # fmt: skip

    def simulate(self, values: dict[str, Any], replications: int | None = None) -> dict[str, Any]:
        """Simulate the scenario with the levers at `values`: KPIs and the report's charts."""
        scenario = self._scenario_at(values)
        reps = self._replications(replications)
        with self._turns.turn() as turns:

            def between(
                done: int, total: int
            ) -> None:  # between two replications, a click waiting goes first
                if done < total:
                    turns.pass_on()

            result = simulate_scenario(scenario, replications=reps, seed=scenario.seed, progress=between)
            figures = charts.simulation_charts(scenario, result.summary, result.kpis)
            cards = kpi_panel(result, scenario)
        return {"kpis": cards, "charts": _encoded(figures),
                "replications": reps, "seconds": round(result.wall_seconds, 2)}  # fmt: skip

    def optimize(self, values: dict[str, Any]) -> dict[str, Any]:
        """The optimizer's plan for the scenario at `values`, as new lever values, with its charts."""
        scenario = self._scenario_at(values)
        with _SOLVING, self._turns.turn():  # waiting for the solver holds no slot
            plan = optimize_plan(scenario)
            figures = charts.plan_charts(scenario, plan.as_plan_data(), today=self.scenario)
        updated = dict(values)
        for source, spends in plan.spend.items():
            updated[f"sources.{source}.spend_per_week"] = round(sum(spends) / len(spends), 2)
        for programme in scenario.incentives:
            for partner in scenario.partners_of(programme.channel):
                if partner.id in plan.tiers:
                    updated[f"incentives.{programme.id}.current.{partner.id}"] = plan.tiers[partner.id]
        return {"values": updated, "charts": _encoded(figures), "status": plan.status,
                "objective": plan.objective, "objective_value": plan.objective_value,
                "baseline_value": plan.baseline_value, "binding": list(plan.binding)}  # fmt: skip

    def save_variant(
        self, name: str, description: str, values: dict[str, Any], overwrite: bool = False
    ) -> dict[str, Any]:
        """Add the levers' settings as variant `name` to `save_to` (a file that extends the scenario).

        A name already taken (saved before, or a variant of the scenario) raises `VariantExists`
        unless `overwrite`; the variant the app was opened on is the exception: saving under its
        name updates it (its own settings, with the levers' changes on top), as long as no earlier
        save holds that name.
        """
        check_name(name)
        if len(description) > MAX_DESCRIPTION:
            raise UsageError(f"description: at most {MAX_DESCRIPTION} characters (got {len(description):,})")
        overrides = overrides_for(self.scenario, values)
        entry: dict[str, Any] = {"description": description or f"saved from the workshop app: {name}"}
        if overrides:
            entry["set"] = overrides
        with _SAVING:
            saved = saved_variants(self.save_to)
            taken = self._taken(name, saved.get("variants", {}))
            if taken and not overwrite:
                raise VariantExists(f"variant name: {taken}")
            text = variant_file_text(self.scenario, self.save_to, name, entry, saved)
            checked = checked_write(self.save_to, text, name)
        return {"path": self.save_to, "variant": name, "set": overrides, "validated": checked,
                "replaced": bool(taken)}  # fmt: skip

    # -- helpers ---------------------------------------------------------------------
    def _scenario_at(self, values: dict[str, Any]) -> Scenario:
        overrides = overrides_for(self.scenario, values)
        return self.scenario.with_overrides(overrides) if overrides else self.scenario

    def _replications(self, requested: int | None) -> int:
        if requested is None:
            return self.replications
        whole = isinstance(requested, int) and not isinstance(requested, bool)
        if not whole or not 1 <= requested <= MAX_REPLICATIONS:
            raise UsageError(
                f"replications: must be a whole number between 1 and {MAX_REPLICATIONS} (got {shown(requested)})"
            )
        return requested

    def _taken(self, name: str, saved: dict[str, Any]) -> str:
        """What saving `name` would replace, said for the person ("" if nothing)."""
        if name in saved:
            return f"{name} is already saved in {self.save_to}; send overwrite: true to replace it"
        if name in self.scenario.variants and name != self.scenario.variant_name:
            return (f"{name} is a variant of {self.scenario.file} (saving puts yours in its place in "
                    f"{self.save_to}; the scenario file keeps its own); send overwrite: true to replace it")  # fmt: skip
        return ""


def conflict_kpis(sc: Scenario) -> list[str]:
    """The conflict counts this scenario can produce: a card of zeros it never could would only distract."""
    present = {
        "diverted_orders": any(p.diversion for p in sc.partners),
        "price_war_weeks": sc.conflict.price_war is not None,
        "map_violations": sc.conflict.map_price_index is not None,
        "partner_exits": any(p.exit_below_margin_per_week > 0 for p in sc.partners),
    }
    return [key for key, _ in CONFLICT_KPIS if present[key]]


def kpi_keys(sc: Scenario) -> list[str]:
    """The cards' keys in page order: the headline, the open market's where it has one, its conflict counts."""
    has = market(sc)
    keys = []
    for key, *_ in KPIS:
        keys.append(key)
        keys += [name for name, needs, after in MARKET_KPIS if after == key and needs in has]
    return keys + conflict_kpis(sc)


def kpi_panel(result: SimResult, sc: Scenario) -> list[dict[str, Any]]:
    """The KPI cards: mean and 95% interval of the headline totals, the open market's and the conflict counts.

    A share card (`"share": true`) holds a share in 0..1: the page shows it in % and its change in points.
    """
    summary = result.summary
    headline = {key: (label, money, better) for key, label, money, better in KPIS}
    conflict = dict(CONFLICT_KPIS)
    cards = []
    for key in kpi_keys(sc):
        card: dict[str, Any] = {"key": key}
        if key in headline:
            label, money, better = headline[key]
            stat = summary["totals"][key]
            card |= {"label": label, "unit": sc.currency if money else "", "better": better}
        elif key in conflict:
            stat = summary["conflict"][key]
            card |= {"label": conflict[key], "unit": "", "better": "down"}
        else:  # the open market's, from the catalogue (a sum over partners needs each replication's)
            kpi = BY_NAME[key]
            stat = describe(per_replication(result, kpi))
            card |= {"label": kpi.label, "unit": "", "better": "up", "share": kpi.unit == "share"}
        cards.append(card | {"mean": stat["mean"], "ci95": stat["ci95"]})
    return cards


def _encoded(figures: dict[str, bytes]) -> list[dict[str, str]]:
    return [{"name": name, "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii")}
            for name, png in figures.items()]  # fmt: skip
