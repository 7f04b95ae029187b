"""Maximum likelihood of one source's weekly leads: adstock, a curve form and a count distribution.

The leads of week t are Poisson with mean `μ_t = L(e_t)`, or negative binomial (NB2: variance
`μ + μ²/r`) when the counts are overdispersed, with `e_t` the adstock of the spend
(`channelsim.model.adstock`, started at the first week's spend) and `L` the form's curve
(`channelsim.curves`). The likelihood is not convex in the adstock and the saturation, so each
form is fitted from a grid of starts (adstock 0.05, 0.4, 0.75 × the form's saturation scales, M
matched to the leads' total at each) by bounded L-BFGS-B, and the best optimum kept; how many
starts reached it is recorded (`agree`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln
from scipy.stats import chi2, norm

from channelsim.curves import Curve, leads_at
from channelsim.fit.blas import one_blas_thread
from channelsim.fit.forms import (
    ADSTOCK_BOUNDS,
    Scales,
    curve_bounds,
    n_curve_params,
    slopes,
    start_shapes,
    to_curve,
)
from channelsim.model.adstock import adstock_series

FAMILIES = ("poisson", "negbin")
#: starts of the adstock carry-over
ADSTOCK_STARTS = (0.05, 0.4, 0.75)
#: NB2 size r on a log scale: 0.05 (wildly overdispersed) … 1.2 million (Poisson)
LOG_SIZE_BOUNDS = (math.log(0.05), 14.0)
#: two optima closer than this in log-likelihood are the same optimum
SAME_OPTIMUM = 0.05
#: a floor on the mean: a week with leads but (almost) no effective spend costs a lot, not infinity
MIN_MEAN = 1e-9
#: the autocorrelation test's level: 1%, not 5%, as a false alarm on one source in twenty is noise a planner
#: learns to ignore
AUTOCORRELATION_P = 0.01


@dataclass(frozen=True)
class Data:
    """One source's weeks: spend, leads, and the likelihood's constant terms."""

    spend: np.ndarray
    leads: np.ndarray
    scales: Scales
    log_factorial: np.ndarray = field(repr=False)

    @classmethod
    def of(cls, spend: np.ndarray, leads: np.ndarray) -> Data:
        spend, leads = np.asarray(spend, float), np.asarray(leads, float)
        return cls(spend, leads, Scales.of(spend, leads), gammaln(leads + 1.0))


@dataclass
class FormFit:
    """The best optimum of one form and family."""

    form: str
    family: str
    theta: np.ndarray  # [adstock, curve parameters (log scale), log r for negbin]
    nll: float  # −log-likelihood at the optimum (with its constants)
    n: int  # weeks
    agree: int = 0  # starts that reached this optimum
    starts: int = 0
    others: list[np.ndarray] = field(default_factory=list, repr=False)  # optima of other basins

    @property
    def k(self) -> int:
        return 1 + n_curve_params(self.form) + (self.family == "negbin")

    @property
    def bic(self) -> float:
        return 2.0 * self.nll + self.k * math.log(self.n)

    @property
    def aic(self) -> float:
        return 2.0 * self.nll + 2.0 * self.k

    @property
    def adstock(self) -> float:
        return float(self.theta[0])

    @property
    def size(self) -> float | None:
        return math.exp(self.theta[-1]) if self.family == "negbin" else None

    def curve(self, scales: Scales, checked: bool = False) -> Curve:
        return to_curve(self.form, self.theta[1 : 1 + n_curve_params(self.form)], scales, checked)


def mean_leads(form: str, theta: np.ndarray, data: Data) -> np.ndarray:
    """μ_t: the form's curve (curves.leads_at) of the adstocked spend (model.adstock)."""
    effective = adstock_series(float(theta[0]), float(data.spend[0]), data.spend)
    curve = to_curve(form, theta[1 : 1 + n_curve_params(form)], data.scales)
    return np.maximum(leads_at(curve, effective), MIN_MEAN)


def nll(theta: np.ndarray, form: str, family: str, data: Data) -> float:
    """−Σ_t log p(y_t | μ_t): Poisson, or NB2 with size r = exp(θ_last)."""
    return _nll_terms(mean_leads(form, theta, data), theta, family, data)


