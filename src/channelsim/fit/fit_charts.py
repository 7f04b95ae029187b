"""The figures of fit.html: each source's curve over its data, its weeks observed and fitted, the plan's spread."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from channelsim.fit.source_fit import SourceFit, leads_grid
from channelsim.report import style

if TYPE_CHECKING:
    from channelsim.fit.plan_spread import PlanSpread


def curve_chart(fit: SourceFit, currency: str) -> bytes:
    """Leads a week against effective spend: the weeks, the fitted curve with its 95% interval and the 95% range
    of one week's leads, today's spend."""
    top = float(fit.effective_.max())
    upper = max(1.25 * top, 1.15 * fit.today_)
    spends, mid, lo, hi = leads_grid(fit, upper)
    week_lo, week_hi = fit.boot_.week_band(spends)
    with style.styled():
        figure, ax = style.new_figure(11, 6.2)
        ax.axvspan(top, upper, color=style.GREY, alpha=0.15, lw=0, label="beyond the history (extrapolated)")
        # two bands, because a planner reads the dots against the band: the curve's (where the average
        # lies) is far narrower than the range one week's leads scatter over
        ax.fill_between(spends, week_lo, week_hi, color=style.BLUE, alpha=0.09, lw=0,
                        label="one week's leads, 95% range")  # fmt: skip
        ax.fill_between(
            spends, lo, hi, color=style.BLUE, alpha=0.3, lw=0, label="the curve (average leads), 95% interval"
        )
        ax.plot(spends, mid, color=style.BLUE, label=f"fitted {fit.form_} curve")
        ax.scatter(fit.effective_, fit.history.leads, s=28, color=style.BLACK, alpha=0.55, zorder=3,
                   label="a week of the history")  # fmt: skip
        if fit.today_ > 0:
            ax.axvline(fit.today_, color=style.VERMILION, ls="--", lw=2)
            value = fit.curve_.leads(fit.today_)
            ax.annotate(f"today {style.amount(fit.today_)}: {value:,.0f} leads", (fit.today_, value),
                        xytext=(8, -28), textcoords="offset points", color=style.VERMILION, fontsize=13)  # fmt: skip
        ax.set_xlim(0, upper)
        ax.set_ylim(0, max(float(np.max(week_hi)), float(fit.history.leads.max())) * 1.08)
        ax.set_xlabel(f"effective spend a week ({currency}; adstock {fit.adstock_:.2f} carried over)")
        ax.set_ylabel("leads a week")
        style.number_axis(ax.xaxis)
        ax.legend(loc="lower right")
        ax.set_title(f"{fit.source}: leads against spend")
        return style.png_bytes(figure)


def weeks_chart(fit: SourceFit, currency: str) -> bytes:
    """Each week: the leads observed and fitted (with the refits' 95% band), and the spend below."""
    weeks = fit.history.weeks
    lo, hi = fit.boot_.weekly_band()
    with style.styled():
        figure, grid = style.new_grid(11, 7.2, 2, 1)
        ax, below = grid[0, 0], grid[1, 0]
        ax.fill_between(
            weeks, lo, hi, color=style.BLUE, alpha=0.22, lw=0, label="expected leads, 95% interval"
        )
        ax.plot(weeks, fit.fitted_, color=style.BLUE, label="fitted (expected leads)")
        ax.plot(weeks, fit.history.leads, "o", ms=4, color=style.BLACK, alpha=0.7, label="observed")
        ax.set_ylabel("leads a week")
        ax.legend(loc="upper left", ncols=3)
        ax.set_title(f"{fit.source}: observed and fitted, week by week")
        below.bar(weeks, fit.history.spend, width=0.85, color=style.ORANGE, label="spend")
        below.plot(weeks, fit.effective_, color=style.BLACK, lw=1.8, label="effective spend (adstock)")
        below.set_ylabel(f"spend ({currency})")
        below.set_xlabel("week")
        style.number_axis(below.yaxis)
        below.legend(loc="upper left", ncols=2)
        ax.sharex(below)
        ax.tick_params(labelbottom=False)
        return style.png_bytes(figure)


def spread_chart(spread: PlanSpread, today: dict[str, float], currency: str) -> bytes:
    """Each source's optimal spend in every draw (dots), with the point fit's plan and today's spend."""
    sources = list(spread.draws)
    with style.styled():
        figure, ax = style.new_figure(11, 1.6 + 1.1 * len(sources))
        rng = np.random.default_rng(0)  # jitter only, for dots that would overlap
        for row, source in enumerate(sources):
            values = np.asarray(spread.draws[source])
            ax.scatter(values, row + rng.uniform(-0.18, 0.18, len(values)), s=30, color=style.BLUE, alpha=0.6,
                       label="optimal in one draw" if row == 0 else None)  # fmt: skip
            ax.scatter([spread.point[source]], [row], marker="D", s=110, color=style.BLACK, zorder=3,
                       label="optimal with the point fit" if row == 0 else None)  # fmt: skip
            ax.scatter([today.get(source, 0.0)], [row], marker="|", s=500, color=style.VERMILION, zorder=3,
                       label="today" if row == 0 else None)  # fmt: skip
        ax.set_yticks(range(len(sources)), sources)
        ax.set_ylim(-0.6, len(sources) - 0.4)
        ax.set_xlabel(f"spend a week ({currency})")
        style.number_axis(ax.xaxis)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=3)
        ax.set_title(f"Optimal spend across {len(spread.values)} draws of the fit")
        return style.png_bytes(figure)
