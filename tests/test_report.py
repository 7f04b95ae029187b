"""Reports: report.html with embedded PNGs, the PNGs beside it, and figures that plot the data."""

from __future__ import annotations

import base64
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import channelsim as cs
from builders import two_levels
from channelsim.cli import main
from channelsim.report import charts
from channelsim.report import prepare as results
from channelsim.report import prepare_experiments as experiments
from channelsim.report import prepare_plan as plan_data
from channelsim.report.inputs import read_folder
from channelsim.report.panels import panels
from conftest import ROOT, run_cli

WORKBENCH = ROOT / "tests" / "data" / "workbench.yaml"
PNG = b"\x89PNG\r\n\x1a\n"
VOID = {"meta", "img", "br", "hr", "link", "input"}


class _Page(HTMLParser):
    """Collects images and checks that every element is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.images: list[dict[str, str]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")


def parse_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text("utf-8"))
    page.close()
    assert not page.errors and not page.stack, (page.errors, page.stack)
    return page


def check_report(folder: Path, expected: set[str]) -> _Page:
    """The page is valid HTML, embeds exactly the PNGs beside it, each a non-empty PNG."""
    page = parse_page(folder / "report.html")
    embedded = [base64.b64decode(img["src"].removeprefix("data:image/png;base64,")) for img in page.images]
    assert all(img["src"].startswith("data:image/png;base64,") and img["alt"] for img in page.images)
    beside = {p.stem: p.read_bytes() for p in folder.glob("*.png")}
    assert expected <= set(beside), expected - set(beside)
    assert sorted(embedded) == sorted(beside.values())
    assert all(data.startswith(PNG) and len(data) > 5000 for data in embedded)
    return page


@pytest.fixture(scope="module")
def sim_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sim")
    cs.simulate(cs.load(WORKBENCH), replications=2, seed=1).write(folder)
    cs.write_report(folder)
    return folder


@pytest.fixture(scope="module")
def open_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workbench in an open market: rivals in its segment, a northern distributor that prospects."""
    folder = tmp_path_factory.mktemp("open")
    sc = cs.load(WORKBENCH).with_overrides({"segments.people.competition": {"utility": 0.4, "switch_probability": 0.2},
                                            "partners.d_north.leads_per_week": 20})  # fmt: skip
    cs.simulate(sc, replications=3, seed=1).write(folder)
    cs.write_report(folder)
    return folder


def test_simulate_report_has_the_results_panels(sim_folder: Path) -> None:
    page = check_report(sim_folder, {"kpis", "channel_mix", "weekly_orders", "funnel", "response_curves"})
    html = (sim_folder / "report.html").read_text()
    assert "Workbench test" in html and "<h2" in html and "Headline" in html
    assert len(page.images) == len(list(sim_folder.glob("*.png")))