def nll_and_gradient(theta: np.ndarray, form: str, family: str, data: Data) -> tuple[float, np.ndarray]:
    """`nll` and its gradient in θ, by the chain rule through μ_t (the optimizer's `jac=True`).

    One evaluation instead of the 1 + len(θ) of a finite-difference gradient, and an exact one.
    """
    mu, jacobian = _mean_and_jacobian(form, theta, data)
    value, y = _nll_terms(mu, theta, family, data), data.leads
    if value >= 1e300:
        return value, np.zeros(len(theta))
    if family == "poisson":
        return value, jacobian @ (1.0 - y / mu)
    r = math.exp(theta[-1])
    per_mean = (r + y) / (r + mu) - y / mu  # ∂term_t/∂μ_t
    per_size = -(digamma(y + r) - digamma(r) + np.log(r / (r + mu)) + (mu - y) / (r + mu))  # ∂term_t/∂r
    return value, np.append(jacobian @ per_mean, r * float(np.sum(per_size)))


def _nll_terms(mu: np.ndarray, theta: np.ndarray, family: str, data: Data) -> float:
    y = data.leads
    if family == "poisson":
        terms = mu - y * np.log(mu) + data.log_factorial
    else:
        r = math.exp(theta[-1])
        terms = -(gammaln(y + r) - gammaln(r) - data.log_factorial + r * np.log(r / (r + mu))
                  + y * np.log(mu / (r + mu)))  # fmt: skip
    value = float(np.sum(terms))
    return value if math.isfinite(value) else 1e300


def _mean_and_jacobian(form: str, theta: np.ndarray, data: Data) -> tuple[np.ndarray, np.ndarray]:
    """μ_t (as `mean_leads`) and ∂μ_t/∂θ_j [adstock and curve parameters, week]."""
    carry, n = float(theta[0]), n_curve_params(form)
    effective = adstock_series(carry, float(data.spend[0]), data.spend)
    curve = to_curve(form, theta[1 : 1 + n], data.scales)
    value = leads_at(curve, effective)
    per_spend, per_curve = slopes(curve, effective, value)
    jacobian = np.vstack([per_spend * _adstock_slope(carry, data.spend, effective), per_curve])
    jacobian[:, value < MIN_MEAN] = 0.0  # the floor is flat
    return np.maximum(value, MIN_MEAN), jacobian


def _adstock_slope(carry: float, spend: np.ndarray, effective: np.ndarray) -> np.ndarray:
    """∂e_t/∂a of the adstock `e_t = a·e_(t−1) + (1 − a)·x_t` started at e_(−1) = x_0.

    Differentiating gives `d_t = a·d_(t−1) + (e_(t−1) − x_t)` with d_(−1) = 0: the same filter run
    on `e_(t−1) − x_t` without its (1 − a) gain (a ≤ 0.95 < 1: ADSTOCK_BOUNDS).
    """
    before = np.concatenate(([float(spend[0])], effective[:-1]))
    return adstock_series(carry, 0.0, before - spend) / (1.0 - carry)


def fit_form(form: str, family: str, data: Data, starts: list[np.ndarray] | None = None) -> FormFit:
    """The best of local optima from `starts` (default: the grid of the module's docstring)."""
    bounds = [ADSTOCK_BOUNDS, *curve_bounds(form)] + ([LOG_SIZE_BOUNDS] if family == "negbin" else [])
    starts = starts if starts is not None else grid_starts(form, family, data)
    with one_blas_thread():  # L-BFGS-B's tiny BLAS calls: see fit/blas.py
        found = [_local_optimum(form, family, data, start, bounds) for start in starts]
    found.sort(key=lambda item: item[0])
    best, theta = found[0]
    agree = sum(value - best < SAME_OPTIMUM for value, _ in found)
    others = [t for value, t in found[1:] if value - best >= SAME_OPTIMUM]
    return FormFit(form, family, theta, best, len(data.leads), agree, len(starts), others[:2])


def _local_optimum(form: str, family: str, data: Data, start: np.ndarray,
                   bounds: list[tuple[float, float]]) -> tuple[float, np.ndarray]:  # fmt: skip
    result = minimize(nll_and_gradient, np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds]),
                      args=(form, family, data), method="L-BFGS-B", jac=True, bounds=bounds,
                      options={"maxiter": 200, "ftol": 1e-9})  # fmt: skip
    return float(result.fun), np.asarray(result.x, float)


