"""Usage errors exit 1 on every command: 2 means "changes present" with --detailed-exitcode."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from reconcile.cli import app


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--bogus"],
        ["plan", "--detailed-exitcode", "--formt", "json"],
        ["drift", "--detailed-exitcode", "--tag"],
        ["apply", "--parallelism", "not-a-number"],
        ["plna"],
        ["--bogus"],
        ["state", "rm"],
        ["state", "nonsense"],
        ["history", "show"],
        ["emulator", "serve", "--port", "x"],
    ],
)
def test_a_usage_error_exits_1_never_2(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output


def test_help_still_exits_0() -> None:
    assert CliRunner().invoke(app, ["plan", "--help"]).exit_code == 0


HEAVY = ("reconcile.workspace", "reconcile.planner", "providers.salesforce", "zeep", "simple_salesforce", "networkx")


@pytest.mark.parametrize("args", [["--help"], ["plan", "--help"], ["init", "--help"], ["verify", "--help"]])
def test_help_imports_no_engine_module(args: list[str]) -> None:
    """``reconcile --help`` and a command's help start fast: no engine, provider or SOAP module is imported
    until a command runs."""
    code = (
        "import sys\n"
        f"sys.argv = ['reconcile', *{args!r}]\n"
        "from reconcile.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {{'zeep', 'simple_salesforce', 'networkx'}}"
        f" or any(m == h or m.startswith(h + '.') for h in {list(HEAVY)!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout[-2000:]
