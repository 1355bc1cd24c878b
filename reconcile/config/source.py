"""Configuration sources: files found, bytes read, TOML parsed, and the position of every key.

tomllib returns values without positions. ``SourceIndex`` scans the text of a document tomllib has
already accepted and maps each key path to where it was written: a table header (``("state",)``), an
array-of-tables element by its 0-based index (``("picklist", 1)``), a key (``("picklist", 1, "values")``),
an array item (``("picklist", 1, "values", 2)``) or a key inside an inline table (``("orgs", "ci",
"auth", "method")``). A lookup falls back to the nearest enclosing path that was written, so every
problem gets a line even when it is about a key that is missing.

``describe_validation_error`` turns one pydantic error into a key path and a readable message;
pydantic's own wording never reaches the user.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconcile.errors import ConfigError, Location, Problem

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")
_TOML_HINT = "fix the TOML syntax at this position; see https://toml.io/en/v1.0.0"
#: Larger files are refused unread: hand-written configuration stays far below this, and reading
#: whatever ``-c`` points at (a data dump, a log) into memory helps nobody.
MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One parsed TOML file: its bytes, its values and where each key was written."""

    path: Path
    shown: str
    raw: bytes
    data: dict[str, Any]
    index: SourceIndex

    def at(self, path: KeyPath) -> Location:
        """The location of ``path``, or of the nearest enclosing path written in the file."""
        return self.index.locate(self.shown, path)

    def problem(self, path: KeyPath, message: str, hint: str = "") -> Problem:
        return Problem(message, self.at(path), hint)


