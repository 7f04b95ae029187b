"""Recovery and coverage of `channelsim fit` on synthetic histories (run by hand, never as a test).

    PYTHONPATH=src python bench/fit_recovery.py [REPETITIONS] [REFITS] [CASE ...]

Each repetition draws a 104-week Poisson history (tests/fit_data.py: the model's own adstock and
curve, spend log-normal around 3,000) from a known curve with adstock 0.4, fits the true form by
maximum likelihood with its parametric bootstrap (`channelsim.fit.bootstrap`), and checks whether
each 95% interval (the adstock, the curve's parameters, and the leads at today's spend 3,000 and
at twice it) holds the truth. Cases: `exponential` (M 300, scale 3,000), `hill` (an S-curve: M 300,
half saturation 4,000, shape 2.5) and `logistic` (M 300, λ 1/1,500: 300·tanh(x/3,000)). Coverage
of R repetitions has a standard error √(0.95·0.05/R) (0.015 at R = 200). Defaults: 200
repetitions of 100 refits, every case (about 3 minutes a case on an idle core).
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from channelsim.curves import Curve, ExponentialCurve, HillCurve, LogisticCurve
from channelsim.fit.bootstrap import bootstrap
from channelsim.fit.estimate import Data, fit_form
from channelsim.fit.forms import parameters
from fit_data import weekly

CASES: dict[str, Curve] = {
    "exponential": ExponentialCurve(curve="exponential", max_leads_per_week=300, scale=3000),
    "hill": HillCurve(curve="hill", max_leads_per_week=300, half_saturation=4000, shape=2.5),
    "logistic": LogisticCurve(curve="logistic", max_leads_per_week=300, lam=1 / 1500),
}
ADSTOCK, LEVEL, WEEKS = 0.4, 3000.0, 104


def figures(curve: Curve, adstock: float) -> dict[str, float]:
    """What an interval is checked for: the adstock, the curve's parameters, the leads at 1× and 2× today."""
    return {"adstock": adstock, **parameters(curve), "L(today)": curve.leads(LEVEL),
            "L(2·today)": curve.leads(2 * LEVEL)}  # fmt: skip


def run(name: str, reps: int, refits: int) -> None:
    truth = CASES[name]
    true = figures(truth, ADSTOCK)
    hits = dict.fromkeys(true, 0)
    started = time.perf_counter()
    print(f"\n{name}: {truth.model_dump()}, adstock {ADSTOCK}")
    for i, seq in enumerate(np.random.SeedSequence(7).spawn(reps)):
        rng = np.random.default_rng(seq)
        spend, leads = weekly(truth, ADSTOCK, LEVEL, WEEKS, rng)
        data = Data.of(spend, leads)
        point = fit_form(truth.curve, "poisson", data)
        boot = bootstrap(point, data, refits, rng)
        fitted = figures(point.curve(data.scales), point.adstock)
        draws = [figures(c, f.adstock) for f, c in zip(boot.fits, boot.curves, strict=True)]
        for key in true:
            lo, hi = boot.interval([d[key] for d in draws])
            hits[key] += lo <= true[key] <= hi
            if i == 0:
                print(
                    f"  {key:<19} true {true[key]:>9.4g}   fitted {fitted[key]:>9.4g}   95% [{lo:.4g}, {hi:.4g}]"
                )
    se = math.sqrt(0.95 * 0.05 / reps)
    print(f"  coverage of the 95% intervals over {reps} histories ({refits} refits each; s.e. {se:.3f}):")
    for key, count in hits.items():
        print(f"    {key:<19} {count / reps:.3f}")
    print(f"  {time.perf_counter() - started:.0f} s")


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    refits = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    for name in sys.argv[3:] or list(CASES):
        run(name, reps, refits)


if __name__ == "__main__":
    main()
