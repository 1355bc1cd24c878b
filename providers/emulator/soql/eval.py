"""Runs a parsed query over a `Database` and shapes the rows as Salesforce's REST JSON.

Order of work: resolve every name (so an unknown one fails even on an empty table), filter, sort,
apply OFFSET then LIMIT, then project. Projection follows the select list: `attributes` first, then
each field under its schema spelling; parent paths nest as dicts with their own `attributes` (null when
the lookup is null); a child subquery becomes {"totalSize", "done": true, "records"}, or null when it
matches no child.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from providers.emulator.soql.ast import CountField, FieldPath, OrderItem, Query, Subquery
from providers.emulator.soql.filter import Predicate, always, compile_condition
from providers.emulator.soql.resolve import KeyFn, ResolvedPath, Resolver, comparison_key, id15
from providers.emulator.soql.types import ChildRel, Database, ObjectSchema, QueryResult, SoqlError

Row = Mapping[str, Any]
_Node = tuple[dict[str, Any], Row]
"""An output dict and the record it shows."""
_SINGLE_ROW_FIELDS = frozenset({"metadata", "fullname"})


@dataclass(frozen=True)
class _SortKey:
    resolved: ResolvedPath
    key: KeyFn
    descending: bool
    nulls_first: bool


@dataclass
class _ChildPlan:
    """A compiled child subquery; children are grouped by parent id on first use."""

    relation: ChildRel
    schema: ObjectSchema
    items: list[ResolvedPath]
    predicate: Predicate
    order: list[_SortKey]
    limit: int | None
    by_parent: dict[str | None, list[Row]] | None = field(default=None)


Item = ResolvedPath | _ChildPlan


class _Evaluator:
    """State for one `execute` call."""

    def __init__(self, db: Database, text: str, base_path: str) -> None:
        self.db = db
        self.resolver = Resolver(db, text)
        self.base_path = base_path.rstrip("/")

    def order(self, items: Sequence[OrderItem], schema: ObjectSchema) -> list[_SortKey]:
        keys = []
        for item in items:
            resolved = self.resolver.path(schema, item.path)
            keys.append(_SortKey(resolved, _sort_key(resolved.field.type), item.descending, item.nulls_first))
        return keys

    def sort(self, rows: list[Row], keys: list[_SortKey]) -> list[Row]:
        """Stable multi-key sort: apply keys from last to first."""
        for sort_key in reversed(keys):
            values = [(sort_key.key(self.resolver.read(row, sort_key.resolved)), row) for row in rows]
            nulls = [row for value, row in values if value is None]
            present = [pair for pair in values if pair[0] is not None]
            present.sort(key=lambda pair: pair[0], reverse=sort_key.descending)
            ordered = [row for _, row in present]
            rows = nulls + ordered if sort_key.nulls_first else ordered + nulls
        return rows

    def child_plan(self, subquery: Subquery, schema: ObjectSchema) -> _ChildPlan:
        relation, child_schema = self.resolver.child(schema, subquery.relationship, subquery.pos)
        items = [self.resolver.path(child_schema, path) for path in subquery.fields]
        where = subquery.where
        predicate = compile_condition(where, child_schema, self.resolver) if where else always
        order = self.order(subquery.order_by, child_schema)
        return _ChildPlan(relation, child_schema, items, predicate, order, subquery.limit)

    def children(self, plan: _ChildPlan, row: Row) -> dict[str, Any] | None:
        if plan.by_parent is None:
            plan.by_parent = {}
            for child in self.db.rows(plan.schema.name):
                plan.by_parent.setdefault(id15(child.get(plan.relation.field)), []).append(child)
        kids = [kid for kid in plan.by_parent.get(id15(row.get("Id")), []) if plan.predicate(kid)]
        kids = self.sort(kids, plan.order)[: plan.limit]
        if not kids:
            return None
        records = [self.project(kid, plan.schema, plan.items) for kid in kids]
        return {"totalSize": len(records), "done": True, "records": records}

    def attributes(self, sobject: str, row: Row) -> dict[str, str]:
        return {"type": sobject, "url": f"{self.base_path}/sobjects/{sobject}/{row.get('Id')}"}

    def project(self, row: Row, schema: ObjectSchema, items: Iterable[Item]) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": self.attributes(schema.name, row)}
        nodes: dict[tuple[str, ...], _Node | None] = {(): (out, row)}
        for item in items:
            if isinstance(item, _ChildPlan):
                out[item.relation.name] = self.children(item, row)
            else:
                self.place(nodes, item)
        return out

    def place(self, nodes: dict[tuple[str, ...], _Node | None], item: ResolvedPath) -> None:
        """Write one selected path into the nested output, creating parent dicts on the way."""
        prefix: tuple[str, ...] = ()
        node = nodes[prefix]
        for hop, target in zip(item.hops, item.targets, strict=True):
            if node is None:
                return
            container, record = node
            prefix = (*prefix, hop.name.lower())
            if prefix not in nodes:
                parent = self.resolver.parent(record, hop)
                created = None if parent is None else ({"attributes": self.attributes(target, parent)}, parent)
                nodes[prefix] = created
                container[hop.name] = None if created is None else created[0]
            node = nodes[prefix]
        if node is not None:
            container, record = node
            container[item.field.name] = copy.deepcopy(record.get(item.field.name))


def _sort_key(field_type: str) -> KeyFn:
    key = comparison_key(field_type)
    if field_type == "anyType":
        return lambda value: None if value is None else repr(value)
    return key


def _window(rows: list[Row], offset: int | None, limit: int | None) -> list[Row]:
    start = offset or 0
    return rows[start:] if limit is None else rows[start : start + limit]


def _aggregate(item: CountField, rows: list[Row], resolved: ResolvedPath, resolver: Resolver) -> QueryResult:
    count = sum(1 for row in rows if resolver.read(row, resolved) is not None)
    record = {"attributes": {"type": "AggregateResult"}, item.alias or "expr0": count}
    return QueryResult(records=[record], total_size=1, is_count=False)


def _check_single_row(query: Query, base_path: str, size: int) -> None:
    """Tooling answers Metadata/FullName only for queries returning at most one row."""
    if "/tooling" not in base_path or size <= 1:
        return
    for item in query.select:
        if isinstance(item, FieldPath) and len(item.parts) == 1 and item.parts[0].lower() in _SINGLE_ROW_FIELDS:
            message = (
                "When retrieving results with Metadata or FullName fields, the query qualifications must "
                f"specify no more than one row for retrieval. Result size: {size}"
            )
            raise SoqlError("MALFORMED_QUERY", message)


def execute(query: Query, db: Database, *, base_path: str) -> QueryResult:
    """Run `query` against `db`. `base_path` ("/services/data/v62.0" or ".../tooling") prefixes the
    `attributes.url` of every record. Raises SoqlError for unknown names, mistyped literals, and (under a
    Tooling base path) Metadata/FullName selected over more than one row."""
    evaluator = _Evaluator(db, query.text, base_path)
    resolver = evaluator.resolver
    schema = resolver.schema(query.sobject, query.sobject_pos)
    items: list[Item] = []
    for item in query.select:
        if isinstance(item, FieldPath):
            items.append(resolver.path(schema, item))
        elif isinstance(item, Subquery):
            items.append(evaluator.child_plan(item, schema))
    counted = next((item for item in query.select if isinstance(item, CountField)), None)
    counted_path = resolver.path(schema, counted.path) if counted is not None else None
    predicate = compile_condition(query.where, schema, resolver) if query.where else always
    order = evaluator.order(query.order_by, schema)
    rows = [row for row in db.rows(schema.name) if predicate(row)]
    if counted is not None and counted_path is not None:
        return _aggregate(counted, rows, counted_path, resolver)
    rows = _window(evaluator.sort(rows, order), query.offset, query.limit)
    if query.is_count:
        return QueryResult(records=[], total_size=len(rows), is_count=True)
    _check_single_row(query, base_path, len(rows))
    records = [evaluator.project(row, schema, items) for row in rows]
    return QueryResult(records=records, total_size=len(records))
