"""`channelsim fit` as one call: history in, fitted curves, their draws and FITTED.yaml out.

Randomness (the bootstrap's resamples and which refits become draws) comes from one
`SeedSequence(seed)`, spawned once per source in the order of the scenario's sources, so a fit is
the same whatever else the history holds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from channelsim.curves import Curve
from channelsim.fit.forms import parameters
from channelsim.fit.history import History, read_history
from channelsim.fit.roundtrip import DRAW_PREFIX, fitted_text, write_fitted
from channelsim.fit.source_fit import SourceFit, curve_as, fit_source
from channelsim.scenario.schema import Scenario

#: bootstrap refits per source unless asked otherwise
REPLICATES = 200


@dataclass
class Fitted:
    """The fit of every source in the history, and the draws of its uncertainty."""

    scenario: Scenario
    history: History
    sources: dict[str, SourceFit]
    draws: list[dict[str, tuple[Curve, float]]] = field(
        default_factory=list
    )  # per draw: source -> (curve, adstock)
    seed: int = 0
    replicates: int = REPLICATES
    seconds: float = 0.0

    def updates(self) -> dict[str, tuple[dict[str, Any], float]]:
        return {s: (response(f.curve_), f.adstock_) for s, f in self.sources.items()}

    def variants(self) -> dict[str, dict[str, Any]]:
        out = {}
        width = max(2, len(str(len(self.draws))))
        for i, draw in enumerate(self.draws, start=1):
            sets: dict[str, Any] = {}
            for source, (curve, adstock) in draw.items():
                sets[f"sources.{source}.response"] = response(curve)
                sets[f"sources.{source}.adstock"] = adstock
            out[f"{DRAW_PREFIX}{i:0{width}d}"] = {
                "description": f"bootstrap draw {i} of the fit (channelsim fit, seed {self.seed})",
                "set": sets,
            }
        return out


def response(curve: Curve) -> dict[str, Any]:
    return {"curve": curve.curve, **parameters(curve)}


def fit_history(scenario: Scenario, history: str | os.PathLike[str], replicates: int = REPLICATES,
                draws: int = 0, seed: int = 0,
                progress: Callable[[int, int], None] | None = None) -> Fitted:  # fmt: skip
    """Fit each source of `history` (a HISTORY.csv) present in `scenario`; `draws` bootstrap variants.

    `progress(done, total)` is told the sources fitted: 0 once the history is read, then after each one."""
    started = time.perf_counter()
    found = read_history(history, [s.id for s in scenario.sources])
    replicates = max(replicates, draws)
    seeds = np.random.SeedSequence(seed).spawn(len(scenario.sources))
    fits: dict[str, SourceFit] = {}
    chosen: dict[str, np.ndarray] = {}
    total = sum(s.id in found.sources for s in scenario.sources)
    if progress:
        progress(0, total)
    for source, seq in zip(scenario.sources, seeds, strict=True):
        if source.id not in found.sources:
            continue
        rng = np.random.default_rng(seq)
        fits[source.id] = fit_source(found.sources[source.id], source, replicates, rng)
        if progress:
            progress(len(fits), total)
        # which refits become draws: distinct ones while there are enough
        chosen[source.id] = rng.choice(replicates, size=draws, replace=False) if draws else np.zeros(0, int)
    picked = [
        {s: (_checked(fit, int(chosen[s][i])), round(fit.boot_.fits[int(chosen[s][i])].adstock, 4))
         for s, fit in fits.items()}
        for i in range(draws)
    ]  # fmt: skip
    return Fitted(scenario, found, fits, picked, seed, replicates, time.perf_counter() - started)


def _checked(fit: SourceFit, index: int) -> Curve:
    return curve_as(fit.boot_.fits[index], fit.form_, fit.scales_, checked=True)


def write(fitted: Fitted, out: str) -> None:
    """FITTED.yaml at `out` (the scenario file with the fitted sources replaced and the draws added)."""
    file = fitted.scenario.file
    with open(file, encoding="utf-8") as handle:
        text = handle.read()
    note = f"fitted by channelsim fit from {os.path.basename(fitted.history.file)}"
    write_fitted(file, out, fitted_text(text, file, fitted.updates(), fitted.variants(), note))
