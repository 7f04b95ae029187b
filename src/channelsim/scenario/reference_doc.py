"""Generate the scenario file reference (docs/scenario-reference.md) from the schema itself.

Every table comes from the pydantic models reachable from `Scenario`: keys and their order
from the fields, types and ranges from the field metadata (`Ge`, `Gt`, `Le`, `Lt`, `MinLen`,
the id pattern), defaults from the field defaults, and a key's meaning from the trailing
`# comment` on its line in the model's source. Text after `default:` in that comment
describes a default that is filled in from other sections. Regenerate, or check in CI:

    python -m channelsim.scenario.reference_doc           # writes docs/scenario-reference.md
    python -m channelsim.scenario.reference_doc --check   # exit 1 if the file on disk differs
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import io
import math
import re
import sys
import textwrap
import tokenize
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from channelsim._types import ID_PATTERN, Model
from channelsim.results_io import write_text_atomic
from channelsim.scenario import defaults, variants
from channelsim.scenario.crm import ALERT_METRICS, Alert
from channelsim.scenario.crossrefs import ID_SECTIONS, RESERVED_SOURCES
from channelsim.scenario.demand import check_shares
from channelsim.scenario.planning import Variant
from channelsim.scenario.schema import Scenario

DOC_NAME = Path("docs") / "scenario-reference.md"
ModelType = type[BaseModel]
Homes = dict[ModelType, str]  # model -> the path of its section, e.g. `channels[].fulfilment`

_PRAGMA = re.compile(r"\s*#\s*(?:fmt|noqa|type|pragma)\s*:.*$")
_DEFAULT_NOTE = re.compile(r"(?:^|;\s*)default:\s*(?P<note>.*)$")
_PLURALS = {
    "whole number": "whole numbers",
    "number": "numbers",
    "share": "shares",
    "id": "ids",
    "text": "texts",
    "mapping": "mappings",
    "pair": "pairs",
    "list": "lists",
    "true or false": "true/false values",
}


# -- where each model appears -------------------------------------------------------


@dataclass
class Section:
    """One model's table, and the places in a scenario file where that model is used."""

    model: ModelType
    paths: list[str] = field(default_factory=list)  # '' is the top level


def sections(root: ModelType = Scenario) -> list[Section]:
    """Every model reachable from `root`, depth first in field order, each listed once."""
    found: dict[ModelType, Section] = {}

    def visit(model: ModelType, path: str) -> None:
        if model in found:
            if path not in found[model].paths:
                found[model].paths.append(path)
            return
        found[model] = Section(model, [path])
        for name, info in model.model_fields.items():
            for child, suffix in _models_in(info.annotation):
                visit(child, f"{path}.{_key(name, info)}{suffix}".lstrip("."))

    visit(root, "")
    return list(found.values())


def _models_in(annotation: Any) -> Iterator[tuple[ModelType, str]]:
    """Models an annotation holds, with the path suffix that reaches each (`[]`, `.<id>`)."""
    base, _ = _unwrap(annotation)
    origin = get_origin(base)
    if _is_model(base):
        yield base, ""
    elif origin is list:
        for child, suffix in _models_in(get_args(base)[0]):
            yield child, f"[]{suffix}"
    elif origin is dict:
        for child, suffix in _models_in(get_args(base)[1]):
            yield child, f".<{_key_word(get_args(base)[0])}>{suffix}"
    elif _is_union(origin):
        for arg in get_args(base):
            yield from _models_in(arg)


def _key(name: str, info: FieldInfo) -> str:
    return info.alias or name


def _key_word(annotation: Any) -> str:
    return "id" if _words(annotation, {}, {}) == "id" else "key"


