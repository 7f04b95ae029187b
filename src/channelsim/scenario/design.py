"""Channel design: which direct channels and partners are open (渠道选择; SPEC §2 `candidate`, `closable`).

A direct channel or a partner marked `candidate` is closed today and may be opened (paying
`opening_cost` once, and a channel's fixed cost a week from then on); one marked `closable` is
open today and may be closed (paying `closing_cost` once). Every other outlet stays as it is. A
design is the open state of each outlet that can change (outlet id → open); a closed outlet
is out of every choice, sells nothing and costs nothing, exactly as if it were not in the
scenario (`opened`).
"""

from __future__ import annotations

from dataclasses import dataclass

from channelsim.scenario.channels import Channel, Partner
from channelsim.scenario.schema import Scenario

Design = dict[str, bool]  # outlet id (a direct channel or a partner) → open


@dataclass(frozen=True)
class Decision:
    """One outlet whose open state a plan sets."""

    id: str
    kind: str  # "channel" | "partner"
    today: bool  # open today (closable) or not (candidate)
    flip_cost: float  # paid once when the plan changes today's state

    def cost(self, open_: bool) -> float:
        return self.flip_cost if open_ != self.today else 0.0


def decisions(sc: Scenario) -> list[Decision]:
    """The outlets a plan may open or close, channels first, in the scenario's order."""
    out = []
    outlets: list[tuple[str, Channel | Partner]] = [("channel", c) for c in sc.channels if c.type == "direct"]
    outlets += [("partner", p) for p in sc.partners]
    for kind, outlet in outlets:
        if outlet.candidate:
            out.append(Decision(outlet.id, kind, False, outlet.opening_cost))
        elif outlet.closable:
            out.append(Decision(outlet.id, kind, True, outlet.closing_cost))
    return out


def today(sc: Scenario) -> Design:
    """The design as written: candidates closed, closable outlets open."""
    return {d.id: d.today for d in decisions(sc)}


def is_open(sc: Scenario, outlet_id: str, design: Design | None = None) -> bool:
    """Whether an outlet is open under `design` (default: today); outlets without a decision always are."""
    chosen = today(sc) | (design or {})
    return chosen.get(outlet_id, True)


def opened(sc: Scenario, design: Design | None = None) -> Scenario:
    """The scenario with the closed outlets taken out (and the opened ones as if always there): the
    model of a design, for the valuation. References to a removed partner (an incentive's
    `current`) are dropped with it."""
    chosen = today(sc) | (design or {})
    if not chosen:
        return sc
    closed = {k for k, v in chosen.items() if not v}
    channels = [c.model_copy(update={"candidate": False, "closable": False}) if c.id in chosen else c
                for c in sc.channels if c.id not in closed]  # fmt: skip
    partners = [p.model_copy(update={"candidate": False, "closable": False}) if p.id in chosen else p
                for p in sc.partners if p.id not in closed]  # fmt: skip
    incentives = [i.model_copy(update={"current": {k: v for k, v in i.current.items() if k not in closed}})
                  for i in sc.incentives]  # fmt: skip
    return sc.model_copy(update={"channels": channels, "partners": partners, "incentives": incentives})


def one_off_cost(sc: Scenario, design: Design) -> float:
    """Opening and closing costs of a design against today."""
    return sum(d.cost(design.get(d.id, d.today)) for d in decisions(sc))


def fixed_per_week(sc: Scenario, design: Design | None = None) -> float:
    """The fixed costs a week under a design: every open direct channel's and every indirect
    channel's (the channel is run whatever its partners)."""
    return sum(c.fixed_cost_per_week for c in sc.channels if c.type == "indirect" or is_open(sc, c.id, design))


def runs(sc: Scenario, channel: Channel, design: Design | None = None) -> bool:
    """Whether a channel is running: a direct one open, an indirect one with an open partner."""
    if channel.type == "direct":
        return is_open(sc, channel.id, design)
    return any(is_open(sc, p.id, design) for p in sc.partners_of(channel.id))


def open_channels(sc: Scenario, design: Design | None = None) -> int:
    """How many channels a design runs (for `budget.min_open_channels`)."""
    return sum(runs(sc, c, design) for c in sc.channels)
