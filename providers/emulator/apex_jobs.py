"""Scheduled Apex in anonymous Apex: the ``Effects`` (see ``apex.py``) that give two statements an effect
on the org, and ``run_anonymous``, which keeps or rolls back what a run changed.

Recognised top-level statements (names in any case, arguments string literals):

- ``System.schedule('<name>', '<cron>', new <Class>());`` creates a ``CronJobDetail`` and a
  ``CronTrigger`` (``org/scheduled_jobs.py``). A class that is not among the org's ``apex_classes`` is a
  compile error ``Invalid type: <Class>`` at the class name, as Salesforce reports an unknown type; nothing
  runs then. A name already used by a job fails at run time with ``System.AsyncException: The Apex job
  named "<name>" is already scheduled for execution.`` (the message public sources quote; names compare
  exactly). The cron expression is stored as written, not checked.
- ``System.abortJob('<CronTrigger Id>');`` deletes the trigger and its job detail. A malformed id
  fails with ``System.StringException: Invalid id: <value>``; a well-formed id of no job does nothing
  (what Salesforce does then is not settled by any public source).

Any other shape (a variable argument, a second statement form) is left to ``apex.py`` as before: it
compiles and runs without effect. Like Salesforce, a run that fails keeps none of its changes: the
store's transaction is rolled back; a run that succeeds is committed to the org file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .apex import ApexOutcome, CompileError, Thrown, Token, analyze, words
from .org import ids
from .org.scheduled_jobs import CLASSES_TABLE, SCHEDULED_APEX
from .org.store import Store


def _arguments(statement: Sequence[Token], method: str) -> list[list[Token]] | None:
    """The comma-separated arguments of ``System.<method>(...)``, or None for another statement."""
    shape = words(list(statement))
    if shape[:4] != ["system", ".", method, "("] or shape[-1] != ")":
        return None
    arguments: list[list[Token]] = [[]]
    depth = 0
    for token in statement[4:-1]:
        if token.kind == "punct" and token.text in "([{":
            depth += 1
        elif token.kind == "punct" and token.text in ")]}":
            depth -= 1
        if depth == 0 and token.kind == "punct" and token.text == ",":
            arguments.append([])
        else:
            arguments[-1].append(token)
    return arguments


def _literal(argument: list[Token]) -> str | None:
    return argument[0].text if len(argument) == 1 and argument[0].kind == "string" else None


def _schedule(statement: Sequence[Token]) -> tuple[str, str, list[Token]] | None:
    """(name, cron, class name tokens) of ``System.schedule('n', 'c', new X())``."""
    arguments = _arguments(statement, "schedule")
    if arguments is None or len(arguments) != 3:
        return None
    name, cron, instance = _literal(arguments[0]), _literal(arguments[1]), arguments[2]
    shape = words(instance)
    if name is None or cron is None or shape[:1] != ["new"] or shape[-2:] != ["(", ")"] or len(instance) < 4:
        return None
    class_tokens = instance[1:-2]
    if any(token.kind == "string" for token in class_tokens):
        return None
    return name, cron, class_tokens


class JobEffects:
    """``System.schedule`` and ``System.abortJob`` against one store (the caller holds its lock)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.changed = False

    def check(self, statement: Sequence[Token]) -> CompileError | None:
        scheduled = _schedule(statement)
        if scheduled is None:
            return None
        class_tokens = scheduled[2]
        class_name = "".join(token.text for token in class_tokens)
        if class_name.lower() in self.store.table(CLASSES_TABLE):
            return None
        first = class_tokens[0]
        return CompileError(first.line, first.column, f"Invalid type: {class_name}")

    def run(self, statement: Sequence[Token]) -> Thrown | None:
        scheduled = _schedule(statement)
        if scheduled is not None:
            name, cron, class_tokens = scheduled
            return self._schedule(statement[0], name, cron, "".join(token.text for token in class_tokens))
        arguments = _arguments(statement, "abortjob")
        if arguments is not None and len(arguments) == 1 and _literal(arguments[0]) is not None:
            return self._abort(statement[0], str(_literal(arguments[0])))
        return None

    def _schedule(self, at: Token, name: str, cron: str, class_name: str) -> Thrown | None:
        if any(detail["Name"] == name for detail in self.store.table("CronJobDetail").values()):
            message = f'The Apex job named "{name}" is already scheduled for execution.'
            return Thrown("System.AsyncException", message, at.line, at.column)
        detail: dict[str, Any] = {"Name": name, "JobType": SCHEDULED_APEX, "_class": class_name}
        detail_id = self.store.insert("CronJobDetail", detail)
        trigger = {"CronExpression": cron, "CronJobDetailId": detail_id, "State": "WAITING"}
        self.store.insert("CronTrigger", {**trigger, "TimesTriggered": 0, "NextFireTime": None})
        self.changed = True
        return None

    def _abort(self, at: Token, job_id: str) -> Thrown | None:
        if not ids.is_well_formed(job_id):
            return Thrown("System.StringException", f"Invalid id: {job_id}", at.line, at.column)
        trigger = self.store.get("CronTrigger", job_id)
        if trigger is None:
            return None
        self.store.delete("CronTrigger", trigger["Id"])
        if self.store.get("CronJobDetail", trigger["CronJobDetailId"]) is not None:
            self.store.delete("CronJobDetail", trigger["CronJobDetailId"])
        self.changed = True
        return None


def run_anonymous(store: Store, code: str, **options: Any) -> ApexOutcome:
    """``analyze(code, **options)`` with the org's scheduled-job effects: kept and committed when the run
    succeeds, rolled back when it fails."""
    with store.transaction() as transaction:
        effects = JobEffects(store)
        outcome = analyze(code, effects=effects, **options)
        if not outcome.success:
            transaction.rollback()
        elif effects.changed:
            store.commit()
    return outcome
