"""Write scenarios/coffee_chain_history.csv: two years of weekly spend and leads per source, simulated.

The coffee chain's three sources are given varied weekly spend (log-normal around today's, a
fixed seed) and carry-over (search-like `platform_ads` none, `local_ads` 0.3, `social` 0.5) and
the SimPy simulation is run once over 104 weeks; each source's leads a week (kpis.csv, level
source, metric leads) are its history. `channelsim fit` on it should find curves close to the
scenario's and these adstocks (docs/curves.md, "Fit, then plan"). Run from the repository root:

    python scripts/make_history.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

import channelsim as cs

ROOT = Path(__file__).resolve().parents[1]
WEEKS, SEED = 104, 2026
CARRY = {"social": 0.5, "local_ads": 0.3, "platform_ads": 0.0}


def main() -> None:
    sc = cs.load(ROOT / "scenarios" / "coffee_chain.yaml")
    overrides = {"horizon_weeks": WEEKS, **{f"sources.{s}.adstock": a for s, a in CARRY.items()}}
    sc = sc.with_overrides(overrides)
    rng = np.random.default_rng(SEED)
    spend = {s.id: np.round(s.spend_per_week * np.exp(rng.normal(0.0, 0.5, WEEKS)), 0) for s in sc.sources}
    plan = {"sources": {s: {"spend_per_week": [float(x) for x in v]} for s, v in spend.items()}}
    result = cs.simulate(sc, replications=1, seed=SEED, plan=plan)
    kpis = result.kpis
    leads = kpis[(kpis.level == "source") & (kpis.metric == "leads")]
    out = ROOT / "scenarios" / "coffee_chain_history.csv"
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["week", "source", "spend", "leads"])
        for source, weekly in spend.items():
            counts = leads[leads.id == source].set_index("week")["value"]
            for week in range(WEEKS):
                writer.writerow([week, source, f"{weekly[week]:g}", int(round(counts.get(week, 0.0)))])
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
