"""The saved-variants file: what `Save as variant` writes, checked before it is written.

The file sits beside the scenario (`SCENARIO_workshop.yaml`, or `--save-to`) and `extends` it, so
`channelsim validate`, `simulate --variant NAME` and `compare` read it. A name is an id of at
most `MAX_NAME` characters; a description is at most `MAX_DESCRIPTION`. A scenario may only
extend files in its own folder tree, so the file must be in the scenario's folder or above it
(`check_save_to`, at the start, not at the first save).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import yaml

from channelsim.app.bodies import shown
from channelsim.errors import UsageError
from channelsim.results_io import write_text_atomic
from channelsim.scenario import load
from channelsim.scenario.schema import Scenario

MAX_NAME, MAX_DESCRIPTION = 60, 200  # characters: a name is typed on the command line, a description read
VARIANT_NAME = re.compile(rf"[a-z][a-z0-9_]{{0,{MAX_NAME - 1}}}")  # an id, as everywhere in a scenario


class VariantExists(UsageError):
    """A save under a name already taken, without `overwrite` (HTTP 409: the page asks first)."""


def check_name(name: str) -> None:
    if not VARIANT_NAME.fullmatch(name):
        raise UsageError(
            f"variant name: 1 to {MAX_NAME} lower-case letters, digits and _, starting with a letter "
            f"(got {shown(name)})"
        )


def check_save_to(scenario_file: str, save_to: str) -> None:
    """Refuse, at the start, a saved-variants file no save could write or load.

    The file `extends` the scenario, and a scenario may only extend files in its own folder
    tree: so it must sit in the scenario's folder or a folder above it.
    """
    real, scenario = os.path.realpath(save_to), os.path.realpath(scenario_file)
    folder = os.path.dirname(real)
    if real == scenario:
        raise UsageError(f"--save-to {save_to}: is the scenario itself (the scenario file is never changed)")
    if os.path.exists(real) and not os.path.isfile(real):
        raise UsageError(f"--save-to {save_to}: must be a file, not a folder or device")
    if not os.path.isdir(folder):
        raise UsageError(f"--save-to {save_to}: the folder {os.path.dirname(save_to) or '.'} does not exist")
    if os.path.commonpath([folder, scenario]) != folder:
        raise UsageError(
            f"--save-to {save_to}: must be in the scenario's folder ({os.path.dirname(scenario_file) or '.'}) "
            "or a folder above it: the saved file extends the scenario, and a scenario may only "
            "extend files in its own folder tree"
        )


def saved_variants(save_to: str) -> dict[str, Any]:
    """The saved-variants file as plain data ({} when there is none yet)."""
    if not os.path.exists(save_to):
        return {}
    try:
        with open(save_to, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as err:
        said = " ".join(str(err).split())  # PyYAML's message spans lines: one line, as every error here
        raise UsageError(f"{save_to}: cannot read the saved variants ({said})") from None
    if not isinstance(data, dict) or not isinstance(data.get("variants", {}), dict):
        raise UsageError(f"{save_to}: not a saved-variants file (expected extends: and variants:)")
    return data


def variant_file_text(
    sc: Scenario, save_to: str, name: str, entry: dict[str, Any], data: dict[str, Any]
) -> str:
    """The saved-variants file (`data`, as read) with `entry` added: `extends` the scenario, one variant per save."""
    check_name(name)
    data = dict(data)
    base = os.path.relpath(os.path.realpath(sc.file), os.path.dirname(os.path.realpath(save_to)))
    data["extends"] = base.replace(os.sep, "/")
    if sc.variant_name:  # the app was opened on a variant: saved variants start from it
        entry = _on_top_of(sc, sc.variant_name, entry)
    data["variants"] = {**data.get("variants", {}), name: entry}
    header = f"# Variants saved from `channelsim app {sc.file}`. Try: channelsim compare {save_to}\n"
    body = yaml.safe_dump({"extends": data.pop("extends"), **data}, sort_keys=False, allow_unicode=True)
    return header + body


def _on_top_of(sc: Scenario, variant: str, entry: dict[str, Any]) -> dict[str, Any]:
    """A variant's `set` merged under the new settings (the app opened on that variant)."""
    base = load(sc.file).variants[variant]
    # the loader keeps YAML positions on its lists and mappings: plain data for the YAML writer
    merged = {**json.loads(json.dumps(base.set or {})), **entry.get("set", {})}
    out = {**entry, "set": merged} if merged else dict(entry)
    if base.remove:
        out["remove"] = list(base.remove)
    return out


def checked_write(path: str, text: str, name: str) -> bool:
    """Write `text` to `path` only if it loads and its variant validates (as `channelsim validate`)."""
    folder = os.path.dirname(os.path.abspath(path))
    probe = os.path.join(folder, f".{os.path.basename(path)}.check.yaml")
    try:
        write_text_atomic(probe, text)
        try:
            load(probe).variant(name)
        finally:
            os.remove(probe)
        write_text_atomic(path, text)
    except OSError as err:  # the folder became read-only, the disk is full: say so, keep serving
        raise UsageError(f"{path}: cannot save ({err.strerror or err})") from None
    return True
