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

from reconcile.config.schema import (
    AUTH_METHODS,
    ENTRY_TYPES,
    Entry,
    OrgConfig,
    PicklistEntry,
    PicklistValueEntry,
    SchemaModel,
)
from state.settings import StateSettings

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
    "PicklistEntry": "The values of a custom picklist field, a global value set or a standard value set.",
    "PicklistValueEntry": "One picklist value written as a table (a plain string is the same as `{ name = ... }`).",
    "LayoutAssignmentEntry": "The page layout that profiles see for an object and record type.",
    "PermissionSetGrantEntry": "A permission set (or permission set group) assigned to users.",
    "ApexEntry": "An anonymous Apex script and when it runs.",
}

_ENTRY_KEYS: Mapping[str, str] = {
    "orgs": "Apply this entry only to these orgs. With `tags` too, an org named here or carrying one of the "
            "tags is chosen. With neither, the entry applies to every org.",
    "tags": "Apply this entry only to orgs carrying one of these tags (see `orgs`).",
    "after": "Addresses (`kind:key`) to apply before this entry's resources, e.g. `picklist:Account.Tier__c`. "
             "`permission_set_grant:Sales_Ops` means every grant of that permission set in the org. "
             "An address absent from an org is ignored there.",
}

#: The description of every user key, by model.
DESCRIPTIONS: Mapping[str, Mapping[str, str]] = {
    "StateSettings": {
        "path": "With the `local` backend, the state file, relative to the configuration directory; the "
                "execution history (`history.jsonl`) is kept beside it. With `postgres`, the name of the "
                "workspace in the database (the default path means the workspace `default`). The live files "
                "of emulated orgs are kept under `emulator/` beside this path either way.",
        "backend": "`local`: a JSON file at `path`, guarded by a file lock. `postgres`: a PostgreSQL database "
                   "shared by a team or by CI runners (needs the psycopg package).",
        "dsn_env": "The environment variable holding the PostgreSQL connection string, for "
                   "`backend = \"postgres\"`. The connection string never goes in the configuration.",
    },
    "OrgConfig": {
        "emulator": "A seed file describing an emulated org, relative to the configuration directory. The "
                    "live org is kept at `<state dir>/emulator/<org>.json`, made from the seed on first use; "
                    "the seed itself is never edited.",
        "sf_alias": "An alias (or username) the Salesforce CLI is logged in to. Sessions come from "
                    "`sf org display` and `sf org auth show-access-token`.",
        "instance_url": "The org's URL (https), used with `auth`. With `method = \"access_token\"` calls go "
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
                       "an emulated org uses its own.",
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
        "security_token_env": "The environment variable holding the user's security token, when the org "
                              "asks for one.",
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
    "PicklistEntry": {
        "field": "A custom picklist field as `Object.Field__c`. For a standard picklist (Industry, "
                 "LeadSource ...) use `standard_value_set`.",
        "global_value_set": "The name of a global value set.",
        "standard_value_set": "The name of a standard value set, e.g. `Industry`.",
        "values": "The declared values, in order: a name, or a table `{ name, label, default, active }`. "
                  "Declared values get their label and become active (unless `active = false`); "
                  "values the org lacks are appended after "
                  "its existing ones.",
        "default": "The value that becomes the default. Without one (here or as `default = true` on a value), "
                   "`additive` keeps the org's default and `exact` clears it.",
        "sorted": "Whether the org sorts the values alphabetically. Unset leaves the org's setting.",
        "mode": "`additive`: declared values are added, activated and relabelled; other values are left "
                "alone. `exact`: every active value that is not declared is deactivated.",
        **_ENTRY_KEYS,
    },
    "PicklistValueEntry": {
        "name": "The value's API name.",
        "label": "The label users see; defaults to `name`.",
        "default": "Make this value the picklist's default (at most one default per picklist).",
        "active": "`false` deactivates the value (records keep it); default `true`.",
    },
    "LayoutAssignmentEntry": {
        "profiles": "The profile names (as Setup shows them, e.g. `Sales User`) that get the layout.",
        "profile": "One profile name, instead of `profiles`.",
        "object": "The object's API name, e.g. `Account`.",
        "record_type": "The record type's developer name. Empty (the default) means the master layout, "
                       "used where no record type applies.",
        "layout": "The layout's name without the object prefix, e.g. `Account Enterprise Layout`.",
        **_ENTRY_KEYS,
    },
    "PermissionSetGrantEntry": {
        "permission_set": "The permission set's API name, e.g. `Sales_Ops` (namespaced: `acme__Billing_Admin`).",
        "permission_set_group": "The permission set group's developer name, instead of `permission_set`.",
        "users": "The usernames that hold it; each org's `username_suffix` is appended.",
        "exclusive": "When true, the permission set (or group) is revoked from every user not listed, in each "
                     "org the entry applies to.",
        "expires": "The assignments' expiration date, as a TOML date (no quotes). Unset: they never expire.",
        **_ENTRY_KEYS,
    },
    "ApexEntry": {
        "name": "The script's name: its address is `apex:NAME` and its runs are recorded under it.",
        "file": "The script, relative to the configuration directory (it must stay inside it): UTF-8, at "
                "most 32,000 characters.",
        "run": "`once`: until a run succeeds in the org. `on_change`: again whenever the file's content "
               "changed since the last successful run. `always`: on every apply.",
        "before": "Addresses to apply after this script (the reverse of `after`).",
        **_ENTRY_KEYS,
    },
}

_ENTRY_EXAMPLES: Mapping[str, Any] = {"orgs": ["uat", "prod"], "tags": ["sandbox"],
                                      "after": ["picklist:Account.Tier__c"]}

#: One example value of every user key, by model (shown in the reference and by editors).
EXAMPLES: Mapping[str, Mapping[str, Any]] = {
    "StateSettings": {"path": ".reconcile/state.json", "backend": "local", "dsn_env": "RECONCILE_STATE_DSN"},
    "OrgConfig": {
        "emulator": "orgs/dev.json", "sf_alias": "acme-uat", "instance_url": "https://acme.my.salesforce.com",
        "auth": {"method": "access_token", "token_env": "SF_ACCESS_TOKEN"}, "username_suffix": ".uat",
        "tags": ["sandbox"], "protected": True, "ca_cert": "certs/ca.pem", "api_version": "62.0",
        "login_url": "https://test.salesforce.com", "vars": {"region": "EMEA"},
    },
    "AccessTokenAuth": {"method": "access_token", "token_env": "SF_ACCESS_TOKEN"},
    "PasswordAuth": {"method": "password", "username": "deploy@acme.com", "password_env": "SF_PASSWORD",
                     "security_token_env": "SF_SECURITY_TOKEN"},
    "JwtAuth": {"method": "jwt", "username": "deploy@acme.com", "client_id_env": "SF_CLIENT_ID",
                "key_file_env": "SF_JWT_KEY", "key_file": "certs/jwt.key"},
    "ClientCredentialsAuth": {"method": "client_credentials", "client_id_env": "SF_CLIENT_ID",
                              "client_secret_env": "SF_CLIENT_SECRET"},
    "PicklistEntry": {
        "field": "Account.Tier__c", "global_value_set": "Regions", "standard_value_set": "Industry",
        "values": ["Gold", "Silver", {"name": "Bronze", "label": "Bronze tier"}], "default": "Silver",
        "sorted": False, "mode": "exact", **_ENTRY_EXAMPLES,
    },
    "PicklistValueEntry": {"name": "Bronze", "label": "Bronze tier", "default": True, "active": True},
    "LayoutAssignmentEntry": {
        "profiles": ["Sales User", "Sales Manager"], "profile": "Sales User", "object": "Account",
        "record_type": "Enterprise", "layout": "Account Enterprise Layout", **_ENTRY_EXAMPLES,
    },
    "PermissionSetGrantEntry": {
        "permission_set": "Sales_Ops", "permission_set_group": "Sales_Bundle",
        "users": ["alice@acme.com", "bob@acme.com"], "exclusive": True, "expires": "2026-06-30",
        **_ENTRY_EXAMPLES,
    },
    "ApexEntry": {
        "name": "backfill-tiers", "file": "scripts/backfill_tiers.apex", "run": "on_change",
        "before": ["permission_set_grant:Sales_Ops"], **_ENTRY_EXAMPLES,
    },
}

#: Keys of which exactly one must be set, by model.
EXACTLY_ONE: Mapping[str, tuple[str, ...]] = {
    "OrgConfig": ("emulator", "sf_alias", "instance_url"),
    "JwtAuth": ("key_file", "key_file_env"),
    "PicklistEntry": ("field", "global_value_set", "standard_value_set"),
    "LayoutAssignmentEntry": ("profiles", "profile"),
    "PermissionSetGrantEntry": ("permission_set", "permission_set_group"),
}

_NAMES = {"pattern": _NAME}
#: Keyword additions by model and key (``items`` merges into an array's item schema); every entry also
#: gets ``_ENTRY_CONSTRAINTS``.
CONSTRAINTS: Mapping[str, Mapping[str, Schema]] = {
    "StateSettings": {"dsn_env": {"pattern": _ENV}},
    "OrgConfig": {"instance_url": {"pattern": _HTTPS}, "login_url": {"pattern": _HTTPS},
                  "api_version": {"pattern": r"^\d{2,3}\.0$"}, "tags": {"items": _NAMES},
                  "vars": {"propertyNames": _NAMES}},
    "AccessTokenAuth": {"token_env": {"pattern": _ENV}},
    "PasswordAuth": {"password_env": {"pattern": _ENV}, "security_token_env": {"pattern": _ENV}},
    "JwtAuth": {"client_id_env": {"pattern": _ENV}, "key_file_env": {"pattern": _ENV}},
    "ClientCredentialsAuth": {"client_id_env": {"pattern": _ENV}, "client_secret_env": {"pattern": _ENV}},
    "ApexEntry": {"name": _NAMES},
}
_ENTRY_CONSTRAINTS: Mapping[str, Schema] = {"orgs": {"items": _NAMES}, "tags": {"items": _NAMES}}

#: The top-level keys, in the order the reference presents them.
TOP_LEVEL: tuple[str, ...] = ("version", "state", "orgs", *ENTRY_TYPES)
_TOP_DESCRIPTIONS: Mapping[str, str] = {
    "version": "The configuration format version; this release reads 1.",
    "state": "`[state]`: " + SECTION_DESCRIPTIONS["StateSettings"],
    "orgs": "`[orgs.NAME]` tables, one per org; NAME uses letters, digits, '-' and '_'.",
    "picklist": "`[[picklist]]` entries: " + SECTION_DESCRIPTIONS["PicklistEntry"],
    "layout_assignment": "`[[layout_assignment]]` entries: " + SECTION_DESCRIPTIONS["LayoutAssignmentEntry"],
    "permission_set_grant": "`[[permission_set_grant]]` entries: " + SECTION_DESCRIPTIONS["PermissionSetGrantEntry"],
    "apex": "`[[apex]]` entries: " + SECTION_DESCRIPTIONS["ApexEntry"],
}
_VALUE_NAME: Schema = {"description": "A value name (the same as `{ name = \"...\" }`).", "type": "string",
                       "minLength": 1}
_DROPPED = frozenset({"title", "discriminator"})

#: Every model a user table is built from, by name (the names of the schema's ``$defs``).
_TABLE_MODELS: tuple[type[SchemaModel | StateSettings], ...] = (StateSettings, OrgConfig, *AUTH_METHODS.values(),
                                                *ENTRY_TYPES.values(), PicklistValueEntry)
MODELS: Mapping[str, type[SchemaModel | StateSettings]] = {model.__name__: model for model in _TABLE_MODELS}


def config_schema() -> Schema:
    """The JSON Schema of one configuration file (a fresh dict on every call; deterministic)."""
    roots: list[type[BaseModel]] = [StateSettings, OrgConfig, *ENTRY_TYPES.values()]
    _, generated = models_json_schema([(model, "validation") for model in roots], ref_template="#/$defs/{model}")
    defs = {name: _user_table(name, schema) for name, schema in sorted(generated["$defs"].items())
            if name in MODELS}
    properties: Schema = {
        "version": {"description": _TOP_DESCRIPTIONS["version"], "type": "integer", "const": 1, "default": 1,
                    "examples": [1]},
        "state": {"description": _TOP_DESCRIPTIONS["state"], "$ref": "#/$defs/StateSettings"},
        "orgs": {"description": _TOP_DESCRIPTIONS["orgs"], "type": "object", "propertyNames": dict(_NAMES),
                 "additionalProperties": {"$ref": "#/$defs/OrgConfig"},
                 "examples": [{"dev": {"emulator": "orgs/dev.json"}}]},
    }
    for section, model in ENTRY_TYPES.items():
        properties[section] = {"description": _TOP_DESCRIPTIONS[section], "type": "array",
                               "items": {"$ref": f"#/$defs/{model.__name__}"}}
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


def model_of(definition: str) -> type[SchemaModel | StateSettings]:
    """The model a ``$defs`` entry was built from (KeyError for an unknown name)."""
    return MODELS[definition]


def _user_table(name: str, generated: Schema) -> Schema:
    model = MODELS[name]
    keys = _ordered_keys(model, [key for key in generated["properties"] if key not in model.INTERNAL])
    table: Schema = {
        "description": SECTION_DESCRIPTIONS[name],
        "type": "object",
        "properties": {key: _user_property(model, key, generated["properties"][key]) for key in keys},
        "additionalProperties": False,
    }
    required = [key for key in generated.get("required", []) if key not in model.INTERNAL]
    if required:
        table["required"] = required
    if name in EXACTLY_ONE:
        table["oneOf"] = [{"required": [key]} for key in EXACTLY_ONE[name]]
    if model is OrgConfig:
        table["dependentRequired"] = {"instance_url": ["auth"], "auth": ["instance_url"]}
    return table


def _ordered_keys(model: type[SchemaModel | StateSettings], keys: list[str]) -> list[str]:
    """An entry's own keys first, then the keys every entry accepts."""
    if not issubclass(model, Entry):
        return keys
    common = set(Entry.model_fields)
    return [key for key in keys if key not in common] + [key for key in keys if key in common]


def _user_property(model: type[SchemaModel | StateSettings], key: str, generated: Schema) -> Schema:
    name = model.__name__
    prop = _without_null(copy.deepcopy(generated))
    if model is PicklistEntry and key == "values":
        prop["items"] = {"anyOf": [_VALUE_NAME, prop["items"]]}
    extra = {**(_ENTRY_CONSTRAINTS if issubclass(model, Entry) else {}), **CONSTRAINTS.get(name, {})}
    for keyword, value in extra.get(key, {}).items():
        prop[keyword] = {**prop[keyword], **value} if keyword == "items" else value
    field = model.model_fields[key]
    if "default" not in prop and field.default_factory is not None:
        prop["default"] = field.get_default(call_default_factory=True)
    description = field.description or DESCRIPTIONS[name][key]
    return {"description": description, **prop, "examples": [EXAMPLES[name][key]]}


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
