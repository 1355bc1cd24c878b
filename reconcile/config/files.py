"""Files the configuration names besides its TOML (``[[apex]] file``): read inside the configuration
directory only, as UTF-8, and added to the config digest so a changed script changes the digest.
Problems go to the loader's list, placed at the key that named the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconcile.config.schema import EntryFiles
from reconcile.config.source import KeyPath
from reconcile.errors import Location, Problem


class ConfigFiles:
    """Reads the files of one configuration rooted at ``root``; ``problems`` and ``digest_parts`` are the
    loader's (appended to)."""

    def __init__(self, root: Path, problems: list[Problem], digest_parts: list[tuple[str, bytes]]) -> None:
        self.root = root
        self.problems = problems
        self.digest_parts = digest_parts

    def relative(self, path: Path) -> str:
        """``path`` relative to the configuration directory (posix form), or absolute when outside it."""
        resolved = path.resolve()
        inside = resolved.is_relative_to(self.root)
        return resolved.relative_to(self.root).as_posix() if inside else str(resolved)

    def for_entry(self, at: Callable[[KeyPath], Location]) -> EntryFiles:
        """What an entry reads its files through, its problems placed with ``at``."""
        return _EntryFiles(self, at)

    def read(self, path: str, where: Location) -> tuple[str, str] | None:
        """A file an entry names: its path relative to the configuration directory and its UTF-8 text,
        added to the digest; None (with the problem recorded) when it cannot be used."""
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root):
            message = f"`file` {path!r}: path escapes the configuration directory"
            self.problems.append(Problem(message, where, f"keep apex scripts inside {self.root}"))
            return None
        if not target.is_file():
            self.problems.append(
                Problem(
                    f"apex file not found: {path}",
                    where,
                    f"create it or fix the path; paths are relative to {self.root}",
                )
            )
            return None
        raw = target.read_bytes()
        try:
            body = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            self.problems.append(
                Problem(
                    f"apex file {path} is not valid UTF-8 (offset {error.start})",
                    where,
                    "save the script with UTF-8 encoding",
                )
            )
            return None
        relative = self.relative(target)
        self.digest_parts.append((relative, raw))
        return relative, body


class _EntryFiles:
    """``EntryFiles`` for one entry: reads through ``ConfigFiles``, places problems at the entry's keys."""

    def __init__(self, files: ConfigFiles, at: Callable[[KeyPath], Location]) -> None:
        self.files = files
        self.at = at

    def read(self, key: str, path: str) -> tuple[str, str] | None:
        return self.files.read(path, self.at((key,)))

    def problem(self, key: str, message: str, hint: str = "") -> None:
        self.files.problems.append(Problem(message, self.at((key,)), hint))
