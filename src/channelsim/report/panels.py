"""Which figures a results folder gets, in page order, each with its section and caption."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from channelsim.report import prepare as results
from channelsim.report import prepare_experiments as experiments
from channelsim.report import prepare_plan as plan_data
from channelsim.report.data import Chart, Panel
from channelsim.report.inputs import Inputs

SECTIONS = ("Headline", "Plan", "Futures", "Market", "Channels", "Customers", "Marketing", "Conflict", "Compare",
            "Sweep", "Sensitivity")  # fmt: skip


def panels(found: Inputs) -> list[Panel]:
    """Every panel whose inputs the folder holds (and that has something to show)."""
    candidates: list[tuple[str, str, str, Callable[[], Chart | None]]] = []
    cur = found.currency
    if found.summary is not None:
        s = found.summary
        candidates += [
            ("kpis", "Headline", "Totals over the horizon. Money runs from what customers paid to profit, step by "
             "step (each step a mean; the steps add up to profit); whiskers are 95% intervals across replications.",
             partial(results.headline, s, cur)),
            ("channel_mix", "Channels", "Where orders happen: each channel's share of all orders.",
             partial(results.channel_mix, s)),
            ("funnel", "Customers", "From lead to active customer. Prospects are the leads that reached "
             "someone not yet aware of the brand; customers include those active at week 0.",
             partial(results.funnel, s, found.scenario)),
            ("partner_customers", "Customers", "Partners' own prospecting: the prospects each partner found "
             "itself, and how many became customers (their first order goes to that partner when it can sell).",
             partial(results.partner_customers, s, found.scenario)),
        ]  # fmt: skip
    if found.kpis is not None:
        k = found.kpis
        candidates += [
            ("market_share", "Market", "Our share of each segment's orders, ours and the rivals' together; "
             "the rivals have the rest. Bands are 95% intervals across replications.",
             partial(results.market_share, k, found.scenario)),
            ("weekly_orders", "Channels", "Orders per week in each channel.", partial(results.weekly_orders, k)),
        ]  # fmt: skip
    if found.scenario is not None:
        sc, plan = found.scenario, found.plan
        candidates += [
            ("response_curves", "Marketing", "Expected leads per week at each weekly spend; the dot is "
             "today's spend" + (", the diamond the optimal plan's." if plan else "."),
             partial(results.response_curves, sc, plan, cur)),
            ("budget_shift", "Marketing", "Weekly spend per source today and in the optimal plan (plan.json).",
             partial(results.budget_shift, sc, plan, cur)),
        ]  # fmt: skip
    candidates += _plan(found)
    candidates += _conflict(found)
    candidates += _experiments(found)
    out = []
    for name, section, caption, build in candidates:
        chart = build()
        if chart is not None:
            out.append(Panel(name, section, caption, chart))
    return sorted(out, key=lambda p: SECTIONS.index(p.section))  # stable: keeps the order within a section


def _plan(found: Inputs) -> list[tuple[str, str, str, Callable[[], Chart | None]]]:
    out: list[tuple[str, str, str, Callable[[], Chart | None]]] = []
    plan, sc, cur = found.plan, found.scenario, found.currency
    if plan is not None:
        out += [
            ("plan_profit", "Plan", "Profit of today's allocation and of the plan: the optimizer's forecast "
             "(hatched) beside the simulation (solid, mean and 95% interval) when the plan was validated.",
             partial(plan_data.plan_profit, plan, cur)),
            ("period_plan", "Plan", "Each source's spend per week today and in each period of the plan "
             "(allocation.csv has the same numbers).", partial(plan_data.period_chart, plan, sc, cur)),
            ("futures", "Futures", "The robust plan's value in each future beside today's allocation there "
             "(regret.csv has every plan in every future).", partial(plan_data.futures_chart, plan, cur)),
        ]  # fmt: skip
    if found.frontier is not None:
        out.append(("frontier", "Plan", "Each point is a separate optimization (frontier.csv); the dot is "
                    "today's plan at its forecast, the diamond the plan at today's setting: the gap between "
                    "them is what re-allocating gains.",
                    partial(plan_data.frontier, found.frontier, plan, cur)))  # fmt: skip
    return out


def _conflict(found: Inputs) -> list[tuple[str, str, str, Callable[[], Chart | None]]]:
    out: list[tuple[str, str, str, Callable[[], Chart | None]]] = []
    if found.summary is not None:
        s = found.summary
        regions = list(found.scenario.regions) if found.scenario else []
        homes = {p.id: p.region for p in found.scenario.partners} if found.scenario else {}
        out += [
            ("diversion", "Conflict", "Grey-market sales: orders a partner sold into another partner's region.",
             partial(results.diversion, s, regions, homes)),
            ("exits", "Conflict", "How often each partner left (its trailing margin fell below its threshold).",
             partial(results.exits, s)),
            ("turnover", "Conflict", "Channel efficiency: how many times a year each partner's stock turns "
             "over (cost of goods sold over the average stock; low turns tie up money, high ones risk stock-outs).",
             partial(results.turnover, s)),
        ]  # fmt: skip
    if found.kpis is not None and found.summary is not None and found.summary.get("by_partner"):
        k, sc = found.kpis, found.scenario
        out.append(("prices", "Conflict", "Each partner's price index week by week; cuts below 1 are "
                    "undercutting (price war) or discounts.", partial(results.price_paths, k, sc)))  # fmt: skip
    return out


def _experiments(found: Inputs) -> list[tuple[str, str, str, Callable[[], Chart | None]]]:
    out: list[tuple[str, str, str, Callable[[], Chart | None]]] = []
    if found.compare is not None:
        c = found.compare
        out += [
            ("compare_profit", "Compare", "Profit change of each variant against the base, from paired "
             "replications (common random numbers). Solid bars: the 95% interval excludes 0.",
             partial(experiments.compare_profit, c)),
            ("compare_kpis", "Compare", "Change of each KPI in % of the base (a number without % where "
             "the base is 0; a share in percentage points, pp). * marks a significant change.",
             partial(experiments.compare_matrix, c)),
        ]  # fmt: skip
    if found.sweep is not None and found.sweep_meta is not None:
        out.append(("sweep", "Sweep", "Each point simulated with the same seed; bands are 95% intervals "
                    "across replications.", partial(experiments.sweep_chart, found.sweep, found.sweep_meta)))  # fmt: skip
    if found.tornado is not None and found.tornado_meta is not None and len(found.tornado):
        out.append(("tornado", "Sensitivity", "Profit change when one parameter moves down (blue) or up "
                    "(orange), the others held; largest swing on top. Whiskers: the 95% interval of the paired change "
                    "(the same seeds as the base).",
                    partial(experiments.tornado_chart, found.tornado, found.tornado_meta)))  # fmt: skip
    return out