# -- annotations --------------------------------------------------------------------


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The bare type under any `Annotated[...]` layers, and their metadata, flattened."""
    metadata: list[Any] = []
    while get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        metadata += extra
    return annotation, _flatten(metadata)


def _flatten(metadata: Sequence[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in metadata:
        flat += _flatten(item.metadata) if isinstance(item, FieldInfo) else [item]
    return flat


def _limits(metadata: Sequence[Any]) -> dict[str, Any]:
    """Bounds, lengths and pattern from metadata (annotated_types, StringConstraints)."""
    names = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern")
    found: dict[str, Any] = {}
    for item in _flatten(metadata):
        found.update({n: getattr(item, n) for n in names if getattr(item, n, None) is not None})
    return found


# -- types in words -----------------------------------------------------------------


def field_type_words(model: ModelType, name: str, homes: Homes) -> str:
    """A field's type in words: `share 0..1`, `non-empty list of ids`, `mapping id → number`."""
    info = model.model_fields[name]
    words = _words(info.annotation, _limits(info.metadata), homes)
    return f"{words}, adding up to 1" if _sums_to_one(model, name) else words


def _sums_to_one(model: ModelType, name: str) -> bool:
    checks = model.__pydantic_decorators__.field_validators.values()
    return any(c.func is check_shares and name in c.info.fields for c in checks)


def _words(annotation: Any, limits: dict[str, Any], homes: Homes) -> str:
    base, metadata = _unwrap(annotation)
    limits = {**limits, **_limits(metadata)}
    origin = get_origin(base)
    if _is_union(origin):
        return _union_words([a for a in get_args(base) if a is not type(None)], limits, homes)
    if origin is Literal:
        return _choice_words(get_args(base))
    if origin is list:
        return _sized(f"list of {_plural(_words(get_args(base)[0], {}, homes))}", limits)
    if origin is tuple:
        return _tuple_words(get_args(base), homes)
    if origin is dict:
        key, value = (_words(arg, {}, homes) for arg in get_args(base))
        return f"mapping {key} → {value}"
    if _is_model(base):
        return f"mapping (see `{homes.get(base, base.__name__)}`)"
    return _scalar_words(base, limits)


def _union_words(options: list[Any], limits: dict[str, Any], homes: Homes) -> str:
    if len(options) == 1:
        return _words(options[0], limits, homes)
    tags = [_tag(option) for option in options if _is_model(option)]
    keys = {tag[0] for tag in tags if tag}
    if len(tags) == len(options) and all(tags) and len(keys) == 1:
        values = [tag[1] for tag in tags if tag]
        home = homes.get(options[0], options[0].__name__)
        return f"mapping with `{keys.pop()}:` {_choice_words(values)} (see `{home}`)"
    return " or ".join(_words(option, limits, homes) for option in options)


def _tag(model: ModelType) -> tuple[str, Any] | None:
    """(key, value) of the field that admits a single value: how a tagged union picks `model`."""
    for name, info in model.model_fields.items():
        if get_origin(info.annotation) is Literal and len(get_args(info.annotation)) == 1:
            return _key(name, info), get_args(info.annotation)[0]
    return None


def _choice_words(values: Sequence[Any]) -> str:
    shown = [f"`{_yaml(v)}`" for v in values]
    return shown[0] if len(shown) == 1 else "one of " + ", ".join(shown)


def _tuple_words(args: tuple[Any, ...], homes: Homes) -> str:
    if len(args) == 2 and args[1] is Ellipsis:
        return f"list of {_plural(_words(args[0], {}, homes))}"
    inner = ", ".join(_words(arg, {}, homes) for arg in args)
    return f"pair [{inner}]" if len(args) == 2 else f"list [{inner}]"


def _scalar_words(base: Any, limits: dict[str, Any]) -> str:
    if base is bool:
        return "true or false"
    if base is int:
        return _number_words("whole number", limits)
    if base is float:
        return _number_words("number", limits)
    if base is str:
        pattern = limits.get("pattern")
        if pattern == ID_PATTERN:
            return "id"
        return _sized(f"text matching `{pattern}`" if pattern else "text", limits)
    if base is Any:
        return "any value"
    return getattr(base, "__name__", str(base))


def _number_words(kind: str, limits: dict[str, Any]) -> str:
    low = next(((op, limits[k]) for k, op in (("ge", "≥"), ("gt", ">")) if k in limits), None)
    high = next(((op, limits[k]) for k, op in (("le", "≤"), ("lt", "<")) if k in limits), None)
    if kind == "number" and low == ("≥", 0) and high == ("≤", 1):
        return "share 0..1"
    if low and high and low[0] == "≥" and high[0] == "≤":
        return f"{kind} {_number(low[1])}..{_number(high[1])}"
    bounds = [f"{bound[0]} {_number(bound[1])}" for bound in (low, high) if bound]
    return f"{kind} {' and '.join(bounds)}".strip()


