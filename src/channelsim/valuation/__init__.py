"""Analytic expectations of the model (docs/model.md), the numbers the optimizer is built on.

One module per concept:

- `sellers`: who sells (direct channels, partners), their incentive tiers and order money;
- `loyalty_chain`: logit shares of a segment in a region, and the loyalty Markov chain;
- `timing`: repeat purchases, member-weeks and consideration delays within the horizon;
- `lead_value`: what a customer, a prospect and a lead bring over the rest of the horizon;
- `forecast`: a whole plan's expected totals, with the Bass path of the unaware;
- `expected_diversion`: the orders diverters take, per week;
- `calibration`: scaling lead values by the simulation's attribution.

The equations themselves (order money, utility, adstock, diversion rules, media cost) are
`channelsim.model`'s, shared with the simulation.
"""

from channelsim.valuation.calibration import calibration
from channelsim.valuation.expected_diversion import diversion_effect, diversion_totals, diversion_weight
from channelsim.valuation.forecast import (
    Forecast,
    effective_spend,
    forecast,
    lead_rates,
    partner_lead_rates,
    partner_values,
    unaware_path,
)
from channelsim.valuation.lead_value import METRICS, STEP, Layout, Valuation, running_programmes
from channelsim.valuation.loyalty_chain import Choice, choice
from channelsim.valuation.sellers import (
    Seller,
    baseline_tiers,
    incentive_cost,
    incentive_of,
    rebate_of,
    seller_money,
    sellers,
    tier_terms,
)

__all__ = [
    "METRICS", "STEP", "Choice", "Forecast", "Layout", "Seller", "Valuation", "baseline_tiers", "calibration",
    "choice", "diversion_effect", "diversion_totals", "diversion_weight", "effective_spend", "forecast",
    "incentive_cost", "incentive_of", "lead_rates", "partner_lead_rates", "partner_values", "rebate_of", "running_programmes", "seller_money",
    "sellers", "tier_terms", "unaware_path",
]  # fmt: skip
