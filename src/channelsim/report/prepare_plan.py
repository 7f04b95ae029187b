"""Data for the plan's part of the page: every lever today and in the plan, the forecast beside the
simulation, shadow prices and binding limits, the period plan, and a robust plan's futures and regret.

Everything is read from `plan.json` (and, for today's values and the words of the limits, from the
scenario the manifest resolved); a plan without some part (not validated, one period, not robust)
leaves that table out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from channelsim.report.data import Bars, Curve, Lines, Shift, Table
from channelsim.report.prepare import stat
from channelsim.scenario.schema import Scenario

#: the effects `--validate` measures that the forecast leaves out (validated.left_out), in words
LEFT_OUT = {
    "price_war_weeks": "price-war weeks (prices cut in a war; the forecast prices as written)",
    "partner_exits": "partner exits (the forecast keeps every partner)",
    "detections": "diverters caught (penalties withhold their tier)",
    "lost_orders": "lost orders (nothing of ours to buy: stock-outs, queues)",
    "detractors_end": "detractors at the end (slow service, stock-outs, price rises)",
    "stockout_weeks": "partner stock-out weeks",
}


def number(value: Any, signed: bool = False) -> str:
    """A figure in a table: thousands separators, two decimals below 100, a dash for none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    decimals = 0 if abs(float(value)) >= 100 or abs(float(value)) < 0.005 else 2
    return f"{float(value) + 0.0:{'+' if signed else ''},.{decimals}f}"


def spend(value: Any) -> str:
    """Money per week in a table: whole units (cents say nothing to a planner), a dash for none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{float(value):,.0f}"


def _share(change: float, base: float | None) -> str:
    return f" ({change / abs(base):+.1%})" if base else ""


def value_label(plan: dict[str, Any]) -> str:
    """What `objective_value` is: "expected profit", or a robust plan's risk measure ("CVaR₀.₂ profit")."""
    objective = str(plan.get("objective", "profit"))
    robust = plan.get("robust")
    if robust:
        return str(robust.get("label") or f"{robust.get('risk', 'expected')} {objective}")
    return "least spend" if objective == "least_spend" else f"expected {objective}"


def _unit(plan: dict[str, Any], currency: str) -> str:
    return "" if plan.get("objective") == "customers" else f" {currency}"


def headline(plan: dict[str, Any], currency: str, weeks: int | None) -> str | None:
    """One sentence: the plan's value, today's, and the uplift, named by what they are."""
    value, base = plan.get("objective_value"), plan.get("baseline_value")
    if not isinstance(value, int | float):
        return None
    label, unit = value_label(plan), _unit(plan, currency)
    horizon = f" over {weeks} weeks" if weeks else ""
    text = f"{label[0].upper()}{label[1:]} with the plan: {number(value)}{unit}{horizon}"
    if isinstance(base, int | float):
        text += (f"; with today's allocation {number(base)}{unit}: "
                 f"{'an uplift' if value >= base else 'a change'} of {number(value - base, True)}{unit}"
                 f"{_share(value - base, base)}")  # fmt: skip
    if plan.get("robust"):
        text += f" (one plan for {len(plan['robust']['futures'])} futures: see Futures)"
    return text + "."


def _forecasts(plan: dict[str, Any]) -> dict[str, float] | None:
    """The forecast profit of today's allocation and of the plan (a robust plan's: in the base future)."""
    expected = plan.get("expected") or {}
    base, new = ((expected.get(key) or {}).get("profit") for key in ("baseline", "plan"))
    if new is None and plan.get("objective", "profit") == "profit" and not plan.get("robust"):
        base, new = plan.get("baseline_value"), plan.get("objective_value")
    if isinstance(base, int | float) and isinstance(new, int | float):
        return {"baseline": float(base), "plan": float(new)}
    return None


