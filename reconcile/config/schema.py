"""The configuration's models: what each TOML table may hold (DESIGN.md §5).

Every model is frozen and forbids unknown keys. Field validators check one value and say what to do;
``findings()`` checks what spans several keys of one table (exactly one target, default among the
values) and returns ``(key path, message, hint)`` triples that the loader places in the file. Keys
listed in ``INTERNAL`` are filled in by the loader (where an entry was declared, resolved paths,
script bodies) and are never accepted from TOML.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, model_validator

from reconcile.config.source import KeyPath, type_name
from reconcile.errors import Location, did_you_mean
from reconcile.model import Address, Kind

Finding = tuple[KeyPath, str, str]

_NAME = r"^[A-Za-z0-9_-]+$"
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$")
PLACEHOLDER = "${"


def _matching(pattern: str, problem: str, *, placeholders: bool = False, quote: bool = True) -> AfterValidator:
    """A check that ``pattern`` matches; ``problem`` follows the value (or stands alone if not ``quote``).
    With ``placeholders``, a value holding ``${...}`` is checked once substituted, not here."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not (placeholders and PLACEHOLDER in value) and not compiled.search(value):
            raise ValueError(f"{value!r} {problem}" if quote else problem)
        return value

    return AfterValidator(check)


def _field_name(value: str) -> str:
    if PLACEHOLDER in value:
        return value
    if not _FIELD.match(value):
        raise ValueError(f"{value!r} must look like Object.Field__c, e.g. Account.Tier__c")
    if not value.endswith("__c"):
        raise ValueError(f"{value!r} is not a custom field (custom field names end in __c); "
                         "for a standard picklist such as Industry use standard_value_set")
    return value


def _reference(value: str) -> str:
    Address.parse(value)
    return value


def _plain_date(value: Any) -> Any:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError("must be a TOML date such as 2025-12-31 (no quotes, no time)")
    return value


_NON_EMPTY = _matching(r"\S", "must not be empty", quote=False)
Str = Annotated[str, Strict()]
Bool = Annotated[bool, Strict()]
NonEmpty = Annotated[str, Strict(), _NON_EMPTY]
Name = Annotated[str, Strict(), _matching(_NAME, "may use only letters, digits, '-' and '_'")]
# an environment variable name may hold a pasted secret by mistake: never repeat the value
EnvName = Annotated[str, Strict(), _matching(r"^[A-Za-z_][A-Za-z0-9_]*$", "must name an environment variable "
                                             "(letters, digits and '_', e.g. SF_TOKEN)", quote=False)]
Segment = Annotated[str, Strict(), _matching(r"^[^/]*$", "must not contain '/' (it separates the parts of an "
                                             "address)")]
FieldName = Annotated[str, Strict(), AfterValidator(_field_name)]
Username = Annotated[str, Strict(), _matching("@", "is not a username (usernames look like email addresses: "
                                              "bob@acme.com)", placeholders=True)]
HttpsUrl = Annotated[str, Strict(), _matching(r"^https://", "must be an https:// URL")]
ApiVersion = Annotated[str, Strict(), _matching(r"^\d{2,3}\.0$", "must look like '62.0'")]
Reference = Annotated[str, Strict(), AfterValidator(_reference)]
PlainDate = Annotated[date, BeforeValidator(_plain_date)]
FilePath = Annotated[Path, BeforeValidator(lambda text: _NON_EMPTY.func(text) if isinstance(text, str) else text)]


