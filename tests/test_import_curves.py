"""`channelsim import-curves`: each tool's curve, evaluated by the tool's own formula on its own scales,
equals channelsim's curve of the mapped parameters (docs/curves.md's worked examples).

Worked examples (computed by hand; the same numbers are in docs/curves.md):

- PyMC-Marketing, logistic: s_x = 10,000, s_y = 800, λ = 3, β = 0.5, α = 0.5 normalised. At x = 5,000:
  u = 0.5, (1 − e^(−1.5))/(1 + e^(−1.5)) = tanh(0.75) = 0.635149, y = 800·0.5·0.635149 = 254.06 leads.
  Mapped: logistic M = 400, lam = 3/10,000 = 0.0003; 400·tanh(0.00015·5,000) = 254.06.
  Unnormalised with l_max 8: κ = (1 − 0.5⁸)/(1 − 0.5) = 1.9921875, lam = 0.00059765625.
- Meridian: ec 1.2, slope 2, β 0.3, media_scale 2,000 units, kpi_scale 500, 0.5 EUR a unit, F = 0.1.
  At x = 1,000 EUR: 2,000 units, scaled 1, hill 1/(1 + 1.44) = 0.409836, outcome 500·0.3·0.409836 =
  61.475, leads 6.1475. Mapped: hill M = 0.1·500·0.3 = 15, h = 1.2·2,000·0.5 = 1,200, shape 2.
- Robyn: α 2, γ 0.5, θ 0.3, coef 900, adstocked range 0 … 20,000: inflexion 10,000; at a steady
  x = 7,000 Robyn's adstock is 7,000/0.7 = 10,000 and the response 900·0.5 = 450. Mapped: hill
  M = 900, h = 0.7·10,000 = 7,000, shape 2: 900·7,000²/(7,000² + 7,000²) = 450.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import channelsim as cs
from channelsim.cli import main
from conftest import GALLERY, problem_lines

WORKSHOP = next(p for p in GALLERY if p.name == "workshop_intro.yaml")
SPENDS = (250.0, 1000.0, 2500.0, 5000.0, 12000.0)
WEEKS = 400  # long enough for any tool's adstock to reach its steady level


def _steady(weights: np.ndarray, x: float) -> float:
    """A tool's adstock of a constant spend x, after WEEKS weeks (a convolution with its weights)."""
    series = np.full(WEEKS, x)
    return float(np.convolve(series, weights)[WEEKS - 1])


def pymc_logistic(x: float, lam: float, beta: float, alpha: float, sx: float, sy: float, l_max: int,
                  normalize: bool) -> float:  # fmt: skip
    """PyMC-Marketing: sy · beta · logistic_saturation(geometric_adstock(x/sx), lam)."""
    w = alpha ** np.arange(l_max)
    w = w / w.sum() if normalize else w
    u = _steady(w, x / sx)
    return sy * beta * (1 - math.exp(-lam * u)) / (1 + math.exp(-lam * u))


def pymc_tanh(x: float, b: float, c: float, alpha: float, sx: float, sy: float, l_max: int) -> float:
    w = alpha ** np.arange(l_max)
    u = _steady(w / w.sum(), x / sx)
    return sy * b * math.tanh(u / (b * c))


def meridian_hill(x: float, ec: float, slope: float, beta: float, alpha: float, media_scale: float,
                  kpi_scale: float, spend_per_unit: float, max_lag: int = 8) -> float:  # fmt: skip
    """Meridian: kpi_scale · beta · hill(adstock(units / media_scale)), the adstock's weights normalised."""
    w = alpha ** np.arange(max_lag + 1)
    u = _steady(w / w.sum(), x / spend_per_unit / media_scale)
    return kpi_scale * beta * u**slope / (u**slope + ec**slope)


def robyn_hill(
    x: float, alpha: float, gamma: float, theta: float, coef: float, lo: float, hi: float
) -> float:
    """Robyn: coef · x_a^α / (x_a^α + I^α), x_a[t] = x[t] + θ·x_a[t−1], I = (1−γ)·min + γ·max."""
    level = 0.0
    for _ in range(WEEKS):
        level = x + theta * level
    inflexion = (1 - gamma) * lo + gamma * hi
    return coef * level**alpha / (level**alpha + inflexion**alpha)


def _import(tmp_path: Path, tool: str, table: str, factor: float = 1.0, draws: int = 0) -> cs.Scenario:
    params = tmp_path / "params.csv"
    params.write_text(table, encoding="utf-8")
    out = tmp_path / "fitted.yaml"
    args = ["import-curves", str(params), "--from", tool, "--scenario", str(WORKSHOP), "--out", str(out),
            "--leads-per-outcome", str(factor), "--draws", str(draws)]  # fmt: skip
    assert main(args) == 0
    assert main(["validate", str(out)]) == 0
    return cs.load(out)


def _curve(sc: cs.Scenario, source: str) -> tuple[object, float]:
    src = next(s for s in sc.sources if s.id == source)
    return src.response, src.adstock