def forecast_table(plan: dict[str, Any], currency: str) -> Table | None:
    """Profit of today's allocation, the plan and the uplift: the forecast beside the simulation."""
    forecast = _forecasts(plan)
    if forecast is None:
        return None
    forecast["uplift"] = forecast["plan"] - forecast["baseline"]
    names = {"baseline": "Today's allocation", "plan": "The plan", "uplift": "Uplift (plan − today)"}
    future = " (the base future)" if plan.get("robust") else ""
    validated = plan.get("validated") or {}
    if not validated:
        rows = [[names[k], number(forecast[k], k == "uplift")] for k in names]
        return Table(f"Profit: forecast{future}", "Not simulated: with --validate the simulation of today's "
                     "allocation and of the plan (same seed, common random numbers) stands beside the forecast.",
                     [f"Profit over the horizon ({currency})", "Forecast"], rows)  # fmt: skip
    agreement = validated.get("agreement") or {}
    rows, strong = [], []
    for key, name in names.items():
        node = (validated.get(key) or {}).get("profit")
        mean, lo, hi = stat(node) if isinstance(node, dict) else (math.nan, math.nan, math.nan)
        signed = key == "uplift"
        gap = forecast[key] - mean if math.isfinite(mean) else math.nan
        if key in agreement and agreement[key].get("agree") is not None:
            ok = bool(agreement[key]["agree"])
            verdict = f"{'yes' if ok else 'no'} (tolerance ±{number(agreement[key].get('tolerance'))})"
        elif math.isfinite(lo) and math.isfinite(hi):
            ok = lo <= forecast[key] <= hi
            verdict = "yes (inside the 95% interval)" if ok else "no (outside the 95% interval)"
        else:
            ok, verdict = True, "—"
        rows.append([name, number(forecast[key], signed), number(mean, signed),
                     f"[{number(lo, signed)}, {number(hi, signed)}]", number(gap, True) + _share(gap, mean),
                     verdict])  # fmt: skip
        strong.append(not ok)
    n, seed = validated.get("replications"), validated.get("seed")
    intro = (f"Forecast: the optimizer's analytic value{future}. Simulated: {n} replications with seed {seed}, "
             "today's allocation and the plan on the same random streams (common random numbers), so the "
             "uplift is paired. Forecast and simulation agree when they differ by at most the larger of 5% "
             "and the simulation's 95% half-interval; a row that does not is in bold.")  # fmt: skip
    headers = [f"Profit over the horizon ({currency})", "Forecast", "Simulated (mean)", "95% interval",
               "Forecast − simulated", "Agree"]  # fmt: skip
    return Table(f"Profit: forecast and simulated{future}", intro, headers, rows, strong, "lrrrrl")


def left_out_table(plan: dict[str, Any]) -> Table | None:
    """What the forecast leaves out, by its simulated size under today's allocation and the plan."""
    left = (plan.get("validated") or {}).get("left_out") or {}
    if not left:
        return None
    keys = list(dict.fromkeys([*(left.get("baseline") or {}), *(left.get("plan") or {})]))
    rows = [[LEFT_OUT.get(k, k.replace("_", " ")), _count((left.get("baseline") or {}).get(k)),
             _count((left.get("plan") or {}).get(k))] for k in keys]  # fmt: skip
    return Table("What the forecast leaves out", "The effects the simulation has and the analytic forecast "
                 "does not (or only to first order), by their simulated size: mean over the replications, "
                 "over the horizon.", ["Effect", "Today (simulated)", "Plan (simulated)"], rows)  # fmt: skip


def _periods(plan: dict[str, Any], count: int) -> list[int]:
    weeks = (plan.get("details") or {}).get("periods")
    if isinstance(weeks, list) and len(weeks) == count:
        return [int(w) for w in weeks]
    return [1] * count  # unknown lengths: equal weights


def period_labels(weeks: list[int]) -> list[str]:
    """The periods' names ("weeks 1–13", "weeks 14–26", ...) for periods of these lengths."""
    ends = np.cumsum(weeks).tolist()
    return [
        f"weeks {end - w + 1}–{end}" if w > 1 else f"week {end}" for w, end in zip(weeks, ends, strict=True)
    ]


def _spends(plan: dict[str, Any]) -> dict[str, list[float]]:
    """Source → the plan's spend per week in each period (one value for a one-period plan)."""
    out = {}
    for sid, entry in (plan.get("sources") or {}).items():
        value = entry.get("spend_per_week") if isinstance(entry, dict) else entry
        if value is not None:
            out[sid] = [float(v) for v in value] if isinstance(value, list) else [float(value)]
    return out


def _change(now: float | None, new: float) -> str:
    if now is None:
        return "—"
    if not now:
        return "new" if new else "±0"
    if not new:
        return "stopped"
    return "±0" if abs(new - now) < 0.005 * abs(now) else f"{(new - now) / now:+.0%}"


