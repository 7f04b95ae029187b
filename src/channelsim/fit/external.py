"""`channelsim import-curves`: curves fitted by PyMC-Marketing, Meridian or Robyn, mapped exactly into a scenario.

Each tool fits on its own scales; the maps below undo them (docs/curves.md derives each, with a
worked example). `F` is `--leads-per-outcome` (leads per unit of the tool's outcome), `e` the
spend's adstock as channelsim defines it (a constant spend x has e = x), all at steady spend:

- PyMC-Marketing: spend over `channel_scale` s_x, the target over `target_scale` s_y (MaxAbs
  scalers); its geometric adstock multiplies a constant spend by κ = 1 (`normalize: true`, the
  `GeometricAdstock` default) or (1 − α^l_max)/(1 − α). logistic `β·(1−e^(−λu))/(1+e^(−λu))` →
  logistic M = F·s_y·β, lam = λ·κ/s_x; tanh `β·b·tanh(u/(b·c))` → tanh M = F·s_y·β·b,
  c = s_x·b·c/(κ·M); hill `β·u^s/(u^s+κ_h^s)` → hill M = F·s_y·β, h = κ_h·s_x/κ;
  michaelis_menten `α_m·u/(λ+u)` → hill M = F·s_y·α_m, h = λ·s_x/κ, shape 1; adstock a = α.
- Meridian: media units over `media_scale` (population × the population-scaled median), the
  outcome in units of `kpi_scale` (population × the population-scaled KPI's standard deviation);
  normalised geometric adstock; `β·u^slope/(u^slope + ec^slope)` → hill M = F·kpi_scale·β,
  h = ec·media_scale·spend_per_media_unit, shape = slope; a = alpha.
- Robyn: `coef·x_a^α/(x_a^α + I^α)` with x_a the unnormalised adstock (x_a = e/(1−θ)) and the
  inflexion I = (1−γ)·min(x_a) + γ·max(x_a) → hill M = F·coef, h = (1−θ)·I, shape = α; a = θ.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from channelsim.errors import Problem, ScenarioError, UsageError
from channelsim.fit.history import _fields, _lines
from channelsim.fit.roundtrip import DRAW_PREFIX, fitted_text, write_fitted
from channelsim.scenario.schema import Scenario

#: columns each tool's table must have (besides `channel`), and those it may have with their default
REQUIRED = {
    "pymc-marketing": ("adstock_alpha", "channel_scale", "target_scale"),
    "meridian": ("alpha", "ec", "slope", "beta", "media_scale", "kpi_scale"),
    "robyn": ("alpha", "gamma", "theta", "coef"),
}
OPTIONAL: dict[str, dict[str, Any]] = {
    "pymc-marketing": {"saturation": "logistic", "normalize": "true", "l_max": None, "saturation_lam": None,
                       "saturation_beta": None, "saturation_b": None, "saturation_c": None,
                       "saturation_slope": None, "saturation_kappa": None, "saturation_alpha": None},
    "meridian": {"spend_per_media_unit": 1.0},
    "robyn": {"inflexion": None, "adstocked_min": None, "adstocked_max": None},
}  # fmt: skip
SATURATIONS = {"logistic": ("saturation_lam", "saturation_beta"), "tanh": ("saturation_b", "saturation_c"),
               "hill": ("saturation_slope", "saturation_kappa", "saturation_beta"),
               "michaelis_menten": ("saturation_alpha", "saturation_lam")}  # fmt: skip
TEXT = {"channel", "saturation", "normalize", "draw"}


def map_pymc(row: dict[str, Any], f: float) -> tuple[dict[str, Any], float]:
    alpha, sx, sy = row["adstock_alpha"], row["channel_scale"], row["target_scale"]
    kappa = 1.0 if row["normalize"] else (1 - alpha ** row["l_max"]) / (1 - alpha)
    kind = row["saturation"]
    if kind == "logistic":
        return {"curve": "logistic", "max_leads_per_week": f * sy * row["saturation_beta"],
                "lam": row["saturation_lam"] * kappa / sx}, alpha  # fmt: skip
    if kind == "tanh":
        top = f * sy * (row["saturation_beta"] or 1.0) * row["saturation_b"]
        return {"curve": "tanh", "max_leads_per_week": top,
                "c": sx * row["saturation_b"] * row["saturation_c"] / (kappa * top)}, alpha  # fmt: skip
    if kind == "hill":
        return {"curve": "hill", "max_leads_per_week": f * sy * row["saturation_beta"],
                "half_saturation": row["saturation_kappa"] * sx / kappa, "shape": row["saturation_slope"]}, alpha  # fmt: skip
    return {"curve": "hill", "max_leads_per_week": f * sy * row["saturation_alpha"],
            "half_saturation": row["saturation_lam"] * sx / kappa, "shape": 1.0}, alpha  # fmt: skip


def map_meridian(row: dict[str, Any], f: float) -> tuple[dict[str, Any], float]:
    return {"curve": "hill", "max_leads_per_week": f * row["kpi_scale"] * row["beta"],
            "half_saturation": row["ec"] * row["media_scale"] * row["spend_per_media_unit"],
            "shape": row["slope"]}, row["alpha"]  # fmt: skip


def map_robyn(row: dict[str, Any], f: float) -> tuple[dict[str, Any], float]:
    inflexion = row["inflexion"]
    if inflexion is None:
        inflexion = (1 - row["gamma"]) * row["adstocked_min"] + row["gamma"] * row["adstocked_max"]
    return {"curve": "hill", "max_leads_per_week": f * row["coef"], "half_saturation": (1 - row["theta"]) * inflexion,
            "shape": row["alpha"]}, row["theta"]  # fmt: skip


MAPS = {"pymc-marketing": map_pymc, "meridian": map_meridian, "robyn": map_robyn}


def read_params(path: str, tool: str, known: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The table's rows per channel (several rows: posterior draws, in file order or by `draw`)."""
    lines = _lines(path)
    problems: list[Problem] = []
    header = [(name.strip().lower(), col) for name, col in _fields(lines[0])] if lines else []
    names = [n for n, _ in header]
    allowed = {"channel", "draw", *REQUIRED[tool], *OPTIONAL[tool]}
    for name, col in header:
        if name not in allowed:
            problems.append(Problem(path, 1, col, (), f"unknown column '{name}' for --from {tool} (columns: "
                                                      f"{', '.join(sorted(allowed))})"))  # fmt: skip
    for name in ("channel", *REQUIRED[tool]):
        if name not in names:
            problems.append(Problem(path, 1, 1, (), f"missing column '{name}' (--from {tool} needs "
                                                    f"channel, {', '.join(REQUIRED[tool])})"))  # fmt: skip
    if problems:
        raise ScenarioError(problems)
    rows: dict[str, list[dict[str, Any]]] = {}
    for number, text in enumerate(lines[1:], start=2):
        if text.strip():
            row = _row(path, number, text, names, tool, known, problems)
            if row is not None:
                rows.setdefault(row["channel"], []).append(row)
    if not rows and not problems:
        problems.append(Problem(path, 1, 1, (), "no rows: the table has a header and nothing else"))
    if problems:
        raise ScenarioError(problems)
    return {c: sorted(r, key=lambda row: row.get("draw") or 0) for c, r in rows.items()}


