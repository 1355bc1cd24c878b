"""Resources, addresses and changes: the vocabulary every layer shares.

A resource is the desired or live configuration of one addressable thing in one org. It is plain
frozen data. ``attributes()`` is its comparable, JSON-safe form (what state records and what a live
fingerprint hashes); ``ids`` are Salesforce record ids the provider learned while reading and are
never compared.

Addresses are ``kind:key`` and print the same everywhere (plan, state, history, errors, --target):

- ``picklist:Account.Tier__c``, ``picklist:gvs:Regions``, ``picklist:svs:Industry``
- ``layout_assignment:Sales User/Account/Enterprise`` (master record type: ``Sales User/Account``)
- ``permission_set_grant:Sales_Ops/alice@acme.com`` (a group: ``group:Sales_Bundle/alice@acme.com``)
- ``apex:backfill-tiers``
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema


class Kind(StrEnum):
    PICKLIST = "picklist"
    LAYOUT_ASSIGNMENT = "layout_assignment"
    PERMISSION_SET_GRANT = "permission_set_grant"
    APEX = "apex"


#: The order kinds are applied in when nothing else orders them.
KIND_ORDER: tuple[Kind, ...] = (
    Kind.PICKLIST,
    Kind.LAYOUT_ASSIGNMENT,
    Kind.PERMISSION_SET_GRANT,
    Kind.APEX,
)


@dataclass(frozen=True, slots=True, order=True)
class Address:
    """``kind:key``; hashable, ordered, and a pydantic field that (de)serializes as its string."""

    kind: Kind
    key: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.key}"

    @classmethod
    def parse(cls, text: str) -> Address:
        kind, sep, key = text.partition(":")
        if not sep or not key:
            raise ValueError(f"not an address: {text!r} (expected kind:key, e.g. picklist:Account.Tier__c)")
        try:
            return cls(Kind(kind), key)
        except ValueError:
            kinds = ", ".join(k.value for k in Kind)
            raise ValueError(f"unknown kind {kind!r} in address {text!r} (kinds: {kinds})") from None

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any) -> Address:
            if isinstance(value, Address):
                return value
            if isinstance(value, str):
                return cls.parse(value)
            raise ValueError("an address must be a string kind:key")

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.to_string_ser_schema()
        )


def canonical_json(data: Any) -> str:
    """Deterministic JSON used for digests and fingerprints."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(text: str | bytes) -> str:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(raw).hexdigest()


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PicklistValue(_Frozen):
    """One value of a picklist. ``name`` is the API name (Salesforce ``valueName``/``fullName``)."""

    name: str
    label: str = ""
    default: bool = False
    active: bool = True

    def model_post_init(self, __context: Any) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.name)


