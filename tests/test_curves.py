"""The `logistic` and `tanh` response curves (SPEC §2): PyMC-Marketing's saturation curves, native.

Their values against the formulas at hand-computed points and against PyMC-Marketing's own
definitions (`pymc_marketing.mmm.transformers`, written out below in numpy), the vectorised
path against the scalar one, concavity, the closed-form piecewise error, the spend bound, the
scenario file's errors, the simulation's lead rate, and the MILP against a brute-force grid.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from pydantic import TypeAdapter

import channelsim as cs
from builders import scenario, segment
from channelsim.curves import Curve, LogisticCurve, TanhCurve, TanhFamily, breakpoints, leads_at, max_error
from channelsim.errors import ScenarioError
from channelsim.optimize import optimize
from channelsim.optimize.coefficients import saturation_bound
from channelsim.optimize.pieces import response_pieces
from channelsim.scenario import Scenario, load
from stats import assert_within_se, poisson_mean_se
from test_optimize import bound, grid_best, plan_value
from test_optimize import market as untyped_market

CURVE: TypeAdapter[Curve] = TypeAdapter(Curve)


def curve(**fields: object) -> Curve:
    return CURVE.validate_python(fields)


def logistic(top: float, lam: float) -> LogisticCurve:
    made = curve(curve="logistic", max_leads_per_week=top, lam=lam)
    assert isinstance(made, LogisticCurve)
    return made


def tanh(top: float, c: float) -> TanhCurve:
    made = curve(curve="tanh", max_leads_per_week=top, c=c)
    assert isinstance(made, TanhCurve)
    return made


# PyMC-Marketing's definitions (pymc_marketing/mmm/transformers.py and components/saturation.py),
# with numpy for pytensor: LogisticSaturation.function = beta · logistic_saturation(x, lam),
# TanhSaturation.function = tanh_saturation(x, b, c)
def pymc_logistic_saturation(x: np.ndarray, lam: float) -> np.ndarray:
    return (1 - np.exp(-lam * x)) / (1 + np.exp(-lam * x))


def pymc_tanh_saturation(x: np.ndarray, b: float, c: float) -> np.ndarray:
    return b * np.tanh(x / (b * c))


# -- values ------------------------------------------------------------------------------------
def test_logistic_at_hand_computed_points() -> None:
    c = logistic(400, 0.001)
    # λx = 1: (1 − e^−1)/(1 + e^−1) = 0.6321205588285577 / 1.3678794411714423 = 0.46211715726000974
    assert c.leads(1000) == pytest.approx(400 * 0.46211715726000974, rel=1e-13)
    # λx = ln 3: (1 − 1/3)/(1 + 1/3) = 1/2 exactly
    assert c.leads(1000 * math.log(3)) == pytest.approx(200, rel=1e-13)
    # λx = ln 199: (1 − 1/199)/(1 + 1/199) = 198/200 = 0.99
    assert c.leads(1000 * math.log(199)) == pytest.approx(396, rel=1e-13)
    assert c.leads(0) == 0.0 and c.leads(-50) == 0.0
    assert c.leads(1e9) == 400.0
    # slope at 0 is M·λ/2 = 0.2 leads per unit of spend
    assert c.leads(1e-3) / 1e-3 == pytest.approx(0.2, rel=1e-6)


def test_tanh_at_hand_computed_points() -> None:
    c = tanh(400, 5)  # M·c = 2000
    assert c.leads(2000) == pytest.approx(400 * 0.7615941559557649, rel=1e-13)  # tanh(1)
    # tanh(x) = 1/2 at x = atanh(1/2) = ln(3)/2
    assert c.leads(2000 * math.log(3) / 2) == pytest.approx(200, rel=1e-13)
    assert c.leads(0) == 0.0 and c.leads(-50) == 0.0
    assert c.leads(1e9) == 400.0
    # slope at 0 is 1/c: the first leads cost c = 5 each
    assert c.leads(1e-3) / 1e-3 == pytest.approx(1 / 5, rel=1e-6)
    # b → 0: the curve is 0, not 0/0
    assert tanh(0, 5).leads(1000) == 0.0


@pytest.mark.parametrize(("top", "lam"), [(400, 0.001), (1.0, 0.5), (2500, 3e-5), (75, 2.0)])
def test_logistic_is_pymc_marketings_logistic_saturation(top: float, lam: float) -> None:
    x = np.concatenate([[0.0], np.geomspace(1e-6, 50, 200) / lam])
    expected = top * pymc_logistic_saturation(x, lam)  # LogisticSaturation with beta = M
    c = logistic(top, lam)
    np.testing.assert_allclose([c.leads(v) for v in x], expected, rtol=1e-12, atol=1e-12 * top)
    np.testing.assert_allclose(leads_at(c, x), expected, rtol=1e-12, atol=1e-12 * top)


@pytest.mark.parametrize(("top", "c"), [(400, 5.0), (1.0, 0.5), (2500, 0.02), (75, 300.0)])
def test_tanh_is_pymc_marketings_tanh_saturation(top: float, c: float) -> None:
    x = np.concatenate([[0.0], np.geomspace(1e-6, 50, 200) * top * c])
    expected = pymc_tanh_saturation(x, b=top, c=c)
    made = tanh(top, c)
    np.testing.assert_allclose([made.leads(v) for v in x], expected, rtol=1e-12, atol=1e-12 * top)
    np.testing.assert_allclose(leads_at(made, x), expected, rtol=1e-12, atol=1e-12 * top)


def test_logistic_is_a_tanh_curve_with_c_equal_to_2_over_m_lambda() -> None:
    # tanh(λx/2) = tanh(x/(M·c)) with c = 2/(M·λ): the two forms are the same family
    x = np.linspace(0, 20000, 101)
    np.testing.assert_allclose(leads_at(logistic(400, 0.001), x), leads_at(tanh(400, 2 / (400 * 0.001)), x),
                               rtol=1e-13)  # fmt: skip


@pytest.mark.parametrize("made", [logistic(400, 0.001), logistic(3, 40.0), tanh(400, 5), tanh(0, 5), tanh(1e4, 1e-3)],
                         ids=["logistic", "logistic_steep", "tanh", "tanh_zero", "tanh_big"])  # fmt: skip
def test_vectorised_path_equals_the_scalar_one(made: Curve) -> None:
    spends = np.array([-5.0, 0.0, 1e-9, 1.0, 999.0, 2500.0, 5000.0, 1e6, 1e300])
    np.testing.assert_allclose(leads_at(made, spends), [made.leads(x) for x in spends], rtol=1e-14, atol=0)


# -- shape: concave, so pieces without binaries, and an exact error bound -----------------------
@pytest.mark.parametrize("made", [logistic(400, 0.001), tanh(400, 5), logistic(50, 1e-5), tanh(50, 2.0)])
def test_concave_increasing_and_saturating(made: TanhFamily) -> None:
    assert made.concave and made.inflection == 0.0
    x = np.linspace(0, 30_000, 30_001)
    y = leads_at(made, x)
    assert np.all(np.diff(y) >= 0)
    assert np.all(np.diff(y, 2) <= 1e-9 * made.max_leads_per_week)  # second differences
    assert y[-1] <= made.max_leads_per_week


@pytest.mark.parametrize("made", [logistic(400, 0.001), tanh(400, 5), logistic(50, 1e-5), tanh(1e4, 1e-3)])
@pytest.mark.parametrize("upper", [500.0, 6000.0, 200_000.0])
@pytest.mark.parametrize("pieces", [1, 4, 24])
def test_pieces_are_concave_and_the_error_bound_holds_and_is_tight(
    made: TanhFamily, upper: float, pieces: int
) -> None:
    pw = response_pieces(made, upper, pieces)
    assert pw.concave and pw.xs[0] == 0.0 and pw.xs[-1] == upper
    np.testing.assert_allclose(pw.ys, leads_at(made, pw.xs), rtol=1e-15)  # breakpoints on the curve
    scale = made.max_leads_per_week

    def gaps(x: np.ndarray) -> np.ndarray:
        return leads_at(made, x) - np.interp(x, pw.xs, pw.ys)

    # brute force, piece by piece: 2,001 spends, then twice 2,001 more around the largest gap found
    largest = 0.0
    for a, b in itertools.pairwise(pw.xs):
        grid = np.linspace(a, b, 2001)
        found = gaps(grid)
        assert found.min() >= -1e-12 * scale  # chords of a concave curve lie below it
        largest = max(largest, float(found.max()))
        for _ in range(2):
            i = int(np.argmax(found))
            grid = np.linspace(grid[max(i - 1, 0)], grid[min(i + 1, 2000)], 2001)
            found = gaps(grid)
            largest = max(largest, float(found.max()))
    assert largest <= pw.error + 1e-12 * scale  # the bound holds...
    assert pw.error <= largest * (1 + 1e-9) + 1e-12 * scale  # ...and is the largest gap (closed form)
    # the sampled estimate the other curves use never exceeds the exact one
    assert float(np.max(np.abs(gaps(np.linspace(0, upper, 2049))))) <= pw.error + 1e-12 * scale


def test_more_pieces_shrink_the_error() -> None:
    made = tanh(400, 5)
    errors = [response_pieces(made, 20_000, n).error for n in (4, 8, 16, 32, 64)]
    assert all(b < a for a, b in itertools.pairwise(errors))
    # chords of a smooth curve: the error falls about like 1/n² (16× the pieces: 256× ideally)
    assert errors[-1] < errors[0] / 50


def test_max_error_of_hand_placed_breakpoints() -> None:
    # one chord of M·tanh(x) on [0, 1] (M = c = 1): slope s = tanh(1) = 0.761594; the curve is
    # parallel where sech²(x*) = s: x* = arccosh(1/√s) = ln(1.145869 + 0.559480) = 0.533784,
    # gap = tanh(x*) − s·x* = 0.488267 − 0.406525 = 0.081742
    made = tanh(1.0, 1.0)
    s = math.tanh(1.0)
    star = math.acosh(1 / math.sqrt(s))
    xs = np.array([0.0, 1.0])
    assert max_error(made, xs, leads_at(made, xs)) == pytest.approx(math.tanh(star) - s * star, rel=1e-12)
    assert star == pytest.approx(0.533784, abs=1e-6)
    assert math.tanh(star) - s * star == pytest.approx(0.081742, abs=1e-6)


@pytest.mark.parametrize(
    "spec",
    [{"curve": "exponential", "max_leads_per_week": 1e4, "scale": 10.0},
     {"curve": "hill", "max_leads_per_week": 1e4, "half_saturation": 10.0, "shape": 1.0}],
)  # fmt: skip
def test_sampled_error_of_other_curves_sees_a_knee_far_below_the_bound(spec: dict) -> None:
    # the knee (spend ~10) is far narrower than [0, 200000] / 2049: sampling piece by piece finds it
    made = curve(**spec)
    xs, ys = breakpoints(made, 200_000, 24)
    truth = max(float(np.max(leads_at(made, g) - np.interp(g, xs, ys)))
                for g in (np.linspace(a, b, 100_001) for a, b in itertools.pairwise(xs)))  # fmt: skip
    assert max_error(made, xs, ys) == pytest.approx(truth, rel=1e-3)


def test_breakpoints_of_a_curve_that_cannot_spend() -> None:
    xs, ys = breakpoints(logistic(400, 0.001), 0.0, 24)
    assert list(xs) == [0.0] and list(ys) == [0.0]


# -- the optimizer's spend bound ---------------------------------------------------------------
def test_saturation_bound_is_where_the_curve_reaches_99_percent() -> None:
    for made in (logistic(400, 0.001), tanh(400, 5), logistic(7, 3.0), tanh(7, 0.01)):
        at = saturation_bound(made, 0.0, 0.0)
        assert made.leads(at) == pytest.approx(0.99 * made.max_leads_per_week, rel=1e-12)
    assert saturation_bound(logistic(400, 0.001), 100.0, 0.0) == pytest.approx(1000 * math.log(199))
    assert saturation_bound(tanh(400, 5), 100.0, 0.0) == pytest.approx(1000 * math.log(199))  # M·c·ln(199)/2
    assert saturation_bound(logistic(400, 0.001), 2000.0, 0.0) == 20_000.0  # at least 10× today's spend
    assert saturation_bound(tanh(0, 5), 300.0, 0.0) == 3000.0  # a curve that brings nothing
    assert saturation_bound(tanh(400, 5), 0.0, 7000.0) == 7000.0  # at least the minimum spend


# -- the scenario file ----------------------------------------------------------------------------
SOURCES = """\
name: t
horizon_weeks: 10
segments: [{id: people, population: 1000}]
channels: [{id: shop}]
sources:
  - id: a
    response: {curve: logistic, max_leads_per_week: 10, lam: 0}
  - id: b
    response: {curve: tanh, max_leads_per_week: -1, c: -2}
  - id: c
    response: {curve: tanh, b: 300, c: 2}
  - id: d
    response: {curve: logistic, max_leads_per_week: 10, lambda: 0.1}
  - id: e
    response: {curve: logistc, max_leads_per_week: 10, lam: 0.1}