def test_report_is_the_same_bytes_when_rebuilt(sim_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "again"
    shutil.copytree(sim_folder, copy)
    cs.write_report(copy)
    for path in sim_folder.glob("*.png"):
        assert (copy / path.name).read_bytes() == path.read_bytes(), path.name
    assert (copy / "report.html").read_bytes() == (sim_folder / "report.html").read_bytes()


def test_a_plan_adds_the_optimal_spend_and_the_budget_shift(sim_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "planned"
    shutil.copytree(sim_folder, folder)
    plan = {"status": "Optimal", "objective": "profit", "sources": {"search": {"spend_per_week": 2000},
            "social": {"spend_per_week": [100, 300]}}}  # fmt: skip
    (folder / "plan.json").write_text(json.dumps(plan))
    cs.write_report(folder)
    check_report(folder, {"budget_shift", "response_curves"})
    found = read_folder(folder)
    shift = results.budget_shift(found.scenario, found.plan, "EUR")
    assert (
        shift.labels == ["search", "social"] and shift.current == [800, 400] and shift.optimal == [2000, 200]
    )
    assert plan_data.plan_profit(found.plan, "EUR") is None  # no expected values, not validated
    plan |= {"objective_value": 900.0, "baseline_value": 700.0,
             "validated": {"plan": {"profit": {"mean": 880.0, "std": 5.0, "ci95": [870.0, 890.0]}}}}  # fmt: skip
    bars = plan_data.plan_profit(plan, "EUR")
    assert bars.labels == ["Today: forecast", "Plan: forecast", "Plan: simulated"]  # side by side
    assert bars.values == [700.0, 900.0, 880.0] and bars.highs[2] == 890.0
    assert bars.emphasis == [False, False, True]  # the forecasts hatched, the simulation solid
    curves = results.response_curves(found.scenario, found.plan, "EUR")
    search = found.scenario.sources[0].response
    assert curves.items[0].optimal == (2000, search.leads(2000))
    assert curves.items[0].current == (800, search.leads(800))


@pytest.fixture(scope="module")
def experiment_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("experiments")
    sc = cs.load(WORKBENCH)
    cs.compare(sc, ["more_search", "cheap_marketplace"], replications=2).write(folder)
    cs.sweep(sc, {"channels.marketplace.price_index": [0.9, 1.0], "sources.search.spend_per_week": [400, 1600]},
             replications=2).write(folder)  # fmt: skip
    cs.tornado(
        sc, 10, ["sources.search.spend_per_week", "channels.marketplace.price_index"], replications=2
    ).write(folder)
    cs.write_report(folder)
    return folder


def test_experiment_report_has_compare_sweep_and_tornado(experiment_folder: Path) -> None:
    check_report(experiment_folder, {"compare_profit", "compare_kpis", "sweep", "tornado", "kpis"})
    html = (experiment_folder / "report.html").read_text()
    for section in ("Compare", "Sweep", "Sensitivity"):
        assert f">{section}</h2>" in html


def _bar_widths(ax) -> list[float]:
    return [patch.get_width() for patch in ax.patches]


def _titles(figure: Figure) -> list[str]:
    sup = figure.get_suptitle()
    return [sup] + [ax.get_title() for ax in figure.axes if ax.get_title()]


def test_every_figure_is_titled_and_its_axes_labelled(
    sim_folder: Path, experiment_folder: Path, open_folder: Path, plan_folder: Path, robust_folder: Path
) -> None:
    for folder in (sim_folder, experiment_folder, open_folder, plan_folder, robust_folder):
        for panel in panels(read_folder(folder)):
            figure = charts.draw(panel.chart)
            assert figure.get_suptitle(), panel.name
            for ax in figure.axes:
                if ax.get_visible() and ax.get_label() != "<colorbar>":
                    assert ax.get_xlabel(), (panel.name, "x")
                    assert ax.get_ylabel() or ax.get_yticklabels(), (panel.name, "y")


def test_headline_bars_are_the_summary_means(sim_folder: Path) -> None:
    summary = json.loads((sim_folder / "summary.json").read_text())
    figure = charts.draw(results.headline(summary, "EUR"))
    money, counts = figure.axes[:2]
    labels = [t.get_text() for t in money.get_yticklabels()]
    # the Money panel is a waterfall: its totals are the summary's means, drawn from 0
    totals = {"Revenue (customers paid)": "revenue", "Contribution": "contribution", "Profit": "profit"}
    for label, key in totals.items():
        bar = money.patches[labels.index(label)]
        level = bar.get_x() if bar.get_x() < 0 else bar.get_x() + bar.get_width()  # a loss is drawn left of 0
        assert min(bar.get_x(), 0) == pytest.approx(min(level, 0))
        assert level == pytest.approx(summary["totals"][key]["mean"])
    assert labels[0] == "Revenue (customers paid)" and labels[-1] == "Profit"
    assert "EUR" in money.get_xlabel()
    assert _bar_widths(counts)[0] == pytest.approx(summary["totals"]["orders"]["mean"])
    assert "2 replications" in figure.get_suptitle()


def test_weekly_orders_lines_are_the_mean_over_replications(sim_folder: Path) -> None:
    found = read_folder(sim_folder)
    kpis = found.kpis
    figure = charts.draw(results.weekly_orders(kpis))
    ax = figure.axes[0]
    rows = kpis[(kpis.level == "channel") & (kpis.metric == "orders")]
    want = rows.groupby(["id", "week"]).value.mean()
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"webshop", "marketplace", "distributors"}
    for channel, line in lines.items():
        assert list(line.get_xdata()) == list(range(8))
        assert list(line.get_ydata()) == pytest.approx(want[channel].tolist())
    assert ax.get_ylabel() == "Orders per week" and ax.get_xlabel() == "Week"


def test_compare_figures_plot_the_paired_changes(experiment_folder: Path) -> None:
    data = json.loads((experiment_folder / "compare.json").read_text())
    figure = charts.draw(experiments.compare_profit(data))
    ax = figure.axes[0]
    rows = [r for r in data["rows"] if r["kpi"] == "profit" and r["variant"] != "base"]
    assert _bar_widths(ax) == pytest.approx([r["diff_mean"] for r in rows])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["more_search", "cheap_marketplace"]
    assert ax.get_xlabel() == "Change in profit vs base (EUR)"
    matrix = experiments.compare_matrix(data)
    image = charts.draw(matrix).axes[0].get_images()[0].get_array()
    profit = [r["diff_pct"] for r in rows]
    assert list(np.asarray(image)[:, 0]) == pytest.approx(profit)
    assert matrix.texts[0][0].startswith(f"{profit[0]:+.0f}%")


def test_sweep_heatmap_is_the_profit_grid(experiment_folder: Path) -> None:
    found = read_folder(experiment_folder)
    chart = experiments.sweep_chart(found.sweep, found.sweep_meta)
    figure = charts.draw(chart)
    ax = figure.axes[0]
    profit = found.sweep[found.sweep.kpi == "profit"].sort_values("point")["mean"].to_numpy()
    assert np.asarray(ax.get_images()[0].get_array()) == pytest.approx(profit.reshape(2, 2))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["400", "1600"]
    assert ax.get_ylabel() == "channels.marketplace.price_index"


def test_sweep_line_has_the_means_and_the_band(sim_folder: Path) -> None:
    sweep = cs.sweep(
        cs.load(WORKBENCH), {"channels.marketplace.price_index": [0.9, 0.95, 1.0]}, replications=2
    )
    chart = experiments.sweep_chart(sweep.table, sweep.to_data())
    ax = charts.draw(chart).axes[0]
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [0.9, 0.95, 1.0]
    assert list(line.get_ydata()) == pytest.approx(
        [r.figure("totals", "profit")["mean"] for r in sweep.results]
    )
    assert ax.get_ylabel() == "Profit over the horizon (EUR)"


def test_tornado_bars_are_the_changes(experiment_folder: Path) -> None:
    found = read_folder(experiment_folder)
    figure = charts.draw(experiments.tornado_chart(found.tornado, found.tornado_meta))
    widths = _bar_widths(figure.axes[0])
    n = len(found.tornado)
    assert widths[:n] == pytest.approx(found.tornado.low_change.tolist())
    assert widths[n:] == pytest.approx(found.tornado.high_change.tolist())
    assert "10%" in figure.get_suptitle()


def test_diversion_matrix_and_exits_from_the_summary() -> None:
    stat = lambda v: {"mean": v, "std": 0.0, "ci95": [v, v]}  # noqa: E731
    summary = {"by_partner": {
        "d_north": {"diverted_orders": stat(7.0), "diverted_into": {"south": stat(7.0)}, "exited": stat(0.0)},
        "d_south": {"diverted_orders": stat(2.0), "diverted_into": {"north": stat(2.0)}, "exited": stat(0.5)},
    }}  # fmt: skip
    matrix = results.diversion(summary, ["north", "south"])
    assert matrix.rows == ["d_north", "d_south"] and matrix.cols == ["north", "south"]
    assert matrix.values == [[0.0, 7.0], [2.0, 0.0]]
    ax = charts.draw(matrix).axes[0]
    assert [t.get_text() for t in ax.texts] == ["0", "7", "2", "0"]
    homes = results.diversion(summary, ["north", "south"], {"d_north": "north", "d_south": "south"})
    assert homes.texts == [["home", "7"], ["2", "home"]]  # selling at home is not diversion
    exits = results.exits(summary)
    assert exits.values == [0.0, 50.0] and exits.percent


def test_cli_simulate_writes_the_report_and_report_rebuilds_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = run_cli("simulate", WORKBENCH, "--replications", "1", "--out", out)
    assert done.returncode == 0, done.stderr
    assert (out / "report.html").exists() and (out / "kpis.png").exists()
    (out / "report.html").unlink()
    rebuilt = run_cli("report", out)
    assert rebuilt.returncode == 0, rebuilt.stderr
    check_report(out, {"kpis", "funnel"})


def test_cli_report_on_a_folder_without_results_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"report: {tmp_path} has no results (expected one of summary.json, kpis.csv, plan.json, compare.json, sweep.csv, tornado.csv, frontier.csv)"
    )
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_the_open_market_panels_appear_with_rivals_and_prospecting_partners_only(
    sim_folder: Path, open_folder: Path
) -> None:
    assert not {"market_share", "partner_customers"} & {p.stem for p in sim_folder.glob("*.png")}
    html = (sim_folder / "report.html").read_text()
    assert "Market share" not in html and "Orders won by rivals" not in html and ">Market</h2>" not in html
    check_report(open_folder, {"kpis", "market_share", "partner_customers", "weekly_orders", "funnel"})
    html = (open_folder / "report.html").read_text()
    assert ">Market</h2>" in html and html.index(">Market</h2>") < html.index(">Channels</h2>")
    summary = json.loads((open_folder / "summary.json").read_text())
    share = summary["totals"]["market_share"]
    # the headline table: the share, its interval and what it is a share of; the partners' finds summed
    assert f"<td>Market share</td><td>{100 * share['mean']:.1f}%</td>" in html
    assert "of all orders, ours and rivals&#x27;" in html and "<td>Orders won by rivals</td>" in html
    found = sum(p["new_customers"]["mean"] for p in summary["by_partner"].values())
    row = r"<td>Customers found by partners</td><td>([\d,.]+)</td><td>\[([\d,.]+), ([\d,.]+)\]"
    shown = re.search(row, html)
    mean, lo, hi = (float(g.replace(",", "")) for g in shown.groups())
    assert mean == pytest.approx(found, abs=0.01) and lo < mean < hi  # the interval of the replications' sums


