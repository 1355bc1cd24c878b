"""Usage errors exit 1 on every command: 2 means "changes present" with --detailed-exitcode."""

from __future__ import annotations

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