def grid_starts(form: str, family: str, data: Data) -> list[np.ndarray]:
    """Adstock × the form's saturation scales, M matched to the leads' total, r from the moments."""
    out = []
    for a in ADSTOCK_STARTS:
        for rest in start_shapes(form):
            theta = np.array([a, 0.0, *rest])
            mu = mean_leads(form, theta, data)
            theta[1] = math.log(max(float(data.leads.sum()), 1.0) / float(mu.sum()))
            if family == "negbin":
                theta = np.append(theta, math.log(_moment_size(data.leads, mean_leads(form, theta, data))))
            out.append(theta)
    return out


def from_poisson(fit: FormFit, data: Data) -> list[np.ndarray]:
    """Starts of a negative binomial fit: the Poisson optimum (and its other basins), r from the moments."""
    starts = []
    for theta in [fit.theta, *fit.others]:
        mu = mean_leads(fit.form, theta, data)
        starts.append(np.append(theta, math.log(_moment_size(data.leads, mu))))
    return starts


def _moment_size(y: np.ndarray, mu: np.ndarray) -> float:
    """r from Var = μ + μ²/r: Σμ² / Σ((y − μ)² − y), bounded."""
    excess = float(np.sum((y - mu) ** 2 - y))
    r = float(np.sum(mu**2)) / excess if excess > 0 else 1e5
    return float(np.clip(r, math.exp(LOG_SIZE_BOUNDS[0]) * 2, 1e5))


@dataclass(frozen=True)
class Overdispersion:
    """Cameron & Trivedi's (1990) regression test of Var(y) = μ + α·μ² against α = 0."""

    alpha: float  # the estimated α (NB2's 1/r)
    t: float
    p: float  # one-sided p-value

    @property
    def overdispersed(self) -> bool:
        return self.p < 0.05


def overdispersion(y: np.ndarray, mu: np.ndarray) -> Overdispersion:
    """Regress `((y − μ)² − y)/μ` on μ without intercept; under Poisson the slope α is 0.

    Cameron, A. C. & Trivedi, P. K. (1990), "Regression-based tests for overdispersion in the
    Poisson model", Journal of Econometrics 46, 347–364 (their auxiliary regression with g(μ) = μ²).
    """
    z = ((y - mu) ** 2 - y) / mu
    alpha = float(np.sum(z * mu) / np.sum(mu**2))
    resid = z - alpha * mu
    se = math.sqrt(float(np.sum(resid**2)) / max(len(y) - 1, 1) / float(np.sum(mu**2)))
    t = alpha / se if se > 0 else 0.0
    return Overdispersion(alpha, t, float(norm.sf(t)))


@dataclass(frozen=True)
class Autocorrelation:
    """Ljung & Box's (1978) portmanteau test of the Pearson residuals `(y − μ)/√Var` against no autocorrelation."""

    lags: int
    q: float
    p: float

    @property
    def autocorrelated(self) -> bool:
        return self.p < AUTOCORRELATION_P


def autocorrelation(y: np.ndarray, mu: np.ndarray, size: float | None = None) -> Autocorrelation:
    """Q = T(T+2)·Σ_k ρ_k²/(T−k) over lags 1 … min(10, T/5), χ² with that many degrees of freedom.

    The model says the weeks are independent given the spend; a seasonality, a trend or a
    campaign the history leaves out shows up as residuals that follow each other (Ljung, G. M. &
    Box, G. E. P. (1978), "On a measure of lack of fit in time series models", Biometrika 65, 297–303).
    """
    variance = mu + (mu**2 / size if size else 0.0)
    z = (y - mu) / np.sqrt(variance)
    z = z - z.mean()
    n, lags = len(z), max(1, min(10, len(z) // 5))
    denominator = float(np.sum(z**2)) or 1.0
    rho = np.array([float(np.sum(z[k:] * z[:-k])) / denominator for k in range(1, lags + 1)])
    q = float(n * (n + 2) * np.sum(rho**2 / (n - np.arange(1, lags + 1))))
    return Autocorrelation(lags, q, float(chi2.sf(q, lags)))
