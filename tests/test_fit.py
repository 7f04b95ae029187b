"""`channelsim fit`: parameters recovered from synthetic histories, the form chosen, bad files, FITTED.yaml.

Histories are drawn from known curves and adstock (tests/fit_data.py) with fixed seeds. A 95%
interval misses the truth with probability 0.05, so of a fit's four parameters (adstock and three
of the curve's) two or more miss with probability 1 − 0.95⁴ − 4·0.05·0.95³ ≈ 1.4%: the recovery
tests allow one miss per fit and none at today's spend. Bootstraps are small (30 refits) to keep
each test to seconds; their percentile intervals are then a little rough, which the one allowed
miss absorbs.
"""

from __future__ import annotations

import numpy as np
import pytest

from channelsim.curves import ExponentialCurve, HillCurve, leads_at
from channelsim.fit.blas import _openblas, one_blas_thread
from channelsim.fit.estimate import Data, autocorrelation, fit_form, grid_starts, nll, nll_and_gradient
from channelsim.fit.forms import ESTIMATED, parameters
from channelsim.fit.history import SourceHistory
from channelsim.fit.source_fit import SourceFit, fit_source
from channelsim.model.adstock import adstock_path, adstock_series
from channelsim.scenario.demand import Source
from fit_data import weekly

S_CURVE = HillCurve(curve="hill", max_leads_per_week=300, half_saturation=4000, shape=2.5)
CONCAVE = ExponentialCurve(curve="exponential", max_leads_per_week=300, scale=3000)
WEEKS, LEVEL, ADSTOCK = 104, 3000.0, 0.4


def _fit(
    truth: HillCurve | ExponentialCurve, seed: int, size: float | None = None, refits: int = 30
) -> SourceFit:
    rng = np.random.default_rng(seed)
    spend, leads = weekly(truth, ADSTOCK, LEVEL, WEEKS, rng, size=size)
    history = SourceHistory("ads", np.arange(WEEKS), spend, leads, np.arange(WEEKS) + 2)
    return fit_source(history, Source(id="ads", spend_per_week=LEVEL, response=truth), refits, rng)


def _misses(fit: SourceFit, truth: HillCurve | ExponentialCurve) -> list[str]:
    true = {"adstock": ADSTOCK, **parameters(truth)}
    return [k for k, (lo, hi) in fit.intervals_.items() if not lo <= true[k] <= hi]


def test_adstock_series_is_adstock_path() -> None:
    spend = np.random.default_rng(1).uniform(0, 100, 60)
    for carry in (0.0, 0.3, 0.9):
        assert np.allclose(adstock_series(carry, 40.0, spend), adstock_path(carry, 40.0, spend), rtol=1e-12)


def test_an_s_curve_with_adstock_is_recovered_inside_its_intervals() -> None:
    fit = _fit(S_CURVE, seed=2)
    assert fit.form_ == "hill" and fit.family_ == "poisson"
    assert len(_misses(fit, S_CURVE)) <= 1, (fit.intervals_, fit.curve_, fit.adstock_)
    for spend in (LEVEL, 2 * LEVEL):  # the two spends: today's and twice it
        mid, lo, hi = fit.at(spend)
        assert lo <= S_CURVE.leads(spend) <= hi, (spend, mid, lo, hi)
    assert fit.chosen_.agree >= fit.chosen_.starts // 2  # most starts find the same optimum


def test_overdispersed_counts_are_fitted_negative_binomial_and_recovered() -> None:
    fit = _fit(CONCAVE, seed=6, size=20.0)
    assert fit.dispersion_.overdispersed and fit.family_ == "negbin"
    assert fit.chosen_.size is not None and 7 < fit.chosen_.size < 60  # true size 20
    # the form is not asserted: NB noise hides much of the curvature, and BIC may prefer
    # fewer parameters; the curve at today's spend and the adstock must still be right
    _mid, lo, hi = fit.at(LEVEL)
    assert lo <= CONCAVE.leads(LEVEL) <= hi
    lo, hi = fit.intervals_["adstock"]
    assert lo <= ADSTOCK <= hi


def test_forms_the_data_cannot_tell_apart_are_warned_about() -> None:
    """Seed 4's noisy history: a linear curve with more carry-over fits as well as the true exponential
    (ΔBIC < 6); the bootstrap band assumes the chosen form, so the report says so."""
    fit = _fit(CONCAVE, seed=4, size=20.0, refits=20)
    assert any("hardly tells" in w for w in fit.warnings_), fit.warnings_


def test_poisson_counts_are_not_called_overdispersed() -> None:
    fit = _fit(CONCAVE, seed=5, refits=20)
    assert not fit.dispersion_.overdispersed and fit.family_ == "poisson"
    assert len(_misses(fit, CONCAVE)) <= 1, fit.intervals_