def _count(value: Any) -> str:
    """A simulated count or size: whole numbers from 100, one decimal below (0 as 0)."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 or value == 0 else f"{value:.1f}"


def _today_tiers(plan: dict[str, Any], sc: Scenario | None) -> dict[str, str]:
    tiers = dict((plan.get("details") or {}).get("baseline_tiers") or {})
    if sc is not None:
        for incentive in sc.incentives:
            for partner in sc.partners_of(incentive.channel):
                tiers.setdefault(partner.id, incentive.current.get(partner.id, incentive.tiers[0].level))
    return tiers


def _tier_costs(sc: Scenario | None) -> dict[str, dict[str, float]]:
    """Partner → level → cost per week, from the scenario's incentive programmes."""
    out: dict[str, dict[str, float]] = {}
    for incentive in sc.incentives if sc is not None else []:
        for partner in sc.partners_of(incentive.channel) if sc is not None else []:
            out.setdefault(partner.id, {t.level: t.cost_per_week for t in incentive.tiers})
    return out


def _returns(values: Any) -> str:
    if not isinstance(values, list) or not values:
        return "—"
    return " / ".join("—" if v is None else f"{float(v):.3f}" for v in values)


def levers_table(plan: dict[str, Any], sc: Scenario | None, currency: str) -> Table | None:
    """Every lever the plan sets, today and in the plan: spend per source (per period), each partner's
    tier, each loyalty programme on or off, the win-back spend; changed levers in bold."""
    rows: list[list[str]] = []
    strong: list[bool] = []
    returns = plan.get("marginal_return") or {}
    today_spend = {s.id: s.spend_per_week for s in sc.sources} if sc is not None else {}
    spends = _spends(plan)
    periods = max((len(v) for v in spends.values()), default=1)
    for sid, values in spends.items():
        now = today_spend.get(sid)
        mean = float(np.average(values, weights=_periods(plan, len(values))))
        several = len(values) > 1  # one spend per period: the mean here, each period's in the table below
        rows.append([sid, f"spend per week ({currency})", spend(now), f"{spend(mean)} (mean)" if several else spend(mean),
                     _change(now, mean), "by period, below" if several else _returns(returns.get(sid))])  # fmt: skip
        strong.append(now is None or abs(mean - now) > 0.005 * max(1.0, now))
    today_tier, costs = _today_tiers(plan, sc), _tier_costs(sc)
    for pid, entry in (plan.get("incentives") or {}).items():
        level = str(entry.get("tier") if isinstance(entry, dict) else entry)
        was = today_tier.get(pid)

        def tier(name: str | None, partner: str = pid) -> str:
            cost = costs.get(partner, {}).get(name or "")
            return "—" if name is None else f"{name} ({cost:,.0f}/week)" if cost else name

        rows.append([pid, "incentive tier", tier(was), tier(level),
                     "—" if was is None else "same" if was == level else f"{was} → {level}", "—"])  # fmt: skip
        strong.append(was != level)
    today_on = {p.id: p.active for p in sc.loyalty_programs} if sc is not None else {}
    for pid, entry in (plan.get("loyalty_programs") or {}).items():
        on, before = bool(entry.get("active") if isinstance(entry, dict) else entry), today_on.get(pid)
        rows.append([pid, "loyalty programme", "—" if before is None else "on" if before else "off",
                     "on" if on else "off",
                     "—" if before is None else "same" if before == on else "switched on" if on else "switched off",
                     "—"])  # fmt: skip
        strong.append(before != on)
    winback = (plan.get("winback") or {}).get("spend_per_week")
    if isinstance(winback, int | float):
        spent = sc.winback.spend_per_week if sc is not None and sc.winback is not None else None
        rows.append(["win-back", f"spend per week ({currency})", spend(spent), spend(winback),
                     _change(spent, float(winback)), _returns(returns.get("winback"))])  # fmt: skip
        strong.append(spent is None or abs(winback - spent) > 0.005 * max(1.0, spent))
    decided = ((plan.get("details") or {}).get("design") or {}).get("decisions") or {}
    for oid, d in decided.items():
        state, was = ("open" if d["open"] else "closed"), ("open" if d["today"] else "closed")
        worth = "—" if d.get("worth") is None else f"{number(d['worth'], signed=True)} vs {'closed' if d['open'] else 'open'}"
        rows.append([oid, "channel design (open or closed)", was, state, "same" if state == was else f"{was} → {state}",
                     worth])  # fmt: skip
        strong.append(state != was)
    if not rows:
        return None
    objective = plan.get("objective", "profit")
    intro = ("Every decision of the plan beside today's; the levers it changes are in bold. "
             f"Marginal return: {objective} gained per extra {currency} of weekly spend at the plan "
             f"{'(net of the media cost, so 0 is break-even; ' if objective == 'profit' else '('}"
             "under a binding budget the funded sources' returns are equal).")  # fmt: skip
    if periods > 1:
        intro += f" Spend has one value per period ({periods} periods: the table and chart below)."
    if decided:
        intro += (" A channel-design decision's last column is what it is worth: the plan's forecast "
                  f"against the same plan with that outlet flipped ({currency}, one-off costs included).")
    return Table("The plan: every lever, today and planned", intro,
                 ["Lever", "Kind", "Today", "Plan", "Change", "Marginal return"], rows, strong, "llrrrr")  # fmt: skip


