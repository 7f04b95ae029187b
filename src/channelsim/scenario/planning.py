"""Scenario sections for planning: the optimizer's budget and settings, and what-if variants."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from channelsim._types import Count, Model, NonNeg, Positive, Share


class Budget(Model):
    """Limits for the optimizer (per week)."""

    marketing_per_week: NonNeg | None = None  # default: the baseline's total spend
    incentives_per_week: NonNeg | None = None  # default: the baseline's incentive cost
    max_share_per_source: Share = 1.0
    min_active_sources: Count = 0


class Target(Model):
    """Least spend that reaches `at_least` of `metric` (instead of the most value for a budget)."""

    metric: Literal["profit", "revenue", "customers", "roas"]
    at_least: float


class Optimize(Model):
    """How the optimizer runs."""

    objective: Literal["profit", "revenue", "customers"] = "profit"
    solver: Literal["cbc", "highs"] = "cbc"
    breakpoints: Annotated[int, Field(ge=2, le=1000)] = 24
    max_diverted_orders_per_week: NonNeg | None = None
    periods: Annotated[int, Field(ge=1, le=520)] = 1
    time_limit_seconds: Positive = 60.0
    target: Target | None = None


class Variant(Model):
    """A what-if overlay: `set` dotted paths to values, `remove` items by dotted path."""

    description: str = ""
    set: dict[str, Any] = {}
    remove: list[str] = []