"""


def test_bad_curves_get_one_clear_line_each(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(SOURCES, "utf-8")
    with pytest.raises(ScenarioError) as err:
        load(path)
    lines = {str(p).removeprefix(f"{path}:") for p in err.value.problems}
    assert lines == {
        "7:62: sources[0].response.lam: must be > 0 (got 0)",
        "9:49: sources[1].response.max_leads_per_week: must be >= 0 (got -1)",
        "9:56: sources[1].response.c: must be > 0 (got -2)",
        "11:15: sources[2].response.max_leads_per_week: required key 'max_leads_per_week' is missing",
        "11:29: sources[2].response.b: unknown key 'b' (allowed here: curve, max_leads_per_week, c)",
        "13:15: sources[3].response.lam: required key 'lam' is missing",
        "13:57: sources[3].response.lambda: unknown key 'lambda' — did you mean 'lam'?",
        "15:23: sources[4].response.curve: `curve` must be one of 'hill', 'exponential', 'linear', 'logistic', "
        "'tanh', 'points' (got \"logistc\")",
    }


def test_a_good_curve_loads_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(SOURCES.split("  - id: b")[0].replace("lam: 0}", "lam: 0.001}") + "winback:\n"
                    "  response: {curve: tanh, max_leads_per_week: 40, c: 25}\n", "utf-8")  # fmt: skip
    sc = load(path)
    assert isinstance(sc.sources[0].response, LogisticCurve) and sc.sources[0].response.lam == 0.001
    assert sc.winback is not None and isinstance(sc.winback.response, TanhCurve)


# -- the simulation draws leads at the curve's rate ---------------------------------------------
def test_simulated_leads_follow_the_curves() -> None:
    # leads of a source at constant spend x over H weeks ~ Poisson(L(x)·H)
    sc = scenario(
        horizon_weeks=10,
        segments=[segment(population=10_000_000, conversion=0.0)],
        sources=[{"id": "lg", "spend_per_week": 1000, "response": {"curve": "logistic", "max_leads_per_week": 400,
                                                                    "lam": 0.001}},
                 {"id": "th", "spend_per_week": 2000, "response": {"curve": "tanh", "max_leads_per_week": 400,
                                                                   "c": 5}}],
    )  # fmt: skip
    res = cs.simulate(sc, replications=10, seed=5)
    for sid, rate in (("lg", 400 * 0.46211715726000974), ("th", 400 * 0.7615941559557649)):
        leads = np.array([r["by_source"][sid]["leads"] for r in res.per_replication])
        expected = rate * 10
        assert_within_se(
            leads.mean(), expected, poisson_mean_se(expected, len(leads)), f"mean leads of {sid}"
        )


# -- the MILP against brute force ---------------------------------------------------------------
def market(sources: list[dict], budget: dict, **sections: object) -> Scenario:
    sc = untyped_market(sources, budget, **sections)
    assert isinstance(sc, Scenario)
    return sc


def lg(spend: float, top: float, lam: float, maximum: float, **extra: object) -> dict:
    return {"spend_per_week": spend, "max_spend_per_week": maximum,
            "response": {"curve": "logistic", "max_leads_per_week": top, "lam": lam}} | extra  # fmt: skip


def th(spend: float, top: float, c: float, maximum: float, **extra: object) -> dict:
    return {"spend_per_week": spend, "max_spend_per_week": maximum,
            "response": {"curve": "tanh", "max_leads_per_week": top, "c": c}} | extra  # fmt: skip


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_milp_with_logistic_and_tanh_matches_the_grid_without_binaries(solver: str) -> None:
    sc = market([lg(1000, 300, 0.0006, 8000) | {"id": "social"}, th(1000, 200, 12.0, 8000) | {"id": "search"}],
                {"marketing_per_week": 6000})  # fmt: skip
    best, where = grid_best(sc, steps=400)
    plan = optimize(sc, solver=solver)
    assert plan.status == "optimal"
    assert plan.details["curves_with_binaries"] == []  # concave curves whose leads are worth something
    assert bound(plan) > 0 and plan_value(sc, plan) >= best - 2 * bound(plan) - 1e-6
    assert plan_value(sc, plan) <= best + 2 * bound(plan) + 1e-6
    for sid in ("social", "search"):  # the grid's allocation, to a few grid steps
        assert plan.spend[sid][0] == pytest.approx(where[sid], abs=3 * 8000 / 400)
    assert sum(v[0] for v in plan.spend.values()) == pytest.approx(6000, abs=0.05)  # the budget binds (cents)


def test_milp_mixing_logistic_tanh_and_an_s_curve_with_setup_costs_and_shares() -> None:
    hill = {
        "spend_per_week": 1000,
        "max_spend_per_week": 6000,
        "response": {"curve": "hill", "max_leads_per_week": 250, "half_saturation": 3000, "shape": 2.0},
    }
    sc = market(
        [hill | {"id": "events"}, lg(1000, 150, 0.0008, 6000) | {"id": "social", "setup_cost_per_week": 400},
         th(1000, 120, 10.0, 6000) | {"id": "search"}],
        {"marketing_per_week": 7000, "max_share_per_source": 0.6, "min_active_sources": 2},
    )  # fmt: skip
    best, _ = grid_best(sc, steps=60)
    plan = optimize(sc)
    assert plan.status == "optimal"
    assert plan.details["curves_with_binaries"] == ["events"]  # only the S-curve
    assert plan_value(sc, plan) >= best - 2 * bound(plan) - 1e-6
    assert max(v[0] for v in plan.spend.values()) <= 0.6 * 7000 + 1e-6


def test_winback_on_a_tanh_curve_is_optimised() -> None:
    sc = market([th(1000, 200, 12.0, 8000) | {"id": "search"}], {"marketing_per_week": 6000},
                winback={"spend_per_week": 0, "max_spend_per_week": 3000,
                         "response": {"curve": "tanh", "max_leads_per_week": 50, "c": 20.0}})  # fmt: skip
    plan = optimize(sc)
    assert plan.status == "optimal"
    assert 0 < plan.winback <= 3000
    assert "winback" not in plan.details["curves_with_binaries"]
