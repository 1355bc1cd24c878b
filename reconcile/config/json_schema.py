"""The JSON Schema (draft 2020-12) of a configuration file, as users write it.

``config_schema()`` starts from the pydantic models of ``reconcile.config.schema`` and keeps only what a
TOML file may hold: the keys a loader fills in (``INTERNAL``: locations, titles, script bodies, resolved
paths, an org's name) are removed, ``null`` is dropped (TOML has none), and every property gets a
description and an example. Rules the models check in code are stated where JSON Schema can state them:
"exactly one of" groups as ``oneOf`` of ``required``, ``instance_url`` and ``auth`` needing each other as
``dependentRequired``, names of orgs, tags and environment variables as patterns.

The schema describes one file. A configuration may be a directory of files merged together, so no
section is required; what spans files (at least one org, references, duplicates) is checked by
``reconcile validate``. Editors that understand JSON Schema (taplo / Even Better TOML) use it for
completion and hover text; the configuration reference in docs/configuration.md is generated from it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from reconcile import kinds
from reconcile.config.schema import AUTH_METHODS, Entry, OrgConfig, SchemaModel
from state.settings import StateSettings

#: A model a user table is built from: a configuration table, or ``[state]`` (which state/ defines).
Table = type[SchemaModel] | type[StateSettings]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]

_NAME = "^[A-Za-z0-9_-]+$"
_ENV = "^[A-Za-z_][A-Za-z0-9_]*$"
_HTTPS = "^https://"

#: What each section is for (the description of its table).
SECTION_DESCRIPTIONS: Mapping[str, str] = {
    "StateSettings": "Where the state (what this tool manages in each org) is kept.",
    "OrgConfig": "One org: how to reach it and how entries expand for it. Set exactly one of `emulator`, "
    "`sf_alias` or `instance_url` (with `auth`).",
    "AccessTokenAuth": "Use an OAuth access token (session id) from an environment variable.",
    "PasswordAuth": "Log in with a username and password (SOAP login at `login_url`).",
    "JwtAuth": "OAuth 2.0 JWT bearer flow with a connected app's certificate key.",
    "ClientCredentialsAuth": "OAuth 2.0 client credentials flow of a connected app.",
}


#: The description of every user key, by model (entry models carry their own: ``SchemaModel.KEY_DOCS``).
DESCRIPTIONS: Mapping[str, Mapping[str, str]] = {
    "StateSettings": {
        "path": "With the `local` backend, the state file, relative to the configuration directory; the "
        "execution history (`history.jsonl`) is kept beside it. With `postgres`, the name of the "
        "workspace in the database (the default path means the workspace `default`). The live files "
        "of emulated orgs are kept under `emulator/` beside this path either way.",
        "backend": "`local`: a JSON file at `path`, guarded by a file lock. `postgres`: a PostgreSQL database "
        "shared by a team or by CI runners (needs the psycopg package).",
        "dsn_env": "The environment variable holding the PostgreSQL connection string, for "
        '`backend = "postgres"`. The connection string never goes in the configuration.',
    },
    "OrgConfig": {
        "emulator": "A seed file describing an emulated org, relative to the configuration directory. The "
        "live org is kept at `<state dir>/emulator/<org>.json`, made from the seed on first use; "
        "the seed itself is never edited.",
        "sf_alias": "An alias (or username) the Salesforce CLI is logged in to. Sessions come from "
        "`sf org display` and `sf org auth show-access-token`.",
        "instance_url": 'The org\'s URL (https), used with `auth`. With `method = "access_token"` calls go '
        "here; the login methods log in at `login_url` and use the URL Salesforce returns.",
        "auth": "How to log in to `instance_url`: an inline table whose `method` is `access_token`, "
        "`password`, `jwt` or `client_credentials`. Secrets are never written here, only the "
        "names of environment variables or files holding them.",
        "username_suffix": "Appended to every username granted in this org "
        "(sandbox usernames: alice@acme.com becomes alice@acme.com.uat).",
        "tags": "Labels that select this org: entries' `tags` and `--tag` on the command line.",
        "protected": "When true, `apply` changes this org only when it is named with `--org`; a tag or the "
        "default selection never picks it for apply (plan still shows it).",
        "ca_cert": "A PEM file of the certificate authority to trust for this org, relative to the "
        "configuration directory. Without it, requests' defaults apply (including "
        "`REQUESTS_CA_BUNDLE`).",
        "api_version": "The Salesforce API version to call. With `sf_alias` the version the CLI reports wins; "
        "an emulated org uses its own. Metadata API calls always use the version of the bundled Metadata WSDL "
        "(63.0), so that nothing the tool sends or reads is dropped.",
        "login_url": "Where `password`, `jwt` and `client_credentials` logins go: "
        "https://login.salesforce.com, https://test.salesforce.com (sandboxes) or the org's "
        "My Domain URL.",
        "vars": "Values of `${var.NAME}` placeholders in the entries applied to this org.",
    },
    "AccessTokenAuth": {
        "method": "`access_token`.",
        "token_env": "The environment variable holding the access token.",
    },
    "PasswordAuth": {
        "method": "`password`.",
        "username": "The username to log in as (used as written: `username_suffix` does not apply).",
        "password_env": "The environment variable holding the password.",
        "security_token_env": "The environment variable holding the user's security token, when the org asks for one.",
    },
    "JwtAuth": {
        "method": "`jwt`.",
        "username": "The username to log in as (used as written: `username_suffix` does not apply).",
        "client_id_env": "The environment variable holding the connected app's consumer key.",
        "key_file_env": "The environment variable holding the path of the private key file (PEM).",
        "key_file": "The private key file (PEM), relative to the configuration directory.",
    },
    "ClientCredentialsAuth": {
        "method": "`client_credentials`.",
        "client_id_env": "The environment variable holding the connected app's consumer key.",
        "client_secret_env": "The environment variable holding the connected app's consumer secret.",
    },
}


#: One example value of every user key of the fixed tables, by model (see ``examples()``).
EXAMPLES: Mapping[str, Mapping[str, Any]] = {
    "StateSettings": {"path": ".reconcile/state.json", "backend": "local", "dsn_env": "RECONCILE_STATE_DSN"},
    "OrgConfig": {
        "emulator": "orgs/dev.json",
        "sf_alias": "acme-uat",
        "instance_url": "https://acme.my.salesforce.com",
        "auth": {"method": "access_token", "token_env": "SF_ACCESS_TOKEN"},
        "username_suffix": ".uat",
        "tags": ["sandbox"],
        "protected": True,
        "ca_cert": "certs/ca.pem",
        "api_version": "62.0",
        "login_url": "https://test.salesforce.com",
        "vars": {"region": "EMEA"},
    },
    "AccessTokenAuth": {"method": "access_token", "token_env": "SF_ACCESS_TOKEN"},
    "PasswordAuth": {
        "method": "password",
        "username": "deploy@acme.com",
        "password_env": "SF_PASSWORD",
        "security_token_env": "SF_SECURITY_TOKEN",
    },
    "JwtAuth": {
        "method": "jwt",
        "username": "deploy@acme.com",
        "client_id_env": "SF_CLIENT_ID",
        "key_file_env": "SF_JWT_KEY",
        "key_file": "certs/jwt.key",
    },
    "ClientCredentialsAuth": {
        "method": "client_credentials",
        "client_id_env": "SF_CLIENT_ID",
        "client_secret_env": "SF_CLIENT_SECRET",
    },
}

#: Keys of which exactly one must be set, by model.
EXACTLY_ONE: Mapping[str, tuple[str, ...]] = {
    "OrgConfig": ("emulator", "sf_alias", "instance_url"),
    "JwtAuth": ("key_file", "key_file_env"),
}

_NAMES = {"pattern": _NAME}
#: Keyword additions by model and key (``items`` merges into an array's item schema); every entry also
#: gets ``Entry.CONSTRAINTS``; an entry model's own ``CONSTRAINTS`` add to these.
CONSTRAINTS: Mapping[str, Mapping[str, Schema]] = {
    "StateSettings": {"dsn_env": {"pattern": _ENV}},
    "OrgConfig": {
        "instance_url": {"pattern": _HTTPS},
        "login_url": {"pattern": _HTTPS},
        "api_version": {"pattern": r"^\d{2,3}\.0$"},
        "tags": {"items": _NAMES},
        "vars": {"propertyNames": _NAMES},
    },
    "AccessTokenAuth": {"token_env": {"pattern": _ENV}},
    "PasswordAuth": {"password_env": {"pattern": _ENV}, "security_token_env": {"pattern": _ENV}},
    "JwtAuth": {"client_id_env": {"pattern": _ENV}, "key_file_env": {"pattern": _ENV}},
    "ClientCredentialsAuth": {"client_id_env": {"pattern": _ENV}, "client_secret_env": {"pattern": _ENV}},
}

_DROPPED = frozenset({"title", "discriminator"})
_FIXED_TOP: Mapping[str, str] = {
    "version": "The configuration format version; this release reads 1.",
    "state": "`[state]`: " + SECTION_DESCRIPTIONS["StateSettings"],
    "orgs": "`[orgs.NAME]` tables, one per org; NAME uses letters, digits, '-' and '_'.",
}


def top_level() -> tuple[str, ...]:
    """The top-level keys, in the order the reference presents them: the fixed ones, then a section per
    registered kind."""
    return (*_FIXED_TOP, *kinds.names())


def _top_description(key: str) -> str:
    if key in _FIXED_TOP:
        return _FIXED_TOP[key]
    return f"`[[{key}]]` entries: " + kinds.get(key).entry.DESCRIPTION


def _entry_models() -> list[type[SchemaModel]]:
    """Every kind's entry model and the sub-tables it is built from, in registry order."""
    return [model for kind in kinds.all_kinds() for model in (kind.entry, *kind.entry.SUBTABLES)]


