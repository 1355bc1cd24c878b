"""SOQL text → `Query`, with the lark grammar in soql.lark.

Syntax errors become `SoqlError("MALFORMED_QUERY", ...)` quoting the row with a caret and ending
"unexpected token: 'X'" ('<EOF>' at the end of the text), as Salesforce words them.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.exceptions import VisitError

from providers.emulator.soql.ast import (
    And,
    Comparison,
    Condition,
    CountAll,
    CountField,
    FieldPath,
    InList,
    InQuery,
    Like,
    Literal,
    Not,
    Or,
    OrderItem,
    Query,
    SelectItem,
    SemiJoin,
    Subquery,
)
from providers.emulator.soql.types import Pos, SoqlError, positioned_error

MAX_OFFSET = 2000

_ESCAPES = {
    "n": "\n", "t": "\t", "b": "\b", "f": "\f", "r": "\r", '"': '"', "'": "'", "\\": "\\", "%": "%", "_": "_",
}  # fmt: skip


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("soql.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", maybe_placeholders=True, propagate_positions=False)


def _pos(token: Token) -> Pos:
    return Pos(token.line or 1, token.column or 1)


def unescape(raw: str, pos: Pos, text: str) -> str:
    """The value of a quoted SOQL string literal (`raw` includes the quotes). `\\%` and `\\_` read as
    `%` and `_`; the LIKE evaluator works from `raw` to keep them literal."""
    body = raw[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        escaped = body[index + 1 : index + 2]
        replacement = _ESCAPES.get(escaped.lower() if escaped in "NTBFR" else escaped)
        if replacement is None:
            detail = f"Invalid string literal '{raw}'. Illegal character sequence '\\{escaped}' in string literal."
            raise positioned_error("MALFORMED_QUERY", text, pos, detail)
        out.append(replacement)
        index += 2
    return "".join(out)


def parse_datetime(raw: str) -> dt.datetime:
    """An ISO-8601 datetime with Z, +hh:mm or +hhmm offset; always timezone-aware."""
    value = raw.replace("Z", "+00:00")
    if len(value) >= 5 and value[-5] in "+-" and value[-3] != ":":
        value = f"{value[:-2]}:{value[-2:]}"
    return dt.datetime.fromisoformat(value)


class _ToAst(Transformer[Token, Any]):
    """Builds the AST bottom-up. Optional clauses are returned tagged so `start` can place them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def _literal(self, token: Token) -> Literal:
        pos, raw = _pos(token), str(token)
        kind = token.type
        if kind == "STRING":
            return Literal("string", unescape(raw, pos, self._text), raw, pos)
        if kind == "SIGNED_NUMBER":
            number = float(raw) if "." in raw else int(raw)
            return Literal("number", number, raw, pos)
        if kind in ("TRUE", "FALSE"):
            return Literal("boolean", kind == "TRUE", raw, pos)
        if kind == "NULL":
            return Literal("null", None, raw, pos)
        if kind == "DATE_LITERAL":
            return Literal("date_literal", raw.upper(), raw, pos)
        return self._date_literal(kind, raw, pos)

    def _date_literal(self, kind: str, raw: str, pos: Pos) -> Literal:
        try:
            if kind == "DATE":
                return Literal("date", dt.date.fromisoformat(raw), raw, pos)
            return Literal("datetime", parse_datetime(raw), raw, pos)
        except ValueError:
            raise positioned_error("MALFORMED_QUERY", self._text, pos, f"unexpected token: '{raw}'") from None

    def field_path(self, names: list[Token]) -> FieldPath:
        return FieldPath(tuple(str(name) for name in names), _pos(names[0]))

    def select_list(self, items: list[SelectItem]) -> tuple[SelectItem, ...]:
        return tuple(items)

    def sub_fields(self, items: list[FieldPath]) -> tuple[FieldPath, ...]:
        return tuple(items)

    def count_all(self, _: list[Any]) -> CountAll:
        return CountAll(Pos(1, 1))

    def count_field(self, children: list[Any]) -> CountField:
        path, alias = children
        return CountField(path, str(alias) if alias is not None else None)

    def subquery(self, children: list[Any]) -> Subquery:
        fields, relationship, *clauses = children
        tagged = dict(clauses)
        return Subquery(
            relationship=str(relationship),
            pos=_pos(relationship),
            fields=fields,
            where=tagged.get("where"),
            order_by=tagged.get("order_by", ()),
            limit=tagged.get("limit"),
        )

    def where(self, children: list[Condition]) -> tuple[str, Condition]:
        return ("where", children[0])

    def and_cond(self, operands: list[Condition]) -> And:
        return And(tuple(operands))

    def or_cond(self, operands: list[Condition]) -> Or:
        return Or(tuple(operands))

    def not_cond(self, children: list[Any]) -> Not:
        return Not(children[-1])

    def comparison(self, children: list[Any]) -> Comparison:
        path, operator, value = children
        op = "!=" if str(operator) == "<>" else str(operator)
        return Comparison(path, op, self._literal(value))

    def in_list(self, children: list[Any]) -> InList:
        path, negation, *values = children
        return InList(path, tuple(self._literal(value) for value in values), negation is not None)

    def in_query(self, children: list[Any]) -> InQuery:
        path, negation, semi_join = children
        return InQuery(path, semi_join, negation is not None)

    def semi_join(self, children: list[Any]) -> SemiJoin:
        field, sobject, *clauses = children
        return SemiJoin(field, str(sobject), _pos(sobject), dict(clauses).get("where"))

    def like(self, children: list[Any]) -> Like:
        path, pattern = children
        return Like(path, self._literal(pattern))

    def order_item(self, children: list[Any]) -> OrderItem:
        path, direction, nulls = children
        descending = direction is not None and str(direction).upper() == "DESC"
        nulls_first = not descending if nulls is None else str(nulls).upper() == "FIRST"
        return OrderItem(path, descending, nulls_first)

    def order_by(self, items: list[OrderItem]) -> tuple[str, tuple[OrderItem, ...]]:
        return ("order_by", tuple(items))

    def limit(self, children: list[Token]) -> tuple[str, int]:
        return ("limit", int(children[0]))

    def offset(self, children: list[Token]) -> tuple[str, int]:
        return ("offset", int(children[0]))

    def start(self, children: list[Any]) -> Query:
        select, sobject, *clauses = children
        tagged = dict(clauses)
        return Query(
            text=self._text,
            select=select,
            sobject=str(sobject),
            sobject_pos=_pos(sobject),
            where=tagged.get("where"),
            order_by=tagged.get("order_by", ()),
            limit=tagged.get("limit"),
            offset=tagged.get("offset"),
        )


