"""Scenario sections for customer relationship levers: loyalty programmes, win-back, alerts."""

from __future__ import annotations

import difflib
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from channelsim._types import Bound, Id, Model, NonNeg, Positive, Share, Utility
from channelsim.curves import Curve

#: KPIs an alert may watch: each weekly metric of kpis.csv and the levels it is reported at.
ALERT_LEVELS: dict[str, tuple[str, ...]] = {
    "active_customers": ("segment", "total"),
    "attributed_contribution": ("source",),
    "brand_revenue": ("total",),
    "cannibalized_orders": ("total",),
    "contribution": ("channel", "partner", "segment", "total"),
    "crm_cost": ("total",),
    "detections": ("partner",),
    "detractors": ("segment", "total"),
    "diverted_orders": ("partner", "region", "total"),
    "diverting": ("partner",),
    "fixed_cost": ("total",),
    "hhi": ("total",),
    "incentive_cost": ("total",),
    "lapsed_customers": ("segment", "total"),
    "lapses": ("segment",),
    "inventory_turnover": ("partner",),
    "leads": ("partner", "source", "total"),
    "lost_orders": ("region", "total"),
    "lost_prospects": ("segment", "total"),
    "market_share": ("segment", "total"),
    "marketing_spend": ("source", "total"),
    "members": ("segment", "total"),
    "min_price_index": ("total",),
    "new_customers": ("partner", "region", "segment", "source", "total"),
    "nps": ("channel", "segment", "total"),
    "open": ("partner",),
    "orders": ("channel", "partner", "region", "segment", "total"),
    "partner_leads": ("total",),
    "partner_margin": ("partner",),
    "price_index": ("partner",),
    "price_war": ("total",),
    "profit": ("total",),
    "promoters": ("segment", "total"),
    "prospects": ("segment", "total"),
    "repeat_customers": ("segment", "total"),
    "response_time_mean": ("channel",),
    "revenue": ("channel", "partner", "region", "total"),
    "rival_orders": ("segment", "total"),
    "share": ("channel",),
    "stock_on_hand": ("partner",),
    "stockout_rate": ("partner",),
    "switched_to_rivals": ("segment", "total"),
    "top_channel_share": ("total",),
    "wasted_leads": ("source", "total"),
    "winback_spend": ("total",),
    "won_back": ("segment", "total"),
}
ALERT_METRICS = frozenset(ALERT_LEVELS)


class LoyaltyProgram(Model):
    """Membership that counts across `channels` (online and offline together)."""

    id: Id  # the programme's id
    channels: Annotated[list[Id], Field(min_length=1)]  # where membership counts (online and offline)
    enrolment_per_week: NonNeg = 0.0  # share of active non-members joining a week
    cost_per_member_per_week: NonNeg = 0.0  # the brand's cost per member
    points_cost: Share = 0.0  # fraction of member spend given back
    purchase_multiplier: Positive = 1.0  # on purchases_per_week, for members
    churn_multiplier: NonNeg = 1.0  # on churn_per_week, for members
    channel_bonus: Utility = 0.0  # utility bonus for member channels
    initial_members: Share = 0.0  # share of the initial customers who are members at week 0
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
    above: Bound | None = None  # flag weeks above this
    below: Bound | None = None  # flag weeks below this
    level: Literal["total", "source", "channel", "partner", "segment", "region"] | None = (
        None  # where to watch it; default: total, or the metric's only level
    )

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
        levels = ALERT_LEVELS.get(self.metric, ())
        if self.level is not None and levels and self.level not in levels:
            raise ValueError(f"'{self.metric}' is reported at level {', '.join(levels)}, not {self.level}")
        return self

    @property
    def watched_level(self) -> str:
        """The level the alert watches: as given, else total, else the metric's only level."""
        levels = ALERT_LEVELS[self.metric]
        return self.level or ("total" if "total" in levels else levels[0])