def _row(path: str, number: int, text: str, names: list[str], tool: str, known: list[str],
         problems: list[Problem]) -> dict[str, Any] | None:  # fmt: skip
    fields = _fields(text)
    if len(fields) != len(names):
        problems.append(
            Problem(path, number, 1, (), f"expected {len(names)} fields, got {len(fields)}", text.strip())
        )
        return None
    row: dict[str, Any] = dict(OPTIONAL[tool])
    found = len(problems)
    for name, (value, col) in zip(names, fields, strict=True):
        value = value.strip()
        if name in TEXT:
            row[name] = value
            continue
        if value == "" and name in OPTIONAL[tool]:
            continue
        try:
            number_value = float(value)
        except ValueError:
            number_value = math.nan
        if not math.isfinite(number_value) or number_value < 0:
            problems.append(Problem(path, number, col, (name,), "must be a number >= 0", value))
        row[name] = number_value
    at = fields[names.index("channel")][1]
    if row["channel"] not in known:
        problems.append(Problem(path, number, at, ("channel",), f"no source of that id in the scenario "
                                                                f"(sources: {', '.join(known)})", row["channel"]))  # fmt: skip
    _tool_checks(path, number, row, tool, problems)
    return row if len(problems) == found else None


def _tool_checks(path: str, number: int, row: dict[str, Any], tool: str, problems: list[Problem]) -> None:
    def bad(column: str, message: str) -> None:
        problems.append(Problem(path, number, 1, (column,), message, row.get(column)))

    if tool == "pymc-marketing":
        kind = row["saturation"] = (row["saturation"] or "logistic").lower()
        if kind not in SATURATIONS:
            bad("saturation", f"must be one of {', '.join(SATURATIONS)}")
            return
        for column in SATURATIONS[kind]:
            if row.get(column) is None:
                bad(column, f"a {kind} saturation needs it")
        normalize = str(row["normalize"]).lower()
        if normalize not in ("true", "false", "1", "0"):
            bad("normalize", "must be true or false (GeometricAdstock's normalize)")
        row["normalize"] = normalize in ("true", "1")
        if not row["normalize"] and not row.get("l_max"):
            bad(
                "l_max", "an unnormalised geometric adstock needs l_max (its steady-state gain depends on it)"
            )
    if (
        tool == "robyn"
        and row["inflexion"] is None
        and (row["adstocked_min"] is None or row["adstocked_max"] is None)
    ):
        bad(
            "inflexion",
            "give the inflexion, or adstocked_min and adstocked_max (the range of the adstocked media)",
        )
    carry = {"pymc-marketing": "adstock_alpha", "meridian": "alpha", "robyn": "theta"}[tool]
    if row.get(carry) is not None and not 0 <= row[carry] < 1:
        bad(carry, "the geometric adstock's decay must be in [0, 1)")