def models() -> Mapping[str, Table]:
    """Every model a user table is built from, by name (the names of the schema's ``$defs``)."""
    fixed: list[Table] = [StateSettings, OrgConfig, *AUTH_METHODS.values()]
    return {model.__name__: model for model in [*fixed, *_entry_models()]}


def examples() -> Mapping[str, Mapping[str, Any]]:
    """One example value of every user key, by model (shown in the reference and by editors)."""
    found: dict[str, Mapping[str, Any]] = dict(EXAMPLES)
    for model in _entry_models():
        common = Entry.EXAMPLES if issubclass(model, Entry) else {}
        found[model.__name__] = {**model.EXAMPLES, **common}
    return found


def _own(model: Table, name: str, default: Any) -> Any:
    """A documentation class variable of a configuration table (``SchemaModel``); ``default`` for others."""
    return getattr(model, name) if issubclass(model, SchemaModel) else default


def _description(model: Table) -> str:
    return str(_own(model, "DESCRIPTION", "")) or SECTION_DESCRIPTIONS[model.__name__]


def _key_doc(model: Table, key: str) -> str:
    if model.__name__ in DESCRIPTIONS:
        return DESCRIPTIONS[model.__name__][key]
    common = Entry.KEY_DOCS if issubclass(model, Entry) else {}
    return str({**_own(model, "KEY_DOCS", {}), **common}[key])


