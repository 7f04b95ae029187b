"""Response curves from data: a weekly history fitted (`fit_history`), or another tool's fit mapped in
(`import_curves`), written into a scenario file that keeps its comments (docs/curves.md).

Modules: `history` (HISTORY.csv, checked line by line), `forms` (the curve forms as vectors),
`estimate` (the likelihood, multi-start maximum likelihood, the overdispersion and autocorrelation tests),
`bootstrap` (the parametric bootstrap), `source_fit` (one source: family, form by BIC, intervals,
warnings), `run_fit` (every source, the draws), `roundtrip` (FITTED.yaml), `external` (PyMC-Marketing,
Meridian, Robyn), `plan_spread`, `fit_charts` and `fit_page` (fit.html).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from channelsim.fit.external import import_curves
    from channelsim.fit.run_fit import fit_history

__all__ = ["fit_history", "import_curves"]


def __getattr__(name: str) -> Any:
    """The two entry points, imported on first use (SciPy and ruamel.yaml load only when fitting)."""
    if name == "fit_history":
        from channelsim.fit.run_fit import fit_history

        return fit_history
    if name == "import_curves":
        from channelsim.fit.external import import_curves

        return import_curves
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
