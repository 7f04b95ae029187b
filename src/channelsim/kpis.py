"""From engine output to the SPEC §4 shapes: per-replication figures and the tidy weekly table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from channelsim.model.clv import clv
from channelsim.scenario.channels import Partner
from channelsim.scenario.schema import Scenario
from channelsim.sim.engine import ReplicationOutput
from channelsim.stats import ratio

TOTAL_KPIS = ("leads", "wasted_leads", "new_customers", "orders", "lost_orders", "revenue", "brand_revenue",
              "contribution", "marketing_spend", "incentive_cost", "fixed_cost", "crm_cost", "profit",
              "active_customers", "lapsed_customers", "prospects", "members", "won_back", "winback_spend",
              "promoters", "detractors", "repeat_customers", "rival_orders", "lost_prospects",
              "switched_to_rivals", "partner_leads")  # fmt: skip
SOURCE_KPIS = ("leads", "wasted_leads", "new_customers", "marketing_spend", "attributed_contribution")
SEGMENT_KPIS = (
    "new_customers",
    "orders",
    "contribution",
    "lapses",
    "won_back",
    "active_customers",
    "lapsed_customers",
    "prospects",
    "members",
    "promoters",
    "detractors",
    "repeat_customers",
    "rival_orders",
    "lost_prospects",
    "switched_to_rivals",
)
REGION_KPIS = ("orders", "revenue", "new_customers", "lost_orders", "diverted_orders")
PARTNER_KPIS = ("orders", "revenue", "contribution", "partner_margin", "diverted_orders", "detections",
                "price_index", "open", "diverting", "leads", "new_customers")  # fmt: skip


#: sources after the paid ones, which cost nothing: Bass (innovation, word of mouth) and partners'
#: own prospects (reserved ids: no paid source has them)
FREE_SOURCES = ("organic", "referral", "partners")
STATE_KPIS = ("active_customers", "lapsed_customers", "prospects", "members", "promoters", "detractors",
              "repeat_customers")  # fmt: skip
OUTLET_SUMS = ("orders", "revenue", "contribution", "response_time_sum", "responses", "promoter_orders",
               "detractor_orders", "stock_unit_weeks", "stocked_orders")  # fmt: skip
#: Weeks in a year: inventory turnover is per year, whatever the horizon.
YEAR = 52.0


def inventory_turnover(orders: float, unit_weeks: float) -> float:
    """Cost of goods sold over the average stock, a year: every order takes a unit, so at one cost a
    unit it is units sold a year over units on hand on average, 52·orders / unit-weeks held (NaN
    without stock). `orders`: the units that left the shelf (`units_out`)."""
    return ratio(YEAR * orders, unit_weeks)


def units_out(outlet: dict[str, np.ndarray]) -> np.ndarray:
    """Units that left each outlet's shelf, weekly: its customers' orders and, at a wholesaler, the
    units it shipped to its retailers (two levels: they are its cost of goods sold too)."""
    return outlet["orders"] + outlet["supplied_units"]


def channel_tables(out: ReplicationOutput) -> dict[str, np.ndarray]:
    """Weekly tables by channel (outlets summed into their channels)."""
    outlet, n = out.tables["outlet"], len(out.entities.channels)
    member = np.zeros((len(out.entities.outlets), n))
    member[np.arange(len(out.entities.outlets)), out.entities.outlet_channel] = 1.0
    stocked = outlet["stock_unit_weeks"].sum(axis=0) > 0  # outlets that held stock: their units left it
    outlet = outlet | {"stocked_orders": units_out(outlet) * stocked}
    tables = {m: outlet[m] @ member for m in OUTLET_SUMS}
    tables["nps"] = nps_of(tables["promoter_orders"], tables["detractor_orders"], tables["orders"])
    total = tables["orders"].sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        tables["share"] = np.where(total > 0, tables["orders"] / np.where(total > 0, total, 1), 0.0)
        tables["response_time_mean"] = np.where(
            tables["responses"] > 0,
            tables["response_time_sum"] / np.where(tables["responses"] > 0, tables["responses"], 1),
            0.0,
        )
    return tables


def concentration(shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest share and Herfindahl–Hirschman index (Σ share²) per row."""
    return shares.max(axis=1, initial=0.0), (shares**2).sum(axis=1)


def partner_slice(out: ReplicationOutput) -> slice:
    first = len(out.entities.outlets) - len(out.entities.partners)
    return slice(first, len(out.entities.outlets))


