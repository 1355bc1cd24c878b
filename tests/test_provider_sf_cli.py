"""sf_alias: whatever goes wrong with the Salesforce CLI is the org's ProviderError naming sf_alias and
saying what to do; what ``sf`` prints is never quoted beyond its own error message (on success it holds
the token). ``sf`` is a small script put first on PATH."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from providers.salesforce import OrgConnection, connect, sf_cli
from reconcile.errors import ProviderError

TOKEN = "00DEm0000000001!AQ8AQ.sf-secret-part"


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")
    return directory


def install_sf(bin_dir: Path, body: str, *, shebang: bool = True) -> None:
    """An ``sf`` executable running the Python ``body`` (``args`` holds its arguments)."""
    script = bin_dir / "sf"
    head = "#!/usr/bin/env python3\nimport json, sys\nargs = sys.argv[1:]\n" if shebang else ""
    script.write_text(head + body, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def refused(alias: str = "acme") -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        connect(OrgConnection("uat", sf_alias=alias))
    assert caught.value.org == "uat"
    assert str(caught.value).startswith(f"org uat: sf_alias {alias!r}: ")
    assert TOKEN not in str(caught.value)
    return caught.value


def test_sf_missing_from_path_says_how_to_install_and_log_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    error = str(refused())
    assert "the Salesforce CLI `sf` is not installed or not on PATH" in error
    assert "npm install --global @salesforce/cli" in error and "`sf org login web --alias acme`" in error


def test_an_alias_the_cli_does_not_know_says_how_to_log_in(bin_dir: Path) -> None:
    install_sf(
        bin_dir,
        "print(json.dumps({'status': 1, 'name': 'NamedOrgNotFoundError',\n"
        "    'message': 'No authorization information found for nope.'}))\nsys.exit(1)\n",
    )
    error = refused("nope")
    assert error.code == "NamedOrgNotFoundError"
    assert "No authorization information found for nope; log in with `sf org login web --alias nope`" in str(error)
    assert "`sf org list`" in str(error)


def test_sf_failing_with_its_own_error_is_quoted_with_what_to_run(bin_dir: Path) -> None:
    install_sf(
        bin_dir,
        "print(json.dumps({'status': 1, 'name': 'RefreshTokenAuthError',\n"
        "    'message': 'Error authenticating with the refresh token due to: expired access/refresh "
        "token'}))\nsys.exit(1)\n",
    )
    error = refused()
    assert error.code == "RefreshTokenAuthError"
    assert "expired access/refresh token; run `sf org display --target-org acme` to see the CLI's view" in str(error)


def test_sf_failing_without_json_is_not_quoted(bin_dir: Path) -> None:
    install_sf(bin_dir, f"print('Error: something broke {TOKEN}', file=sys.stderr)\nsys.exit(2)\n")
    error = refused()
    assert "`sf org display --target-org acme --json` printed no JSON answer (exit 2); run it yourself" in str(error)


def test_sf_printing_something_that_is_not_json_is_the_orgs_error(bin_dir: Path) -> None:
    install_sf(bin_dir, f"print('Warning: update available\\naccessToken {TOKEN}')\n")
    assert "printed no JSON answer (exit 0)" in str(refused())
    install_sf(bin_dir, "print(json.dumps({'status': 0, 'result': ['not', 'an', 'object']}))\n")
    assert "printed no JSON answer (exit 0)" in str(refused())


def test_sf_printing_bytes_that_are_not_utf8_is_the_orgs_error(bin_dir: Path) -> None:
    install_sf(bin_dir, "sys.stdout.buffer.write(b'\\xff\\xfe not text')\nsys.exit(1)\n")
    assert "printed no JSON answer (exit 1)" in str(refused())


def test_an_sf_that_cannot_run_or_hangs_is_the_orgs_error(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_sf(bin_dir, "\x7fELF not really a program\n", shebang=False)
    assert "cannot run the Salesforce CLI at" in str(refused())

    def hang(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(args[0], kwargs["timeout"])

    monkeypatch.setattr(sf_cli.subprocess, "run", hang)
    error = str(refused())
    assert "`sf org display --target-org acme --json` did not answer within 120 seconds" in error


def test_an_answer_without_token_says_to_log_in_again(bin_dir: Path) -> None:
    install_sf(
        bin_dir, "print(json.dumps({'status': 0, 'result': {'instanceUrl': 'https://acme.my.salesforce.com'}}))\n"
    )
    error = str(refused())
    assert "`sf` returned no instance URL or access token for 'acme'; log in again with" in error
