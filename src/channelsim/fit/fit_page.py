"""fit.html: per source the data and the fitted curve with its band, the weeks observed and fitted, the
form chosen and why (the criterion table), the warnings; and how the optimal plan moves across draws."""

from __future__ import annotations

import base64
from html import escape
from typing import TYPE_CHECKING

from channelsim.fit import fit_charts
from channelsim.fit.source_fit import SourceFit
from channelsim.report.page import CSS
from channelsim.results_io import write_text_atomic

if TYPE_CHECKING:
    from channelsim.fit.plan_spread import PlanSpread
    from channelsim.fit.run_fit import Fitted

EXTRA_CSS = ".warn { color: #8a3b00; font-weight: 600; } td.ok { color: #006b3c; font-weight: bold; }"


def write_page(fitted: Fitted, path: str, fitted_file: str, spread: PlanSpread | None) -> None:
    write_text_atomic(path, render(fitted, fitted_file, spread, images(fitted, spread)))


def images(fitted: Fitted, spread: PlanSpread | None) -> dict[str, bytes]:
    """Every figure of the page as PNG bytes, by name (`SOURCE_curve`, `SOURCE_weeks`, `plan_spread`)."""
    cur = fitted.scenario.currency
    out = {}
    for source, fit in fitted.sources.items():
        out[f"{source}_curve"] = fit_charts.curve_chart(fit, cur)
        out[f"{source}_weeks"] = fit_charts.weeks_chart(fit, cur)
    if spread is not None and spread.values:
        today = {s.id: s.spend_per_week for s in fitted.scenario.sources}
        out["plan_spread"] = fit_charts.spread_chart(spread, today, cur)
    return out


def render(fitted: Fitted, fitted_file: str, spread: PlanSpread | None, figures: dict[str, bytes]) -> str:
    body = [f"<h1>Fitted curves — {escape(fitted.scenario.name)}</h1>",
            f'<p class="meta">History {escape(fitted.history.file)} → {escape(fitted_file)}; '
            f"{fitted.replicates} bootstrap refits a source, seed {fitted.seed}; {fitted.seconds:.1f} s.</p>",
            _overview(fitted)]  # fmt: skip
    if spread is not None and spread.values:
        body += _spread(fitted, spread, figures)
    for fit in fitted.sources.values():
        body += _source(fit, fitted.scenario.currency, figures)
    body.append(_method())
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Fit — {escape(fitted.scenario.name)}"
            f"</title><style>{CSS}{EXTRA_CSS}</style></head><body>{''.join(body)}</body></html>")  # fmt: skip