class Resource(_Frozen):
    """Base of every resource. Subclasses define ``kind`` as a Literal and ``key``."""

    ids: dict[str, str] = Field(default_factory=dict)

    @property
    def key(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def address(self) -> Address:
        return Address(Kind(getattr(self, "kind")), self.key)  # noqa: B009 (subclasses define kind)

    def attributes(self) -> dict[str, Any]:
        """The comparable, JSON-safe form: everything but ``ids`` and ``kind``."""
        return self.model_dump(mode="json", exclude={"ids", "kind"})

    def fingerprint(self) -> str:
        return sha256_hex(canonical_json(self.attributes()))


class Picklist(Resource):
    """A picklist's value set: a custom field (``Account.Tier__c``), a global value set (``gvs:Regions``)
    or a standard value set (``svs:Industry``).

    Read from an org it lists every value, inactive ones included, in the org's order. Desired, it lists
    the declared values; ``mode`` says whether undeclared live values are left alone (``additive``) or
    deactivated (``exact``). ``sorted`` is None when the config does not say.
    """

    kind: Literal["picklist"] = "picklist"
    target: str
    values: tuple[PicklistValue, ...] = ()
    sorted: bool | None = None
    mode: Literal["additive", "exact"] = "additive"

    @property
    def key(self) -> str:
        return self.target

    @property
    def target_type(self) -> Literal["field", "global_value_set", "standard_value_set"]:
        if self.target.startswith("gvs:"):
            return "global_value_set"
        if self.target.startswith("svs:"):
            return "standard_value_set"
        return "field"

    @property
    def target_name(self) -> str:
        """``Account.Tier__c``, or the value set's name without its ``gvs:``/``svs:`` prefix."""
        return self.target.split(":", 1)[1] if ":" in self.target else self.target

    @property
    def default_value(self) -> str | None:
        return next((v.name for v in self.values if v.default), None)


class LayoutAssignment(Resource):
    """Which page layout a profile sees for an object and record type ("" = the master record type)."""

    kind: Literal["layout_assignment"] = "layout_assignment"
    profile: str
    object: str
    record_type: str = ""
    layout: str

    @property
    def key(self) -> str:
        base = f"{self.profile}/{self.object}"
        return f"{base}/{self.record_type}" if self.record_type else base


class PermissionSetGrant(Resource):
    """A PermissionSetAssignment of a permission set (or a permission set group) to one user.

    ``permission_set`` / ``permission_set_group`` are written as users reference them, namespaced ones as
    ``ns__Name``. ``username`` is the org's username (suffix already applied).
    """

    kind: Literal["permission_set_grant"] = "permission_set_grant"
    permission_set: str = ""
    permission_set_group: str = ""
    username: str
    expires: date | None = None

    @property
    def key(self) -> str:
        if self.permission_set_group:
            return f"group:{self.permission_set_group}/{self.username}"
        return f"{self.permission_set}/{self.username}"

    @property
    def assignable(self) -> str:
        """The key part before the username: ``Sales_Ops`` or ``group:Sales_Bundle``."""
        return self.key.rsplit("/", 1)[0]


class ApexScript(Resource):
    """An anonymous Apex script and its run policy. ``body`` is not compared or stored in state."""

    kind: Literal["apex"] = "apex"
    name: str
    file: str
    sha256: str
    run: Literal["once", "on_change", "always"] = "once"
    body: str = ""

    @property
    def key(self) -> str:
        return self.name

    def attributes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"ids", "kind", "body"})


AnyResource = Annotated[
    Picklist | LayoutAssignment | PermissionSetGrant | ApexScript, Field(discriminator="kind")
]

RESOURCE_TYPES: dict[Kind, type[Resource]] = {
    Kind.PICKLIST: Picklist,
    Kind.LAYOUT_ASSIGNMENT: LayoutAssignment,
    Kind.PERMISSION_SET_GRANT: PermissionSetGrant,
    Kind.APEX: ApexScript,
}


def resource_from_attributes(kind: Kind, attributes: dict[str, Any]) -> Resource:
    """Rebuild a resource from its ``attributes()`` (state and saved plans store that form)."""
    return RESOURCE_TYPES[kind].model_validate({**attributes, "kind": kind.value})


class Action(StrEnum):
    """What a change does. ``symbol`` is how the plan prints it."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    FORGET = "forget"
    RUN = "run"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-", "forget": "/", "run": ">"}[self.value]


class ValueChange(_Frozen):
    """Value-level detail of a picklist change."""

    value: str
    change: Literal["add", "relabel", "default", "undefault", "deactivate", "reactivate"]
    before: str | None = None
    after: str | None = None


class Change(_Frozen):
    """One planned change. ``reason`` is for people only and never drives apply.

    ``before`` is the live resource the change was computed from (None if absent), ``after`` the
    resource as it must be afterwards (None for delete/forget, except a picklist delete, whose ``after`` is
    the live value list with the values this tool managed deactivated). ``fingerprint`` hashes ``before`` so a
    saved plan can tell whether the live org moved. For a picklist, ``after`` is the complete value list
    to write (live values merged with the declared ones), so a provider writes it as it is.
    """

    address: Address
    action: Action
    before: AnyResource | None = None
    after: AnyResource | None = None
    reason: str = ""
    details: tuple[ValueChange, ...] = ()
    fingerprint: str = "absent"
    depends_on: tuple[Address, ...] = ()


class ChangeResult(_Frozen):
    """What a provider did with one change. ``resource`` is the live resource afterwards, if known."""

    address: Address
    ok: bool
    message: str = ""
    code: str = ""
    ids: dict[str, str] = Field(default_factory=dict)
    resource: AnyResource | None = None


def live_fingerprint(resource: Resource | None) -> str:
    return resource.fingerprint() if resource is not None else "absent"
