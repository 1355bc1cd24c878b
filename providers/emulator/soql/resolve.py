"""Name resolution against the schema, value access through parent lookups, and value comparison keys.

Errors use Salesforce's wording: INVALID_TYPE for an unknown sObject or child relationship,
INVALID_FIELD for an unknown column or parent relationship, each quoting the query with a caret.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from providers.emulator.soql.ast import FieldPath
from providers.emulator.soql.parse import parse_datetime
from providers.emulator.soql.types import (
    ID_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    ChildRel,
    Database,
    FieldInfo,
    ObjectSchema,
    ParentRel,
    Pos,
    SoqlError,
    positioned_error,
)

_REFERENCE_NOTE = "Please reference your WSDL or the describe call for the appropriate names."
Row = Mapping[str, Any]
KeyFn = Callable[[Any], Any]


@dataclass(frozen=True)
class ResolvedPath:
    """A field path checked against the schema: the parent hops to walk, the sObject each hop reaches
    (schema spelling), and the final field."""

    path: FieldPath
    hops: tuple[ParentRel, ...]
    targets: tuple[str, ...]
    field: FieldInfo


def id15(value: Any) -> str | None:
    """The case-sensitive 15-character form of a record id, or None for null/blank."""
    if value is None or value == "":
        return None
    return str(value)[:15]


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    text = str(value)
    if "T" not in text:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    return parse_datetime(text)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _text_key(value: Any) -> Any:
    return str(value).casefold() if isinstance(value, str) else value


def comparison_key(field_type: str, *, by_day: bool = False) -> KeyFn:
    """A function turning a stored value of this field type into a comparable key (None stays None,
    and so does blank text: Salesforce stores no empty strings). Text compares case-insensitively,
    ids on their 15-character form; `by_day` reduces datetimes to their UTC date (for TODAY etc.)."""
    base = _base_key(field_type, by_day)

    def key(value: Any) -> Any:
        if value is None or value == "":
            return None
        return base(value)

    return key


def _base_key(field_type: str, by_day: bool) -> KeyFn:
    if field_type in TEXT_TYPES:
        return lambda value: str(value).casefold()
    if field_type in ID_TYPES:
        return id15
    if field_type in NUMBER_TYPES:
        return float
    if field_type == "boolean":
        return bool
    if field_type == "date":
        return _as_date
    if field_type == "datetime":
        return _as_date if by_day else _as_datetime
    if field_type == "anyType":
        return lambda value: value
    return _text_key


class Resolver:
    """Resolves names for one query and reads values, caching parent lookups for the query's duration."""

    def __init__(self, db: Database, text: str) -> None:
        self.db = db
        self.text = text
        self._parents: dict[tuple[str, str], Row | None] = {}

    def error(self, code: str, pos: Pos, detail: str) -> SoqlError:
        """A positioned SoqlError for this query."""
        return positioned_error(code, self.text, pos, detail)

    def schema(self, name: str, pos: Pos) -> ObjectSchema:
        """The schema of sObject `name`, or INVALID_TYPE."""
        schema = self.db.schema(name)
        if schema is None:
            detail = (
                f"sObject type '{name}' is not supported. If you are attempting to use a custom object, "
                f"be sure to append the '__c' after the entity name. {_REFERENCE_NOTE}"
            )
            raise self.error("INVALID_TYPE", pos, detail)
        return schema

    def child(self, schema: ObjectSchema, name: str, pos: Pos) -> tuple[ChildRel, ObjectSchema]:
        """The child relationship `name` of `schema` and the child's schema, or INVALID_TYPE."""
        relation = schema.child(name)
        child_schema = self.db.schema(relation.child) if relation is not None else None
        if relation is None or child_schema is None:
            detail = (
                f"Didn't understand relationship '{name}' in FROM part of query call. If you are attempting "
                f"to use a custom relationship, be sure to append the '__r' after the custom relationship "
                f"name. {_REFERENCE_NOTE}"
            )
            raise self.error("INVALID_TYPE", pos, detail)
        return relation, child_schema

    def path(self, schema: ObjectSchema, path: FieldPath) -> ResolvedPath:
        """Resolve `path` from `schema`, or INVALID_FIELD."""
        hops: list[ParentRel] = []
        targets: list[str] = []
        current = schema
        for name in path.parts[:-1]:
            relation = current.parent(name)
            target = self.db.schema(relation.target) if relation is not None else None
            if relation is None or target is None:
                raise self.error("INVALID_FIELD", path.pos, _relationship_detail(name))
            hops.append(relation)
            targets.append(target.name)
            current = target
        info = current.field(path.parts[-1])
        if info is None:
            raise self.error("INVALID_FIELD", path.pos, _column_detail(path.parts[-1], current.name))
        return ResolvedPath(path, tuple(hops), tuple(targets), info)

    def parent(self, record: Row, hop: ParentRel) -> Row | None:
        """The record `hop` points to from `record`, or None when the lookup is null or dangling."""
        parent_id = record.get(hop.field)
        if not parent_id:
            return None
        key = (hop.target, str(parent_id))
        if key not in self._parents:
            self._parents[key] = self.db.get(hop.target, str(parent_id))
        return self._parents[key]

    def read(self, record: Row, resolved: ResolvedPath) -> Any:
        """The value of `resolved` for `record` (None when any lookup on the way is null)."""
        current: Row | None = record
        for hop in resolved.hops:
            current = self.parent(current, hop) if current is not None else None
        return current.get(resolved.field.name) if current is not None else None


def _relationship_detail(name: str) -> str:
    return (
        f"Didn't understand relationship '{name}' in field path. If you are attempting to use a custom "
        f"relationship, be sure to append the '__r' after the custom relationship name. {_REFERENCE_NOTE}"
    )


def _column_detail(name: str, entity: str) -> str:
    return (
        f"No such column '{name}' on entity '{entity}'. If you are attempting to use a custom field, be sure "
        f"to append the '__c' after the custom field name. {_REFERENCE_NOTE}"
    )
