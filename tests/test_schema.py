"""The JSON Schema of the configuration: what users write, nothing internal, and the docs copy current.

No JSON Schema library is a dependency, so ``check`` below validates TOML data against the subset of
draft 2020-12 the schema uses; ``test_the_checker_knows_every_keyword_the_schema_uses`` keeps the two in
step, so a new keyword cannot be silently ignored.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from reconcile import kinds
from reconcile.config.json_schema import DIALECT, config_schema, examples, models, schema_json
from reconcile.config.loader import load_config
from reconcile.errors import ConfigError
from scripts.docs_reference import REFRESH
from tests.support.cli import invoke
from tests.support.corpus import BAD_CONFIGS

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = Path(__file__).parent / "configs"
QUICKSTART = ROOT / "examples" / "quickstart"
SCHEMA = config_schema()

ANNOTATIONS = {"$schema", "title", "description", "default", "examples", "format", "$defs"}
CHECKED = {
    "type",
    "const",
    "enum",
    "pattern",
    "minLength",
    "minItems",
    "items",
    "properties",
    "additionalProperties",
    "propertyNames",
    "required",
    "oneOf",
    "anyOf",
    "dependentRequired",
    "$ref",
}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":  # TOML dates arrive as date objects; the schema says string + format date
        return isinstance(value, str) or (type(value) is date)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    raise AssertionError(f"unexpected type {kind}")


def check(value: Any, node: dict[str, Any], where: str = "$") -> list[str]:
    """Every violation of ``node`` by ``value``, as ``path: problem`` strings."""
    if "$ref" in node:
        target = SCHEMA["$defs"][node["$ref"].removeprefix("#/$defs/")]
        return check(value, target, where) + check(value, {k: v for k, v in node.items() if k != "$ref"}, where)
    errors: list[str] = []
    if "type" in node and not _type_ok(node["type"], value):
        return [f"{where}: expected {node['type']}, got {type(value).__name__}"]
    if node.get("format") == "date" and isinstance(value, datetime):
        errors.append(f"{where}: a date, not a date-time")
    if "const" in node and value != node["const"]:
        errors.append(f"{where}: must be {node['const']!r}")
    if "enum" in node and value not in node["enum"]:
        errors.append(f"{where}: {value!r} is not one of {node['enum']}")
    if isinstance(value, str):
        if "pattern" in node and not re.search(node["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {node['pattern']}")
        if len(value) < node.get("minLength", 0):
            errors.append(f"{where}: too short")
    if isinstance(value, list):
        if len(value) < node.get("minItems", 0):
            errors.append(f"{where}: too few items")
        for number, item in enumerate(value):
            errors += check(item, node.get("items", {}), f"{where}[{number}]")
    if isinstance(value, dict):
        errors += _check_table(value, node, where)
    for key in ("oneOf", "anyOf"):
        if key in node:
            matching = [branch for branch in node[key] if not check(value, branch, where)]
            if not matching or (key == "oneOf" and len(matching) > 1):
                errors.append(f"{where}: matches {len(matching)} of the {key} branches")
    return errors


def _check_table(value: dict[str, Any], node: dict[str, Any], where: str) -> list[str]:
    errors: list[str] = []
    properties = node.get("properties", {})
    extra = node.get("additionalProperties", True)
    for key, item in value.items():
        if "propertyNames" in node:
            errors += check(key, node["propertyNames"], f"{where}.{key} (name)")
        if key in properties:
            errors += check(item, properties[key], f"{where}.{key}")
        elif extra is False:
            errors.append(f"{where}: unknown key {key!r}")
        elif isinstance(extra, dict):
            errors += check(item, extra, f"{where}.{key}")
    errors += [f"{where}: missing {key!r}" for key in node.get("required", []) if key not in value]
    for key, needed in node.get("dependentRequired", {}).items():
        if key in value:
            errors += [f"{where}: {key!r} needs {other!r}" for other in needed if other not in value]
    return errors


def keywords(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key in ("properties", "$defs", "dependentRequired"):
                for child in value.values():
                    keywords(child, found)
            elif key not in ("examples", "default", "const", "enum", "required"):
                keywords(value, found)
    elif isinstance(node, list):
        for item in node:
            keywords(item, found)
    return found


def toml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.toml"))


def test_the_checker_knows_every_keyword_the_schema_uses() -> None:
    assert keywords(SCHEMA, set()) <= ANNOTATIONS | CHECKED


def test_the_checker_rejects_what_it_should() -> None:
    assert check({"version": 2}, SCHEMA) == ["$.version: must be 1"]
    assert check({"orgs": {"a b": {"sf_alias": "x"}}}, SCHEMA)
    assert check({"orgs": {"dev": {"sf_alias": "x", "emulator": "y.json"}}}, SCHEMA)
    assert check({"orgs": {"ci": {"instance_url": "https://x.example"}}}, SCHEMA) == [
        "$.orgs.ci: 'instance_url' needs 'auth'"
    ]


def test_it_is_a_draft_2020_12_schema_closed_at_every_level() -> None:
    assert SCHEMA["$schema"] == DIALECT == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["additionalProperties"] is False
    assert list(SCHEMA["properties"]) == ["version", "state", "orgs", *kinds.names()]
    for name, table in SCHEMA["$defs"].items():
        assert table["additionalProperties"] is False, name


@pytest.mark.parametrize("name", sorted(models()))
def test_each_table_has_exactly_the_keys_users_write(name: str) -> None:
    model = models()[name]
    properties = SCHEMA["$defs"][name]["properties"]
    assert sorted(properties) == model.user_keys()
    assert not set(properties) & model.INTERNAL
    for key, prop in properties.items():
        assert prop["description"].strip(), f"{name}.{key} has no description"
        assert not check(prop["examples"][0], prop), f"the example of {name}.{key} breaks its own schema"


def test_internal_fields_are_nowhere() -> None:
    text = schema_json()
    for internal in ("location", "state_path", "sha256", '"body"'):
        assert internal not in text
    assert "name" not in SCHEMA["$defs"]["OrgConfig"]["properties"]
    assert "title" not in SCHEMA["$defs"]["PicklistEntry"]["properties"]
    assert '"type": "null"' not in text


def test_choices_are_enums() -> None:
    defs = SCHEMA["$defs"]
    assert defs["PicklistEntry"]["properties"]["mode"]["enum"] == ["additive", "exact"]
    assert defs["ApexEntry"]["properties"]["run"]["enum"] == ["once", "on_change", "always"]
    methods = [
        SCHEMA["$defs"][ref["$ref"].rsplit("/", 1)[1]]["properties"]["method"]["const"]
        for ref in defs["OrgConfig"]["properties"]["auth"]["oneOf"]
    ]
    assert methods == ["access_token", "password", "jwt", "client_credentials"]
    assert defs["StateSettings"]["properties"]["backend"]["enum"] == ["local", "postgres"]


def test_examples_are_listed_for_keys_that_exist() -> None:
    for name, example in examples().items():
        assert set(example) == set(models()[name].user_keys()), name


def test_every_key_config_is_valid() -> None:
    load_config(CONFIGS / "every-key")
    for path in toml_files(CONFIGS / "every-key"):
        assert check(tomllib.loads(path.read_text(encoding="utf-8")), SCHEMA) == [], path


def test_quickstart_is_valid() -> None:
    files = toml_files(QUICKSTART)
    assert files, "examples/quickstart has no TOML file"
    for path in files:
        assert check(tomllib.loads(path.read_text(encoding="utf-8")), SCHEMA) == [], path


def test_an_unknown_key_is_flagged_and_absent_from_the_schema() -> None:
    data = tomllib.loads((BAD_CONFIGS / "unknown-key-in-entry" / "reconcile.toml").read_text(encoding="utf-8"))
    errors = check(data, SCHEMA)
    assert "$.picklist[1]: unknown key 'valuse'" in errors
    assert "valuse" not in schema_json()


def _scenarios() -> list[Path]:
    """Every configuration of the tests: the good ones and every broken case."""
    return [path for corpus in (CONFIGS, BAD_CONFIGS) for path in sorted(corpus.iterdir()) if path.is_dir()]


@pytest.mark.parametrize("scenario", _scenarios(), ids=lambda path: path.name)
def test_the_schema_never_rejects_a_config_the_loader_accepts(scenario: Path) -> None:
    try:
        load_config(scenario)
    except ConfigError:
        return
    for path in toml_files(scenario):
        assert check(tomllib.loads(path.read_text(encoding="utf-8")), SCHEMA) == [], path


#: Broken configs whose mistake lies within one file's structure: the schema sees it too.
STRUCTURAL = [
    "unknown-key-in-entry",
    "wrong-type-in-entry",
    "two-org-sources",
    "profile-and-profiles",
    "bad-run-policy",
    "misspelt-auth-method",
    "instance-url-without-auth",
    "missing-required-key",
    "unsupported-version",
    "literal-password",
    "env-name-holds-secret",
    "expires-with-time",
    "unknown-kind",
]


@pytest.mark.parametrize("scenario", STRUCTURAL)
def test_the_schema_rejects_structural_mistakes(scenario: str) -> None:
    with pytest.raises(ConfigError):
        load_config(BAD_CONFIGS / scenario)
    errors = [
        error
        for path in toml_files(BAD_CONFIGS / scenario)
        for error in check(tomllib.loads(path.read_text(encoding="utf-8")), SCHEMA)
    ]
    assert errors


def test_schema_command_prints_the_schema() -> None:
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == SCHEMA
    assert result.stdout == schema_json()


def test_schema_command_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "reconcile.schema.json"
    result = invoke("schema", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == schema_json()


def test_schema_command_reports_an_unwritable_file(tmp_path: Path) -> None:
    result = invoke("schema", "--out", str(tmp_path / "missing" / "schema.json"))
    assert result.exit_code == 1
    assert "cannot write" in result.output
    assert "Traceback" not in result.output


def test_the_published_schema_is_current() -> None:
    published = ROOT / "docs" / "reconcile.schema.json"
    assert published.is_file(), f"{published} is missing: run {REFRESH}"
    assert published.read_text(encoding="utf-8") == schema_json(), f"{published} is out of date: run {REFRESH}"