def test_market_share_lines_are_ours_and_the_rivals_each_week(open_folder: Path) -> None:
    found = read_folder(open_folder)
    kpis = found.kpis
    chart = results.market_share(kpis, found.scenario)
    figure = charts.draw(chart)  # one segment: one plot, no "all segments"
    ax = figure.axes[0]
    rows = kpis[(kpis.level == "segment") & (kpis.id == "people")]
    wide = rows.pivot_table(index=["replication", "week"], columns="metric", values="value")
    weekly = (100 * wide.orders / (wide.orders + wide.rival_orders)).groupby("week").mean()
    assert weekly.tolist() == pytest.approx(
        100 * rows[rows.metric == "market_share"].groupby("week").value.mean().to_numpy()
    )  # every week had orders: the share kpis.csv holds
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"ours", "rivals"}
    assert list(lines["ours"].get_xdata()) == list(range(8))
    assert list(lines["ours"].get_ydata()) == pytest.approx(weekly.tolist())
    assert list(lines["rivals"].get_ydata()) == pytest.approx((100 - weekly).tolist())
    lo, hi = chart.bands["ours"]
    assert all(a <= m <= b for a, m, b in zip(lo, weekly, hi, strict=True)) and lo != hi
    assert ax.get_ylim() == (0.0, 100.0) and ax.get_ylabel() == "Share of the segment's orders (%)"
    assert "people" in figure.get_suptitle() and ax.get_legend() is not None
    assert results.market_share(kpis, cs.load(WORKBENCH)) is None  # the scenario as written has no rivals


