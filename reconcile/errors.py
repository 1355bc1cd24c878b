"""The one exception hierarchy of the tool.

Every error a user can cause or meet is a ``ReconcileError``; the CLI prints its message in red and
exits 1 without a traceback (``--debug`` shows it). Subclasses only say which layer spoke.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass


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
