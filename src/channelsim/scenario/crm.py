"""Scenario sections for customer relationship levers: loyalty programmes, win-back, alerts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

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

    id: Id
    channels: Annotated[list[Id], Field(min_length=1)]
    enrolment_per_week: NonNeg = 0.0
    cost_per_member_per_week: NonNeg = 0.0
    points_cost: Share = 0.0
    purchase_multiplier: Positive = 1.0
    churn_multiplier: NonNeg = 1.0
    channel_bonus: float = 0.0
    active: bool = True


class Winback(Model):
    """Spend aimed at lapsed customers; its curve gives reactivations per week."""

    spend_per_week: NonNeg = 0.0
    min_spend_per_week: NonNeg = 0.0
    max_spend_per_week: NonNeg | None = None
    response: Curve


class Alert(Model):
    """Flag the weeks a KPI is above or below a threshold."""

    metric: str
    above: float | None = None
    below: float | None = None
    level: Literal["total", "source", "channel", "partner", "segment", "region"] = "total"

    @model_validator(mode="after")
    def _threshold(self) -> Alert:
        if self.metric not in ALERT_METRICS:
            known = ", ".join(sorted(ALERT_METRICS))
            raise ValueError(f"unknown metric '{self.metric}' (known: {known})")
        if self.above is None and self.below is None:
            raise ValueError("give a threshold: `above` or `below`")
        return self