def _point(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Posterior means: each numeric column's mean over the draws (text columns from the first row)."""
    out = dict(rows[0])
    for key, value in rows[0].items():
        if isinstance(value, float) and key != "draw":
            out[key] = float(np.mean([r[key] for r in rows]))
    return out


def import_curves(scenario: Scenario, params: str | os.PathLike[str], tool: str, out: str, leads_per_outcome: float,
                  draws: int = 0) -> dict[str, tuple[dict[str, Any], float]]:  # fmt: skip
    """Write FITTED.yaml with each channel's mapped curve; with a table of draws, `draws` of them as variants."""
    path = os.fspath(params)
    table = read_params(path, tool, [s.id for s in scenario.sources])
    mapper = MAPS[tool]
    updates = {c: _rounded(*mapper(_point(rows), leads_per_outcome)) for c, rows in table.items()}
    count = min(len(rows) for rows in table.values())
    if draws and count < 2:
        raise UsageError(f"{path}: --draws needs several rows (draws) per channel; the table has one")
    variants = {}
    for i, index in enumerate(np.linspace(0, count - 1, draws).round().astype(int) if draws else [], start=1):
        sets: dict[str, Any] = {}
        for channel, rows in table.items():
            response, adstock = _rounded(*mapper(rows[index], leads_per_outcome))
            sets[f"sources.{channel}.response"], sets[f"sources.{channel}.adstock"] = response, adstock
        variants[f"{DRAW_PREFIX}{i:02d}"] = {
            "description": f"posterior draw {index + 1} of the {tool} fit",
            "set": sets,
        }
    with open(scenario.file, encoding="utf-8") as handle:
        text = handle.read()
    note = f"imported from {tool} ({os.path.basename(path)})"
    write_fitted(scenario.file, out, fitted_text(text, scenario.file, updates, variants, note))
    return updates


def _rounded(response: dict[str, Any], adstock: float) -> tuple[dict[str, Any], float]:
    clean = {k: (float(f"{v:.6g}") if isinstance(v, float) else v) for k, v in response.items()}
    return clean, float(f"{adstock:.6g}")
