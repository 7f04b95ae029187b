"""Calibration: scale what a source's leads bring by what the simulation attributes to them."""

from __future__ import annotations

from channelsim.scenario.schema import Scenario
from channelsim.valuation.forecast import lead_rates, partner_lead_rates, unaware_path
from channelsim.valuation.lead_value import Valuation
from channelsim.valuation.sellers import baseline_tiers


def calibration(sc: Scenario, attributed: dict[str, dict[str, float]]) -> dict[str, float]:
    """Per source: measured ÷ analytic contribution attributed to its leads at the scenario's plan.

    `attributed` maps source id → {"leads", "attributed_contribution"} (simulated totals, e.g. the
    means of `summary.json`'s `by_source`). Sources without leads keep 1."""
    tiers = baseline_tiers(sc)
    leads = lead_rates(sc, {src.id: [src.spend_per_week] * sc.horizon_weeks for src in sc.sources})
    probe = Valuation(sc, tiers)
    val = Valuation(sc, tiers, unaware_path(sc, leads, probe.grid, probe, partner_lead_rates(sc, tiers)))
    out = {}
    for src in sc.sources:
        own = val.weekly(val.lead_value(src, referrals=False))[:, 0]
        expected = float(leads[src.id] @ own)
        measured = attributed.get(src.id, {})
        ok = expected > 0 and measured.get("leads", 0) > 0
        out[src.id] = measured["attributed_contribution"] / expected if ok else 1.0
    return out
