"""One source's fit: the family (Poisson or NB by an overdispersion test), the form by BIC, the bootstrap.

The family is decided first, on the Poisson fit of the most flexible form (Hill): Cameron &
Trivedi's test at 5%. Then every form is fitted in that family and the one with the least BIC
(`2·nll + k·ln T`) is chosen. BIC rather than AIC or time-ordered cross-validation: the candidate
forms are nested or close, BIC picks the true one with probability → 1 as the history grows
(AIC keeps a fixed chance of the extra Hill shape), and with two years of weeks a rolling-origin
cross-validation scores each form on a handful of hold-out quarters whose spend may not even
reach the knee; the bootstrap, not the choice, carries the uncertainty into the plan.

The bootstrap draws histories from the fitted model (`bootstrap`), which takes the weeks to be
independent given the spend; the Pearson residuals of the chosen fit are tested for
autocorrelation (Ljung–Box) and a planner warned when they have it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from channelsim.curves import Curve, HillCurve, LinearCurve, TanhCurve, leads_at
from channelsim.fit.bootstrap import Bootstrap, bootstrap
from channelsim.fit.estimate import (
    Autocorrelation,
    Data,
    FormFit,
    Overdispersion,
    autocorrelation,
    fit_form,
    from_poisson,
    mean_leads,
    overdispersion,
)
from channelsim.fit.forms import ESTIMATED, FORMS, Scales, n_curve_params, parameters, to_curve
from channelsim.fit.history import SourceHistory
from channelsim.model.adstock import adstock_series
from channelsim.scenario.demand import Source

#: the history's spread of weekly spend (90th over 10th percentile) below which saturation is not identified
MIN_SPEND_RATIO = 1.5
#: forms closer than this in BIC are not ruled out (Kass & Raftery 1995: below 6 the evidence is not "strong"):
#: the band assumes the chosen form, and on the coffee chain's platform_ads a Hill curve 3.0 behind the chosen
#: logistic puts the leads at twice today's spend below the logistic's band
CLOSE_BIC = 6.0
#: "near today's plan": within this share of today's spend
NEAR = 0.25


@dataclass
class SourceFit:
    """Everything the fit learnt about one source (results end in `_`, as in scikit-learn)."""

    source: str
    history: SourceHistory
    dispersion_: Overdispersion
    family_: str
    table_: list[FormFit]  # one per estimated form, in the family chosen
    chosen_: FormFit
    curve_: Curve  # validated, written in the scenario's key (tanh or logistic)
    adstock_: float
    boot_: Bootstrap
    effective_: np.ndarray  # e_t at the fitted adstock
    fitted_: np.ndarray  # μ_t
    today_: float  # the scenario's spend per week
    scales_: Scales  # the data's units (forms.Scales)
    residuals_: Autocorrelation  # the Ljung–Box test of the chosen fit's residuals
    intervals_: dict[str, tuple[float, float]] = field(default_factory=dict)
    warnings_: list[str] = field(default_factory=list)

    @property
    def form_(self) -> str:
        return self.curve_.curve

    def at(self, spend: float) -> tuple[float, float, float]:
        """Leads per week at a steady spend: the fit and its 95% bootstrap interval."""
        lo, hi = self.boot_.band(np.array([spend]))
        return float(self.curve_.leads(spend)), float(lo[0]), float(hi[0])

    def rows(self) -> list[dict[str, object]]:
        """The criterion table, every form (tanh beside logistic: the same family)."""
        best = min(f.bic for f in self.table_)
        out = []
        for name in FORMS:
            fit = next(f for f in self.table_ if f.form == ("logistic" if name == "tanh" else name))
            curve = curve_as(fit, name, self.scales_)
            out.append({"form": name, "loglik": -fit.nll, "k": fit.k, "bic": fit.bic, "delta": fit.bic - best,
                        "chosen": name == self.form_, "params": parameters(curve), "adstock": fit.adstock,
                        "agree": f"{fit.agree}/{fit.starts}"})  # fmt: skip
        return out


def curve_as(fit: FormFit, name: str, scales: Scales, checked: bool = False) -> Curve:
    """A fit's curve written as form `name` (tanh for a logistic fit: the same family)."""
    return to_curve(name, fit.theta[1 : 1 + n_curve_params(fit.form)], scales, checked)


