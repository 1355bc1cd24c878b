"""Running ``reconcile`` from a test, in this process or in a child process.

- ``invoke(*args)``: the Typer app in this process (no interpreter start-up), on a wide terminal without
  colour so output is deterministic. An exception other than the app's exit is re-raised: a user never
  sees a traceback, so a test never needs to look at one.
- ``run_cli(*args)`` / ``start_cli(*args)``: the real command line in a child process, for what needs a
  process of its own (signals, kills, a terminal, concurrent writers); ``CliResult`` is what it printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner, Result

from reconcile.cli import app

#: The environment of every in-process run: wide (200 columns) and colourless.
PLAIN = {"COLUMNS": "200", "NO_COLOR": "1"}
CLI = [sys.executable, "-c", "from reconcile.cli import main; main()"]
#: Every CLI child gets these, so output is wide, plain and deterministic.
CLI_ENV = {**PLAIN, "TERM": "dumb", "PYTHONUNBUFFERED": "1"}


def invoke(*args: str, env: Mapping[str, str] | None = None, input: str | None = None) -> Result:
    """``reconcile ARGS`` in this process; ``env`` adds to (or overrides) ``PLAIN``, ``input`` is stdin."""
    return CliRunner().invoke(
        app, list(args), env={**PLAIN, **(env or {})}, input=input, prog_name="reconcile", catch_exceptions=False
    )


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without org tokens, plus ``CLI_ENV`` and ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SF_TOKEN_")}
    return {**env, **CLI_ENV, **(extra or {})}


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str | None = None,
    timeout: float = 180,
) -> CliResult:
    """Run ``reconcile ARGS`` in a child process and wait for it."""
    proc = subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env=cli_env(env),
        cwd=cwd,
        input=stdin if stdin is not None else "",
        timeout=timeout,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def start_cli(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, log: Path
) -> subprocess.Popen[bytes]:
    """Start ``reconcile ARGS`` in a child process writing stdout and stderr to ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [*CLI, *args], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=cli_env(env), cwd=cwd
        )