def test_market_share_has_the_whole_market_first_and_skips_weeks_without_orders() -> None:
    import pandas as pd

    # two segments with rivals, two replications, two weeks; "b" sold nothing in week 1 of replication 0
    numbers = {("a", 0, 0): (8, 2), ("a", 0, 1): (6, 4), ("a", 1, 0): (9, 1), ("a", 1, 1): (7, 3),
               ("b", 0, 0): (1, 1), ("b", 0, 1): (0, 0), ("b", 1, 0): (3, 1), ("b", 1, 1): (1, 3)}  # fmt: skip
    kpis = pd.DataFrame(
        [{"replication": r, "week": w, "level": "segment", "id": s, "metric": m, "value": float(v)}
         for (s, r, w), pair in numbers.items() for m, v in zip(("orders", "rival_orders"), pair, strict=True)]
    )  # fmt: skip
    chart = results.market_share(kpis, None)
    assert [item.title for item in chart.items] == ["all segments", "a", "b"]
    whole, a, b = (item.series["ours"] for item in chart.items)
    assert a == pytest.approx([85.0, 65.0]) and b == pytest.approx([62.5, 25.0])  # week 1: replication 1 only
    assert whole == pytest.approx([(9 / 12 + 12 / 14) / 2 * 100, (6 / 10 + 8 / 14) / 2 * 100])
    assert chart.items[1].bands["ours"][0][0] < 85.0 < chart.items[1].bands["ours"][1][0]
    assert chart.items[0].ylabel == "Share of all orders (%)"
    quiet = kpis.assign(value=kpis.value.where(kpis.metric == "orders", 0.0))
    assert results.market_share(quiet, None) is None  # rivals never won an order: nothing to show