def _img(figures: dict[str, bytes], name: str, caption: str) -> str:
    data = base64.b64encode(figures[name]).decode("ascii")
    return (f'<figure id="{escape(name)}"><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")  # fmt: skip


def _ci(mid: float, lo: float, hi: float, digits: str = ",.1f") -> str:
    return f"{mid:{digits}} <small>[{lo:{digits}}, {hi:{digits}}]</small>"


def _overview(fitted: Fitted) -> str:
    rows = []
    for source, fit in fitted.sources.items():
        lo, hi = fit.intervals_["adstock"]
        today = _ci(*fit.at(fit.today_)) if fit.today_ > 0 else "—"
        twice = _ci(*fit.at(2 * fit.today_)) if fit.today_ > 0 else "—"
        warn = f'<span class="warn">{len(fit.warnings_)}</span>' if fit.warnings_ else "0"
        rows.append(f"<tr><td>{escape(source)}</td><td class=l>{fit.form_}</td><td class=l>{fit.family_}</td>"
                    f"<td>{_ci(fit.adstock_, lo, hi, '.2f')}</td><td>{fit.today_:,.0f}</td><td>{today}</td>"
                    f"<td>{twice}</td><td>{warn}</td></tr>")  # fmt: skip
    return ("<h2>Summary</h2><p>Leads a week at a steady spend: the fitted curve, and in brackets its 95% interval "
            "(where the <i>average</i> leads at that spend lie, given the history; one week's leads scatter wider "
            "around it, as the lighter band of each curve's chart shows).</p>"
            "<table><tr><th>source</th><th class=l>curve</th><th class=l>counts</th><th>adstock</th>"
            "<th>today's spend</th><th>leads at today's spend</th><th>at twice today's</th><th>warnings</th></tr>"
            + "".join(rows) + "</table>")  # fmt: skip


def _source(fit: SourceFit, currency: str, figures: dict[str, bytes]) -> list[str]:
    parts = [f"<h2>{escape(fit.source)}</h2>",
             f'<p class="lead">{fit.form_} curve, {fit.family_} counts, adstock {fit.adstock_:.2f}</p>']  # fmt: skip
    parts += [f'<p class="warn">⚠ {escape(w)}</p>' for w in fit.warnings_]
    parts.append(_img(figures, f"{fit.source}_curve", "Each dot is a week: its effective spend (the adstock of the "
                      "spend so far) and the leads it brought. The line is the fitted curve; the dark band its 95% "
                      "interval (where the average leads lie: what the optimizer plans with), the light band the 95% "
                      "range of one week's leads (the dots should fall in it, about 1 in 20 outside). The dark band "
                      "assumes the chosen form and widens where the history has few weeks; grey: spend the history "
                      "never reached."))  # fmt: skip
    parts.append(_img(figures, f"{fit.source}_weeks", "Above: leads each week, observed and as the fit expects "
                      "them, with the 95% interval of the expectation. Below: the spend of each week and its "
                      "effective spend."))  # fmt: skip
    parts.append(_criteria(fit))
    parts.append(_intervals(fit))
    test = fit.dispersion_
    verdict = "overdispersed: negative binomial" if test.overdispersed else "no overdispersion: Poisson"
    parts.append(f"<p>Overdispersion test (Cameron &amp; Trivedi): α = {test.alpha:.3g}, t = {test.t:.2f}, "
                 f"one-sided p = {test.p:.3g} → {verdict}.</p>")  # fmt: skip
    lb = fit.residuals_
    verdict = "autocorrelated: the bands are too narrow" if lb.autocorrelated else "no autocorrelation found"
    parts.append(f"<p>Residual autocorrelation (Ljung–Box over {lb.lags} lags): Q = {lb.q:.1f}, p = {lb.p:.3g} "
                 f"→ {verdict}.</p>")  # fmt: skip
    return parts


def _criteria(fit: SourceFit) -> str:
    rows = []
    for row in fit.rows():
        params = ", ".join(f"{k} {v:.4g}" for k, v in row["params"].items())  # type: ignore[attr-defined]
        mark = '<td class="ok">chosen</td>' if row["chosen"] else "<td></td>"
        same = " (= logistic)" if row["form"] == "tanh" else ""
        rows.append(f"<tr><td>{row['form']}{same}</td><td class=l>{escape(params)}, adstock {row['adstock']:.2f}</td>"
                    f"<td>{row['loglik']:,.1f}</td><td>{row['k']}</td><td>{row['bic']:,.1f}</td>"
                    f"<td>{row['delta']:+,.1f}</td><td>{row['agree']}</td>{mark}</tr>")  # fmt: skip
    return ("<h3>Why this form</h3><p>Each form fitted by maximum likelihood; the least BIC = 2·(−log-likelihood) "
            "+ k·ln(weeks) is chosen (ΔBIC above 2 is positive evidence against a form, above 6 strong). "
            "logistic and tanh are one family (M·tanh(kx)): they fit identically. <i>starts</i>: how many of the "
            "optimizer's starting points reached the best optimum.</p><table><tr><th>form</th><th class=l>"
            "parameters</th><th>log-lik</th><th>k</th><th>BIC</th><th>ΔBIC</th><th>starts</th><th></th></tr>"
            + "".join(rows) + "</table>")  # fmt: skip


def _intervals(fit: SourceFit) -> str:
    values = {"adstock": fit.adstock_, **{k: v for k, v in fit.curve_.model_dump().items() if k != "curve"}}
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{values[k]:.4g}</td><td>{lo:.4g}</td><td>{hi:.4g}</td></tr>"
                   for k, (lo, hi) in fit.intervals_.items())  # fmt: skip
    return (
        "<h3>Parameters</h3><p>Each with its 95% interval (2.5% and 97.5% of the refits). The parameters of "
        "a saturating curve trade off (a higher ceiling with a later knee draws nearly the same curve where the "
        "history spent), so a wide interval of one parameter can go with a narrow band of the curve.</p>"
        "<table><tr><th>parameter</th><th>fitted</th><th>2.5%</th><th>97.5%</th></tr>" + rows + "</table>"
    )


def _spread(fitted: Fitted, spread: PlanSpread, figures: dict[str, bytes]) -> list[str]:
    cur = fitted.scenario.currency
    rows = []
    for source in spread.draws:
        low, mid, high = spread.quantiles(source)
        today = next(s.spend_per_week for s in fitted.scenario.sources if s.id == source)
        rows.append(f"<tr><td>{escape(source)}</td><td>{today:,.0f}</td><td>{spread.point[source]:,.0f}</td>"
                    f"<td>{mid:,.0f}</td><td>{low:,.0f} – {high:,.0f}</td></tr>")  # fmt: skip
    return [f"<h2>How the plan moves across draws</h2><p>The optimal plan ({escape(spread.objective)}) with the "
            f"point fit and with each of {len(spread.values)} draws of the fit (spend a week, {cur}). A wide range "
            "means the history does not pin the decision down: plan against the draws with "
            "<code>channelsim optimize FITTED.yaml --robust fit_draw_01,… --risk cvar</code>.</p>"
            "<table><tr><th>source</th><th>today</th><th>point fit's plan</th><th>median over draws</th>"
            "<th>5% – 95% of draws</th></tr>" + "".join(rows) + "</table>",
            _img(figures, "plan_spread", "Each dot: the optimal spend of a source in one draw of the fitted curves.")]  # fmt: skip


def _method() -> str:
    return (
        "<h2>How the fit works</h2><p>For each source, the leads of week t are Poisson (or negative binomial "
        "when a test finds them overdispersed) with mean L(e<sub>t</sub>), e<sub>t</sub> the geometric adstock "
        "of the spend. Each curve form is fitted by maximum likelihood from a grid of starting points; the form "
        "with the least BIC is kept. Intervals come from a parametric bootstrap: histories with the real spend "
        "and leads drawn from the fitted model are refitted, and the 2.5% and 97.5% of the refits kept; on "
        "synthetic histories of known curves these 95% intervals hold the truth in about 95% of fits. They "
        "assume the chosen form and weeks independent given spend (both tested above). See docs/curves.md.</p>"
    )
