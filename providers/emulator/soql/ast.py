"""The parsed form of a SOQL query: plain frozen dataclasses, no behaviour beyond small accessors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from providers.emulator.soql.types import Pos

LiteralValue = str | float | int | bool | dt.date | dt.datetime | None


@dataclass(frozen=True)
class FieldPath:
    """`Assignee.Username` as written: parts in query spelling, position of the first part."""

    parts: tuple[str, ...]
    pos: Pos

    @property
    def dotted(self) -> str:
        """The path as written, joined with dots."""
        return ".".join(self.parts)


@dataclass(frozen=True)
class Literal:
    """A value in a WHERE clause. `kind` is string, number, date, datetime, date_literal (TODAY,
    YESTERDAY, TOMORROW; `value` holds the upper-cased name), boolean or null. `raw` is the source text
    (a string literal keeps its quotes and escapes, which LIKE needs)."""

    kind: str
    value: LiteralValue
    raw: str
    pos: Pos


@dataclass(frozen=True)
class Comparison:
    """`path op value` with op one of = != < > <= >= (`<>` is read as `!=`)."""

    path: FieldPath
    op: str
    value: Literal


@dataclass(frozen=True)
class InList:
    """`path [NOT] IN (v1, v2, ...)`."""

    path: FieldPath
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class SemiJoin:
    """The inner query of `path [NOT] IN (SELECT field FROM sobject [WHERE ...])`."""

    field: FieldPath
    sobject: str
    sobject_pos: Pos
    where: Condition | None


@dataclass(frozen=True)
class InQuery:
    """`path [NOT] IN (SELECT ...)`."""

    path: FieldPath
    query: SemiJoin
    negated: bool


@dataclass(frozen=True)
class Like:
    """`path LIKE 'pattern'`; the pattern is a string literal."""

    path: FieldPath
    pattern: Literal


@dataclass(frozen=True)
class Not:
    """`NOT condition`."""

    operand: Condition


@dataclass(frozen=True)
class And:
    """Two or more conditions joined by AND."""

    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    """Two or more conditions joined by OR."""

    operands: tuple[Condition, ...]


Condition = Comparison | InList | InQuery | Like | Not | And | Or


@dataclass(frozen=True)
class OrderItem:
    """One ORDER BY key. Salesforce's default null placement: first when ascending, last when
    descending."""

    path: FieldPath
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class CountAll:
    """`COUNT()`: the query returns only a total size."""

    pos: Pos


@dataclass(frozen=True)
class CountField:
    """`COUNT(field) [alias]`: one AggregateResult row whose key is the alias or `expr0`."""

    path: FieldPath
    alias: str | None


@dataclass(frozen=True)
class Subquery:
    """A child relationship subquery in the select list."""

    relationship: str
    pos: Pos
    fields: tuple[FieldPath, ...]
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None


SelectItem = FieldPath | CountAll | CountField | Subquery


@dataclass(frozen=True)
class Query:
    """A parsed SELECT statement; `text` is the original query, used to quote it in errors."""

    text: str
    select: tuple[SelectItem, ...]
    sobject: str
    sobject_pos: Pos
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None

    @property
    def is_count(self) -> bool:
        """True for `SELECT COUNT() FROM ...`."""
        return any(isinstance(item, CountAll) for item in self.select)
