"""Saved plans (``reconcile plan --out FILE``, ``reconcile apply FILE``, ``reconcile show FILE``).

A plan file is JSON::

    {"format_version": 1, "checksum": "<sha256>", "plan": <the Plan, as pydantic dumps it in JSON mode>}

``checksum`` is the sha256 of the canonical JSON (sorted keys, no spaces) of the document without
``checksum``; it catches edits and damage, it is not a signature. The file is written atomically (a temp
file beside it, fsynced, then renamed over the target), so a reader never sees half a plan.
``load_plan(save_plan(plan))`` equals ``plan``. Whether a loaded plan is still current (config digest,
state serial, live fingerprints) is checked by the executor, not here.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconcile.errors import ReconcileError, plain_validation_problem
from reconcile.model import canonical_json, sha256_hex
from reconcile.plan import FORMAT_VERSION, Plan

#: The plan-file format this version reads and writes.
PLAN_FILE_FORMAT = FORMAT_VERSION


def plan_checksum(plan: Plan) -> str:
    """The checksum a plan file of ``plan`` carries (what the execution history records of an apply)."""
    return _checksum(_body(plan))


def _body(plan: Plan) -> dict[str, Any]:
    return {"format_version": PLAN_FILE_FORMAT, "plan": plan.model_dump(mode="json")}


def save_plan(plan: Plan, path: Path) -> None:
    """Write ``plan`` to ``path`` atomically; raises ReconcileError if the directory is not writable."""
    body = _body(plan)
    document = {"format_version": PLAN_FILE_FORMAT, "checksum": _checksum(body), "plan": body["plan"]}
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        _write_atomically(path, text)
    except OSError as exc:
        raise ReconcileError(f"cannot write plan file {path}: {exc.strerror or exc}") from exc


def load_plan(path: Path) -> Plan:
    """Read a plan written by ``save_plan``.

    Raises ReconcileError naming the file and what to do when it is missing, unreadable, not JSON,
    truncated, of an unknown format version, modified after it was written, or not a valid plan.
    """
    document = _read_document(path)
    version = document.get("format_version")
    if version != PLAN_FILE_FORMAT:
        raise ReconcileError(
            f"plan file {path} has format version {version!r}; this version of reconcile reads version "
            f"{PLAN_FILE_FORMAT}: re-run `reconcile plan --out {path}` with this version"
        )
    body = {key: value for key, value in document.items() if key != "checksum"}
    if document.get("checksum") != _checksum(body):
        raise ReconcileError(
            f"plan file {path} was modified after it was written (checksum mismatch): "
            f"re-run `reconcile plan --out {path}`"
        )
    try:
        return Plan.model_validate(document.get("plan"))
    except ValidationError as exc:
        raise ReconcileError(
            f"plan file {path} does not hold a valid plan ({exc.error_count()} problems, first: "
            f"{_first_problem(exc)}): re-run `reconcile plan --out {path}`"
        ) from exc


def _checksum(body: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(body))


def _read_document(path: Path) -> dict[str, Any]:
    rerun = f"re-run `reconcile plan --out {path}`"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReconcileError(f"plan file {path} does not exist: {rerun} to create it") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ReconcileError(f"cannot read plan file {path} ({reason}): check the path, or {rerun}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReconcileError(
            f"plan file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            f"it may be truncated or not a plan file: {rerun}"
        ) from exc
    if not isinstance(document, dict) or "plan" not in document:
        raise ReconcileError(f'{path} is not a plan file (no "plan" object): {rerun}')
    return document


def _first_problem(exc: ValidationError) -> str:
    return plain_validation_problem(exc.errors()[0], "plan")


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temp file in ``path``'s directory, fsync it, rename it over ``path``."""
    directory = path.parent
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; not every platform can open a directory, which is then fine to skip."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
