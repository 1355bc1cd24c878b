"""SOQL that some virtual objects refuse or ignore, checked before a query runs.

Salesforce documents ("SOQL Operation Limitations", Tooling API reference) that EntityDefinition, like
FieldDefinition and a few other virtual objects, supports no COUNT(), GROUP BY, LIMIT, OFFSET, OR, NOT
or INCLUDES: OR answers "Disjunctions not supported", a negated comparison "Only equals comparisons
permitted", COUNT() and aggregates "The requested operation is not yet supported by this SObject
storage type, ...", and LIMIT and OFFSET are silently ignored (all rows come back). The page shows
these for the Tooling API; the emulator applies them to EntityDefinition in the REST API too, since it
is the same object there. The errorCode (MALFORMED_QUERY) is not quoted by the page; it is the code
Salesforce uses for every other refused query.

Contract: ``restriction(query, sobject)`` returns the refusal message, or None; ``effective(query,
sobject)`` returns the query as it runs (LIMIT and OFFSET dropped for these objects).
"""

from __future__ import annotations

import dataclasses

from ..soql.ast import Comparison, Condition, CountAll, CountField, InList, Not, Or, Query

RESTRICTED = frozenset({"EntityDefinition"})
_STORAGE = (
    "The requested operation is not yet supported by this SObject storage type, contact salesforce.com "
    "support for more information."
)


def restriction(query: Query, sobject: str | None) -> str | None:
    """Why Salesforce refuses ``query`` on ``sobject`` (None when it runs)."""
    if sobject not in RESTRICTED:
        return None
    if any(isinstance(item, CountAll | CountField) for item in query.select):
        return _STORAGE
    return _condition_refusal(query.where) if query.where is not None else None


def effective(query: Query, sobject: str | None) -> Query:
    """``query`` as Salesforce runs it: without LIMIT and OFFSET on a restricted object."""
    if sobject not in RESTRICTED:
        return query
    return dataclasses.replace(query, limit=None, offset=None)


def _condition_refusal(condition: Condition) -> str | None:
    if isinstance(condition, Or):
        return "Disjunctions not supported"
    if isinstance(condition, Not) or (isinstance(condition, InList) and condition.negated):
        return "Only equals comparisons permitted"
    if isinstance(condition, Comparison) and condition.op == "!=":
        return "Only equals comparisons permitted"
    for operand in getattr(condition, "operands", ()):
        found = _condition_refusal(operand)
        if found:
            return found
    return None