@pytest.mark.parametrize("normalize", [True, False])
def test_pymc_marketing_logistic_maps_exactly(tmp_path: Path, normalize: bool) -> None:
    table = ("channel,saturation,saturation_lam,saturation_beta,adstock_alpha,l_max,normalize,channel_scale,target_scale\n"
             f"search_ads,logistic,3,0.5,0.5,8,{str(normalize).lower()},10000,800\n")  # fmt: skip
    curve, adstock = _curve(_import(tmp_path, "pymc-marketing", table), "search_ads")
    assert curve.curve == "logistic" and adstock == 0.5  # type: ignore[attr-defined]
    assert curve.lam == pytest.approx(0.0003 if normalize else 0.00059765625, rel=1e-6)  # type: ignore[attr-defined]
    for x in SPENDS:
        assert curve.leads(x) == pytest.approx(
            pymc_logistic(x, 3, 0.5, 0.5, 10000, 800, 8, normalize), rel=1e-5
        )  # type: ignore[attr-defined]
    if normalize:
        assert curve.leads(5000) == pytest.approx(254.06, abs=0.01)  # type: ignore[attr-defined]


def test_pymc_marketing_tanh_maps_exactly(tmp_path: Path) -> None:
    table = ("channel,saturation,saturation_b,saturation_c,adstock_alpha,l_max,channel_scale,target_scale\n"
             "social_media,tanh,0.6,0.8,0.3,8,4000,500\n")  # fmt: skip
    curve, _ = _curve(_import(tmp_path, "pymc-marketing", table), "social_media")
    for x in SPENDS:
        assert curve.leads(x) == pytest.approx(pymc_tanh(x, 0.6, 0.8, 0.3, 4000, 500, 8), rel=1e-5)  # type: ignore[attr-defined]


def test_meridian_hill_maps_exactly_with_the_leads_factor(tmp_path: Path) -> None:
    table = ("channel,alpha,ec,slope,beta,media_scale,kpi_scale,spend_per_media_unit\n"
             "search_ads,0.4,1.2,2,0.3,2000,500,0.5\n")  # fmt: skip
    curve, adstock = _curve(_import(tmp_path, "meridian", table, factor=0.1), "search_ads")
    assert (curve.max_leads_per_week, curve.half_saturation, curve.shape) == pytest.approx((15, 1200, 2))  # type: ignore[attr-defined]
    assert adstock == 0.4
    assert curve.leads(1000) == pytest.approx(6.1475, abs=1e-4)  # type: ignore[attr-defined]
    for x in SPENDS:
        assert curve.leads(x) == pytest.approx(
            0.1 * meridian_hill(x, 1.2, 2, 0.3, 0.4, 2000, 500, 0.5), rel=1e-6
        )  # type: ignore[attr-defined]


def test_robyn_hill_maps_exactly_with_its_range_scaled_inflexion(tmp_path: Path) -> None:
    table = "channel,alpha,gamma,theta,coef,adstocked_min,adstocked_max\nsearch_ads,2,0.5,0.3,900,0,20000\n"
    curve, adstock = _curve(_import(tmp_path, "robyn", table), "search_ads")
    assert curve.half_saturation == pytest.approx(7000) and adstock == 0.3  # type: ignore[attr-defined]
    assert curve.leads(7000) == pytest.approx(450)  # type: ignore[attr-defined]
    for x in SPENDS:
        assert curve.leads(x) == pytest.approx(robyn_hill(x, 2, 0.5, 0.3, 900, 0, 20000), rel=1e-9)  # type: ignore[attr-defined]


def test_a_table_of_draws_gives_the_mean_curve_and_draw_variants(tmp_path: Path) -> None:
    rows = "".join(f"search_ads,{d},2,0.5,0.3,{800 + 50 * d},7000\n" for d in range(6))
    sc = _import(tmp_path, "robyn", "channel,draw,alpha,gamma,theta,coef,inflexion\n" + rows, draws=3)
    curve, _ = _curve(sc, "search_ads")
    assert curve.max_leads_per_week == pytest.approx(925)  # type: ignore[attr-defined]  # mean coef
    assert [n for n in sc.variants if n.startswith("fit_draw_")] == [
        "fit_draw_01",
        "fit_draw_02",
        "fit_draw_03",
    ]
    tops = [_curve(sc.variant(n), "search_ads")[0].max_leads_per_week for n in ("fit_draw_01", "fit_draw_03")]  # type: ignore[attr-defined]
    assert tops == [800, 1050]


def test_a_bad_parameter_table_is_reported_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = tmp_path / "params.csv"
    params.write_text("channel,alpha,gamma,theta,coef,inflexion\nsearch_ads,2,0.5,1.3,900,7000\n"
                      "tv,2,0.5,0.3,900,7000\nsocial_media,2,0.5,0.3,lots,7000\n", encoding="utf-8")  # fmt: skip
    code = main(["import-curves", str(params), "--from", "robyn", "--scenario", str(WORKSHOP), "--out",
                 str(tmp_path / "f.yaml")])  # fmt: skip
    assert code == 2
    found = problem_lines(capsys.readouterr().err)
    assert [(int(m["line"]), m["path"]) for m in found] == [(2, "theta"), (3, "channel"), (4, "coef")]
    assert not (tmp_path / "f.yaml").exists()
