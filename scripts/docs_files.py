"""What the docs generators share: the markers around a generated part of a hand-written document and
how it is replaced, which generated files are out of date, and the command line that refreshes them (or
with ``--check`` only reports them)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

BEGIN = "<!-- BEGIN GENERATED -->"
END = "<!-- END GENERATED -->"

#: The generated files under a docs directory and the text each must hold.
Expected = Callable[[Path], dict[Path, str]]


def splice(document: str, generated: str) -> str:
    """``document`` with the text between its markers replaced by ``generated``; ValueError without them."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the document has no {BEGIN} ... {END} markers")
    return document[: start + len(BEGIN)] + "\n" + generated + document[end:]


def stale(expected: dict[Path, str]) -> list[Path]:
    """The files whose content is not ``expected``'s (missing ones included)."""
    return [path for path, text in expected.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]


def refresh(expected_files: Expected, *, prog: str, description: str, docs: Path, argv: Sequence[str] | None) -> int:
    """Refresh (or with ``--check`` verify) the generated files; the exit status says whether all is well."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--docs", type=Path, default=docs, help="the docs directory (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    args = parser.parse_args(argv)
    if args.check:
        found = stale(expected_files(args.docs))
        for path in found:
            print(f"out of date: {path} (run {prog})", file=sys.stderr)
        return 1 if found else 0
    for path, text in expected_files(args.docs).items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0
