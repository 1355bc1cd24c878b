"""The files of a local state: a small head file naming one content-addressed file per org.

Layout (``FILE_VERSION`` 2), next to ``state.json``:

- ``state.json``, the *head*: ``{version, lineage, serial, orgs: {name: "state.json.d/<file>"}}``, sorted
  keys, one org per line. Org file names are relative to the head's directory.
- ``state.json.d/<org>.<digest>.json``: one org's ``OrgState``, sorted-keys JSON with each resource entry
  on one line; ``<digest>`` is the SHA-256 of the file's bytes (its first 24 hex digits). A file is
  written once under its final name (temp file, fsync, rename) and never changed afterwards, so a write
  for one org writes that org's file and the head, whatever the size of the fleet.

Version 1 is the former layout: the whole state in ``state.json``. It is still read; the next write
turns it into version 2 (the version 1 file is kept as the backup).

Contract of the helpers: ``write_org_file`` returns the head reference of a file holding exactly the
given text, and leaves no temp file behind; ``read_org_file`` returns its JSON or raises ``StateError``
naming the file when it is missing, unreadable or does not match its digest; ``render_head`` and
``render_org`` produce JSON that ``json.loads`` maps back to their input.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

FILE_VERSION = 2
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_DIGEST_LEN = 24
_REFERENCE = re.compile(r"[A-Za-z0-9_.-]+\.d/[A-Za-z0-9_-]+\.[0-9a-f]{24}\.json")  # 24: _DIGEST_LEN


class MissingOrgFile(Exception):
    """An org file the head names is not there (a concurrent writer may have replaced it)."""


def org_dir_name(head: Path) -> str:
    """The directory of ``head``'s org files, relative to the head's directory."""
    return head.name + ".d"


def is_reference(reference: str) -> bool:
    """True if ``reference`` has the shape of an org file reference (no way out of the head's directory)."""
    return _REFERENCE.fullmatch(reference) is not None


def org_file_name(org: str, text: bytes) -> str:
    """The content-addressed name of ``org``'s file holding ``text``."""
    safe = _UNSAFE.sub("_", org)[:80] or "_"
    return f"{safe}.{hashlib.sha256(text).hexdigest()[:_DIGEST_LEN]}.json"


def write_org_file(head: Path, org: str, text: bytes) -> str:
    """Store ``text`` as ``org``'s file next to ``head`` (unless that very file exists); its reference."""
    directory = head.parent / org_dir_name(head)
    name = org_file_name(org, text)
    final = directory / name
    if not final.exists():
        directory.mkdir(parents=True, exist_ok=True)
        temp = directory / f".{name}.{uuid.uuid4().hex}.tmp"
        try:
            write_synced(temp, text)
            os.replace(temp, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
    return f"{org_dir_name(head)}/{name}"


def read_org_file(head: Path, reference: str) -> Any:
    """The JSON document of the org file ``reference`` (relative to ``head``'s directory)."""
    path = head.parent / reference
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MissingOrgFile(str(path)) from None
    if not path.name.endswith(f".{hashlib.sha256(raw).hexdigest()[:_DIGEST_LEN]}.json"):
        raise ValueError(f"org file {path} does not match its digest (it was changed or torn)")
    return json.loads(raw.decode("utf-8"))


def remove_org_files(head: Path, references: set[str]) -> None:
    """Delete the org files ``references`` name (those already gone are fine)."""
    for reference in references:
        with contextlib.suppress(FileNotFoundError):
            (head.parent / reference).unlink()


def write_synced(path: Path, payload: bytes) -> None:
    """Create ``path`` (it must not exist) holding ``payload``, flushed to disk."""
    with open(path, "xb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` by a file holding ``text`` (temp file, fsync, rename)."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write_synced(temp, text.encode("utf-8"))
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def fsync_directory(directory: Path) -> None:
    """Make a rename or file creation in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def render_head(lineage: str, serial: int, references: dict[str, str]) -> str:
    """The head file: version, lineage, serial and every org's file reference, one org a line."""
    fields = {
        "lineage": _compact(lineage),
        "serial": _compact(serial),
        "version": _compact(FILE_VERSION),
        "orgs": _block({name: _compact(ref) for name, ref in references.items()}, "  "),
    }
    return _block(fields, "") + "\n"


def render_org(org: dict[str, Any]) -> str:
    """One org's document, keys sorted, each resource entry on one line."""
    return _render_org(org, "") + "\n"


def render_state(data: dict[str, Any]) -> str:
    """A whole state document in the version 1 layout (one file), each resource entry on one line."""
    orgs = data.get("orgs", {})
    fields = {key: _compact(value) for key, value in data.items() if key != "orgs"}
    fields["orgs"] = _block({name: _render_org(orgs[name], "    ") for name in orgs}, "  ")
    return _block(fields, "") + "\n"


def _render_org(org: dict[str, Any], indent: str) -> str:
    resources = org.get("resources", {})
    fields = {key: _compact(value) for key, value in org.items() if key != "resources"}
    fields["resources"] = _block({address: _compact(entry) for address, entry in resources.items()}, indent + "  ")
    return _block(fields, indent)


def _block(rendered: dict[str, str], indent: str) -> str:
    """A JSON object of already rendered values, one key per line, keys sorted."""
    if not rendered:
        return "{}"
    rows = [f"{indent}  {json.dumps(key, ensure_ascii=False)}: {rendered[key]}" for key in sorted(rendered)]
    return "{\n" + ",\n".join(rows) + f"\n{indent}}}"


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
