"""A session from the Salesforce CLI's login: ``sf_alias`` (an ``Authenticator``, see ``connection``).

``sf org display --target-org ALIAS --json`` gives the instance URL and API version, and
``sf org auth show-access-token --target-org ALIAS --json`` the token (``org display`` redacts it in
current versions). ``--json`` makes ``sf`` print one object: ``{"status": 0, "result": {...}}``, or on
failure ``{"status": 1, "name": "...", "message": "..."}`` on stdout (stderr in newer versions).

Every way this can fail is a ``ProviderError`` naming ``sf_alias`` and what to do: ``sf`` not on PATH,
not runnable, not answering in time, failing (its own error name becomes the code, its message is
quoted), or printing something that is not its JSON. What ``sf`` prints is never quoted otherwise: on
success it holds the token.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from providers.salesforce.connection import Credentials, OrgConnection
from reconcile.errors import ProviderError

TIMEOUT_SECONDS = 120
INSTALL = "`npm install --global @salesforce/cli`"
#: ``name`` values ``sf`` gives an alias or username it holds no login for.
_UNKNOWN_ALIAS = frozenset({"NamedOrgNotFoundError", "NamedOrgNotFound", "NoAuthInfoFound", "NoOrgFound"})


def sf_cli_credentials(conn: OrgConnection) -> Credentials:
    """Reuse the Salesforce CLI's login for ``conn.sf_alias``."""
    alias = conn.sf_alias or ""
    shown = _run_sf(conn, ["org", "display", "--target-org", alias, "--json"])
    token = _run_sf(conn, ["org", "auth", "show-access-token", "--target-org", alias, "--json"])
    instance_url = str(shown.get("instanceUrl") or "")
    access_token = str(token.get("accessToken") or "")
    if not instance_url or not access_token:
        raise _error(
            conn,
            f"`sf` returned no instance URL or access token for {alias!r}",
            f"log in again with `{_login_command(conn)}`; `sf org auth show-access-token` needs a "
            "recent CLI: update it with `npm install --global @salesforce/cli@latest`",
        )
    return Credentials(instance_url, access_token, str(shown.get("apiVersion") or conn.api_version))


def _run_sf(conn: OrgConnection, args: list[str]) -> dict[str, Any]:
    """Run ``sf`` with ``--json`` and return its ``result``; any failure is a ProviderError."""
    command = f"sf {' '.join(args)}"
    executable = shutil.which("sf")
    if executable is None:
        raise _error(
            conn,
            "the Salesforce CLI `sf` is not installed or not on PATH",
            f"install it with {INSTALL} (or add its folder to PATH), then log in with "
            f"`{_login_command(conn)}`; or connect this org another way (instance_url with auth)",
        )
    try:
        proc = subprocess.run(
            [executable, *args], capture_output=True, text=True, errors="replace", timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise _error(
            conn,
            f"`{command}` did not answer within {TIMEOUT_SECONDS} seconds",
            f"run `{command}` yourself to see what it waits for",
        ) from None
    except OSError as exc:
        raise _error(
            conn,
            f"cannot run the Salesforce CLI at {executable} ({exc.strerror or type(exc).__name__})",
            f"reinstall it with {INSTALL}, or fix PATH",
        ) from None
    payload = _json_object(proc.stdout) or _json_object(proc.stderr)
    if not payload:
        raise _not_json(conn, command, proc.returncode)
    if proc.returncode != 0 or payload.get("status", 0) != 0:
        raise _failed(conn, command, payload, proc.returncode)
    result = payload.get("result")
    if not isinstance(result, dict):
        raise _not_json(conn, command, proc.returncode)
    return result


def _failed(conn: OrgConnection, command: str, payload: dict[str, Any], returncode: int) -> ProviderError:
    """``sf`` answered with its JSON error: quote its message, say what to do, its name is the code."""
    name = str(payload.get("name") or "SfCliError")
    message = str(payload.get("message") or f"`{command}` failed (exit {returncode})").strip().rstrip(".")
    if name in _UNKNOWN_ALIAS or "no authorization information" in message.lower():
        todo = (
            f"log in with `{_login_command(conn)}` (add `--instance-url https://test.salesforce.com` for a "
            "sandbox), or fix sf_alias; `sf org list` shows the aliases the CLI knows"
        )
    else:
        todo = (
            f"run `{command.removesuffix(' --json')}` to see the CLI's view; if its login expired, log in "
            f"again with `{_login_command(conn)}`"
        )
    return _error(conn, message, todo, code=name)


def _not_json(conn: OrgConnection, command: str, returncode: int) -> ProviderError:
    return _error(
        conn,
        f"`{command}` printed no JSON answer (exit {returncode})",
        "run it yourself to see why; reconcile needs a Salesforce CLI that answers --json: update it "
        "with `npm install --global @salesforce/cli@latest`",
        code="SfCliError",
    )


def _error(conn: OrgConnection, problem: str, todo: str, *, code: str = "") -> ProviderError:
    return ProviderError(f"sf_alias {conn.sf_alias!r}: {problem}; {todo}", org=conn.name, code=code)


def _login_command(conn: OrgConnection) -> str:
    return f"sf org login web --alias {conn.sf_alias}"


def _json_object(text: str) -> dict[str, Any]:
    """The JSON object ``text`` holds, or ``{}`` (``sf --json`` errors go to stdout or, in newer
    versions, stderr)."""
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
