"""sObject Collections calls (``/composite/sobjects``) in rounds: per-record outcomes, per-record retry.

A collection call answers 200 with one item per record, in input order: ``{"id","success":true}`` or
``{"success":false,"errors":[{"statusCode","message"}]}`` (a failed item may omit ``id``). ``run_rounds``
sends at most 200 records a call and then:

- records whose error is ``UNABLE_TO_LOCK_ROW`` are sent again, alone, after a backoff pause;
- when the call itself may have run without an answer (``MaybeApplied``), ``recover`` is asked which
  records are now done (it re-reads the org) and only the others are sent again;
- everything else is final for that record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from providers.salesforce.transport import MaybeApplied, Transport

T = TypeVar("T")

CHUNK = 200
LOCKED = "UNABLE_TO_LOCK_ROW"


@dataclass(frozen=True)
class Outcome:
    """What happened to one record: ``ok``, the record id, and Salesforce's statusCode and message."""

    ok: bool
    record_id: str = ""
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class Item(Generic[T]):
    """A record to send, with the position of its change in the batch."""

    index: int
    payload: T


Send = Callable[[list[Item[T]]], list[dict[str, Any]]]
Recover = Callable[[list[Item[T]]], dict[int, Outcome]]


def run_rounds(
    transport: Transport, items: Sequence[Item[T]], send: Send[T], recover: Recover[T]
) -> dict[int, Outcome]:
    """Send ``items`` in chunks of 200 until each has a final outcome (see the module docstring)."""
    outcomes: dict[int, Outcome] = {}
    for start in range(0, len(items), CHUNK):
        outcomes.update(_rounds(transport, list(items[start : start + CHUNK]), send, recover))
    return outcomes


def _rounds(transport: Transport, pending: list[Item[T]], send: Send[T], recover: Recover[T]) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    attempt = 0
    while pending:
        attempt += 1
        try:
            answers = send(pending)
        except MaybeApplied as lost:
            recovered = recover(pending)
            outcomes.update(recovered)
            pending = [item for item in pending if item.index not in recovered]
            if pending and attempt >= transport.max_attempts:
                failure = Outcome(False, code=lost.failure.code, message=lost.failure.message)
                outcomes.update({item.index: failure for item in pending})
                break
            if pending:
                transport.pause(attempt)
            continue
        retry: list[Item[T]] = []
        for item, answer in zip(pending, _aligned(answers, len(pending)), strict=True):
            outcome = outcome_of(answer)
            if outcome.code == LOCKED and attempt < transport.max_attempts:
                retry.append(item)
            else:
                outcomes[item.index] = outcome
        if retry:
            transport.pause(attempt)
        pending = retry
    return outcomes


def _aligned(answers: list[dict[str, Any]] | None, count: int) -> list[dict[str, Any]]:
    answers = list(answers or [])
    missing = {"success": False, "errors": [{"statusCode": "NO_RESULT", "message": "no result returned"}]}
    return answers[:count] + [missing] * (count - len(answers))


def outcome_of(answer: dict[str, Any]) -> Outcome:
    """One collection item as an Outcome (the first error names it)."""
    record_id = str(answer.get("id") or "")
    if answer.get("success"):
        return Outcome(True, record_id)
    errors = answer.get("errors") or [{}]
    first = errors[0] if isinstance(errors[0], dict) else {}
    code = str(first.get("statusCode") or first.get("errorCode") or "UNKNOWN_ERROR")
    return Outcome(False, record_id, code, str(first.get("message") or code))
