"""Pydantic's validation errors, said the way a scenario author needs them: path, rule, value."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

_RULES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_parsing": "must be a whole number",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping (key: value)",
    "model_type": "must be a mapping (key: value)",
    "model_attributes_type": "must be a mapping (key: value)",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "literal_error": "must be one of {expected}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "string_too_short": "must not be empty",
    "string_pattern_mismatch": "must be an id: a lowercase letter, then lowercase letters, digits or _",
    "union_tag_invalid": "`{discriminator}` must be one of {expected_tags}",
    "union_tag_not_found": "needs `{discriminator}` (one of hill, exponential, logistic, tanh, linear, points)",
    "missing": "required key is missing",
}


_NUMBER_TYPES = ("float_type", "int_type")
#: a number in exponent form without a point (`1e3`, `2E-4`): YAML 1.1 reads it as text
_EXPONENT = re.compile(r"^[-+]?(?:\d+|\d*\.\d*)[eE][-+]?\d+$")


def _plain(text: str, whole: bool) -> str:
    """How to write an exponent number so that YAML reads a number: `1000 or 1.0e3` (`1000` if whole)."""
    mantissa, _, exponent = text.lower().partition("e")
    dotted = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{int(exponent)}"
    value = float(text)
    if whole:
        return f"{int(value)}" if value.is_integer() else "a whole number"
    if "e" in repr(value):  # too large or small to write out
        return dotted
    return f"{int(value) if value.is_integer() else value!r} or {dotted}"


def _fmt(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # a bound such as 1000000000, not 1e+09
    return f"{value:g}" if isinstance(value, float) else value


def describe(error: ErrorDetails, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """The message for one pydantic error (`loc` as pydantic gives it, union tags included)."""
    kind = error["type"]
    ctx = {k: _fmt(v) for k, v in (error.get("ctx") or {}).items()}
    if kind == "extra_forbidden":
        return _unknown_key(model, loc)
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
    if "discriminator" in ctx:
        ctx["discriminator"] = str(ctx["discriminator"]).strip("'")
    template = _RULES.get(kind)
    if kind in _NUMBER_TYPES and isinstance(error.get("input"), str) and _EXPONENT.match(error["input"]):
        plain = _plain(error["input"], whole=kind == "int_type")
        return f"{template} — YAML reads {error['input']} as text: write {plain}"
    if template is None:
        return error["msg"][:1].lower() + error["msg"][1:]
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return error["msg"]


def _unknown_key(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    key = str(loc[-1])
    owner = model_at(model, loc[:-1])
    fields = list(owner.model_fields) if owner else []
    close = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
    # a key written without its unit suffix (`churn` for `churn_per_week`) is too short for difflib
    close = close or [f for f in fields if f.startswith(f"{key}_")][:1]
    if close:
        return f"unknown key '{key}' — did you mean '{close[0]}'?"
    if fields:
        return f"unknown key '{key}' (allowed here: {', '.join(fields)})"
    return f"unknown key '{key}'"


def model_at(root: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that validates the mapping at `path` (None if not a model)."""
    current: Any = root
    for part in path:
        current = _step(current, part)
        if current is None:
            return None
    current = _strip(current)
    if typing.get_origin(current) in (typing.Union, types.UnionType):  # an optional section
        models = [m for m in typing.get_args(current) if isinstance(m, type) and issubclass(m, BaseModel)]
        current = models[0] if len(models) == 1 else None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _step(tp: Any, part: Any) -> Any:
    tp = _strip(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = [_strip(m) for m in typing.get_args(tp) if m is not type(None)]
        for member in members:
            if isinstance(member, type) and issubclass(member, BaseModel):
                tag = member.model_fields.get("curve")
                if tag is not None and typing.get_args(tag.annotation) == (part,):
                    return member
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if len(models) > 1 and isinstance(part, str):
            return next((m.model_fields[part].annotation for m in models if part in m.model_fields), None)
        return _step(members[0], part) if len(members) == 1 else None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field else None
    if origin is list:
        return typing.get_args(tp)[0] if isinstance(part, int) else None
    if origin is dict:
        return typing.get_args(tp)[1]
    return None
