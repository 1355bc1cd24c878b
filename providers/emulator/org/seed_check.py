"""Check an org document against the seed schema, naming each problem by its JSON path.

``problems(document, schema)`` walks the document along the schema (``org/sections.py`` says which JSON
Schema shapes seeds use) and returns one message per problem, each starting with the JSON path of the
value it is about: ``$.users[3].profile: expected a string, not a number``. Unknown keys and values
outside an enum get the closest known one as a hint (``did you mean "profiles"?``). An ``anyOf`` is met
when one option has no problem; otherwise the problems of the option of the value's type are reported.
References between sections (a user's profile) are checked by the loader, with the same path style.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

from .sections import Schema

TYPE_NAMES = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "boolean": "true or false",
    "integer": "a whole number",
    "null": "null",
}


def json_type(value: Any) -> str:
    """The JSON type of a parsed value (``integer`` for whole numbers only)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``; did you mean "X"?`` for the choice closest to ``name`` (case-insensitively), or ``""``."""
    options = {choice.casefold(): choice for choice in choices}
    match = difflib.get_close_matches(name.casefold(), list(options), n=1, cutoff=0.6)
    return f'; did you mean "{options[match[0]]}"?' if match else ""


def problems(value: Any, schema: Schema, path: str = "$") -> list[str]:
    """Every problem of ``value`` against ``schema`` (see the module docstring); empty when it fits."""
    if "anyOf" in schema:
        return _any_of(value, schema["anyOf"], path)
    expected = schema.get("type")
    if expected is not None:
        allowed = expected if isinstance(expected, list) else [expected]
        if json_type(value) not in allowed:
            wanted = _type_text(allowed)
            return [f"{path}: expected {wanted}, not {_article(json_type(value))}"]
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(json.dumps(v) for v in schema["enum"])
        return [f"{path}: {json.dumps(value)} is not one of {choices}{did_you_mean(str(value), schema['enum'])}"]
    if "minimum" in schema and isinstance(value, int) and value < schema["minimum"]:
        return [f"{path}: {value} is less than {schema['minimum']}"]
    if isinstance(value, list) and "items" in schema:
        return [p for index, item in enumerate(value) for p in problems(item, schema["items"], f"{path}[{index}]")]
    if isinstance(value, dict) and "properties" in schema:
        return _object(value, schema, path)
    return []


def _object(value: dict[str, Any], schema: Schema, path: str) -> list[str]:
    found: list[str] = []
    properties: dict[str, Schema] = schema["properties"]
    for key in schema.get("required", []):
        if key not in value:
            found.append(f"{path}: missing {json.dumps(key)}: {properties[key].get('description', '')}")
    for key, item in value.items():
        if key in properties:
            found.extend(problems(item, properties[key], f"{path}.{key}"))
        elif schema.get("additionalProperties") is False:
            known = ", ".join(properties)
            found.append(f"{path}.{key}: unknown key{did_you_mean(key, properties)} (the keys here are: {known})")
    return found


def _any_of(value: Any, options: list[Schema], path: str) -> list[str]:
    reports = [problems(value, option, path) for option in options]
    if any(not report for report in reports):
        return []
    for option, report in zip(options, reports, strict=True):
        expected = option.get("type")
        if json_type(value) == expected or (isinstance(expected, list) and json_type(value) in expected):
            return report
    wanted = " or ".join(_type_text(o.get("type")) for o in options)
    return [f"{path}: expected {wanted}, not {_article(json_type(value))}"]


def _type_text(expected: Any) -> str:
    """``["string", "null"]`` -> ``a string`` (null is allowed where a value may be left empty)."""
    allowed = expected if isinstance(expected, list) else [expected]
    shown = [t for t in allowed if t != "null"] or ["null"]
    return " or ".join(TYPE_NAMES.get(str(t), str(t)) for t in shown)


def _article(type_name: str) -> str:
    return TYPE_NAMES.get(type_name, "a number" if type_name == "number" else type_name)
