"""Ad-hoc anonymous Apex: one script, outside the configuration, run on many orgs in parallel.

``read_script`` checks the script before any org is contacted (readable UTF-8, not empty, at most 32,000
characters: what executeAnonymous accepts). ``run_everywhere`` runs it on every org given, at most
``parallelism`` at a time, and reports each org's ``OrgScriptRun`` as it finishes. An org that cannot be
used (a ``ProviderError``) fails alone; the others run. Ad-hoc runs are not part of the run ledger in
state (that ledger belongs to the ``[[apex]]`` entries of the configuration); the execution history
records them (``reconcile.history.AdhocApexJournal``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from providers.base import APEX_MAX_CHARS, ApexResult, Provider
from reconcile.errors import ProviderError, ReconcileError


@dataclass(frozen=True)
class OrgScriptRun:
    """One org's run of the script: the org's answer (None when the org could not be used, ``error``
    then says why), the API calls the run made and the seconds it took."""

    org: str
    outcome: ApexResult | None
    error: str = ""
    api_calls: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome is not None and self.outcome.compiled and self.outcome.success

    @property
    def message(self) -> str:
        """Why it failed (with line and column when the org gave them), or "ok"."""
        return self.error if self.outcome is None else self.outcome.located_message


def read_script(path: Path) -> str:
    """The script in ``path``; a ReconcileError when it cannot be sent as it is."""
    try:
        body = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ReconcileError(f"{path}: no such file") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ReconcileError(f"{path}: cannot read the script ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ReconcileError(f"{path} is not valid UTF-8 (offset {exc.start}): save it with UTF-8 encoding") from None
    if not body.strip():
        raise ReconcileError(f"{path} is empty: there is nothing to run")
    if len(body) > APEX_MAX_CHARS:
        raise ReconcileError(
            f"{path} has {len(body):,} characters; executeAnonymous accepts at most {APEX_MAX_CHARS:,}: "
            "split the script"
        )
    return body


def run_one(org: str, provider: Provider, script: str) -> OrgScriptRun:
    """Run ``script`` on one org; an org-level ``ProviderError`` becomes the run's error."""
    started, calls_before = time.monotonic(), provider.usage.calls
    try:
        outcome: ApexResult | None = provider.run_apex(script)
        error = ""
    except ProviderError as exc:
        outcome, error = None, str(exc)
    return OrgScriptRun(org, outcome, error, provider.usage.calls - calls_before, time.monotonic() - started)


def run_everywhere(
    providers: Mapping[str, Provider],
    script: str,
    parallelism: int,
    on_done: Callable[[OrgScriptRun], None],
) -> list[OrgScriptRun]:
    """Run ``script`` on every org (at most ``parallelism`` at once); ``on_done`` is called as each
    org finishes, never concurrently. Returns the runs sorted by org name."""
    lock = threading.Lock()

    def one(org: str) -> OrgScriptRun:
        result = run_one(org, providers[org], script)
        with lock:
            on_done(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(providers)))) as pool:
        return list(pool.map(one, sorted(providers)))
