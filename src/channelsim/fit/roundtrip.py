"""FITTED.yaml: the scenario file with some sources' `response` and `adstock` replaced, comments and order kept.

ruamel.yaml's round-trip mode keeps every comment, key order and flow style of the file; only the
replaced values change (a fitted `response` is written in flow style on one line, like the
gallery's). `fit_draw_NN` variants are added under `variants:` (earlier ones of that name are
replaced). Numbers are written so that the scenario's YAML 1.1 loader reads them back as numbers
(`1.0e-05`, never `1e-05`, which YAML 1.1 reads as text). The file is checked by the loader before
it replaces anything: a FITTED.yaml always passes `channelsim validate`.
"""

from __future__ import annotations

import io
import os
from typing import Any

from channelsim.errors import ScenarioError, UsageError
from channelsim.results_io import write_text_atomic

DRAW_PREFIX = "fit_draw_"


def _float_text(value: float) -> str:
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        exponent = exponent if exponent[0] in "+-" else "+" + exponent
        text = f"{mantissa}e{exponent}"
    elif "." not in text and "inf" not in text and "nan" not in text:
        text += ".0"
    return text


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, order and styles are kept
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # `  - id: …` under a key, as the gallery writes lists
    yaml.preserve_quotes = True
    yaml.representer.add_representer(
        float, lambda rep, value: rep.represent_scalar("tag:yaml.org,2002:float", _float_text(value))
    )
    return yaml


def _flow(mapping: dict[str, Any]) -> Any:
    from ruamel.yaml.comments import CommentedMap

    out = CommentedMap(mapping)
    out.fa.set_flow_style()
    return out


def fitted_text(text: str, file: str, updates: dict[str, tuple[dict[str, Any], float]],
                variants: dict[str, dict[str, Any]], note: str) -> str:  # fmt: skip
    """The scenario `text` with each source's (response, adstock) of `updates` and the `variants` added."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    yaml = _yaml()
    try:
        data = yaml.load(text)
    except YAMLError as err:
        raise UsageError(f"{file}: cannot read it as YAML ({str(err).splitlines()[0]})") from None
    items: dict[Any, Any] = {
        item.get("id"): item for item in (data.get("sources") or []) if isinstance(item, dict)
    }
    missing = sorted(set(updates) - set(items))
    if missing:  # the loader found them, so they come from the file this one `extends`
        raise UsageError(f"{file}: source(s) {', '.join(missing)} are not written in this file (they come "
                         "from the file it extends): fit the file that defines them")  # fmt: skip
    for source, (response, adstock) in updates.items():
        item = items[source]
        item["response"] = _flow(response)
        if "adstock" in item:
            item["adstock"] = adstock
        else:
            item.insert(list(item).index("response") + 1, "adstock", adstock)
        if not item.ca.items.get(
            "response"
        ):  # a comment of the user's stays; otherwise say where it came from
            item.yaml_add_eol_comment(note, "response")
    if variants or any(str(k).startswith(DRAW_PREFIX) for k in (data.get("variants") or {})):
        if data.get("variants") is None:
            data["variants"] = CommentedMap()
        table = data["variants"]
        for name in [k for k in table if str(k).startswith(DRAW_PREFIX)]:
            del table[name]
        for name, spec in variants.items():
            table[name] = CommentedMap([("description", spec["description"]),
                                        ("set", CommentedMap((k, _flow(v) if isinstance(v, dict) else v)
                                                             for k, v in spec["set"].items()))])  # fmt: skip
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def write_fitted(scenario_file: str, out: str, text: str) -> None:
    """Write FITTED.yaml only once the scenario loader accepts it (with every variant)."""
    from channelsim.scenario import load

    folder = os.path.dirname(os.path.abspath(out))
    staging = os.path.join(folder, f".{os.path.basename(out)}.checking.yaml")
    try:
        write_text_atomic(staging, text)
        scenario = load(staging)
        for name in scenario.variants:
            scenario.variant(name)
    except ScenarioError as err:
        raise UsageError(f"{out}: the fitted scenario does not validate, nothing written:\n{err}") from None
    except (OSError, ValueError) as err:
        raise UsageError(f"{out}: cannot write it ({getattr(err, 'strerror', None) or err})") from None
    finally:
        if os.path.exists(staging):
            os.remove(staging)
    write_text_atomic(out, text)
