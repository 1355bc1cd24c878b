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
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, Strict

from reconcile.config.source import KeyPath
from reconcile.errors import Location, Problem, did_you_mean
from reconcile.model import Address, Frozen
from state.settings import StateSettings

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
        raise ValueError(
            f"{value!r} is not a custom field (custom field names end in __c); "
            "for a standard picklist such as Industry use standard_value_set"
        )
    return value


def _reference(value: str) -> str:
    Address.parse(value)
    return value


def _plain_date(value: Any) -> Any:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError("must be a TOML date such as 2025-12-31 (no quotes, no time)")
    return value


NON_EMPTY = _matching(r"\S", "must not be empty", quote=False)
Str = Annotated[str, Strict()]
Bool = Annotated[bool, Strict()]
NonEmpty = Annotated[str, Strict(), NON_EMPTY]
Name = Annotated[str, Strict(), _matching(_NAME, "may use only letters, digits, '-' and '_'")]
# an environment variable name may hold a pasted secret by mistake: never repeat the value
EnvName = Annotated[
    str,
    Strict(),
    _matching(
        r"^[A-Za-z_][A-Za-z0-9_]*$",
        "must name an environment variable (letters, digits and '_', e.g. SF_TOKEN)",
        quote=False,
    ),
]
Segment = Annotated[str, Strict(), _matching(r"^[^/]*$", "must not contain '/' (it separates the parts of an address)")]
FieldName = Annotated[str, Strict(), AfterValidator(_field_name)]
Username = Annotated[
    str,
    Strict(),
    _matching("@", "is not a username (usernames look like email addresses: bob@acme.com)", placeholders=True),
]
HttpsUrl = Annotated[str, Strict(), _matching(r"^https://", "must be an https:// URL")]
ApiVersion = Annotated[str, Strict(), _matching(r"^\d{2,3}\.0$", "must look like '62.0'")]
Reference = Annotated[str, Strict(), AfterValidator(_reference)]
PlainDate = Annotated[date, BeforeValidator(_plain_date)]
FilePath = Annotated[Path, BeforeValidator(lambda text: NON_EMPTY.func(text) if isinstance(text, str) else text)]


class SchemaModel(Frozen):
    """A table of the configuration. ``user_keys()`` are the keys TOML may set.

    The class variables document the table for the JSON Schema and the configuration reference:
    ``DESCRIPTION`` of the table, ``KEY_DOCS`` and ``EXAMPLES`` per user key, ``EXACTLY_ONE`` keys of
    which one must be set, ``CONSTRAINTS`` extra JSON Schema keywords per key (``items`` merges into a
    list's item schema).
    """

    INTERNAL: ClassVar[frozenset[str]] = frozenset()
    DESCRIPTION: ClassVar[str] = ""
    KEY_DOCS: ClassVar[Mapping[str, str]] = {}
    EXAMPLES: ClassVar[Mapping[str, Any]] = {}
    EXACTLY_ONE: ClassVar[tuple[str, ...]] = ()
    CONSTRAINTS: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    #: Models of tables nested in this one (documented beside it), and per list key an alternative
    #: item schema (a picklist value may be a plain name instead of a table).
    SUBTABLES: ClassVar[tuple[type[SchemaModel], ...]] = ()
    SCHEMA_ITEMS: ClassVar[Mapping[str, Mapping[str, Any]]] = {}

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


