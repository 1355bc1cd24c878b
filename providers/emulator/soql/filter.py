"""WHERE clauses → row predicates.

Each condition is compiled once per query: names are resolved, literals checked against the field type
(Salesforce's "value of filter criterion ..." errors) and turned into comparison keys, and IN lists into
sets, so filtering a table costs one key computation per row and condition.

Semantics, as in Salesforce: text compares case-insensitively (=, !=, IN, LIKE, and ordering); ids on
their 15-character form; `field != x` and `NOT IN` keep rows whose field is null; `<`, `>`, `<=`, `>=`
and LIKE never match null; `'' ` on a text or id field means null.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from providers.emulator.soql.ast import And, Comparison, Condition, InList, InQuery, Like, Literal, Not, Or
from providers.emulator.soql.resolve import ResolvedPath, Resolver, comparison_key
from providers.emulator.soql.types import ID_TYPES, NUMBER_TYPES, TEXT_TYPES, ObjectSchema

Predicate = Callable[[Mapping[str, Any]], bool]

_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_ID_PATTERN = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
_DAY_OFFSETS = {"TODAY": 0, "YESTERDAY": -1, "TOMORROW": 1}
_ACCEPTED_KINDS = {
    "boolean": {"boolean"},
    "date": {"date", "date_literal"},
    "datetime": {"datetime", "date_literal"},
}
_TYPE_WORDS = {"datetime": "dateTime", "int": "integer"}


def always(_: Mapping[str, Any]) -> bool:
    """The predicate of a query without WHERE."""
    return True


def compile_condition(condition: Condition, schema: ObjectSchema, resolver: Resolver) -> Predicate:
    """A predicate over rows of `schema`; raises SoqlError for unknown names or mistyped literals."""
    if isinstance(condition, And):
        parts = [compile_condition(operand, schema, resolver) for operand in condition.operands]
        return lambda row: all(part(row) for part in parts)
    if isinstance(condition, Or):
        parts = [compile_condition(operand, schema, resolver) for operand in condition.operands]
        return lambda row: any(part(row) for part in parts)
    if isinstance(condition, Not):
        inner = compile_condition(condition.operand, schema, resolver)
        return lambda row: not inner(row)
    if isinstance(condition, Comparison):
        return _comparison(condition, schema, resolver)
    if isinstance(condition, InList):
        return _in_list(condition, schema, resolver)
    if isinstance(condition, InQuery):
        return _in_query(condition, schema, resolver)
    return _like(condition, schema, resolver)


def _literal_key(resolved: ResolvedPath, literal: Literal, resolver: Resolver) -> tuple[Any, Callable[[Any], Any]]:
    """Check `literal` against the field's type; return its key and the key function for row values."""
    field_type = resolved.field.type
    _check_literal(resolved, literal, resolver)
    if literal.kind == "date_literal":
        day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=_DAY_OFFSETS[str(literal.value)])
        return day, comparison_key(field_type, by_day=True)
    key = comparison_key(field_type)
    return key(literal.value), key


def filterable(resolved: ResolvedPath, resolver: Resolver) -> ResolvedPath:
    """`resolved`, unless its field holds structured values (anyType), which Salesforce cannot filter."""
    if resolved.field.type == "anyType":
        detail = f"field '{resolved.field.name}' can not be filtered in a query call"
        raise resolver.error("INVALID_FIELD", resolved.path.pos, detail)
    return resolved


def _check_literal(resolved: ResolvedPath, literal: Literal, resolver: Resolver) -> None:
    field_type = resolved.field.type
    if literal.kind == "null":
        return
    quoted = field_type in TEXT_TYPES or field_type in ID_TYPES
    if quoted:
        accepted = {"string"}
    elif field_type in NUMBER_TYPES:
        accepted = {"number"}
    else:
        accepted = _ACCEPTED_KINDS.get(field_type, {literal.kind})
    if literal.kind not in accepted:
        word = _TYPE_WORDS.get(field_type, field_type)
        enclosed = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
        name = resolved.field.name
        detail = f"value of filter criterion for field '{name}' must be of type {word} and {enclosed}"
        raise resolver.error("INVALID_FIELD", literal.pos, detail)
    if field_type in ID_TYPES and literal.value and not _ID_PATTERN.fullmatch(str(literal.value)):
        detail = f"invalid ID field: {literal.value}"
        raise resolver.error("INVALID_QUERY_FILTER_OPERATOR", literal.pos, detail)


def _comparison(condition: Comparison, schema: ObjectSchema, resolver: Resolver) -> Predicate:
    resolved = filterable(resolver.path(schema, condition.path), resolver)
    wanted, key = _literal_key(resolved, condition.value, resolver)
    read = resolver.read
    if condition.op == "=":
        return lambda row: key(read(row, resolved)) == wanted
    if condition.op == "!=":
        return lambda row: key(read(row, resolved)) != wanted
    compare = _ORDERING[condition.op]

    def ordered(row: Mapping[str, Any]) -> bool:
        value = key(read(row, resolved))
        return value is not None and wanted is not None and compare(value, wanted)

    return ordered


def _in_list(condition: InList, schema: ObjectSchema, resolver: Resolver) -> Predicate:
    resolved = filterable(resolver.path(schema, condition.path), resolver)
    pairs = [_literal_key(resolved, literal, resolver) for literal in condition.values]
    key = pairs[0][1]
    wanted = frozenset(wanted for wanted, _ in pairs)
    read = resolver.read
    if condition.negated:
        return lambda row: key(read(row, resolved)) not in wanted
    return lambda row: key(read(row, resolved)) in wanted


def _in_query(condition: InQuery, schema: ObjectSchema, resolver: Resolver) -> Predicate:
    resolved = filterable(resolver.path(schema, condition.path), resolver)
    inner = condition.query
    inner_schema = resolver.schema(inner.sobject, inner.sobject_pos)
    inner_field = resolver.path(inner_schema, inner.field)
    inner_filter = compile_condition(inner.where, inner_schema, resolver) if inner.where else always
    key = comparison_key(resolved.field.type)
    wanted = frozenset(
        key(resolver.read(row, inner_field)) for row in resolver.db.rows(inner_schema.name) if inner_filter(row)
    ) - {None}
    read = resolver.read
    if condition.negated:
        return lambda row: key(read(row, resolved)) not in wanted
    return lambda row: key(read(row, resolved)) in wanted


def like_regex(raw: str) -> re.Pattern[str]:
    """The regular expression of a LIKE pattern given as a quoted literal: `%` any run, `_` one
    character, `\\%` and `\\_` themselves; matched whole and case-insensitively."""
    body = raw[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            escaped = body[index + 1]
            out.append(re.escape({"n": "\n", "t": "\t", "r": "\r"}.get(escaped, escaped)))
            index += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _like(condition: Like, schema: ObjectSchema, resolver: Resolver) -> Predicate:
    resolved = filterable(resolver.path(schema, condition.path), resolver)
    pattern = like_regex(condition.pattern.raw)
    read = resolver.read

    def matches(row: Mapping[str, Any]) -> bool:
        value = read(row, resolved)
        return value is not None and pattern.fullmatch(str(value)) is not None

    return matches