def replication_kpis(out: ReplicationOutput, scenario: Scenario) -> dict[str, Any]:
    """Every summary figure of one replication, as a nested dict of numbers."""
    t, e = out.tables, out.entities
    total = {k: float(t["total"][k].sum()) for k in TOTAL_KPIS if k not in STATE_KPIS}
    total["active_customers_end"] = float(t["total"]["active_customers"][-1, 0])
    total["lapsed_customers"] = float(t["total"]["lapsed_customers"][-1, 0])
    total["market_share"] = market_share(total["orders"], total["rival_orders"])
    total["customer_equity"] = out.customer_equity
    channels = channel_tables(out)
    orders_all = total["orders"]
    return {
        "totals": total,
        "by_source": _by_source(out),
        "by_channel": {
            cid: {
                "orders": float(channels["orders"][:, c].sum()),
                "share": ratio(float(channels["orders"][:, c].sum()), orders_all) if orders_all else 0.0,
                "revenue": float(channels["revenue"][:, c].sum()),
                "contribution": float(channels["contribution"][:, c].sum()),
                "response_time_mean": ratio(
                    float(channels["response_time_sum"][:, c].sum()), float(channels["responses"][:, c].sum())
                )
                if channels["responses"][:, c].sum()
                else 0.0,
                "inventory_turnover": inventory_turnover(
                    float(channels["stocked_orders"][:, c].sum()),
                    float(channels["stock_unit_weeks"][:, c].sum()),
                ),
            }
            for c, cid in enumerate(e.channels)
        },
        "by_partner": _by_partner(out, scenario),
        "by_segment": _by_segment(out, scenario),
        "conflict": _conflict(out, scenario),
        "concentration": _concentration(channels["orders"].sum(axis=0), orders_all),
        "crm": _crm(out),
    }


def _by_source(out: ReplicationOutput) -> dict[str, dict[str, float]]:
    src = out.tables["source"]
    result = {}
    for i, sid in enumerate(out.entities.sources):
        spend, new = float(src["marketing_spend"][:, i].sum()), float(src["new_customers"][:, i].sum())
        result[sid] = {
            m: float(src[m][:, i].sum())
            for m in ("leads", "wasted_leads", "new_customers", "marketing_spend", "attributed_contribution")
        }
        result[sid]["cac"] = ratio(spend, new)
    return result


def _by_partner(out: ReplicationOutput, scenario: Scenario) -> dict[str, dict[str, float | dict[str, float]]]:
    outlet, part = out.tables["outlet"], partner_slice(out)
    result: dict[str, dict[str, float | dict[str, float]]] = {}
    for k, pid in enumerate(out.entities.partners):
        j = part.start + k
        result[pid] = {
            "orders": float(outlet["orders"][:, j].sum()),
            "diverted_orders": float(outlet["diverted_orders"][:, j].sum()),
            "revenue": float(outlet["revenue"][:, j].sum()),
            "partner_margin": float(outlet["partner_margin"][:, j].sum()),
            "min_price_index": float(out.min_price[j]),
            "stockout_rate": float(outlet["stockout_weeks"][:, j].sum()) / scenario.horizon_weeks,
            "inventory_turnover": inventory_turnover(
                float(units_out(outlet)[:, j].sum()), float(outlet["stock_unit_weeks"][:, j].sum())
            ),
            "exited": 1.0 if out.exited[j] else 0.0,
            "detections": float(outlet["detections"][:, j].sum()),
            "leads": float(outlet["leads"][:, j].sum()),
            "new_customers": float(outlet["new_customers"][:, j].sum()),
            "diverted_into": {
                region: float(out.diverted_into[j, r])
                for r, region in enumerate(out.entities.regions)
                if r != scenario.regions.index(scenario.partners[k].region)
            },
        }
        result[pid] |= _levels(outlet, j, scenario, scenario.partners[k])
    return result


def _levels(outlet: dict[str, np.ndarray], j: int, scenario: Scenario, partner: Partner) -> dict[str, float]:
    """A two-level partner's figures (docs/model.md "Two-level channels"); none for a one-level one.

    A retailer: what its wholesaler kept of its orders (`supplier_margin`; its own `partner_margin`
    is net of it). A wholesaler: the margin it kept of its retailers' orders (`wholesale_margin`,
    part of its `partner_margin`), those orders (`resold_orders`), its retailers' reorders
    (`supply_orders`), the units it shipped them and the units they had to wait for."""

    def total(metric: str) -> float:
        return float(outlet[metric][:, j].sum())

    out = {}
    if partner.supplied_by:
        out["supplier_margin"] = total("supplier_margin")
    if scenario.retailers_of(partner.id):
        for metric in (
            "wholesale_margin",
            "resold_orders",
            "supply_orders",
            "supplied_units",
            "backordered_units",
        ):
            out[metric] = total(metric)
    return out


