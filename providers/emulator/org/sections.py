"""How a seed section describes itself: ``SeedSection`` and the small schema vocabulary it is written in.

A section of an org document (``profiles``, ``validation_rules``, ...) is described ONCE, by a
``SeedSection`` declared in the module that loads it: its name, a paragraph of Markdown for
docs/emulator-seeds.md, and the JSON Schema of its value, with a ``description`` on every field. The
registry (``org/seed_schema.py``) lists the sections; the JSON Schema of a whole seed
(``reconcile emulator schema``, docs/emulator-seed.schema.json), the reference in docs/emulator-seeds.md
and the check every seed goes through before it is loaded are all made from these declarations.

The helpers below write the few JSON Schema shapes seeds use (the checker, ``org/seed_check.py``,
understands exactly these): ``entry`` (an object; unknown keys are refused unless ``open=True``),
``listing`` (an array), ``text``, ``flag``, ``number``, ``one_of_values`` (an enum), ``either`` (anyOf)
and ``anything``. A key marked ``live=True`` is one the emulator writes into its live org file (ids);
a hand-written seed leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

#: The description of the ids the live org file keeps (``live=True`` keys).
LIVE = "Kept by the live org file; leave it out of a seed (the emulator mints a stable one)."


@dataclass(frozen=True)
class SeedSection:
    """One top-level section of a seed: its key, its Markdown paragraph and the JSON Schema of its value."""

    name: str
    doc: str
    schema: Schema


def _described(schema: Schema, doc: str, default: Any = None) -> Schema:
    result = dict(schema)
    if doc:
        result["description"] = doc
    if default is not None:
        result["default"] = default
    return result


def text(doc: str, *, default: str | None = None, live: bool = False) -> Schema:
    """A string, or null (``live``: an id the live org file keeps)."""
    return _described({"type": ["string", "null"]}, LIVE if live else doc, default)


def flag(doc: str, *, default: bool | None = None) -> Schema:
    return _described({"type": "boolean"}, doc, default)


def number(doc: str, *, default: int | None = None, minimum: int | None = None) -> Schema:
    schema: Schema = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    return _described(schema, doc, default)


def one_of_values(doc: str, values: tuple[str, ...], *, default: str | None = None) -> Schema:
    return _described({"type": "string", "enum": list(values)}, doc, default)


def either(doc: str, *options: Schema) -> Schema:
    """Any of ``options`` (e.g. a name, or an object with the name and more)."""
    return _described({"anyOf": list(options)}, doc)


def anything(doc: str) -> Schema:
    """A value the emulator keeps as it is (an object of its own shape)."""
    return _described({"type": ["object", "null"]}, doc)


def listing(doc: str, items: Schema) -> Schema:
    return _described({"type": "array", "items": items}, doc)


def entry(doc: str, required: tuple[str, ...] = (), *, open: bool = False, **properties: Schema) -> Schema:
    """An object with ``properties`` (a key ending in ``_`` is written without it: ``class_``)."""
    props = {key.rstrip("_"): value for key, value in properties.items()}
    schema: Schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    if not open:
        schema["additionalProperties"] = False
    return _described(schema, doc)