def periods_table(plan: dict[str, Any], sc: Scenario | None, currency: str) -> Table | None:
    """With more than one period: each source's spend per week in each period, the setup costs of the
    sources funded, the total against the budget, and each source's marginal return per period."""
    spends = _spends(plan)
    count = max((len(v) for v in spends.values()), default=1)
    if count < 2:
        return None
    weeks = _periods(plan, count)
    sources = {s.id: s for s in sc.sources} if sc is not None else {}
    per = {sid: (values * count)[:count] for sid, values in spends.items()}
    rows = [[sid, spend(sources[sid].spend_per_week if sid in sources else None), *map(spend, values)]
            for sid, values in per.items()]  # fmt: skip
    totals = [sum(values[p] for values in per.values()) for p in range(count)]
    total_today = sum(s.spend_per_week for s in sources.values()) if sources else None
    setup = {sid: sources[sid].setup_cost_per_week for sid in per if sid in sources}
    if any(setup.values()):  # paid only while a source is funded: part of the budget
        paid = [sum(cost for sid, cost in setup.items() if per[sid][p] > 0) for p in range(count)]
        now = sum(cost for sid, cost in setup.items() if sources[sid].spend_per_week > 0)
        rows.append(["setup costs (sources funded)", spend(now), *map(spend, paid)])
        totals = [t + c for t, c in zip(totals, paid, strict=True)]
        total_today = None if total_today is None else total_today + now
    winback = (plan.get("winback") or {}).get("spend_per_week")
    if isinstance(winback, int | float):
        was = sc.winback.spend_per_week if sc is not None and sc.winback is not None else None
        rows.append(["win-back (all periods)", spend(was), *([spend(winback)] * count)])
        totals = [t + winback for t in totals]
        total_today = None if total_today is None or was is None else total_today + was
    rows.append(["Marketing, total", spend(total_today), *map(spend, totals)])
    strong = [False] * (len(rows) - 1) + [True]
    budget = (plan.get("details") or {}).get("marketing_budget_per_week")
    if isinstance(budget, int | float):
        rows.append(["Marketing budget", spend(budget), *([spend(budget)] * count)])
        strong.append(False)
    returns = plan.get("marginal_return") or {}
    for sid in per:
        values = returns.get(sid)
        if isinstance(values, list) and len(values) == count:
            rows.append(
                [f"marginal return: {sid}", "", *("—" if v is None else f"{float(v):.3f}" for v in values)]
            )
            strong.append(False)
    return Table(f"Spend per period ({currency} per week)", "The plan's spend per week in each period "
                 "(adstock carries spend from one period into the next); win-back is one spend over the "
                 "whole horizon and counts in every period's budget. Below the budget: each source's "
                 "marginal return in each period (negative: one more unit of spend there loses money; a source "
                 "funded all the same is held there by a limit, such as the fewest sources to keep funded).",
                 [f"Spend per week ({currency})", "Today", *period_labels(weeks)], rows, strong)  # fmt: skip