def test_partner_customers_are_the_summary_means(open_folder: Path) -> None:
    found = read_folder(open_folder)
    summary = found.summary
    chart = results.partner_customers(summary, found.scenario)
    figure = charts.draw(chart)
    leads, customers = figure.axes[:2]
    partners = summary["by_partner"]
    assert _bar_widths(leads) == pytest.approx([p["leads"]["mean"] for p in partners.values()])
    assert _bar_widths(customers) == pytest.approx([p["new_customers"]["mean"] for p in partners.values()])
    assert [t.get_text() for t in leads.get_yticklabels()] == ["d_north", "d_south"]
    north = partners["d_north"]
    assert north["leads"]["mean"] > 0 and partners["d_south"]["leads"]["mean"] == 0  # only the north looks
    new, share = north["new_customers"]["mean"], north["new_customers"]["mean"] / north["leads"]["mean"]
    assert chart.items[1].value_labels[0] == f"{new:,.0f} ({share:.0%} of its leads)"
    assert "3 replications" in figure.get_suptitle()
    assert results.partner_customers(summary, cs.load(WORKBENCH)) is None  # a scenario without prospecting


def test_compare_matrix_shows_a_share_in_points() -> None:
    row = {"variant": "v", "kpi": "market_share", "unit": "share", "mean": 0.8, "diff_mean": -0.027,
           "diff_pct": -3.2, "significant": True}  # fmt: skip
    kpis = [{"name": "profit", "label": "Profit", "unit": "EUR"}, {"name": "market_share", "label": "Market share",
            "unit": "share"}]  # fmt: skip
    compare = {"base": "base", "variants": [{"name": "base"}, {"name": "v"}], "kpis": kpis, "rows": [
        {"variant": "v", "kpi": "profit", "unit": "EUR", "mean": 1.0, "diff_mean": 10.0, "diff_pct": 5.0,
         "significant": False}, row]}  # fmt: skip
    matrix = experiments.compare_matrix(compare)
    assert matrix.cols == ["Profit", "Market share"] and matrix.texts == [["+5%", "-2.7 pp*"]]
    assert matrix.values[0][1] == pytest.approx(-2.7) and "pp" in matrix.title


# -- the plan: every lever, forecast beside simulation, limits; a robust plan's futures and regret ----------
def planned_workbench() -> cs.Scenario:
    """The workbench with every kind of lever: two periods, a partner on gold today, a loyalty
    programme that is off today, a win-back spend."""
    gold = {"level": "gold", "cost_per_week": 150, "rebate": 0.03, "effort_boost": 0.2}
    return cs.load(WORKBENCH).with_overrides({
        "incentives": [{"id": "coop", "channel": "distributors", "current": {"d_north": "gold"},
                        "tiers": [{"level": "none"}, gold]}],
        "loyalty_programs": [{"id": "club", "channels": ["webshop"], "enrolment_per_week": 0.02,
                              "cost_per_member_per_week": 0.05, "active": False}],
        "winback": {"spend_per_week": 100, "max_spend_per_week": 500,
                    "response": {"curve": "hill", "max_leads_per_week": 10, "half_saturation": 300}},
        "optimize.periods": 2, "optimize.solver": "highs",
    })  # fmt: skip


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from channelsim.experiments.closed_loop import validate_plan

    folder = tmp_path_factory.mktemp("plan")
    sc = planned_workbench()
    plan = cs.optimize(sc)
    plan.validated = validate_plan(sc, plan, replications=2)
    plan.write(folder)
    cs.write_report(folder)
    return folder


