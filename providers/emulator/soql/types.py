"""Types shared by the SOQL parser and evaluator: schema description, data access, errors, results.

`providers.emulator.soql` re-exports everything here; import from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Protocol

TEXT_TYPES = frozenset(
    {
        "string",
        "picklist",
        "multipicklist",
        "textarea",
        "email",
        "phone",
        "url",
        "combobox",
        "encryptedstring",
    }
)
"""Field types compared case-insensitively, as Salesforce compares text."""

ID_TYPES = frozenset({"id", "reference"})
"""Field types holding record ids: compared on their case-sensitive 15-character form."""

NUMBER_TYPES = frozenset({"int", "double", "currency", "percent", "long"})


class SoqlError(Exception):
    """A query Salesforce would reject; `code` is the REST errorCode, `message` its message text.

    Codes used: MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, INVALID_QUERY_FILTER_OPERATOR,
    NUMBER_OUTSIDE_VALID_RANGE.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Pos:
    """A 1-based position (row, column) in the query text."""

    line: int
    column: int


def positioned_error(code: str, text: str, pos: Pos, detail: str) -> SoqlError:
    """Build an error whose message quotes the offending row with a caret, as Salesforce does:
    "\\n<row>\\n<spaces>^\\nERROR at Row:R:Column:C\\n<detail>"."""
    rows = text.split("\n")
    row = rows[pos.line - 1] if 0 < pos.line <= len(rows) else ""
    caret = " " * (pos.column - 1) + "^"
    return SoqlError(code, f"\n{row}\n{caret}\nERROR at Row:{pos.line}:Column:{pos.column}\n{detail}")


@dataclass(frozen=True)
class FieldInfo:
    """One field of an sObject. `name` is the schema spelling; `type` is one of id, string, boolean,
    date, datetime, picklist, reference, textarea, int, double, anyType (stored JSON, returned as is)."""

    name: str
    type: str


@dataclass(frozen=True)
class ParentRel:
    """A lookup: `name` is the relationship (Assignee), `field` the id field (AssigneeId), `target` the
    sObject it points to (User)."""

    name: str
    field: str
    target: str


@dataclass(frozen=True)
class ChildRel:
    """A child relationship: `name` (PermissionSetAssignments) lists the `child` sObject rows whose
    `field` (AssigneeId) holds the parent's Id."""

    name: str
    child: str
    field: str


def _lookup(mapping: Mapping[str, Any], name: str) -> Any:
    """Case-insensitive lookup in a mapping expected to have lower-cased keys."""
    found = mapping.get(name.lower())
    if found is not None:
        return found
    wanted = name.lower()
    return next((value for key, value in mapping.items() if key.lower() == wanted), None)


@dataclass(frozen=True)
class ObjectSchema:
    """What SOQL may reference on one sObject. The mappings are keyed by lower-cased name."""

    name: str
    fields: Mapping[str, FieldInfo]
    parents: Mapping[str, ParentRel] = dc_field(default_factory=dict)
    children: Mapping[str, ChildRel] = dc_field(default_factory=dict)

    @classmethod
    def of(
        cls,
        name: str,
        fields: Iterable[FieldInfo],
        parents: Iterable[ParentRel] = (),
        children: Iterable[ChildRel] = (),
    ) -> ObjectSchema:
        """Build a schema, keying each mapping by the lower-cased name."""
        return cls(
            name=name,
            fields={info.name.lower(): info for info in fields},
            parents={rel.name.lower(): rel for rel in parents},
            children={rel.name.lower(): rel for rel in children},
        )

    def field(self, name: str) -> FieldInfo | None:
        """The field called `name` (any case), or None."""
        found: FieldInfo | None = _lookup(self.fields, name)
        return found

    def parent(self, name: str) -> ParentRel | None:
        """The parent relationship called `name` (any case), or None."""
        found: ParentRel | None = _lookup(self.parents, name)
        return found

    def child(self, name: str) -> ChildRel | None:
        """The child relationship called `name` (any case), or None."""
        found: ChildRel | None = _lookup(self.children, name)
        return found


class Database(Protocol):
    """Read access the evaluator needs. Rows use the schema's field spelling and always carry `Id`;
    a key missing from a row reads as null."""

    def schema(self, sobject: str) -> ObjectSchema | None:
        """The schema of `sobject` (any case), or None when the type is not queryable here."""
        ...

    def rows(self, sobject: str) -> Iterable[Mapping[str, Any]]:
        """Every row of `sobject` (named as its schema names it), in a stable order."""
        ...

    def get(self, sobject: str, record_id: str) -> Mapping[str, Any] | None:
        """The row of `sobject` with this Id (15 or 18 characters), or None."""
        ...


@dataclass
class QueryResult:
    """Records in Salesforce JSON shape. `total_size` is the number of rows the query returns (after
    LIMIT/OFFSET); `is_count` marks `SELECT COUNT()`, whose `records` is empty."""

    records: list[dict[str, Any]]
    total_size: int
    is_count: bool = False
