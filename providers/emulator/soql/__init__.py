"""SOQL for the emulator: `parse` a query once, `execute` it over any `Database`.

What is understood: SELECT of fields, parent dot-paths (`PermissionSet.Profile.Name`), `COUNT()`,
`COUNT(field) [alias]`, child subqueries `(SELECT ... FROM <ChildRelationship> [WHERE] [ORDER BY]
[LIMIT])`; FROM one sObject; WHERE with = != <> < > <= >=, [NOT] IN (values), [NOT] IN (SELECT one
field FROM ...), LIKE (% and _, case-insensitive), AND, OR (mixing them needs parentheses, as in
Salesforce), NOT, parentheses; literals 'text' (escapes \\' \\\\ \\n \\t \\r \\b \\f \\" \\% \\_),
numbers, true/false/null, dates (2024-01-31), datetimes (2024-01-31T10:00:00Z, +hh:mm or +hhmm),
TODAY/YESTERDAY/TOMORROW; ORDER BY several keys with ASC/DESC and NULLS FIRST/LAST; LIMIT; OFFSET
(at most 2000). Keywords, field, relationship and object names are case-insensitive; records carry
the schema's spelling. Anything else (GROUP BY, other aggregates, FOR UPDATE, bind variables ...) is a
MALFORMED_QUERY, as an unknown construct would be.
"""

from __future__ import annotations

from providers.emulator.soql.ast import Query
from providers.emulator.soql.eval import execute
from providers.emulator.soql.parse import parse
from providers.emulator.soql.types import ChildRel, Database, FieldInfo, ObjectSchema, ParentRel, QueryResult, SoqlError

__all__ = [
    "ChildRel",
    "Database",
    "FieldInfo",
    "ObjectSchema",
    "ParentRel",
    "Query",
    "QueryResult",
    "SoqlError",
    "execute",
    "parse",
]
