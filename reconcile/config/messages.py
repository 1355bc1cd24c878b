"""How the configuration's validation failures read: a TOML value's type and a model field's expected type
in words, and pydantic's error details turned into ``(key path, message, hint)`` a user can act on."""

from __future__ import annotations

import re
import types
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from reconcile.config.source import KeyPath
from reconcile.errors import did_you_mean


def type_name(value: Any) -> str:
    """How a TOML value's type reads in a message: ``an integer``, ``a table``."""
    names: list[tuple[type, str]] = [
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (list, "a list"),
        (dict, "a table"),
        (datetime, "a date-time"),
        (date, "a date"),
        (time, "a time"),
    ]
    return next((name for kind, name in names if isinstance(value, kind)), type(value).__name__)


def describe_type(annotation: Any) -> str:
    """What a model field expects, in words: ``a list of strings``, ``true or false``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return describe_type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        return " or ".join(describe_type(arg) for arg in options)
    if origin is Literal:
        return "one of " + ", ".join(repr(arg) for arg in get_args(annotation))
    if origin in (tuple, list):
        item = get_args(annotation)[0]
        return f"a list of {getattr(item, 'PLURAL', None) or _plural(describe_type(item))}"
    if origin is dict:
        return f"a table of {_plural(describe_type(get_args(annotation)[1]))}"
    simple = {
        str: "a string",
        bool: "true or false",
        int: "an integer",
        date: "a date (YYYY-MM-DD)",
        Path: "a path (a string)",
    }
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a table"
    return simple.get(annotation, "a value") if isinstance(annotation, type) else "a value"


def _plural(noun: str) -> str:
    plurals = {
        "a string": "strings",
        "a table": "tables",
        "true or false": "booleans",
        "an integer": "integers",
        "a date (YYYY-MM-DD)": "dates",
    }
    return plurals.get(noun, "values")


_EXPECTED = {
    "string_type": "a string",
    "bool_type": "true or false",
    "int_type": "an integer",
    "float_type": "a number",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "date_type": "a date (YYYY-MM-DD)",
    "path_type": "a path (a string)",
    "dataclass_type": "a table",
}


def describe_validation_error(error: ErrorDetails, model: type[BaseModel]) -> tuple[KeyPath, str, str]:
    """The key path, message and hint for one pydantic error raised while validating ``model``."""
    loc: KeyPath = tuple(part for part in error["loc"] if part != "[key]")
    kind, value = error["type"], error.get("input")
    shown = dotted(loc)
    if kind == "missing":
        return loc, f"missing required key `{shown}`", f"add `{loc[-1]} = ...`"
    if kind == "extra_forbidden":
        allowed = sorted(_model_at(model, loc[:-1]).model_fields)
        message = f"unknown key `{shown}`" + did_you_mean(str(loc[-1]), allowed)
        return loc, message, "allowed keys: " + ", ".join(allowed)
    if kind == "literal_error":
        return _literal_problem(loc, value, str(error.get("ctx", {}).get("expected", "")))
    if kind == "value_error":
        reason = str(error.get("ctx", {}).get("error", error["msg"]))
        return loc, f"`{shown}`: {reason}", ""
    if kind == "too_short":
        return loc, f"`{shown}` must not be empty", "list at least one item"
    expected = _expected(loc, kind, model)
    return loc, f"`{shown}`: expected {expected}, got {type_name(value)}", ""


def _model_at(model: type[BaseModel], loc: KeyPath) -> type[BaseModel]:
    """The model a nested key path leads to (list indexes skipped)."""
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is not None:
            found = _models_in(field.annotation)
            model = found[0] if found else model
    return model


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _expected(loc: KeyPath, kind: str, model: type[BaseModel]) -> str:
    field = model.model_fields.get(str(loc[0])) if len(loc) == 1 else None
    if field is not None and kind in ("list_type", "tuple_type", "dict_type", "string_type", "bool_type"):
        return describe_type(field.annotation)
    return _EXPECTED.get(kind, "a different kind of value")


def _literal_problem(loc: KeyPath, value: Any, expected: str) -> tuple[KeyPath, str, str]:
    choices = re.findall(r"'([^']*)'", expected)
    got = repr(value) if isinstance(value, str) else type_name(value)
    message = f"`{dotted(loc)}` must be one of {', '.join(map(repr, choices))}, got {got}"
    if isinstance(value, str):
        message += did_you_mean(value, choices)
    return loc, message, ""


def dotted(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f" #{part + 1}"
        else:
            text += f".{part}" if text else part
    return text