def _by_segment(out: ReplicationOutput, scenario: Scenario) -> dict[str, dict[str, float]]:
    seg = out.tables["segment"]
    programmes = tuple(
        (p.enrolment_per_week, p.purchase_multiplier, p.churn_multiplier)
        for p, on in zip(scenario.loyalty_programs, out.programmes_active, strict=True)
        if on
    )
    result = {}
    for s, segment in enumerate(scenario.segments):
        orders, contribution = float(seg["orders"][:, s].sum()), float(seg["contribution"][:, s].sum())
        result[segment.id] = {
            "new_customers": float(seg["new_customers"][:, s].sum()),
            "orders": orders,
            "rival_orders": float(seg["rival_orders"][:, s].sum()),
            "market_share": market_share(orders, float(seg["rival_orders"][:, s].sum())),
            "active_end": float(seg["active_customers"][-1, s]),
            "contribution": contribution,
            "nps": nps(
                float(seg["detractors"][-1, s]),
                float(seg["active_customers"][-1, s]),
                float(seg["promoters"][-1, s]),
            ),
            "clv": clv(
                ratio(contribution, orders),
                segment.purchases_per_week,
                segment.churn_per_week,
                scenario.horizon_weeks,
                programmes,
            ),
        }
    return result


def market_share(orders: float, rival_orders: float) -> float:
    """Our share of the purchase occasions that ended in an order: orders / (orders + rival orders)."""
    return ratio(orders, orders + rival_orders)


def market_shares(orders: np.ndarray, rival_orders: np.ndarray) -> np.ndarray:
    """`market_share` element-wise (weekly rows); 0 where a week had no order anywhere."""
    occasions = orders + rival_orders
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(occasions > 0, orders / np.where(occasions > 0, occasions, 1), 0.0)


def price_war_weeks(out: ReplicationOutput) -> np.ndarray:
    """Per week, 1 when some seller prices below its scenario price (a war is on)."""
    below_base = out.tables["outlet"]["price_index"] < np.asarray(out.base_price)[None, :] - 1e-12
    return below_base.any(axis=1).astype(float)


def _conflict(out: ReplicationOutput, scenario: Scenario) -> dict[str, float]:
    outlet, part = out.tables["outlet"], partner_slice(out)
    prices = outlet["price_index"]
    map_index = scenario.conflict.map_price_index
    violations = float((prices[:, part] < map_index - 1e-12).sum()) if map_index else 0.0
    return {
        "diverted_orders": float(outlet["diverted_orders"].sum()),
        "price_war_weeks": float(price_war_weeks(out).sum()),
        "cannibalized_orders": float(out.tables["total"]["cannibalized_orders"].sum()),
        "map_violations": violations,
        "partner_exits": float(sum(out.exited[part])),
        "detections": float(outlet["detections"].sum()),
    }


def _concentration(orders: np.ndarray, total: float) -> dict[str, float]:
    shares = orders / total if total else np.zeros_like(orders)
    top, hhi = concentration(shares[None, :])
    return {"top_channel_share": float(top[0]), "hhi": float(hhi[0])}


def nps(detractors: float, active: float, promoters: float = 0.0) -> float:
    """Net promoter score of the active customers: % promoters − % detractors (NaN: nobody)."""
    return 100.0 * (promoters - detractors) / active if active else math.nan