@pytest.mark.parametrize("truth", [S_CURVE, CONCAVE], ids=["s_curve", "concave"])
def test_the_right_form_is_chosen_in_most_seeds(truth: HillCurve | ExponentialCurve) -> None:
    """BIC over the estimated forms, on clearly shaped data (spend varies about 3-fold around the knee)."""
    right = 0
    for seed in range(3):
        spend, leads = weekly(truth, ADSTOCK, LEVEL, WEEKS, np.random.default_rng(100 + seed))
        data = Data.of(spend, leads)
        fits = [fit_form(form, "poisson", data) for form in ESTIMATED]
        right += min(fits, key=lambda f: f.bic).form == truth.curve
    assert right >= 2


def test_the_weekly_means_are_the_models_own() -> None:
    """μ_t = curves.leads_at(model.adstock): the fit evaluates the scenario's equations, not its own."""
    spend, leads = weekly(CONCAVE, ADSTOCK, LEVEL, 30, np.random.default_rng(0))
    fit = fit_form("exponential", "poisson", Data.of(spend, leads))
    curve = fit.curve(Data.of(spend, leads).scales)
    expected = leads_at(curve, adstock_path(fit.adstock, spend[0], spend))
    from channelsim.fit.estimate import mean_leads

    assert np.allclose(mean_leads("exponential", fit.theta, Data.of(spend, leads)), expected, rtol=1e-12)


def test_the_likelihoods_gradient_is_the_slope_of_the_models_own_likelihood() -> None:
    """The analytic gradient (fit/forms.slopes and the adstock's) against central differences of `nll`,
    which evaluates `curves.leads_at` of `model.adstock`: every estimated form, both families, at the
    starts and away from them. Central differences at h = 1e-6 are off by ~h²·|f‴| ≈ 1e-12 and
    ~ε·|nll|/h ≈ 1e-7 of rounding: 1e-6 of the nll's size is far above both and far below a wrong term."""
    rng = np.random.default_rng(4)
    spend, leads = weekly(S_CURVE, ADSTOCK, LEVEL, WEEKS, rng, size=20.0)
    data = Data.of(spend, leads)
    for form in ESTIMATED:
        for family in ("poisson", "negbin"):
            for start in grid_starts(form, family, data):
                theta = start + rng.normal(0.0, 0.2, len(start))
                theta[0] = float(np.clip(theta[0], 0.02, 0.93))
                value, gradient = nll_and_gradient(theta, form, family, data)
                assert value == nll(theta, form, family, data)
                steps = np.eye(len(theta)) * 1e-6
                central = [(nll(theta + h, form, family, data) - nll(theta - h, form, family, data)) / 2e-6
                           for h in steps]  # fmt: skip
                assert np.allclose(gradient, central, rtol=1e-5, atol=1e-6 * value), (form, family, theta)


def test_the_fit_asks_blas_for_one_thread_and_gives_the_count_back() -> None:
    """fit/blas.py: L-BFGS-B's tiny BLAS calls on one thread while fitting, the count restored after
    (nested blocks restore it once, at the outermost)."""
    calls = _openblas()
    if calls is None:
        pytest.skip("this SciPy has no OpenBLAS of its own in scipy.libs (another BLAS or platform)")
    get, put = calls
    before = get()
    put(2)
    try:
        with one_blas_thread():
            assert get() == 1
            with one_blas_thread():
                assert get() == 1
            assert get() == 1
        assert get() == 2
    finally:
        put(before)


def test_residuals_that_follow_each_other_are_found_and_independent_ones_are_not() -> None:
    """Ljung–Box on the Pearson residuals: Poisson weeks around the true means pass at 1%; a season the
    model leaves out (±30% over 26 weeks) is caught, and the fit warns about it."""
    rng = np.random.default_rng(3)
    spend, _ = weekly(CONCAVE, ADSTOCK, LEVEL, WEEKS, rng)
    mu = leads_at(CONCAVE, adstock_series(ADSTOCK, float(spend[0]), spend))
    assert not autocorrelation(rng.poisson(mu).astype(float), mu).autocorrelated
    season = 1 + 0.3 * np.sin(2 * np.pi * np.arange(WEEKS) / 26)
    leads = rng.poisson(mu * season)
    found = autocorrelation(leads.astype(float), mu)
    assert found.autocorrelated and found.lags == 10, found
    history = SourceHistory("ads", np.arange(WEEKS), spend, leads, np.arange(WEEKS) + 2)
    fit = fit_source(history, Source(id="ads", spend_per_week=LEVEL, response=CONCAVE), 20, rng)
    assert fit.residuals_.autocorrelated and any("follow each other" in w for w in fit.warnings_), (
        fit.warnings_
    )
