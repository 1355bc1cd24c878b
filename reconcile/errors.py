"""The one exception hierarchy of the tool.

Every error a user can cause or meet is a ``ReconcileError``; the CLI prints its message in red and
exits 1 without a traceback (``--debug`` shows it). Subclasses only say which layer spoke.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Location:
    """A place in a source file: 1-based line and column."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.col or 1}"


@dataclass(frozen=True)
class Problem:
    """One diagnostic: where, what, and what to do about it."""

    message: str
    location: Location | None = None
    hint: str = ""
    address: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        what = f"{self.address}: " if self.address else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{what}{self.message}{hint}"


class ReconcileError(Exception):
    """Base of every error the tool raises on purpose."""


class ConfigError(ReconcileError):
    """The configuration is invalid. Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        count = len(problems)
        head = "1 problem in the configuration" if count == 1 else f"{count} problems in the configuration"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in problems))


class ProviderError(ReconcileError):
    """An org could not be read or written as a whole (auth, limit, transport)."""

    def __init__(self, message: str, *, org: str = "", code: str = "", address: str = "") -> None:
        self.org = org
        self.code = code
        self.address = address
        prefix = f"org {org}: " if org else ""
        suffix = f" [{code}]" if code else ""
        super().__init__(f"{prefix}{address + ': ' if address else ''}{message}{suffix}")


class ApiLimitError(ProviderError):
    """The org's daily API limit is spent: stop that org, never retry."""


class StateError(ReconcileError):
    """The state file is unreadable, from a newer version, or of another lineage."""


class StateLockError(StateError):
    """The state lock is held by someone else."""


class StalePlanError(ReconcileError):
    """A saved plan no longer matches the config, the state or the live org."""


class UnsafePlanError(ReconcileError):
    """A plan would do something that needs an explicit confirmation flag."""


class CycleError(ConfigError):
    """The dependency graph has a cycle."""


def closest(word: str, choices: Collection[str], *, ignore_case: bool = False) -> str | None:
    """The choice closest to ``word`` (as ``choices`` spell it), or None when none is close."""
    pool = {choice.casefold() if ignore_case else choice: choice for choice in choices}
    close = difflib.get_close_matches(word.casefold() if ignore_case else word, list(pool), n=1, cutoff=0.6)
    return pool[close[0]] if close else None


def did_you_mean(word: str, choices: Collection[str], *, quote: bool = True) -> str:
    """``"; did you mean 'values'?"`` when a choice is close to ``word``, else ``""``."""
    match = closest(word, choices)
    if match is None:
        return ""
    return f"; did you mean '{match}'?" if quote else f"; did you mean {match}?"


#: Plain words for the validation failures a hand-edited or damaged file meets (pydantic's error types).
_PLAIN: dict[str, str] = {
    "missing": "is missing",
    "extra_forbidden": "is not a field this file may hold",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "string_type": "must be text",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "datetime_parsing": "must be a date and time (ISO 8601)",
    "datetime_type": "must be a date and time (ISO 8601)",
    "datetime_from_date_parsing": "must be a date and time (ISO 8601)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_type": "must be a date (YYYY-MM-DD)",
}


def plain_validation_problem(detail: Mapping[str, Any], top: str = "the file") -> str:
    """One validation failure of a file's contents (a pydantic error detail: ``loc``, ``type``, ``msg``,
    ``input``, ``ctx``) in words: ``orgs.dev.serial must be a whole number, got 'seven'``."""
    where = ".".join(str(part) for part in detail.get("loc", ())) or top
    kind = str(detail.get("type", ""))
    value = detail.get("input")
    if kind == "literal_error":
        expected = str(detail.get("ctx", {}).get("expected", "")).replace("'", "")
        return f"{where} must be one of {expected}, got {value!r}"
    if kind in _PLAIN:
        got = "" if kind in ("missing", "extra_forbidden") or isinstance(value, dict | list) else f", got {value!r}"
        return f"{where} {_PLAIN[kind]}{got}"
    message = str(detail.get("msg", "is not valid"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{where}: {message[:1].lower()}{message[1:]}"