Auth = Annotated[AccessTokenAuth | PasswordAuth | JwtAuth | ClientCredentialsAuth, Field(discriminator="method")]
AUTH_METHODS: Mapping[str, type[SchemaModel]] = {
    "access_token": AccessTokenAuth,
    "password": PasswordAuth,
    "jwt": JwtAuth,
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
            found.append(
                (
                    ("instance_url",),
                    "`instance_url` needs `auth`",
                    'add auth = { method = "access_token", token_env = "SF_ACCESS_TOKEN" }',
                )
            )
        if self.instance_url is None and has_auth:
            message = f"`auth` is used only with `instance_url` (this org uses `{sources[0]}`)"
            found.append((("auth",), message, "remove `auth`"))
        jwt = self.auth if isinstance(self.auth, JwtAuth) else None
        if jwt is not None and (jwt.key_file is None) == (jwt.key_file_env is None):
            found.append((("auth",), "jwt auth needs exactly one of `key_file` and `key_file_env`", ""))
        if self.emulator is not None and not (root / self.emulator).is_file():
            found.append(
                (
                    ("emulator",),
                    f"emulator seed file not found: {self.emulator}",
                    f"create it or fix the path; paths are relative to {root}",
                )
            )
        return found

    def connection_findings(self, root: Path) -> list[Finding]:
        """Files this org needs only to connect (a JWT key). ``validate`` reports them; ``plan`` and
        ``apply`` go on without this org, which fails alone when it connects."""
        jwt = self.auth if isinstance(self.auth, JwtAuth) else None
        if jwt is not None and jwt.key_file is not None and not (root / jwt.key_file).is_file():
            return [
                (
                    ("auth", "key_file"),
                    f"jwt key file not found: {jwt.key_file}",
                    f"fix the path (relative to {root}); a key that exists only where the org is connected "
                    "(a CI secret) is named with `key_file_env` instead",
                )
            ]
        return []

    def resolved(self, root: Path) -> OrgConfig:
        """This org with every path made absolute against ``root``."""
        update: dict[str, Any] = {
            key: root / getattr(self, key) for key in ("emulator", "ca_cert") if getattr(self, key) is not None
        }
        if isinstance(self.auth, JwtAuth) and self.auth.key_file is not None:
            update["auth"] = self.auth.model_copy(update={"key_file": root / self.auth.key_file})
        return self.model_copy(update=update)


class EntryFiles(Protocol):
    """How an entry reads the files it names (the loader implements it): ``read`` returns the file's
    path relative to the configuration directory (posix form) and its text, or None after reporting
    why not (outside the directory, missing, not UTF-8); ``problem`` reports anything else about a key."""

    def read(self, key: str, path: str) -> tuple[str, str] | None: ...

    def problem(self, key: str, message: str, hint: str = "") -> None: ...


class Entry(SchemaModel):
    """Keys every entry may carry. An entry applies to an org named in ``orgs`` or carrying one of
    ``tags``; with neither, to every org. ``after`` lists addresses applied before this entry's own."""

    INTERNAL = frozenset({"location", "title"})
    #: The keys every entry accepts, documented once here (an entry model's own ``KEY_DOCS`` add to them).
    KEY_DOCS = {
        "orgs": "Apply this entry only to these orgs. With `tags` too, an org named here or carrying one of the "
        "tags is chosen. With neither, the entry applies to every org.",
        "tags": "Apply this entry only to orgs carrying one of these tags (see `orgs`).",
        "after": "Addresses (`kind:key`) to apply before this entry's resources, e.g. `picklist:Account.Tier__c`. "
        "`permission_set_grant:Sales_Ops` means every grant of that permission set in the org. "
        "An address absent from an org is ignored there.",
    }
    EXAMPLES = {"orgs": ["uat", "prod"], "tags": ["sandbox"], "after": ["picklist:Account.Tier__c"]}
    CONSTRAINTS = {"orgs": {"items": {"pattern": _NAME}}, "tags": {"items": {"pattern": _NAME}}}
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

    def load_files(self, files: EntryFiles) -> Entry | None:
        """This entry with the files it names read (their problems reported through ``files``); None
        when one cannot be read. Entries that name no file return themselves."""
        return self

    def target_findings(self, org_tags: Mapping[str, Collection[str]]) -> list[Finding]:
        """Problems with ``orgs`` and ``tags``, given every declared org and the tags it carries."""
        orgs = sorted(org_tags)
        found: list[Finding] = []
        for number, name in enumerate(self.orgs):
            if name not in orgs:
                found.append(
                    (("orgs", number), f"unknown org '{name}'" + did_you_mean(name, orgs), "orgs: " + ", ".join(orgs))
                )
        carried = sorted({tag for tags in org_tags.values() for tag in tags})
        for number, tag in enumerate(self.tags):
            if tag not in carried:
                found.append(
                    (
                        ("tags", number),
                        f"no org has the tag '{tag}'" + did_you_mean(tag, carried),
                        "tags carried by orgs: " + (", ".join(carried) or "(none)"),
                    )
                )
        return found


def one_of(entry: SchemaModel, keys: tuple[str, ...]) -> list[Finding]:
    given = [key for key in keys if getattr(entry, key) is not None]
    choose = "set exactly one of " + ", ".join(f"`{key}`" for key in keys)
    if not given:
        return [((), "needs one of " + ", ".join(f"`{key}`" for key in keys), choose)]
    if len(given) > 1:
        return [((given[1],), f"sets both `{given[0]}` and `{given[1]}`", choose)]
    return []


def duplicates(items: tuple[str, ...], key: str, what: str) -> list[Finding]:
    seen: set[str] = set()
    found: list[Finding] = []
    for number, item in enumerate(items):
        if item.casefold() in seen:
            found.append(((key, number), f"duplicate {what} '{item}' in `{key}`", "list each once"))
        seen.add(item.casefold())
    return found


class Config(BaseModel):
    """A loaded, validated configuration. Immutable; expand it per org with ``reconcile.config.expand``.

    ``root`` is the absolute configuration directory; ``files`` the TOML files read, in merge order;
    ``digest`` a sha256 over every TOML and apex file (by relative name), which changes whenever any
    input changes. ``entries`` lists every entry in declaration order (files by name, then line).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    files: tuple[Path, ...]
    root: Path
    digest: str
    version: int = 1
    state: StateSettings
    orgs: dict[str, OrgConfig]
    entries: tuple[Entry, ...] = ()
    #: Problems that stop only one org from connecting (a missing JWT key file): ``validate`` reports them.
    connection_problems: tuple[Problem, ...] = ()
    #: Expansions made while the configuration was checked, each handed out once by ``expand`` (a plan
    #: would otherwise expand every org twice: once to check it, once to plan it).
    _expanded: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def state_path(self) -> Path:
        return self.state.state_path

    def entries_of(self, kind: type[Entry]) -> tuple[Entry, ...]:
        return tuple(entry for entry in self.entries if isinstance(entry, kind))