class SchemaModel(BaseModel):
    """A table of the configuration. ``user_keys()`` are the keys TOML may set."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    INTERNAL: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def user_keys(cls) -> list[str]:
        return sorted(key for key in cls.model_fields if key not in cls.INTERNAL)


class AccessTokenAuth(SchemaModel):
    """An OAuth access token read from the environment variable ``token_env``."""

    method: Literal["access_token"]
    token_env: EnvName


class PasswordAuth(SchemaModel):
    """Username-password login; the password (and security token) come from environment variables."""

    method: Literal["password"]
    username: Username
    password_env: EnvName
    security_token_env: EnvName | None = None


class JwtAuth(SchemaModel):
    """OAuth JWT bearer flow. The private key is a file: ``key_file`` (resolved against the config
    directory) or the path held by the environment variable ``key_file_env``; exactly one is set."""

    method: Literal["jwt"]
    username: Username
    client_id_env: EnvName
    key_file_env: EnvName | None = None
    key_file: FilePath | None = None


class ClientCredentialsAuth(SchemaModel):
    """OAuth client credentials flow; id and secret come from environment variables."""

    method: Literal["client_credentials"]
    client_id_env: EnvName
    client_secret_env: EnvName


Auth = Annotated[
    AccessTokenAuth | PasswordAuth | JwtAuth | ClientCredentialsAuth, Field(discriminator="method")
]
AUTH_METHODS: Mapping[str, type[SchemaModel]] = {
    "access_token": AccessTokenAuth, "password": PasswordAuth, "jwt": JwtAuth,
    "client_credentials": ClientCredentialsAuth,
}
ORG_SOURCES = ("emulator", "sf_alias", "instance_url")


class OrgConfig(SchemaModel):
    """``[orgs.NAME]``: how to reach one org and how entries expand for it.

    Exactly one of ``emulator`` (a seed file, absolute once loaded), ``sf_alias`` or ``instance_url``
    (with ``auth``) is set; ``source`` says which. ``username_suffix`` is appended to every granted
    username; ``vars`` fill ``${var.NAME}`` placeholders. ``protected`` orgs are applied only when named.
    """

    INTERNAL = frozenset({"name", "location"})
    name: str
    location: Location
    emulator: FilePath | None = None
    sf_alias: NonEmpty | None = None
    instance_url: HttpsUrl | None = None
    auth: Auth | None = None
    username_suffix: Str = ""
    tags: tuple[Name, ...] = ()
    protected: Bool = False
    ca_cert: FilePath | None = None
    api_version: ApiVersion = "62.0"
    login_url: HttpsUrl = "https://login.salesforce.com"
    vars: dict[Name, Str] = Field(default_factory=dict)

    @staticmethod
    def valid_name(name: str) -> bool:
        return bool(re.match(_NAME, name))

    @property
    def source(self) -> Literal["emulator", "sf_alias", "instance_url"]:
        if self.emulator is not None:
            return "emulator"
        return "sf_alias" if self.sf_alias is not None else "instance_url"

    def findings(self, root: Path, *, has_auth: bool) -> list[Finding]:
        sources = [key for key in ORG_SOURCES if getattr(self, key) is not None]
        choose = "set exactly one of `emulator`, `sf_alias` or `instance_url`"
        if not sources:
            return [((), "no connection", choose)]
        if len(sources) > 1:
            return [((sources[1],), f"sets both `{sources[0]}` and `{sources[1]}`", choose)]
        found: list[Finding] = []
        if self.instance_url is not None and not has_auth:
            found.append((("instance_url",), "`instance_url` needs `auth`",
                          'add auth = { method = "access_token", token_env = "SF_ACCESS_TOKEN" }'))
        if self.instance_url is None and has_auth:
            message = f"`auth` is used only with `instance_url` (this org uses `{sources[0]}`)"
            found.append((("auth",), message, "remove `auth`"))
        jwt = self.auth if isinstance(self.auth, JwtAuth) else None
        if jwt is not None and (jwt.key_file is None) == (jwt.key_file_env is None):
            found.append((("auth",), "jwt auth needs exactly one of `key_file` and `key_file_env`", ""))
        if self.emulator is not None and not (root / self.emulator).is_file():
            found.append((("emulator",), f"emulator seed file not found: {self.emulator}",
                          f"create it or fix the path; paths are relative to {root}"))
        return found

    def resolved(self, root: Path) -> OrgConfig:
        """This org with every path made absolute against ``root``."""
        update: dict[str, Any] = {key: root / getattr(self, key) for key in ("emulator", "ca_cert")
                                  if getattr(self, key) is not None}
        if isinstance(self.auth, JwtAuth) and self.auth.key_file is not None:
            update["auth"] = self.auth.model_copy(update={"key_file": root / self.auth.key_file})
        return self.model_copy(update=update)


class Entry(SchemaModel):
    """Keys every entry may carry. An entry applies to an org named in ``orgs`` or carrying one of
    ``tags``; with neither, to every org. ``after`` lists addresses applied before this entry's own."""

    INTERNAL = frozenset({"location", "title"})
    KIND: ClassVar[Kind]
    location: Location
    title: str
    orgs: tuple[Name, ...] = ()
    tags: tuple[Name, ...] = ()
    after: tuple[Reference, ...] = ()

    def applies_to(self, org: OrgConfig) -> bool:
        if not self.orgs and not self.tags:
            return True
        return org.name in self.orgs or bool(set(self.tags) & set(org.tags))

    def references(self) -> list[tuple[str, str]]:
        """``(key, address text)`` of every ordering reference: ``after`` and, for apex, ``before``."""
        return [("after", reference) for reference in self.after]

    def findings(self) -> list[Finding]:
        return []

    def target_findings(self, org_tags: Mapping[str, Collection[str]]) -> list[Finding]:
        """Problems with ``orgs`` and ``tags``, given every declared org and the tags it carries."""
        orgs = sorted(org_tags)
        found: list[Finding] = []
        for number, name in enumerate(self.orgs):
            if name not in orgs:
                found.append((("orgs", number), f"unknown org '{name}'" + did_you_mean(name, orgs),
                              "orgs: " + ", ".join(orgs)))
        carried = sorted({tag for tags in org_tags.values() for tag in tags})
        for number, tag in enumerate(self.tags):
            if tag not in carried:
                found.append((("tags", number), f"no org has the tag '{tag}'" + did_you_mean(tag, carried),
                              "tags carried by orgs: " + (", ".join(carried) or "(none)")))
        return found