def nps_of(promoters: np.ndarray, detractors: np.ndarray, people: np.ndarray) -> np.ndarray:
    """NPS element-wise; 0 where there is nobody (a week without customers has no signal)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(people > 0, 100.0 * (promoters - detractors) / np.where(people > 0, people, 1), 0.0)


def min_price(out: ReplicationOutput) -> np.ndarray:
    """The lowest price index of any open outlet, per week."""
    outlet = out.tables["outlet"]
    prices = np.where(outlet["open"] > 0, outlet["price_index"], np.inf)
    return np.where(np.isfinite(prices.min(axis=1)), prices.min(axis=1), 0.0)


def _crm(out: ReplicationOutput) -> dict[str, Any]:
    total, source = out.tables["total"], out.tables["source"]
    end = {m: float(total[m][-1, 0]) for m in STATE_KPIS}
    paid = slice(0, sum(sid not in FREE_SOURCES for sid in out.entities.sources))  # the free ones come last
    won_back = float(total["won_back"].sum())
    channels = channel_tables(out)
    return {
        "members_end": end["members"],
        "nps": nps(end["detractors"], end["active_customers"], end["promoters"]),
        "promoters_end": end["promoters"],
        "detractors_end": end["detractors"],
        "won_back": won_back,
        "winback_spend": float(total["winback_spend"].sum()),
        "winback_cac": ratio(float(total["winback_spend"].sum()), won_back),
        "new_customer_cac": ratio(
            float(source["marketing_spend"][:, paid].sum()), float(source["new_customers"][:, paid].sum())
        ),
        "lifecycle": {
            "prospects": end["prospects"],
            "new": float(total["new_customers"].sum()),
            "active": end["active_customers"],
            "repeat": end["repeat_customers"],
            "members": end["members"],
            "lapsed": end["lapsed_customers"],
            "won_back": won_back,
        },
        "by_channel": {
            cid: {
                "nps": float(
                    nps_of(
                        channels["promoter_orders"][:, c].sum(),
                        channels["detractor_orders"][:, c].sum(),
                        channels["orders"][:, c].sum(),
                    )
                )
            }
            for c, cid in enumerate(out.entities.channels)
        },
    }


def weekly_frame(out: ReplicationOutput, replication: int) -> pd.DataFrame:
    """The tidy weekly KPI rows of one replication (SPEC §4 kpis.csv)."""
    t, e = out.tables, out.entities
    channels = channel_tables(out)
    top, hhi = concentration(channels["share"])
    blocks = [
        (
            "total",
            [""],
            {k: t["total"][k] for k in TOTAL_KPIS}
            | {"top_channel_share": top[:, None], "hhi": hhi[:, None]}
            | {
                "nps": nps_of(
                    t["total"]["promoters"], t["total"]["detractors"], t["total"]["active_customers"]
                ),
                "min_price_index": min_price(out)[:, None],
                "diverted_orders": t["outlet"]["diverted_orders"].sum(axis=1, keepdims=True),
                "cannibalized_orders": t["total"]["cannibalized_orders"],
                "price_war": price_war_weeks(out)[:, None],
                "market_share": market_shares(t["total"]["orders"], t["total"]["rival_orders"]),
            },
        )
    ]
    blocks.append(("source", e.sources, {k: t["source"][k] for k in SOURCE_KPIS}))
    blocks.append(
        (
            "channel",
            e.channels,
            {
                k: channels[k]
                for k in ("orders", "share", "revenue", "contribution", "response_time_mean", "nps")
            },
        )
    )
    part = partner_slice(out)
    partner = {k: t["outlet"][k][:, part] for k in PARTNER_KPIS}
    partner["stockout_rate"] = t["outlet"]["stockout_weeks"][:, part]
    held = t["outlet"]["stock_unit_weeks"][:, part]
    partner["stock_on_hand"] = held  # a week's unit-weeks are its average units on hand
    with np.errstate(invalid="ignore", divide="ignore"):
        partner["inventory_turnover"] = np.where(
            held > 0, YEAR * units_out(t["outlet"])[:, part] / np.where(held > 0, held, 1), 0.0
        )
    blocks.append(("partner", e.partners, partner))
    segment = {k: t["segment"][k] for k in SEGMENT_KPIS}
    segment["nps"] = nps_of(segment["promoters"], segment["detractors"], segment["active_customers"])
    segment["market_share"] = market_shares(segment["orders"], segment["rival_orders"])
    blocks.append(("segment", e.segments, segment))
    blocks.append(("region", e.regions, {k: t["region"][k] for k in REGION_KPIS}))
    frames = [_block(level, ids, metrics, replication) for level, ids, metrics in blocks if ids]
    return pd.concat(frames, ignore_index=True)


def _block(level: str, ids: list[str], metrics: dict[str, np.ndarray], replication: int) -> pd.DataFrame:
    parts = []
    for metric, table in metrics.items():
        weeks, width = table.shape
        parts.append(pd.DataFrame({
            "replication": replication,
            "week": np.repeat(np.arange(weeks), width),
            "level": level,
            "id": np.tile(np.asarray(ids, dtype=object), weeks),
            "metric": metric,
            "value": table.reshape(-1),
        }))  # fmt: skip
    return pd.concat(parts, ignore_index=True)