def _exactly_one(model: Table) -> tuple[str, ...]:
    return tuple(_own(model, "EXACTLY_ONE", ())) or EXACTLY_ONE.get(model.__name__, ())


def _constraints(model: Table) -> Mapping[str, Mapping[str, Any]]:
    common: Mapping[str, Mapping[str, Any]] = Entry.CONSTRAINTS if issubclass(model, Entry) else {}
    return {**common, **CONSTRAINTS.get(model.__name__, {}), **_own(model, "CONSTRAINTS", {})}


def config_schema() -> Schema:
    """The JSON Schema of one configuration file (a fresh dict on every call; deterministic)."""
    entries = [kind.entry for kind in kinds.all_kinds()]
    roots: list[type[BaseModel]] = [StateSettings, OrgConfig, *entries]
    _, generated = models_json_schema([(model, "validation") for model in roots], ref_template="#/$defs/{model}")
    tables = models()
    defs = {
        name: _user_table(tables[name], schema) for name, schema in sorted(generated["$defs"].items()) if name in tables
    }
    properties: Schema = {
        "version": {
            "description": _top_description("version"),
            "type": "integer",
            "const": 1,
            "default": 1,
            "examples": [1],
        },
        "state": {"description": _top_description("state"), "$ref": "#/$defs/StateSettings"},
        "orgs": {
            "description": _top_description("orgs"),
            "type": "object",
            "propertyNames": dict(_NAMES),
            "additionalProperties": {"$ref": "#/$defs/OrgConfig"},
            "examples": [{"dev": {"emulator": "orgs/dev.json"}}],
        },
    }
    for kind in kinds.all_kinds():
        properties[kind.name] = {
            "description": _top_description(kind.name),
            "type": "array",
            "items": {"$ref": f"#/$defs/{kind.entry.__name__}"},
        }
    return {
        "$schema": DIALECT,
        "title": "reconcile configuration",
        "description": "One TOML file of a reconcile configuration (a configuration may be a directory of "
        "such files, merged).",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": defs,
    }