def _one_of(entry: SchemaModel, keys: tuple[str, ...]) -> list[Finding]:
    given = [key for key in keys if getattr(entry, key) is not None]
    choose = "set exactly one of " + ", ".join(f"`{key}`" for key in keys)
    if not given:
        return [((), "needs one of " + ", ".join(f"`{key}`" for key in keys), choose)]
    if len(given) > 1:
        return [((given[1],), f"sets both `{given[0]}` and `{given[1]}`", choose)]
    return []


def _duplicates(items: tuple[str, ...], key: str, what: str) -> list[Finding]:
    seen: set[str] = set()
    found: list[Finding] = []
    for number, item in enumerate(items):
        if item.casefold() in seen:
            found.append(((key, number), f"duplicate {what} '{item}' in `{key}`", "list each once"))
        seen.add(item.casefold())
    return found


class PicklistValueEntry(SchemaModel):
    """One declared picklist value, written as its name or a table; ``label`` defaults to ``name``."""

    PLURAL: ClassVar[str] = "value names or tables {name, label, default, active}"
    name: NonEmpty
    label: Str = ""
    default: Bool = False
    active: Bool = True

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if not isinstance(data, dict):
            raise ValueError(f"expected a value name or a table {{name, label, default, active}}, "
                             f"got {type_name(data)}")
        return data