def period_chart(plan: dict[str, Any], sc: Scenario | None, currency: str) -> Lines | None:
    """Each source's spend per week today and in each period of the plan."""
    spends = _spends(plan)
    count = max((len(v) for v in spends.values()), default=1)
    if count < 2:
        return None
    today = {s.id: s.spend_per_week for s in sc.sources} if sc is not None else {}
    labels = ["today", *period_labels(_periods(plan, count))]
    series = {sid: [today.get(sid, math.nan), *(values * count)[:count]] for sid, values in spends.items()}
    return Lines("Spend per week per source: today and in each period of the plan", "Period",
                 f"Spend per week ({currency})", [float(i) for i in range(count + 1)], series,
                 currency=currency, x_ticks=labels, markers=True)  # fmt: skip


def _binding_text(group: str, plan: dict[str, Any], sc: Scenario | None, currency: str) -> str:
    """One binding limit in a planner's words (the group name as it is when the scenario says nothing)."""
    kind, _, name = group.partition(":")
    details = plan.get("details") or {}
    source = next((s for s in sc.sources if s.id == name), None) if sc is not None else None
    money = f"{currency}/week"
    if kind == "marketing_budget":
        budget = details.get("marketing_budget_per_week")
        return f"the marketing budget{f' ({number(budget)} {money})' if budget is not None else ''} is spent in full"
    if kind == "incentive_budget":
        budget = details.get("incentive_budget_per_week")
        return f"the incentive budget{f' ({number(budget)} {money})' if budget is not None else ''} is used in full"
    if kind == "max_spend":
        top = source.max_spend_per_week if source is not None else None
        return f"{name} at its maximum spend{f' ({number(top)} {money})' if top is not None else ''}"
    if kind == "min_spend":
        low = source.min_spend_per_week if source is not None else None
        return f"{name} held at its minimum spend{f' ({number(low)} {money})' if low is not None else ''}"
    if kind == "locked":
        return f"{name} locked at today's spend"
    if kind == "max_share":
        share = f" ({sc.budget.max_share_per_source:.0%})" if sc is not None else ""
        return f"{name} at its largest share of the marketing budget{share}"
    if kind == "min_active_sources":
        fewest = f" {sc.budget.min_active_sources}" if sc is not None else ""
        return f"the fewest sources to keep funded ({fewest.strip() or 'min_active_sources'}) are funded, no more"
    if kind == "capacity":
        return f"{name}'s fulfilment is at its capacity (the busiest week fits)"
    if kind == "keep_partner":
        return f"{name} is kept just above its exit threshold"
    if kind == "winback_min":
        return "win-back held at its minimum spend"
    if kind == "diversion_cap":
        cap = sc.optimize.max_diverted_orders_per_week if sc is not None else None
        return f"diverted orders at the cap{f' ({cap:g} a week)' if cap is not None else ''}"
    if kind == "target":
        return "the target is met exactly"
    return group


def limits_table(plan: dict[str, Any], sc: Scenario | None, currency: str) -> Table | None:
    """Shadow prices and the limits that bind: what a planner would gain by relaxing each."""
    objective = plan.get("objective", "profit")
    rows: list[list[str]] = []
    for key, name, what in (("budget_shadow_price", "Marketing budget", "marketing"),
                            ("incentive_budget_shadow_price", "Incentive budget", "incentive")):  # fmt: skip
        price = plan.get(key)
        if isinstance(price, int | float):
            rows.append([f"{name}: shadow price", f"{price:.3f}",
                         f"{objective} gained per extra {currency} a week of {what} budget"
                         + (" (not binding)" if abs(price) < 1e-9 else "")])  # fmt: skip
    if plan.get("robust"):
        rows.append(["Shadow prices", "—", "left out for a robust plan: one future's duals would mislead"])
    for group in plan.get("binding") or []:
        rows.append([f"Binding: {group}", "at its limit", _binding_text(group, plan, sc, currency)])
    if not plan.get("binding"):
        rows.append(["Binding", "none", "no limit holds the plan back"])
    details = plan.get("details") or {}
    if details.get("exits_at_risk"):
        rows.append(["Partners at risk of leaving", ", ".join(details["exits_at_risk"]),
                     "below their exit threshold today; the simulation shows whether they leave"])  # fmt: skip
    bound = (plan.get("approximation_bound") or {}).get("total")
    intro = ("A shadow price is what one more unit of a limit would be worth; a binding limit is one the "
             "plan sits on.")  # fmt: skip
    if isinstance(bound, int | float) and plan.get("robust"):
        intro += f" The MILP's pieces can misstate the objective by at most {number(bound)}."
    elif isinstance(bound, int | float) and isinstance(plan.get("milp_objective"), int | float):
        intro += (f" The MILP's pieces can misstate the objective by at most {number(bound)} (its own value "
                  f"of the plan: {number(plan['milp_objective'])}; the exact forecast: "
                  f"{number(plan.get('objective_value'))}).")  # fmt: skip
    return Table(
        "Shadow prices and binding limits", intro, ["Limit", "Value", "What it means"], rows, align="lrl"
    )


