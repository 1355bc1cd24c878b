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
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, PlainValidator, SerializeAsAny
from pydantic_core import core_schema

#: A resource kind's name (``picklist``, ``layout_assignment``, ...). Kinds are plug-ins: each module of
#: ``reconcile/kinds`` defines one, and its resource model registers the name here (see ``Resource``).
Kind = str


@dataclass(frozen=True, slots=True, order=True)
class Address:
    """``kind:key``; hashable, ordered, and a pydantic field that (de)serializes as its string."""

    kind: Kind
    key: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"

    @classmethod
    def parse(cls, text: str) -> Address:
        """``kind:key`` for a registered kind; a ``ValueError`` says what is wrong otherwise."""
        kind, sep, key = text.partition(":")
        if not sep or not key:
            raise ValueError(f"not an address: {text!r} (expected kind:key, e.g. picklist:Account.Tier__c)")
        if kind not in _RESOURCE_TYPES:
            kinds = ", ".join(_RESOURCE_TYPES)
            raise ValueError(f"unknown kind {kind!r} in address {text!r} (kinds: {kinds})")
        return cls(kind, key)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any) -> Address:
            if isinstance(value, Address):
                return value
            if isinstance(value, str):
                return cls.parse(value)
            raise ValueError("an address must be a string kind:key")

        return core_schema.no_info_plain_validator_function(validate, serialization=core_schema.to_string_ser_schema())


def canonical_json(data: Any) -> str:
    """Deterministic JSON used for digests and fingerprints."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(text: str | bytes) -> str:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(raw).hexdigest()


class Frozen(BaseModel):
    """The base of every plain-data model: immutable, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


#: Resource models by kind name, in registration order (the order kinds are listed in messages).
_RESOURCE_TYPES: dict[str, type[Resource]] = {}


class Resource(Frozen):
    """Base of every resource. A subclass declares ``kind: Literal["name"] = "name"`` and ``key``, and is
    registered with ``register_resource`` (the kind registry does that), so ``resource_from_attributes``
    and the ``before``/``after`` of a ``Change`` can rebuild it from JSON."""

    ids: dict[str, str] = Field(default_factory=dict)

    @property
    def key(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def kind_name(self) -> Kind:
        return str(getattr(self, "kind"))  # noqa: B009 (subclasses define kind)

    @property
    def address(self) -> Address:
        return Address(self.kind_name, self.key)

    def attributes(self) -> dict[str, Any]:
        """The comparable, JSON-safe form: everything but ``ids`` and ``kind``."""
        return self.model_dump(mode="json", exclude={"ids", "kind"})

    def fingerprint(self) -> str:
        return sha256_hex(canonical_json(self.attributes()))


def known_kinds() -> tuple[Kind, ...]:
    """Every registered kind name, in registration order."""
    return tuple(_RESOURCE_TYPES)


def resource_type(kind: Kind) -> type[Resource]:
    """The resource model of ``kind``; ``ValueError`` for a kind nobody registered."""
    try:
        return _RESOURCE_TYPES[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r} (kinds: {', '.join(_RESOURCE_TYPES)})") from None


def register_resource(kind: Kind, model: type[Resource]) -> None:
    """Make ``model`` the resource of ``kind`` (kinds are listed in the order they were registered)."""
    _RESOURCE_TYPES[kind] = model


def unregister_kind(kind: Kind) -> None:
    """Forget a resource model (for kinds registered only for a while, such as a test's)."""
    _RESOURCE_TYPES.pop(kind, None)


def resource_from_attributes(kind: Kind, attributes: dict[str, Any]) -> Resource:
    """Rebuild a resource from its ``attributes()`` (state and saved plans store that form)."""
    return resource_type(kind).model_validate({**attributes, "kind": kind})


def _any_resource(value: Any) -> Resource:
    if isinstance(value, Resource):
        return value
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
        raise ValueError("a resource must be a table with a `kind`")
    return resource_type(value["kind"]).model_validate(value)


#: A field holding a resource of any registered kind: validated by its ``kind``, serialized as itself.
AnyResource = Annotated[SerializeAsAny[Resource], PlainValidator(_any_resource)]


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


class ValueChange(Frozen):
    """Value-level detail of a picklist change."""

    value: str
    change: Literal["add", "relabel", "default", "undefault", "deactivate", "reactivate"]
    before: str | None = None
    after: str | None = None


class Change(Frozen):
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


class ChangeResult(Frozen):
    """What a provider did with one change. ``resource`` is the live resource afterwards, if known."""

    address: Address
    ok: bool
    message: str = ""
    code: str = ""
    ids: dict[str, str] = Field(default_factory=dict)
    resource: AnyResource | None = None


def live_fingerprint(resource: Resource | None) -> str:
    return resource.fingerprint() if resource is not None else "absent"
