"""Fault injection: rules that make chosen requests fail the way Salesforce fails.

A rule is a JSON object:

- ``method``: "GET", "POST", "PATCH", "DELETE", ... or "*" (default "*").
- ``path``: a substring of the request path plus query string (default "": every API request), e.g.
  "composite/sobjects", "/query", "Soap/m".
- ``nth``: the 1-based number of the matching request at which the rule starts firing (default 1).
- ``times``: how many requests it fires for (default 1; 0 means every matching request from ``nth`` on).
- ``action``: one of ``ACTIONS``:
  ``503`` and ``500_empty`` (server errors), ``invalid_session`` (401 INVALID_SESSION_ID),
  ``request_limit_total`` / ``request_limit_concurrent`` (403 REQUEST_LIMIT_EXCEEDED, daily total or
  concurrent long transactions), ``unable_to_lock_row`` (sObject Collections: the records whose Id or
  AssigneeId is listed in ``records`` (all records when absent) fail with UNABLE_TO_LOCK_ROW and the rest
  succeed; any other request: 400 UNABLE_TO_LOCK_ROW), ``drop`` (the connection is closed before the
  request is processed) and ``drop_after`` (the request is processed and committed, then the connection
  is closed without an answer).

Rules apply only to Salesforce API paths (``/services/...``), never to ``/__emulator/...``. The first
matching rule that is due fires; every matching rule counts the request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

ACTIONS = frozenset(
    {
        "503",
        "500_empty",
        "unable_to_lock_row",
        "invalid_session",
        "request_limit_total",
        "request_limit_concurrent",
        "drop",
        "drop_after",
    }
)


class FaultRuleError(ValueError):
    """A fault rule is malformed (unknown action, bad counts)."""


@dataclass
class FaultRule:
    """One parsed rule plus how many requests it matched and how often it fired."""

    action: str
    method: str = "*"
    path: str = ""
    nth: int = 1
    times: int = 1
    records: frozenset[str] | None = None
    matched: int = 0
    fired: int = 0

    @classmethod
    def parse(cls, raw: Any) -> FaultRule:
        """Validate one rule dict; raises FaultRuleError naming the problem."""
        if not isinstance(raw, dict):
            raise FaultRuleError(f"a fault rule must be an object, got {raw!r}")
        unknown = set(raw) - {"action", "method", "path", "nth", "times", "records"}
        if unknown:
            raise FaultRuleError(f"unknown fault rule keys: {sorted(unknown)}")
        action = str(raw.get("action"))
        if action not in ACTIONS:
            raise FaultRuleError(f"unknown fault action {action!r}; expected one of {sorted(ACTIONS)}")
        nth, times = int(raw.get("nth", 1)), int(raw.get("times", 1))
        if nth < 1 or times < 0:
            raise FaultRuleError("nth must be >= 1 and times >= 0")
        records = raw.get("records")
        return cls(
            action=action,
            method=str(raw.get("method", "*")).upper(),
            path=str(raw.get("path", "")),
            nth=nth,
            times=times,
            records=frozenset(map(str, records)) if records is not None else None,
        )

    def matches(self, method: str, target: str) -> bool:
        return self.method in ("*", method.upper()) and self.path in target

    def due(self) -> bool:
        return self.matched >= self.nth and (self.times == 0 or self.fired < self.times)


@dataclass
class FaultBook:
    """The rules of one running emulator; thread-safe."""

    rules: list[FaultRule] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, raw_rules: Any) -> None:
        """Parse and append rules (a list of rule dicts); all or none are added."""
        if not isinstance(raw_rules, list):
            raise FaultRuleError("faults must be a JSON list of rules")
        parsed = [FaultRule.parse(raw) for raw in raw_rules]
        with self.lock:
            self.rules.extend(parsed)

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def check(self, method: str, target: str) -> FaultRule | None:
        """Count this request against every matching rule and return the rule that fires, if any."""
        firing: FaultRule | None = None
        with self.lock:
            for rule in self.rules:
                if not rule.matches(method, target):
                    continue
                rule.matched += 1
                if firing is None and rule.due():
                    rule.fired += 1
                    firing = rule
        return firing