def fit_source(
    history: SourceHistory, source: Source, replicates: int, rng: np.random.Generator
) -> SourceFit:
    data = Data.of(history.spend, history.leads)
    poisson = {form: fit_form(form, "poisson", data) for form in ESTIMATED}
    test = overdispersion(data.leads, mean_leads("hill", poisson["hill"].theta, data))
    family = "negbin" if test.overdispersed else "poisson"
    table = list(poisson.values())
    if family == "negbin":
        table = [
            fit_form(form, "negbin", data, starts=from_poisson(poisson[form], data)) for form in ESTIMATED
        ]
    chosen = min(table, key=lambda f: f.bic)
    name = "tanh" if chosen.form == "logistic" and isinstance(source.response, TanhCurve) else chosen.form
    curve = curve_as(chosen, name, data.scales, checked=True)
    boot = bootstrap(chosen, data, replicates, rng)
    boot.curves = [curve_as(f, name, data.scales) for f in boot.fits]
    effective = adstock_series(chosen.adstock, float(history.spend[0]), history.spend)
    fitted = mean_leads(chosen.form, chosen.theta, data)
    residuals = autocorrelation(data.leads, fitted, chosen.size)
    fit = SourceFit(history.source, history, test, family, table, chosen, curve, round(chosen.adstock, 4), boot,
                    effective, fitted, source.spend_per_week, data.scales, residuals)  # fmt: skip
    fit.intervals_ = _intervals(fit)
    fit.warnings_ = warnings(fit, source)
    return fit


def _intervals(fit: SourceFit) -> dict[str, tuple[float, float]]:
    out = {"adstock": fit.boot_.interval([f.adstock for f in fit.boot_.fits])}
    for key in parameters(fit.curve_):
        out[key] = fit.boot_.interval([parameters(c)[key] for c in fit.boot_.curves])
    return out


def warnings(fit: SourceFit, source: Source) -> list[str]:
    """What a planner should know before trusting the curve: identification and extrapolation."""
    out = []
    spend = fit.history.spend[fit.history.spend > 0]
    p10, p90 = np.percentile(spend, [10, 90])
    if p90 < MIN_SPEND_RATIO * p10:
        out.append(f"spend varied too little to identify saturation: 80% of the weeks spent between {p10:,.0f} "
                   f"and {p90:,.0f}; the curve's shape beyond that range is a guess — vary spend (a test) to learn it")  # fmt: skip
    if "max_leads_per_week" in fit.intervals_ and not isinstance(fit.curve_, LinearCurve):
        lo, hi = fit.intervals_["max_leads_per_week"]
        if hi > 3 * max(lo, 1e-9):
            out.append(f"the saturation level is poorly identified: max_leads_per_week's 95% interval is "
                       f"{lo:,.0f} to {hi:,.0f}")  # fmt: skip
    close = sorted(f.bic - fit.chosen_.bic for f in fit.table_ if f is not fit.chosen_)
    if close and close[0] < CLOSE_BIC:
        rival = min((f for f in fit.table_ if f is not fit.chosen_), key=lambda f: f.bic)
        out.append(f"the history hardly tells {fit.form_} from {rival.form} apart (ΔBIC {close[0]:.1f} < {CLOSE_BIC:g}, "
                   "short of strong evidence); the band assumes the chosen form, so the curve away from the history's "
                   "usual spend is less certain than it shows")  # fmt: skip
    today, top = fit.today_, float(fit.history.spend.max())
    if today > 0 and not np.any(np.abs(fit.effective_ - today) <= NEAR * today):
        out.append(f"spend was never near today's plan ({today:,.0f} a week): no week's effective spend came within "
                   f"{NEAR:.0%} of it (the history's range is {fit.effective_.min():,.0f} to {fit.effective_.max():,.0f}); "
                   "the curve there is an extrapolation")  # fmt: skip
    ceiling = source.max_spend_per_week
    if ceiling is not None and ceiling > 1.5 * top:
        out.append(f"the optimizer may spend up to {ceiling:,.0f} a week (max_spend_per_week), but the history "
                   f"never spent more than {top:,.0f}: plans above that rest on the curve's extrapolation")  # fmt: skip
    if fit.residuals_.autocorrelated:
        out.append(f"the weeks' residuals follow each other (Ljung–Box over {fit.residuals_.lags} lags, p = "
                   f"{fit.residuals_.p:.2g}): something the model leaves out (a season, a trend, a campaign) moves the "
                   "leads, and the bands, drawn as if weeks were independent given spend, are too narrow")  # fmt: skip
    if isinstance(fit.curve_, HillCurve) and fit.curve_.shape > 1 and fit.curve_.inflection > top:
        out.append(
            "the fitted S-curve is steepest beyond any spend in the history: its shape there is not observed"
        )
    return out


def leads_grid(
    fit: SourceFit, upper: float, points: int = 121
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Spends from 0 to `upper` and the curve, with its 95% band, at each (steady spend)."""
    spends = np.linspace(0.0, upper, points)
    lo, hi = fit.boot_.band(spends)
    return spends, leads_at(fit.curve_, spends), lo, hi
