"""``GET query/?q=...&columns=true``: the column metadata of a query instead of its records.

Salesforce answers ``{"columnMetadata": [...], "entityName", "groupBy", "idSelected", "keyPrefix"}``; the
Salesforce CLI's ``sf data query`` asks for it to lay out its table. Each column carries
``columnName``, ``displayName``, ``aggregate``, ``joinColumns`` and the type flags; a relationship path
(``Profile.Name``) is one column per hop, nested in ``joinColumns``; a child subquery is an aggregate
column whose ``joinColumns`` are its fields; ``COUNT(field)`` is an aggregate column named by its alias
or ``expr0``, ``expr1``, .... The query runs first, so a query Salesforce refuses fails here the same way.
Names are given as the query spells them (Salesforce uses the field's own spelling) and the type flags
are not derived from the schema: both are simplifications no client seen so far relies on.
"""

from __future__ import annotations

from typing import Any

from ..soql import ast

Column = dict[str, Any]


def column_metadata(query: ast.Query, key_prefix: str | None) -> dict[str, Any]:
    """The ``columns=true`` answer for a parsed (and already executed) ``query``."""
    columns: list[Column] = []
    expressions = 0
    for item in query.select:
        if isinstance(item, ast.FieldPath):
            columns.append(_path(item.parts))
        elif isinstance(item, ast.Subquery):
            columns.append(_column(item.relationship, aggregate=True, joins=[_path(f.parts) for f in item.fields]))
        elif isinstance(item, ast.CountField):
            name = item.alias or f"expr{expressions}"
            expressions += 0 if item.alias else 1
            columns.append(_column(name, aggregate=True))
    return {
        "columnMetadata": columns,
        "entityName": query.sobject,
        "groupBy": False,
        "idSelected": any(
            isinstance(i, ast.FieldPath) and i.parts[0].lower() == "id" == i.parts[-1].lower() for i in query.select
        ),
        "keyPrefix": key_prefix,
    }


def _path(parts: tuple[str, ...]) -> Column:
    if len(parts) == 1:
        return _column(parts[0])
    return _column(parts[0], joins=[_path(parts[1:])])


def _column(name: str, *, aggregate: bool = False, joins: list[Column] | None = None) -> Column:
    return {
        "aggregate": aggregate,
        "apexType": None,
        "booleanType": False,
        "columnName": name,
        "custom": name.endswith("__c"),
        "displayName": name,
        "foreignKeyName": None,
        "insertable": False,
        "joinColumns": joins or [],
        "numberType": False,
        "textType": False,
        "updatable": False,
    }
