"""The execution history: what ``apply`` and ``apex run`` did, written to and read back from the journal.

The journal (``<state dir>/history.jsonl``, see ``state.journal``) holds one JSON object per line. Every
record has ``run_id``, ``type`` and ``at`` (ISO-8601, UTC). The records of one run:

- ``run_start``: ``operation`` ("apply", "apex", "verify" or "confirm"), ``user`` and ``host`` (who ran
  it), ``orgs`` (names), and for apply ``plan_file`` ("" for a fresh plan) and ``changes``:
  ``{org: [planned change]}``, for apex ``script``. A planned change is ``{address, action, reason}``,
  plus ``script`` for an apex run, and otherwise ``before``, ``after`` and ``details``: the resources and
  value-level details as the JSON plan has them (``reconcile.render.json``). A ``script`` is
  ``{file, sha256, run, chars, body}`` (``run`` is the policy, "" for an ad-hoc script). Provenance
  (``reconcile.history.provenance``), on every run: ``by`` (who ran it; for ``confirm``, who confirmed),
  ``ci`` (``{system, job_url, pr_url}``), ``git`` (``{commit, dirty}`` or null outside a repository),
  and for apply ``plan_checksum`` and ``config_digest``.
- ``result``: ``org``, ``address``, ``action``, ``ok``, ``message``; an apex run adds ``apex`` (see
  ``apex_fields``: the outcome and its debug log) and ``seconds``; an ad-hoc run also ``api_calls``.
- ``skipped``: ``org``, ``address``, ``action``, ``ok`` (false) and ``message`` (why it was not attempted).
- ``run_end``: ``ok`` and ``orgs``: ``{org: {applied, failed, skipped, api_calls, seconds, error}}``.
- ``check`` (apply and ``verify`` runs): ``org``, ``name``, ``check_type`` (soql, apex_tests, access),
  ``status`` (pass, fail, error, skipped), ``summary``, ``details``. A failed check makes its org's
  ``error`` in ``run_end`` name it.
- ``manual_step`` (apply, ``verify`` and ``confirm`` runs): ``org``, ``name``, ``status`` (pending or
  confirmed), ``instructions``, and for a confirmed step ``by``, ``at`` and ``note``.

Credentials never enter these records; the debug logs are what the org returned.

Fields are only ever added: a record without the provenance or value fields (written by an earlier
release) reads with ``Run.audit`` and ``ChangeEntry.values`` None, and renders as it did then.

The package: ``records`` (the runs as data), ``writer`` (the records of an apply or an ad-hoc run, as
it happens), ``reader`` (the journal grouped back into runs). The names below are its public face.
"""

from reconcile.history.reader import build_run, find_run, read_runs, select_runs
from reconcile.history.records import (
    ChangeEntry,
    ChangeStatus,
    ChangeValues,
    OrgRun,
    Run,
    RunAudit,
    ScriptInfo,
    Status,
)
from reconcile.history.writer import AdhocApexJournal, ApplyJournal

__all__ = [
    "AdhocApexJournal",
    "ApplyJournal",
    "ChangeEntry",
    "ChangeStatus",
    "ChangeValues",
    "OrgRun",
    "Run",
    "RunAudit",
    "ScriptInfo",
    "Status",
    "build_run",
    "find_run",
    "read_runs",
    "select_runs",
]