def _number(value: Any) -> str:
    """A bound as written in the tables: `10⁹` for a large power of ten, else as in YAML."""
    if isinstance(value, int | float) and abs(value) >= 1e6:
        exponent = math.log10(abs(value))
        if exponent.is_integer():
            sign = "-" if value < 0 else ""
            return f"{sign}10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return _yaml(value)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sized(words: str, limits: dict[str, Any]) -> str:
    least, most = limits.get("min_length"), limits.get("max_length")
    if least == 1:
        words = f"non-empty {words}"
    elif least:
        words = f"{words}, at least {least} long"
    return f"{words}, at most {most} long" if most is not None else words


def _plural(words: str) -> str:
    for singular, plural in _PLURALS.items():
        if re.match(rf"{re.escape(singular)}(?=$|[ ,])", words):
            return plural + words[len(singular) :]
    return f"items: {words}"


# -- defaults and meanings ----------------------------------------------------------


def default_words(info: FieldInfo, note: str = "") -> str:
    """`required`, the default as YAML, or (for a default filled in later) the comment's note."""
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return note or "none"
    shown = "`{}` (every key at its default)" if isinstance(value, BaseModel) else f"`{_yaml(value)}`"
    return f"{shown}; {note}" if note else shown


def _yaml(value: Any) -> str:
    """A value as it would be written in the YAML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value or '""'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    return str(value)


@cache
def field_comments(model: ModelType) -> dict[str, str]:
    """The trailing `# comment` on each field's line(s) in the model's source (pragmas removed)."""
    source = textwrap.dedent(inspect.getsource(model))
    by_line = {
        token.start[0]: _PRAGMA.sub("", token.string).lstrip("#").strip()
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    found: dict[str, str] = {}
    cls = ast.parse(source).body[0]
    for node in cls.body if isinstance(cls, ast.ClassDef) else []:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
            found[node.target.id] = " ".join(by_line[i] for i in lines if by_line.get(i))
    return found


def meaning_and_note(comment: str) -> tuple[str, str]:
    """Split `what it is; default: how the default is found` into its two parts."""
    match = _DEFAULT_NOTE.search(comment)
    if match is None:
        return comment.strip(), ""
    return comment[: match.start()].strip(), match["note"].strip()


# -- the document -------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(model: ModelType, homes: Homes) -> str:
    """The markdown table of a model's keys: key | type | default | meaning."""
    comments = field_comments(model)
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        meaning, note = meaning_and_note(comments.get(name, ""))
        cells = [
            f"`{_key(name, info)}`",
            field_type_words(model, name, homes),
            default_words(info, note),
            meaning or info.description or "",
        ]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows)


def _docstring(thing: Any) -> str:
    return inspect.cleandoc(thing.__dict__.get("__doc__") or "")


def section_title(section: Section) -> str:
    if not section.paths[0]:
        return "Top-level keys"
    tag = _tag(section.model)
    where = f"`{section.paths[0]}`"
    return f"{where} with `{tag[0]}: {_yaml(tag[1])}`" if tag else where


def _section_notes(model: ModelType) -> list[str]:
    """Text a section needs beyond its table (a set of allowed values, how paths work)."""
    if model is Alert:
        return ["`metric` is one of: " + ", ".join(f"`{m}`" for m in sorted(ALERT_METRICS)) + "."]
    if model is Variant:
        return [_docstring(variants).partition("\n\n")[2]]
    return []


def section_text(section: Section, homes: Homes) -> str:
    """A section: heading, where else it is used, the model's docstring, the table, notes."""
    blocks = [f"## {section_title(section)}"]
    if len(section.paths) > 1:
        blocks.append("Also at " + ", ".join(f"`{p}`" for p in section.paths[1:]) + ".")
    blocks += [b for b in (_docstring(section.model),) if b]
    blocks += [table(section.model, homes), *_section_notes(section.model)]
    return "\n\n".join(blocks)