@pytest.fixture(scope="module")
def robust_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from channelsim.optimize.robust import write_regret

    folder = tmp_path_factory.mktemp("robust")
    plan = cs.optimize(planned_workbench(), robust=["cheap_marketplace"], risk="cvar", alpha=0.2)
    plan.write(folder)
    write_regret(plan, folder)
    cs.write_report(folder)
    return folder


def _by_lever(table) -> dict[str, list[str]]:
    return {row[0]: row for row in table.rows}


def test_plan_report_shows_every_lever_today_and_planned(plan_folder: Path) -> None:
    found = read_folder(plan_folder)
    plan, sc = found.plan, found.scenario
    table = plan_data.levers_table(plan, sc, "EUR")
    rows = _by_lever(table)
    assert set(rows) == {"search", "social", "d_north", "d_south", "club", "win-back"}
    assert table.headers == ["Lever", "Kind", "Today", "Plan", "Change", "Marginal return"]
    search = plan["sources"]["search"]["spend_per_week"]
    assert rows["search"][1:4] == [
        "spend per week (EUR)",
        "800",
        f"{(search[0] + search[1]) / 2:,.0f} (mean)",
    ]
    assert rows["d_north"][1:3] == ["incentive tier", "gold (150/week)"]
    tier = plan["incentives"]["d_north"]["tier"]
    assert rows["d_north"][3].startswith(tier) and rows["d_north"][4] == (
        "same" if tier == "gold" else "gold → none"
    )
    on = plan["loyalty_programs"]["club"]["active"]
    assert rows["club"][1:5] == [
        "loyalty programme",
        "off",
        "on" if on else "off",
        "switched on" if on else "same",
    ]
    assert rows["win-back"][2:4] == ["100", f"{plan['winback']['spend_per_week']:,.0f}"]
    strong = dict(zip(rows, table.strong, strict=True))
    assert strong["club"] == on and strong["d_north"] == (tier != "gold")  # changed levers in bold


def test_plan_report_has_the_period_plan_forecast_beside_simulation_and_the_limits(plan_folder: Path) -> None:
    found = read_folder(plan_folder)
    plan, sc = found.plan, found.scenario
    periods = plan_data.periods_table(plan, sc, "EUR")
    assert periods.headers == ["Spend per week (EUR)", "Today", "weeks 1–4", "weeks 5–8"]
    rows = _by_lever(periods)
    search = plan["sources"]["search"]["spend_per_week"]
    assert rows["search"] == ["search", "800", *(f"{v:,.0f}" for v in search)]
    assert "Marketing, total" in rows and "marginal return: search" in rows
    chart = plan_data.period_chart(plan, sc, "EUR")
    assert chart.x_ticks == ["today", "weeks 1–4", "weeks 5–8"] and chart.series["search"] == [800.0, *search]
    forecast = plan_data.forecast_table(plan, "EUR")
    assert [r[0] for r in forecast.rows] == ["Today's allocation", "The plan", "Uplift (plan − today)"]
    assert forecast.headers[1:3] == ["Forecast", "Simulated (mean)"]
    expected, validated = plan["expected"], plan["validated"]
    assert forecast.rows[1][1] == plan_data.number(expected["plan"]["profit"])
    assert forecast.rows[1][2] == plan_data.number(validated["plan"]["profit"]["mean"])
    assert forecast.rows[2][2] == plan_data.number(validated["uplift"]["profit"]["mean"], True)
    limits = _by_lever(plan_data.limits_table(plan, sc, "EUR"))
    assert limits["Marketing budget: shadow price"][1] == f"{plan['budget_shadow_price']:.3f}"
    assert all(f"Binding: {group}" in limits for group in plan["binding"])
    assert plan_data.left_out_table(plan) is not None
    lead = plan_data.headline(plan, "EUR", sc.horizon_weeks)
    assert lead.startswith(
        f"Expected profit with the plan: {plan_data.number(plan['objective_value'])} EUR over 8"
    )
    page = check_report(plan_folder, {"plan_profit", "period_plan", "response_curves", "budget_shift"})
    html = (plan_folder / "report.html").read_text()
    assert html.index(">Plan</h2>") < html.index(">Marketing</h2>") and ">Futures</h2>" not in html
    for title in ("Profit: forecast and simulated", "The plan: every lever, today and planned",
                  "Spend per period (EUR per week)", "What the forecast leaves out", "Shadow prices and binding limits"):  # fmt: skip
        assert f"<h3>{title}</h3>" in html, title
    assert len(page.images) == len(list(plan_folder.glob("*.png")))