def plan_profit(plan: dict[str, Any] | None, currency: str) -> Bars | None:
    """Profit today and under the plan, forecast and simulated side by side (simulated when validated)."""
    if not plan:
        return None
    forecast = _forecasts(plan) or {}
    validated = plan.get("validated") or {}
    labels: list[str] = []
    values: list[float] = []
    lows: list[float] = []
    highs: list[float] = []
    solid: list[bool] = []
    for key, name in (("baseline", "Today"), ("plan", "Plan")):
        if key in forecast:
            labels.append(f"{name}: forecast")
            values.append(forecast[key])
            lows.append(math.nan)
            highs.append(math.nan)
            solid.append(False)
        node = (validated.get(key) or {}).get("profit")
        if isinstance(node, dict):
            mean, lo, hi = stat(node)
            labels.append(f"{name}: simulated")
            values.append(mean)
            lows.append(lo)
            highs.append(hi)
            solid.append(True)
    if not labels:
        return None
    title = "Profit today and with the plan: forecast" + (" and simulated" if validated else "")
    if plan.get("robust"):
        title += " (base future)"
    xlabel = f"Profit over the horizon ({currency})" + (
        "; simulated: mean and 95% interval" if validated else ""
    )
    return Bars(title, xlabel, labels, values, lows, highs, currency=currency, emphasis=solid)


def frontier(table: pd.DataFrame | None, plan: dict[str, Any] | None, currency: str) -> Curve | None:
    """The optimal value as the budget (or the diversion cap) moves; today's plan at its forecast.

    The dot is today's allocation at its forecast (plan.json's `expected.baseline`, which the
    simulation now matches), the diamond the best plan at today's setting: the vertical gap is
    what re-allocating gains.
    """
    if table is None or table.empty:
        return None
    kind = str(table["kind"].iloc[0])
    xs, ys = table["x"].astype(float).tolist(), table["value"].astype(float).tolist()
    today = float(table["current_x"].iloc[0])
    best_today = (today, float(np.interp(today, xs, ys)))
    plan = plan or {}
    objective = str(plan.get("objective", "profit"))
    key = {"customers": "new_customers"}.get(objective, objective)
    forecast = ((plan.get("expected") or {}).get("baseline") or {}).get(key)
    if not isinstance(forecast, int | float) and not plan.get("robust"):
        forecast = plan.get("baseline_value")  # a robust plan's baseline value is its risk measure
    current = (today, float(forecast)) if isinstance(forecast, int | float) else best_today
    label = "today's plan (forecast)" if isinstance(forecast, int | float) else "today's setting"
    money = currency if objective != "customers" else None
    ylabel = f"Expected {objective}" + (f" ({currency})" if money else "")
    if kind == "budget":
        return Curve(f"Budget frontier: the best {objective} for each marketing budget",
                     f"Marketing budget per week ({currency})", ylabel, xs, ys, current, best_today, currency,
                     "optimal plan at that budget", label, money, "the plan at today's budget", True)  # fmt: skip
    return Curve(f"Conflict frontier: the best {objective} for each cap on diverted orders",
                 "Cap on expected diverted orders per week", ylabel, xs, ys, current, best_today, None,
                 "optimal plan under that cap", label, money, "the plan at today's cap", True)  # fmt: skip


def _future_text(name: str, sc: Scenario | None) -> str:
    if name == "base":
        return "the scenario as written"
    variant = sc.variants.get(name) if sc is not None else None
    return variant.description if variant is not None and variant.description else name


def robust_measure_text(robust: dict[str, Any]) -> str:
    risk, alpha = robust.get("risk", "expected"), robust.get("alpha", 0.2)
    if risk == "cvar":
        return f"the mean of the worst {alpha:.0%} of the futures, by weight"
    if risk == "worst":
        return "the value in the worst future"
    return "the weighted mean over the futures"


