"""Write every gallery scenario's outputs to one folder, to compare a refactoring's before and after.

    python scripts/gallery_snapshot.py OUT          # simulate + optimize each scenario into OUT/NAME/
    python scripts/gallery_snapshot.py --compare A B  # byte-compare two snapshots (plan.json without solve_seconds)

Outputs compared: `summary.json`, `kpis.csv` (simulation, the scenario's own replications and
seed) and `plan.json` (optimization) with `solve_seconds` taken out, since it is a wall time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPARED = ("sim/summary.json", "sim/kpis.csv", "plan/plan.json")


def record(out: Path) -> None:
    for scenario in sorted((ROOT / "scenarios").glob("*.yaml")):
        folder = out / scenario.stem
        for verb, sub in (("simulate", "sim"), ("optimize", "plan")):
            cmd = [sys.executable, "-m", "channelsim.cli", verb, str(scenario), "--out", str(folder / sub)]
            if verb == "simulate":
                cmd.append("--no-report")
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        print(f"recorded {scenario.stem}")


def _normalised(path: Path) -> bytes:
    if path.name != "plan.json":
        return path.read_bytes()
    data = json.loads(path.read_text())
    data.pop("solve_seconds", None)
    return json.dumps(data, sort_keys=True).encode()


def compare(a: Path, b: Path) -> int:
    differ = 0
    for folder in sorted(p for p in a.iterdir() if p.is_dir()):
        for name in COMPARED:
            left, right = folder / name, b / folder.name / name
            same = right.exists() and _normalised(left) == _normalised(right)
            differ += not same
            print(f"{'same ' if same else 'DIFF '} {folder.name}/{name}")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--compare", action="store_true", help="compare two snapshots instead of recording")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.folders)
    record(args.folders[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