class SourceIndex:
    """Key path → (line, column), both 1-based. Built from text tomllib has already accepted."""

    def __init__(self, positions: dict[KeyPath, tuple[int, int]]) -> None:
        self.positions = positions

    @classmethod
    def scan(cls, text: str) -> SourceIndex:
        scanner = _Scanner(text)
        with contextlib.suppress(IndexError, AttributeError):  # keep whatever was indexed so far
            scanner.scan()
        return cls(scanner.found)

    def locate(self, file: str, path: KeyPath) -> Location:
        for end in range(len(path), 0, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return Location(file, found[0], found[1])
        return Location(file)


class _Scanner:
    """A structural TOML reader: it skips values and records where keys, headers and items start."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line_starts = [0, *(match.end() for match in re.finditer("\n", text))]
        self.found: dict[KeyPath, tuple[int, int]] = {}
        self.table_arrays: dict[KeyPath, int] = {}

    def mark(self, path: KeyPath, pos: int) -> None:
        line = bisect_right(self.line_starts, pos) - 1
        self.found.setdefault(path, (line + 1, pos - self.line_starts[line] + 1))

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, *, newlines: bool) -> None:
        blank = " \t\r\n" if newlines else " \t"
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            elif char in blank:
                self.pos += 1
            else:
                return

    def scan(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.text.startswith("[[", self.pos):
                table = self.header(table_array=True)
            elif self.peek() == "[":
                table = self.header(table_array=False)
            else:
                self.keyval(table)

    def header(self, *, table_array: bool) -> KeyPath:
        start = self.pos
        self.pos += 2 if table_array else 1
        keys = self.key()
        self.skip(newlines=False)
        self.pos += 2 if table_array else 1
        path: KeyPath = ()
        for number, (key, _) in enumerate(keys):
            path = (*path, key)
            if number < len(keys) - 1:
                if path in self.table_arrays:
                    path = (*path, self.table_arrays[path] - 1)
                self.mark(path, start)
        if table_array:
            count = self.table_arrays.get(path, 0)
            self.table_arrays[path] = count + 1
            self.mark(path, start)
            path = (*path, count)
        self.mark(path, start)
        return path

    def key(self) -> list[tuple[str, int]]:
        parts: list[tuple[str, int]] = []
        while True:
            self.skip(newlines=False)
            start = self.pos
            if self.peek() in ("'", '"'):
                self.pos = self.string_end()
                name = tomllib.loads(f"k = {self.text[start : self.pos]}")["k"]
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                assert match is not None
                name, self.pos = match.group(), match.end()
            parts.append((name, start))
            self.skip(newlines=False)
            if self.peek() != ".":
                return parts
            self.pos += 1

    def keyval(self, table: KeyPath) -> None:
        path = table
        for key, pos in self.key():
            path = (*path, key)
            self.mark(path, pos)
        self.skip(newlines=False)
        self.pos += 1  # "="
        self.skip(newlines=False)
        self.value(path)

    def value(self, path: KeyPath) -> None:
        char = self.peek()
        if char in ("'", '"'):
            self.pos = self.string_end()
        elif char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}\n#":
                self.pos += 1

    def array(self, path: KeyPath) -> None:
        self.pos += 1
        item = 0
        while True:
            self.skip(newlines=True)
            if self.peek() == "]":
                self.pos += 1
                return
            self.mark((*path, item), self.pos)
            self.value((*path, item))
            item += 1
            self.skip(newlines=True)
            if self.peek() == ",":
                self.pos += 1

    def inline_table(self, path: KeyPath) -> None:
        self.pos += 1
        while True:
            self.skip(newlines=False)
            if self.peek() == "}":
                self.pos += 1
                return
            self.keyval(path)
            self.skip(newlines=False)
            if self.peek() == ",":
                self.pos += 1

    def string_end(self) -> int:
        text, start = self.text, self.pos
        quote = text[start]
        if text.startswith(quote * 3, start):
            return self._multiline_end(quote, start + 3)
        cursor = start + 1
        while text[cursor] != quote:
            cursor += 2 if quote == '"' and text[cursor] == "\\" else 1
        return cursor + 1

    def _multiline_end(self, quote: str, cursor: int) -> int:
        text = self.text
        while not text.startswith(quote * 3, cursor):
            cursor += 2 if quote == '"' and text[cursor] == "\\" else 1
        end = cursor + 3
        while end < len(text) and text[end] == quote and end - cursor < 5:
            end += 1
        return end


def discover(path: Path) -> tuple[Path, list[Path]]:
    """The configuration directory and its TOML files (one file, or a directory's ``*.toml`` by name)."""
    if path.is_file():
        return path.parent, [path]
    if path.is_dir():
        files = sorted(child for child in path.glob("*.toml") if child.is_file())
        if files:
            return path, files
        raise ConfigError(
            Problem(
                "no *.toml files in this directory",
                Location(str(path)),
                "put the configuration in reconcile.toml or point -c at a .toml file",
            )
        )
    raise ConfigError(
        Problem(
            "configuration not found", Location(str(path)), "pass -c with a .toml file or a directory of .toml files"
        )
    )


def read_source(path: Path) -> SourceFile | Problem:
    """Read and parse one TOML file; a problem if it is unreadable, too large, not UTF-8, not valid TOML
    or nested too deeply to parse."""
    shown = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return _too_large(shown, size)
        raw = path.read_bytes()
    except OSError as error:
        return Problem(f"cannot read the file: {error.strerror}", Location(shown), "check the path")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _not_utf8(shown, raw, error)
    try:
        data = tomllib.loads(text)
        index = SourceIndex.scan(text)
    except tomllib.TOMLDecodeError as error:
        return _syntax_problem(shown, text, str(error))
    except RecursionError:
        return Problem(
            "arrays or tables are nested too deeply to parse",
            Location(shown),
            "a configuration nests a few levels at most: check the brackets and braces",
        )
    return SourceFile(path, shown, raw, data, index)


def _too_large(shown: str, size: int) -> Problem:
    mib = 1024 * 1024
    message = f"the file is {size / mib:.1f} MiB; a configuration file may be at most {MAX_FILE_BYTES // mib} MiB"
    return Problem(message, Location(shown), "check that -c points at the configuration")


def _not_utf8(shown: str, raw: bytes, error: UnicodeDecodeError) -> Problem:
    offset = error.start
    line = raw.count(b"\n", 0, offset) + 1
    col = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    message = f"the file is not valid UTF-8 (byte 0x{raw[offset]:02x} at offset {offset})"
    return Problem(message, Location(shown, line, col), "save the file with UTF-8 encoding")


def _syntax_problem(shown: str, text: str, message: str) -> Problem:
    found = _TOML_POSITION.search(message)
    if found:
        line, col = int(found.group(1)), int(found.group(2))
        message = message[: found.start()]
    else:
        line = text.count("\n") + 1
        col = len(text) - (text.rfind("\n") + 1) + 1
        message = _TOML_AT_END.sub("", message)
    return Problem(f"TOML syntax error: {message[:1].lower()}{message[1:]}", Location(shown, line, col), _TOML_HINT)
