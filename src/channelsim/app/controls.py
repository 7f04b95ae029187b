"""The app's levers: which scenario values get a slider or a menu, and how settings become overrides.

A control is addressed by the same dotted path a variant's `set` uses
(`sources.search_ads.spend_per_week`), so what a person moves in the browser is exactly
what "save as variant" writes and what `Scenario.with_overrides` validates.
Incentive tiers are one control per partner (`incentives.PROGRAMME.current.PARTNER`) but
one override per programme (`incentives.PROGRAMME.current`), because a variant replaces
the whole assignment.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from channelsim.app.bodies import shown
from channelsim.errors import UsageError
from channelsim.scenario.schema import Scenario

PRICE_RANGE = (0.7, 1.3)  # price index: 30% below to 30% above list is plenty for a workshop
PRICE_STEP = 0.01


@dataclass(frozen=True)
class Control:
    """One lever on the page: a slider (`range`) or a menu (`select`)."""

    path: str  # dotted path, as in a variant's `set`
    label: str  # what a person reads
    group: str  # the panel it sits in
    kind: str  # range | select
    value: float | str
    minimum: float = 0.0
    maximum: float = 1.0
    step: float = 1.0
    unit: str = ""
    options: list[str] = field(default_factory=list)
    help: str = ""

    def to_data(self) -> dict[str, Any]:
        return asdict(self)


def _nice_step(span: float) -> float:
    """A round slider step giving about 100 positions (50, 100, 250, ...)."""
    if span <= 0:
        return 1.0
    raw = span / 100
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _source_controls(sc: Scenario) -> list[Control]:
    budget = sc.budget.marketing_per_week
    controls = []
    for src in sc.sources:
        top = src.max_spend_per_week or budget or max(2 * src.spend_per_week, 1000.0)
        top = max(top, src.spend_per_week)
        step = src.units.cost if src.units else _nice_step(top - src.min_spend_per_week)
        controls.append(Control(
            f"sources.{src.id}.spend_per_week", src.id.replace("_", " "), "Marketing spend per source",
            "range", src.spend_per_week, src.min_spend_per_week, top, step, f"{sc.currency}/week",
            help="weekly spend: more spend buys more leads, with diminishing returns",
        ))  # fmt: skip
    return controls


def _price_control(path: str, label: str, group: str, value: float, floor: float | None) -> Control:
    low = min(max(PRICE_RANGE[0], floor or 0.0), value)
    return Control(path, label, group, "range", round(value, 4), low, max(PRICE_RANGE[1], value), PRICE_STEP,
                   "× list price", help="1.00 = list price; 0.90 = 10% cheaper")  # fmt: skip


def _price_controls(sc: Scenario) -> list[Control]:
    group = "Prices (1 = list price)"
    controls = [
        _price_control(
            f"channels.{ch.id}.price_index", ch.id.replace("_", " "), group, ch.price_index, ch.price_floor
        )
        for ch in sc.channels
        if ch.type == "direct"
    ]
    for partner in sc.partners:
        value = (
            partner.price_index
            if partner.price_index is not None
            else sc.channel(partner.channel).price_index
        )
        label = f"{partner.id.replace('_', ' ')} (partner)"
        controls.append(_price_control(f"partners.{partner.id}.price_index", label, group, value,
                                       partner.price_floor))  # fmt: skip
    return controls


def _tier_controls(sc: Scenario) -> list[Control]:
    controls = []
    for programme in sc.incentives:
        levels = [t.level for t in programme.tiers]
        default = "none" if "none" in levels else levels[0]
        for partner in sc.partners_of(programme.channel):
            controls.append(Control(
                f"incentives.{programme.id}.current.{partner.id}", partner.id.replace("_", " "),
                f"Incentive tier: {programme.id.replace('_', ' ')}", "select",
                programme.current.get(partner.id, default), options=levels,
                help="a higher tier costs more per week and buys more partner effort (and a rebate)",
            ))  # fmt: skip
    return controls


def _policy_controls(sc: Scenario) -> list[Control]:
    policed = any(p.diversion for p in sc.partners) or sc.conflict.map_price_index is not None
    if not policed:  # enforcement catches diverters and MAP violators: a lever with nothing to act on
        return []
    group = "Channel policy"
    conflict = sc.conflict
    controls = [Control("conflict.enforcement_per_week", "enforcement", group, "range",
                        conflict.enforcement_per_week, 0.0, 1.0, 0.05, "chance/week",
                        help="chance per week of catching a partner who sells outside its region "
                             "or below the minimum advertised price")]  # fmt: skip
    if conflict.map_price_index is not None:
        controls.append(_price_control("conflict.map_price_index", "minimum advertised price", group,
                                       conflict.map_price_index, None))  # fmt: skip
    return controls


def controls_for(sc: Scenario) -> list[Control]:
    """Every lever of the scenario, in the order the page shows them."""
    return _source_controls(sc) + _price_controls(sc) + _tier_controls(sc) + _policy_controls(sc)


def _coerce(control: Control, raw: Any) -> float | str:
    """A value from the browser, checked against the control: its type and the slider's range.

    A web form sends strings ("3000"), so text that reads as a number is one; `true` is not.
    """
    if control.kind == "select":
        if not isinstance(raw, str) or raw not in control.options:
            raise UsageError(
                f"{control.path}: must be one of {', '.join(control.options)} (got {shown(raw)})"
            )
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise UsageError(f"{control.path}: must be a number (got {shown(raw)})")
    try:
        value = float(raw)
    except (ValueError, OverflowError):  # OverflowError: an int beyond 1.8e308
        raise UsageError(f"{control.path}: must be a number (got {shown(raw)})") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{control.path}: must be a number >= 0 (got {shown(raw)})")
    slack = 1e-9 * max(1.0, abs(control.maximum))  # a slider's end, written back as a float
    if not control.minimum - slack <= value <= control.maximum + slack:
        low, high = _number(control.minimum), _number(control.maximum)
        unit = f" {control.unit}" if control.unit else ""
        raise UsageError(f"{control.path}: must be between {low} and {high}{unit} (got {shown(raw)})")
    return value


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.4g}"


def overrides_for(sc: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    """The dotted-path overrides (as a variant's `set`) for the values that differ from the scenario."""
    known = {c.path: c for c in controls_for(sc)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise UsageError(f"unknown control(s): {', '.join(shown(path) for path in unknown[:5])}{more}")
    overrides: dict[str, Any] = {}
    tiers: dict[str, dict[str, str]] = {}
    for path, raw in values.items():
        control = known[path]
        value = _coerce(control, raw)
        if path.startswith("incentives.") and ".current." in path:
            programme, partner = path.removeprefix("incentives.").split(".current.")
            tiers.setdefault(programme, {})[partner] = str(value)
        elif value != control.value:
            overrides[path] = value
    for programme, chosen in tiers.items():
        current = {p: level for p, level in chosen.items() if level != "none"}
        baseline = {p: lvl for p, lvl in next(i for i in sc.incentives if i.id == programme).current.items()
                    if lvl != "none"}  # fmt: skip
        if current != baseline:
            overrides[f"incentives.{programme}.current"] = current
    return overrides