def schema_json() -> str:
    """``config_schema()`` as the text ``reconcile schema`` prints: 2-space indented, newline-terminated."""
    return json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"


def model_of(definition: str) -> Table:
    """The model a ``$defs`` entry was built from (KeyError for an unknown name)."""
    return models()[definition]


def _user_table(model: Table, generated: Schema) -> Schema:
    keys = _ordered_keys(model, [key for key in generated["properties"] if key not in model.INTERNAL])
    table: Schema = {
        "description": _description(model),
        "type": "object",
        "properties": {key: _user_property(model, key, generated["properties"][key]) for key in keys},
        "additionalProperties": False,
    }
    required = [key for key in generated.get("required", []) if key not in model.INTERNAL]
    if required:
        table["required"] = required
    if _exactly_one(model):
        table["oneOf"] = [{"required": [key]} for key in _exactly_one(model)]
    if model is OrgConfig:
        table["dependentRequired"] = {"instance_url": ["auth"], "auth": ["instance_url"]}
    return table


def _ordered_keys(model: Table, keys: list[str]) -> list[str]:
    """An entry's own keys first, then the keys every entry accepts."""
    if not issubclass(model, Entry):
        return keys
    common = set(Entry.model_fields)
    return [key for key in keys if key not in common] + [key for key in keys if key in common]


def _user_property(model: Table, key: str, generated: Schema) -> Schema:
    prop = _without_null(copy.deepcopy(generated))
    items = _own(model, "SCHEMA_ITEMS", {})
    if key in items:
        prop["items"] = {"anyOf": [dict(items[key]), prop["items"]]}
    for keyword, value in _constraints(model).get(key, {}).items():
        prop[keyword] = {**prop[keyword], **value} if keyword == "items" else value
    field = model.model_fields[key]
    if "default" not in prop and field.default_factory is not None:
        prop["default"] = field.get_default(call_default_factory=True)
    description = field.description or _key_doc(model, key)
    return {"description": description, **prop, "examples": [examples()[model.__name__][key]]}


def _without_null(node: Schema) -> Schema:
    """``node`` with ``null`` branches, ``default: null``, titles, pydantic's discriminator hint and the
    non-standard ``path`` format removed, recursively (TOML has no null)."""
    if "anyOf" in node:
        branches = [branch for branch in node["anyOf"] if branch != {"type": "null"}]
        if len(branches) == 1:
            rest = {key: value for key, value in node.items() if key != "anyOf"}
            node = {**branches[0], **rest}
        else:
            node["anyOf"] = branches
    cleaned: Schema = {}
    for key, value in node.items():
        if key in _DROPPED or (key == "default" and value is None) or (key == "format" and value == "path"):
            continue
        if key in ("items", "additionalProperties") and isinstance(value, dict):
            value = _without_null(value)
        elif key in ("anyOf", "oneOf"):
            value = [_without_null(branch) for branch in value]
        cleaned[key] = value
    return cleaned
