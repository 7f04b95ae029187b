"""Scenario sections for customer relationship levers: loyalty programmes, win-back, alerts."""

from __future__ import annotations

import difflib
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from channelsim._types import Id, Model, NonNeg, Positive, Share
from channelsim.curves import Curve

#: KPIs an alert may watch (weekly values, as in kpis.csv).
ALERT_METRICS = frozenset(
    {
        "leads", "wasted_leads", "new_customers", "orders", "lost_orders", "revenue",
        "brand_revenue", "contribution", "profit", "active_customers", "lapsed_customers",
        "share", "hhi", "top_channel_share", "stockout_rate", "partner_margin", "nps",
        "diverted_orders", "response_time_mean", "min_price_index", "members", "won_back",
    }
)  # fmt: skip


class LoyaltyProgram(Model):
    """Membership that counts across `channels` (online and offline together)."""

    id: Id  # the programme's id
    channels: Annotated[list[Id], Field(min_length=1)]  # where membership counts (online and offline)
    enrolment_per_week: NonNeg = 0.0  # share of active non-members joining a week
    cost_per_member_per_week: NonNeg = 0.0  # the brand's cost per member
    points_cost: Share = 0.0  # fraction of member spend given back
    purchase_multiplier: Positive = 1.0  # on purchases_per_week, for members
    churn_multiplier: NonNeg = 1.0  # on churn_per_week, for members
    channel_bonus: float = 0.0  # utility bonus for member channels
    active: bool = True  # the baseline; the optimizer may switch it


class Winback(Model):
    """Spend aimed at lapsed customers; its curve gives reactivations per week."""

    spend_per_week: NonNeg = 0.0  # the current plan (the baseline)
    min_spend_per_week: NonNeg = 0.0  # the optimizer's lower bound
    max_spend_per_week: NonNeg | None = None  # the optimizer's upper bound
    response: Curve  # weekly spend → reactivations per week


class Alert(Model):
    """Flag the weeks a KPI is above or below a threshold."""

    metric: str  # the KPI to watch (its weekly value, as in kpis.csv)
    above: float | None = None  # flag weeks above this
    below: float | None = None  # flag weeks below this
    level: Literal["total", "source", "channel", "partner", "segment", "region"] = "total"  # aggregation

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        if metric not in ALERT_METRICS:
            close = difflib.get_close_matches(metric, sorted(ALERT_METRICS), n=1)
            hint = (
                f" — did you mean '{close[0]}'?" if close else f" (known: {', '.join(sorted(ALERT_METRICS))})"
            )
            raise ValueError(f"unknown metric{hint}")
        return metric

    @model_validator(mode="after")
    def _threshold(self) -> Alert:
        if self.above is None and self.below is None:
            raise ValueError("give a threshold: `above` or `below`")
        return self