class PicklistEntry(Entry):
    """``[[picklist]]``: the values of a custom field, a global or a standard value set."""

    KIND = Kind.PICKLIST
    field: FieldName | None = None
    global_value_set: NonEmpty | None = None
    standard_value_set: NonEmpty | None = None
    values: tuple[PicklistValueEntry, ...] = Field(min_length=1)
    default: NonEmpty | None = None
    sorted: Bool | None = None
    mode: Literal["additive", "exact"] = "additive"

    @property
    def target(self) -> str:
        """``Account.Tier__c``, ``gvs:Regions`` or ``svs:Industry``."""
        if self.global_value_set is not None:
            return f"gvs:{self.global_value_set}"
        if self.standard_value_set is not None:
            return f"svs:{self.standard_value_set}"
        return self.field or ""

    def findings(self) -> list[Finding]:
        found = _one_of(self, ("field", "global_value_set", "standard_value_set"))
        names = tuple(value.name for value in self.values)
        found += _duplicates(names, "values", "value")
        if self.default is not None and self.default not in names:
            found.append((("default",), f"default '{self.default}' is not one of the values"
                          + did_you_mean(self.default, names), "add it to `values` or fix the spelling"))
        marked = {value.name for value in self.values if value.default}
        defaults = sorted(marked | {self.default} if self.default else marked)
        if len(defaults) > 1:
            message = "a picklist has at most one default; this one has " + " and ".join(map(repr, defaults))
            found.append((("default",) if self.default else ("values",), message, "keep one default"))
        return found


class LayoutAssignmentEntry(Entry):
    """``[[layout_assignment]]``: the layout profiles see for an object and record type ("" = master)."""

    KIND = Kind.LAYOUT_ASSIGNMENT
    profiles: tuple[Annotated[Segment, _NON_EMPTY], ...] | None = Field(default=None, min_length=1)
    profile: Annotated[Segment, _NON_EMPTY] | None = None
    object: Annotated[Segment, _NON_EMPTY]
    record_type: Segment = ""
    layout: NonEmpty

    @property
    def profile_names(self) -> tuple[str, ...]:
        return self.profiles if self.profiles is not None else ((self.profile,) if self.profile else ())

    def findings(self) -> list[Finding]:
        found = _one_of(self, ("profiles", "profile"))
        return found + _duplicates(self.profiles or (), "profiles", "profile")


class PermissionSetGrantEntry(Entry):
    """``[[permission_set_grant]]``: a permission set (or group) granted to users. ``exclusive`` revokes
    it from users not listed; ``expires`` sets the assignment's expiration date."""

    KIND = Kind.PERMISSION_SET_GRANT
    permission_set: NonEmpty | None = None
    permission_set_group: NonEmpty | None = None
    users: tuple[Username, ...] = Field(min_length=1)
    exclusive: Bool = False
    expires: PlainDate | None = None

    @property
    def assignable(self) -> str:
        """``Sales_Ops`` or ``group:Sales_Bundle`` (placeholders not yet substituted)."""
        if self.permission_set_group is not None:
            return f"group:{self.permission_set_group}"
        return self.permission_set or ""

    def findings(self) -> list[Finding]:
        return (_one_of(self, ("permission_set", "permission_set_group"))
                + _duplicates(self.users, "users", "user"))


class ApexEntry(Entry):
    """``[[apex]]``: an anonymous Apex script and when it runs. Once loaded, ``file`` is relative to the
    config directory (posix form), ``body`` is the script and ``sha256`` the hash of ``body``."""

    KIND = Kind.APEX
    INTERNAL = frozenset({"location", "title", "body", "sha256"})
    name: Name
    file: NonEmpty
    run: Literal["once", "on_change", "always"] = "once"
    before: tuple[Reference, ...] = ()
    body: str = ""
    sha256: str = ""

    def references(self) -> list[tuple[str, str]]:
        return super().references() + [("before", reference) for reference in self.before]


AnyEntry = PicklistEntry | LayoutAssignmentEntry | PermissionSetGrantEntry | ApexEntry
ENTRY_TYPES: Mapping[str, type[AnyEntry]] = {
    "picklist": PicklistEntry, "layout_assignment": LayoutAssignmentEntry,
    "permission_set_grant": PermissionSetGrantEntry, "apex": ApexEntry,
}