def futures_table(plan: dict[str, Any], sc: Scenario | None, currency: str) -> Table | None:
    """A robust plan: each future, its weight, today's value and the plan's there, and the measure."""
    robust = plan.get("robust")
    if not robust:
        return None
    label, unit = value_label(plan), _unit(plan, currency)
    today = robust.get("baseline_values") or {}
    regret = {r["future"]: r["regret"] for r in robust.get("regret", []) if r["plan"] == "robust"}
    rows = []
    for name, weight in zip(robust["futures"], robust["weights"], strict=True):
        value, now = robust["values"].get(name), today.get(name)
        rows.append([name, f"{weight:.2f}", _future_text(name, sc), number(now), number(value),
                     number(value - now, True) if value is not None and now is not None else "—",
                     number(regret.get(name))])  # fmt: skip
    rows.append([label, "", robust_measure_text(robust), number(plan.get("baseline_value")),
                 number(robust.get("measure")), number((plan.get("uplift")), True), ""])  # fmt: skip
    strong = [False] * (len(rows) - 1) + [True]
    objective = plan.get("objective", "profit")
    intro = (f"One plan chosen for {len(robust['futures'])} futures by its {label}: {robust_measure_text(robust)}. "
             f"Each future values the same decisions with its own curves, prices and costs; the limits are "
             f"the base scenario's. Regret: the best {objective} any of the plans below reaches in that future "
             "less this plan's.")  # fmt: skip
    money = f" ({unit.strip()})" if unit else ""
    headers = ["Future", "Weight", "What it assumes", f"Today{money}", f"The plan{money}", f"Uplift{money}",
               f"Regret{money}"]  # fmt: skip
    return Table("The futures: the plan's value in each", intro, headers, rows, strong, "lrlrrrr")


def regret_table(plan: dict[str, Any], currency: str) -> Table | None:
    """Each candidate plan (the robust one, and each future's own optimum) valued in every future: the
    best value there on top, then each plan's regret there, its largest regret and its risk measure."""
    robust = plan.get("robust")
    if not robust or not robust.get("regret"):
        return None
    futures, label = list(robust["futures"]), value_label(plan)
    cells = {(r["plan"], r["future"]): r for r in robust["regret"]}
    plans = list(dict.fromkeys(r["plan"] for r in robust["regret"]))
    best = {f: max((r["best"] for r in robust["regret"] if r["future"] == f), default=None) for f in futures}
    rows = [["best value there", *(number(best[f]) for f in futures), "", ""]]
    strong = [False]
    measures = robust.get("measures") or {}
    for p in plans:
        regrets = [cells[(p, f)]["regret"] for f in futures if (p, f) in cells]
        rows.append([f"regret of {p.replace('_', ' ')}",
                     *(number(cells[(p, f)]["regret"]) if (p, f) in cells else "—" for f in futures),
                     number(max(regrets)) if regrets else "—", number(measures.get(p))])  # fmt: skip
        strong.append(p == "robust")
    intro = ("Every plan in every future: the best value any of these plans reaches there, and each plan's "
             "regret (that best value less its own; regret.csv has the values). Each future's own optimal "
             f"plan has regret 0 in its future; the robust plan (in bold) is the best by the {label}, not "
             "necessarily in any one future.")  # fmt: skip
    headers = ["Plan", *(f"in {f} ({currency})" for f in futures), "Largest regret", label]
    return Table("Regret: every plan in every future", intro, headers, rows, strong)


def futures_chart(plan: dict[str, Any] | None, currency: str) -> Shift | None:
    """A robust plan's value in each future beside today's allocation there."""
    robust = (plan or {}).get("robust")
    if not robust or not robust.get("baseline_values"):
        return None
    futures = list(robust["futures"])
    objective = (plan or {}).get("objective", "profit")
    return Shift(f"The robust plan in each future: {objective} today and with the plan",
                 f"{objective[0].upper()}{objective[1:]} over the horizon ({currency})", futures,
                 [float(robust["baseline_values"][f]) for f in futures],
                 [float(robust["values"][f]) for f in futures],
                 currency, ("today's allocation", "the robust plan"))  # fmt: skip