def _end_pos(text: str) -> Pos:
    stripped = text.rstrip()
    rows = stripped.split("\n")
    return Pos(len(rows), len(rows[-1]) + 1)


def _syntax_error(text: str, error: UnexpectedInput) -> SoqlError:
    if isinstance(error, UnexpectedToken) and error.token.type == "$END":
        return positioned_error("MALFORMED_QUERY", text, _end_pos(text), "unexpected token: '<EOF>'")
    pos = Pos(error.line if error.line > 0 else 1, error.column if error.column > 0 else 1)
    if isinstance(error, UnexpectedToken):
        found = str(error.token)
    elif isinstance(error, UnexpectedCharacters):
        found = text.split("\n")[pos.line - 1][pos.column - 1 :].split(maxsplit=1)[0]
    else:
        found = "<EOF>"
    return positioned_error("MALFORMED_QUERY", text, pos, f"unexpected token: '{found}'")


def _check_select(query: Query) -> None:
    """Rules on the select list that the grammar does not express."""
    plain = [item for item in query.select if isinstance(item, FieldPath)]
    if query.is_count and len(query.select) > 1:
        raise SoqlError("MALFORMED_QUERY", "COUNT() must be the only element in the SELECT list.")
    if plain and any(isinstance(item, CountField) for item in query.select):
        first = plain[0]
        detail = f"Field must be grouped or aggregated: {first.dotted}"
        raise positioned_error("MALFORMED_QUERY", query.text, first.pos, detail)
    _check_duplicates(plain)
    for item in query.select:
        if isinstance(item, Subquery):
            _check_duplicates(list(item.fields))


def _check_duplicates(paths: list[FieldPath]) -> None:
    seen: set[str] = set()
    for path in paths:
        key = path.dotted.lower()
        if key in seen:
            raise SoqlError("MALFORMED_QUERY", f"duplicate field selected: {path.dotted}")
        seen.add(key)


def parse(soql: str) -> Query:
    """Parse one SOQL SELECT statement. Raises `SoqlError` (MALFORMED_QUERY, or
    NUMBER_OUTSIDE_VALID_RANGE for an OFFSET above 2000). Names are not checked here: `execute`
    resolves them against the schema."""
    try:
        tree = _parser().parse(soql)
    except UnexpectedInput as error:
        raise _syntax_error(soql, error) from None
    try:
        query: Query = _ToAst(soql).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, SoqlError):
            raise error.orig_exc from None
        raise
    _check_select(query)
    if query.offset is not None and query.offset > MAX_OFFSET:
        raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
    return query
