"""The corpus of broken configurations, ``tests/bad_inputs/config/``: one folder per mistake, named for it.

A folder holds the configuration (``reconcile.toml``, or several ``*.toml`` files, and any file they name)
and ``expect.json``, what the mistake must produce::

    {"problem": {"location": "reconcile.toml:12:1",   the one problem loading reports: file (in the
                 "message": "...",                     folder), line and column; a part of its message
                 "hint": "..."},                       ({dir} is the folder) and of its hint
     "output": ["...", ...]}                           more strings the CLI's error must hold

Both parts are optional. ``tests/test_config.py`` loads every case that has a ``problem``;
``tests/test_bad_input.py`` runs every case through ``validate``, ``plan`` and ``apply``, expecting the
problem's location and message and each ``output`` string in the one error printed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

BAD_CONFIGS = Path(__file__).resolve().parents[1] / "bad_inputs" / "config"
EXPECT = "expect.json"


@dataclass(frozen=True)
class Problem:
    """Where the one problem is (``file:line:col`` in the folder), a part of its message and of its hint."""

    location: str
    message: str
    hint: str = ""

    def located_in(self, directory: Path) -> tuple[str, str]:
        """The full location and the message of the case copied to ``directory``."""
        return f"{directory}/{self.location}", self.message.replace("{dir}", str(directory))


@dataclass(frozen=True)
class BrokenConfig:
    name: str
    problem: Problem | None
    output: tuple[str, ...]

    @property
    def directory(self) -> Path:
        return BAD_CONFIGS / self.name

    def printed(self, directory: Path) -> list[str]:
        """What the CLI's error must hold when the case is copied to ``directory``."""
        return [*(self.problem.located_in(directory) if self.problem else ()), *self.output]


def broken_config(name: str) -> BrokenConfig:
    data = json.loads((BAD_CONFIGS / name / EXPECT).read_text(encoding="utf-8"))
    problem = Problem(**data["problem"]) if "problem" in data else None
    return BrokenConfig(name, problem, tuple(data.get("output", ())))


def broken_configs() -> list[BrokenConfig]:
    """Every case, by name."""
    return [broken_config(path.name) for path in sorted(BAD_CONFIGS.iterdir()) if path.is_dir()]
