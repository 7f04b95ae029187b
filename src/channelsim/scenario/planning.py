"""Scenario sections for planning: the optimizer's budget and settings, and what-if variants."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from channelsim._types import Bound, Count, Model, NonNeg, Positive, Share


class Budget(Model):
    """Limits for the optimizer (per week)."""

    marketing_per_week: NonNeg | None = None  # marketing spend limit; default: the baseline's total spend
    incentives_per_week: NonNeg | None = None  # incentive cost limit; default: the baseline's incentive cost
    max_share_per_source: Share = 1.0  # largest share of the marketing budget for one source
    min_active_sources: Count = 0  # fewest sources with spend
    fixed_per_week: NonNeg | None = None  # most the open channels' fixed costs may be a week; default: no limit
    min_open_channels: Count = 0  # fewest channels open (a direct one, or an indirect one with a partner)


class Target(Model):
    """Least spend that reaches `at_least` of `metric` (instead of the most value for a budget)."""

    metric: Literal["profit", "revenue", "customers", "roas"]  # what must reach the target
    at_least: Bound  # the target value


class Optimize(Model):
    """How the optimizer runs."""

    objective: Literal["profit", "revenue", "customers"] = "profit"  # what the optimizer maximises
    solver: Literal["cbc", "highs"] = "cbc"  # the MILP solver
    breakpoints: Annotated[int, Field(ge=2, le=1000)] = 24  # pieces in each curve's piecewise-linear form
    max_diverted_orders_per_week: NonNeg | None = None  # limit on diverted orders; default: no limit
    periods: Annotated[int, Field(ge=1, le=520)] = 1  # >1: a spend per source per period (with adstock)
    time_limit_seconds: Positive = 60.0  # the solver's time limit
    target: Target | None = None  # least spend reaching a target, instead of a budget
    terminal_value: bool = False  # true: profit also counts the customer equity left at the horizon


class Variant(Model):
    """A what-if overlay: `set` dotted paths to values, `remove` items by dotted path."""

    description: str = ""  # shown in reports
    set: dict[str, Any] = {}  # dotted path → new value
    remove: list[str] = []  # dotted paths of items or keys to remove