def _intro() -> str:
    ids = ", ".join(f"`{s}`" for s in ID_SECTIONS)
    names = [f"`{s}`" for s in RESERVED_SOURCES]
    reserved = ", ".join(names[:-1]) + " and " + names[-1]
    config = Model.model_config
    strict = [
        "an unknown key is an error" if config.get("extra") == "forbid" else "",
        'values are not converted from text (`"0.5"` is not a number)' if config.get("strict") else "",
        "numbers must be finite" if config.get("allow_inf_nan") is False else "",
    ]
    return f"""# Scenario file reference

<!-- Generated from the schema by `python -m channelsim.scenario.reference_doc`. Do not edit:
     change the models (or the comments on their fields) and regenerate. -->

A scenario is a YAML file. This page lists every key it may hold, section by section: its
type, its default (or *required*) and what it means. It is generated from the schema
(`channelsim.scenario.schema.Scenario` and the models it uses), so it matches what
`channelsim validate` accepts.

## Conventions

- **Time** is in weeks: every rate is per week (`*_per_week`), every duration in weeks.
- **Money** is in the scenario's `currency`. Prices are indices relative to list price
  (`price_index: 1` is the list price).
- **Ids** match `{ID_PATTERN.strip("^$")}` and are unique in their section ({ids}).
  The source ids {reserved} are reserved for the leads nobody pays for (Bass and partners' own prospects).
- **Strict**: {"; ".join(s for s in strict if s)}.
- **Paths**: in the headings below, `[]` means each item of a list and `.<id>` a value of
  a mapping under its id. Variants address list items by id with dotted paths:
  `channels.marketplace.price_index` is the `price_index` of the channel `marketplace`.
- **`extends: base.yaml`** at the top level starts from another file (a path relative to
  this one, never outside the scenario's folder tree); this file's keys go on top of it:
  mappings merge by key, lists of items with ids merge by id.
- **Ranges**: every number has one (the tables give it). Beyond the range a number is
  refused with its line and column; the general ceiling, 10⁹, is far above any real
  market, and the quantities that enter an exponent (utilities, price indices, price
  sensitivity, a hill curve's `shape`) have tighter ones. Write large numbers in full or
  with a point: `1000000` or `1.0e6` (YAML reads `1e6`, without the point, as text).
- **Types**: *share 0..1* is a number from 0 to 1; *whole number* an integer; *id* a
  name as above; *mapping id → share* a YAML mapping from ids to shares; *one of `a`, `b`*
  exactly one of those words."""


def _cross_section_defaults() -> str:
    return f"## Cross-section defaults\n\n{_docstring(defaults)}"


def render() -> str:
    """The whole reference document, as markdown."""
    found = sections()
    homes = {s.model: s.paths[0] or "top level" for s in found}
    blocks = [_intro(), _cross_section_defaults(), *(section_text(s, homes) for s in found)]
    return "\n\n".join(blocks) + "\n"


# -- command line -------------------------------------------------------------------


def default_path() -> Path:
    """docs/scenario-reference.md in the project holding this file (else the current folder)."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").is_file():
            return folder / DOC_NAME
    return Path.cwd() / DOC_NAME


def check(path: Path, text: str) -> int:
    """0 if `path` holds `text`; else 1, with the start of a diff on stderr."""
    current = path.read_text("utf-8") if path.is_file() else ""
    if current == text:
        return 0
    diff = difflib.unified_diff(current.splitlines(), text.splitlines(), str(path), "generated", lineterm="")
    shown = list(diff)[:40]
    print(f"{path} is out of date: run `python -m channelsim.scenario.reference_doc`", file=sys.stderr)
    print("\n".join(shown), file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m channelsim.scenario.reference_doc",
        description="Write the scenario file reference, generated from the schema.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs; write nothing")
    parser.add_argument("--output", type=Path, help=f"where to write (default: {DOC_NAME} in the project)")
    args = parser.parse_args(argv)
    path = args.output or default_path()
    text = render()
    if args.check:
        return check(path, text)
    write_text_atomic(path, text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
