"""The configuration reference in docs/configuration.md, generated from the configuration's JSON Schema.

``render_reference(schema)`` turns ``reconcile.config.json_schema.config_schema()`` into Markdown: one
section per TOML table, each with a table of its keys (type, default, whether it is required, what it
does, an example line). ``splice`` puts that text between the ``BEGIN``/``END`` markers of a document and
leaves everything outside them (the hand-written introduction) as it is.

Run ``python scripts/docs_reference.py`` from anywhere to refresh both generated files of docs/: the
reference in configuration.md and the schema in reconcile.schema.json (``--check`` only reports whether
they are current and exits 1 when not).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the project root

from reconcile import kinds
from reconcile.config.json_schema import Schema, config_schema, schema_json, top_level
from scripts.docs_files import BEGIN as BEGIN
from scripts.docs_files import END as END
from scripts.docs_files import refresh, splice, stale

REFRESH = "python scripts/docs_reference.py"
DOCS_DIR = Path(__file__).resolve().parents[1] / "docs"
REFERENCE_FILE = "configuration.md"
SCHEMA_FILE = "reconcile.schema.json"

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_HEADINGS = {"state": "[state]", "orgs": "[orgs.NAME]", "version": "version"}


def toml_value(value: Any, *, date: bool = False) -> str:
    """``value`` written as a TOML value on one line (tables inline); a ``date`` string is left bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value if date else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        pairs = (f"{_toml_key(key)} = {toml_value(item)}" for key, item in value.items())
        return "{ " + ", ".join(pairs) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _resolve(schema: Schema, node: Schema) -> Schema:
    reference = node.get("$ref")
    if not isinstance(reference, str):
        return node
    resolved: Schema = schema["$defs"][reference.removeprefix("#/$defs/")]
    return resolved


def type_text(node: Schema) -> str:
    """A short, human name for the type a property schema accepts."""
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "enum" in node:
        return " or ".join(f"`{json.dumps(item)}`" for item in node["enum"])
    if "oneOf" in node or "$ref" in node:
        return "inline table"
    if "anyOf" in node:
        return " or ".join(type_text(branch) for branch in node["anyOf"])
    kind = node.get("type")
    if kind == "array":
        return "array of " + _plural(type_text(node.get("items", {})))
    if kind == "object":
        inner = node.get("additionalProperties")
        return "table of " + _plural(type_text(inner)) if isinstance(inner, dict) else "table"
    if kind == "string" and node.get("format") == "date":
        return "date"
    return str(kind or "any")


def _plural(text: str) -> str:
    return " or ".join(part if part.startswith("`") else part + "s" for part in text.split(" or "))


def _example(key: str, node: Schema) -> str:
    examples = node.get("examples") or []
    if not examples:
        return ""
    return f"`{key} = {toml_value(examples[0], date=node.get('format') == 'date')}`"


def _default(node: Schema, required: bool = False) -> str:
    if "default" not in node:
        return "" if required else "unset"
    return f"`{toml_value(node['default'], date=node.get('format') == 'date')}`"


def _required(table: Schema, key: str) -> str:
    if key in table.get("required", []):
        return "yes"
    group = [name for option in table.get("oneOf", []) for name in option.get("required", [])]
    return "one of " + ", ".join(f"`{name}`" for name in group) if key in group else "no"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def key_table(table: Schema) -> list[str]:
    """The Markdown table of a table schema's keys, one row per key in schema order."""
    lines = ["| Key | Type | Default | Required | Description | Example |", "|---|---|---|---|---|---|"]
    for key, node in table["properties"].items():
        row = [
            f"`{key}`",
            type_text(node),
            _default(node, key in table.get("required", [])),
            _required(table, key),
            node["description"],
            _example(key, node),
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in row) + " |")
    return lines


def _section(title: str, description: str, table: Schema, notes: Sequence[str] = ()) -> list[str]:
    return [f"### `{title}`", "", description, *[f"\n{note}" for note in notes], "", *key_table(table), ""]


def render_reference(schema: Schema) -> str:
    """The generated part of docs/configuration.md (without the markers), ending in a newline."""
    defs: dict[str, Schema] = schema["$defs"]
    top: dict[str, Schema] = schema["properties"]
    lines = [
        f"<!-- Generated by `{REFRESH}` from reconcile/config/json_schema.py: edit that, not this. -->",
        "",
        "## Reference",
        "",
        "Every key a configuration file accepts. Any other key is an error naming the file, line and "
        "column. Paths are relative to the configuration directory.",
        "",
    ]
    version = top["version"]
    lines += [
        "### `version`",
        "",
        version["description"],
        "",
        f"Type: {type_text(version)}. Default: {_default(version)}. Example: {_example('version', version)}",
        "",
    ]
    for key in top_level()[1:]:
        node = top[key]
        target = _resolve(schema, node.get("items") or node.get("additionalProperties") or node)
        heading = _HEADINGS.get(key, f"[[{key}]]")
        notes = _notes(key)
        lines += _section(heading, str(target["description"]), target, notes)
        if key == "orgs":
            lines += _auth_sections(schema, target)
        for table in _subtables(key):
            value = defs[table.__name__]
            title = _SUBTABLE_TITLES.get(table.__name__, f"`{table.__name__}` tables")
            lines += [f"#### {title}", "", str(value["description"]), "", *key_table(value), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


_SUBTABLE_TITLES = {"PicklistValueEntry": "Picklist value tables", "AccessSpec": "`access` tables"}


def _subtables(key: str) -> tuple[type[Any], ...]:
    """The nested tables an entry documents beside it (a picklist's values, a check's ``access``)."""
    return kinds.get(key).entry.SUBTABLES if key in kinds.names() else ()


def _notes(key: str) -> list[str]:
    if key == "orgs":
        return ["`instance_url` and `auth` go together: one needs the other."]
    if key in top_level()[3:]:
        return [f"Written as `[[{key}]]` tables (an array of tables); declare as many as you need."]
    return []


def _auth_sections(schema: Schema, org: Schema) -> list[str]:
    lines = ["#### `auth`", "", str(org["properties"]["auth"]["description"]), ""]
    for option in org["properties"]["auth"]["oneOf"]:
        method = _resolve(schema, option)
        name = method["properties"]["method"]["const"]
        lines += [f'##### `method = "{name}"`', "", str(method["description"]), "", *key_table(method), ""]
    return lines


def expected_files(docs: Path) -> dict[Path, str]:
    """Every generated file under ``docs`` and the content it must have."""
    reference = docs / REFERENCE_FILE
    current = reference.read_text(encoding="utf-8")
    return {reference: splice(current, render_reference(config_schema())), docs / SCHEMA_FILE: schema_json()}


def stale_files(docs: Path) -> list[Path]:
    """The generated files under ``docs`` whose content is not what the code generates now."""
    return stale(expected_files(docs))


def main(argv: Sequence[str] | None = None) -> int:
    """Refresh (or with ``--check`` verify) the generated files; the exit status says whether all is well."""
    return refresh(
        expected_files, prog=REFRESH, description="Refresh the generated files of docs/.", docs=DOCS_DIR, argv=argv
    )


if __name__ == "__main__":
    raise SystemExit(main())
