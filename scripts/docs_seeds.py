"""The seed reference in docs/emulator-seeds.md and docs/emulator-seed.schema.json, generated from the
seed sections the emulator registers (``providers/emulator/org/seed_schema.py``).

``render_reference()`` writes one Markdown section per seed section: its paragraph, then a table of its
keys (nested keys as ``record_types[].label``) with type, default, whether required and what it is.
Keys only the live org file writes (ids) are left out of the tables. The text goes between the
``BEGIN``/``END`` markers of emulator-seeds.md; the hand-written parts around them stay as they are.

Run ``python scripts/docs_seeds.py`` to refresh both files (``--check`` only reports whether they are
current and exits 1 when not).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the project root

from providers.emulator.org.sections import LIVE
from providers.emulator.org.seed_schema import SECTIONS, seed_schema
from scripts.docs_files import refresh, splice, stale

REFRESH = "python scripts/docs_seeds.py"
DOCS_DIR = Path(__file__).resolve().parents[1] / "docs"
REFERENCE_FILE = "emulator-seeds.md"
SCHEMA_FILE = "emulator-seed.schema.json"
PLURALS = {"string": "strings", "object": "objects", "integer": "integers", "boolean": "booleans"}


def type_text(node: dict[str, Any]) -> str:
    """A short name for what a schema node accepts."""
    if "anyOf" in node:
        return " or ".join(type_text(option) for option in node["anyOf"])
    if "enum" in node:
        return " or ".join(f"`{json.dumps(v)}`" for v in node["enum"])
    kind = node.get("type")
    kinds = [k for k in (kind if isinstance(kind, list) else [kind]) if k != "null"] or ["null"]
    names = {"object": "object", "array": "list", "string": "string", "boolean": "boolean", "integer": "integer"}
    if kinds == ["array"]:
        items = type_text(node.get("items", {})).split(" or ")
        return "list of " + " or ".join(PLURALS.get(item, item) for item in items)
    return " or ".join(names.get(str(k), str(k)) for k in kinds)


def rows(node: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any], bool]]:
    """``(key path, schema, required)`` of every documented key under ``node``, depth first."""
    if node.get("type") == "array":
        node = node.get("items", {})
        prefix = f"{prefix}[]" if prefix else prefix
    for option in node.get("anyOf", []):
        if option.get("type") == "object":
            node = option
    required = set(node.get("required", []))
    for key, child in node.get("properties", {}).items():
        if child.get("description") == LIVE:
            continue
        path = f"{prefix}.{key}" if prefix else key
        yield path, child, key in required
        inner = child.get("items", {}) if child.get("type") == "array" else child
        nested = [inner, *inner.get("anyOf", [])]
        if any(n.get("properties") for n in nested):
            yield from rows(child, path)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_reference() -> str:
    """The generated part of emulator-seeds.md."""
    out: list[str] = []
    for section in SECTIONS:
        out += [f"### `{section.name}`", "", section.doc, ""]
        table = list(rows(section.schema))
        if not table:
            out += [f"Type: {type_text(section.schema)}.", ""]
            continue
        out += ["| key | type | default | required | description |", "|---|---|---|---|---|"]
        for path, node, required in table:
            default = f"`{json.dumps(node['default'])}`" if "default" in node else ""
            description = _cell(str(node.get("description", "")))
            out.append(f"| `{path}` | {type_text(node)} | {default} | {'yes' if required else ''} | {description} |")
        out.append("")
    return "\n".join(out)


def schema_json() -> str:
    return json.dumps(seed_schema(), indent=2, ensure_ascii=False) + "\n"


def expected_files(docs: Path) -> dict[Path, str]:
    reference = docs / REFERENCE_FILE
    return {
        reference: splice(reference.read_text(encoding="utf-8"), render_reference()),
        docs / SCHEMA_FILE: schema_json(),
    }


def stale_files(docs: Path) -> list[Path]:
    """The generated files under ``docs`` whose content is not what the code generates now."""
    return stale(expected_files(docs))


def main(argv: Sequence[str] | None = None) -> int:
    """Refresh (or with ``--check`` verify) the generated files; the exit status says whether all is well."""
    return refresh(
        expected_files,
        prog=REFRESH,
        description="Refresh the generated seed reference in docs/.",
        docs=DOCS_DIR,
        argv=argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())