def test_robust_report_names_the_risk_measure_and_shows_the_futures_and_regret(robust_folder: Path) -> None:
    from channelsim.cli.optimize_verbs import headline

    found = read_folder(robust_folder)
    plan, sc = found.plan, found.scenario
    assert plan_data.value_label(plan) == "CVaR₀.₂ profit"
    assert plan_data.headline(plan, "EUR", 8).startswith("CVaR₀.₂ profit with the plan:")
    robust = plan["robust"]
    futures = plan_data.futures_table(plan, sc, "EUR")
    rows = _by_lever(futures)
    assert list(rows) == ["base", "cheap_marketplace", "CVaR₀.₂ profit"]
    assert rows["cheap_marketplace"][2] == "The marketplace 10% below list"  # the variant's description
    assert rows["base"][3:5] == [plan_data.number(robust["baseline_values"]["base"]),
                                 plan_data.number(robust["values"]["base"])]  # fmt: skip
    assert rows["CVaR₀.₂ profit"][4] == plan_data.number(robust["measure"])
    regret = plan_data.regret_table(plan, "EUR")
    assert regret.headers == [
        "Plan",
        "in base (EUR)",
        "in cheap_marketplace (EUR)",
        "Largest regret",
        "CVaR₀.₂ profit",
    ]
    cells = _by_lever(regret)
    assert (
        cells["regret of optimal for base"][1] == "0"
        and cells["regret of optimal for cheap marketplace"][2] == "0"
    )
    assert cells["regret of robust"][4] == plan_data.number(robust["measure"])
    chart = plan_data.futures_chart(plan, "EUR")
    assert chart.labels == ["base", "cheap_marketplace"] and chart.optimal == list(robust["values"].values())
    check_report(robust_folder, {"futures", "plan_profit"})
    html = (robust_folder / "report.html").read_text()
    assert ">Futures</h2>" in html and "<h3>Regret: every plan in every future</h3>" in html
    assert "Expected profit with the plan" not in html  # the measure is named, not called expected
    assert plan_data.limits_table(plan, sc, "EUR").rows[0][0] == "Shadow prices"  # left out, and said so
    # the CLI's headline names the measure too, with each future's value
    text = headline(cs.optimize(planned_workbench(), robust=["cheap_marketplace"], risk="cvar", alpha=0.2))
    assert "  CVaR₀.₂ profit " in text and "expected profit" not in text
    assert re.search(r"cheap_marketplace \(0\.5\)\s+[-\d,]+\s+[-\d,]+\s+[\d,]+", text), text


def test_two_level_table_splits_each_route_between_retailer_wholesaler_and_brand() -> None:
    sc = two_levels(replications=2)
    summary = cs.simulate(sc).summary
    table = results.levels_table(summary, sc, "EUR")
    assert table is not None
    rows = {row[0]: [float(v.replace(",", "")) if v != "—" else None for v in row[1:]] for row in table.rows}
    parts = {pid: {k: v["mean"] for k, v in p.items() if isinstance(v, dict) and "mean" in v}
             for pid, p in summary["by_partner"].items()}  # fmt: skip
    for rid in ("r_one", "r_two"):
        orders, paid, retailer, wholesaler, brand = rows[f"{rid} (via w_north)"]
        assert (orders, paid) == (round(parts[rid]["orders"]), round(parts[rid]["revenue"]))
        assert (retailer, wholesaler) == (
            round(parts[rid]["partner_margin"]),
            round(parts[rid]["supplier_margin"]),
        )
        assert abs(retailer + wholesaler + brand - paid) <= 1.5  # each rounded to the unit
    own = rows["w_north (its own sales)"]
    total = rows["w_north: its partner_margin in all"][3]
    assert total == round(parts["w_north"]["partner_margin"])
    assert abs(own[3] + parts["w_north"]["wholesale_margin"] - total) <= 1.0
    assert table.strong == [False, False, False, True]
    # no retailers reported (or no scenario to say who supplies whom): no table
    assert (
        results.levels_table({"by_partner": {"w_north": summary["by_partner"]["w_north"]}}, sc, "EUR") is None
    )
    assert results.levels_table(summary, None, "EUR") is None
