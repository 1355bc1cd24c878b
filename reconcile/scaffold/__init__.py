"""What ``reconcile init`` writes: a first configuration, its editor schema, ``.gitignore`` entries and,
on request, the GitHub Actions workflow.

``scaffold`` decides the files (pure: no I/O); ``write_scaffold`` writes them. The contract:

- ``reconcile.toml`` starts with the ``#:schema reconcile.schema.json`` line (taplo and the editors that
  use it complete and check keys from the schema written beside it). With orgs the Salesforce CLI knows,
  it declares one ``[orgs.NAME]`` per alias (``sf_alias``; a production org is ``protected``) and no
  entries yet; otherwise it declares the emulated org ``example`` on the seed ``orgs/example.json`` with
  three entries, so ``reconcile plan`` shows changes right away.
- ``.gitignore`` gets the lines it lacks (``.reconcile/``: the state's lock, backups and emulated orgs);
  it is appended to, never replaced.
- Any other file that exists is not replaced unless ``force`` is given: then nothing is written and the
  error names every such file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from providers.salesforce.sf_orgs import SfOrg
from reconcile.errors import ReconcileError

CONFIG = Path("reconcile.toml")
SCHEMA = Path("reconcile.schema.json")
SEED = Path("orgs/example.json")
WORKFLOW = Path(".github/workflows/reconcile.yml")
GITIGNORE = Path(".gitignore")
IGNORED = (".reconcile/",)

_HEADER = f"""#:schema {SCHEMA.as_posix()}
# The configuration reconcile converges your orgs to. `reconcile validate` checks it offline,
# `reconcile plan` shows what would change, `reconcile apply` makes the change.
# Every key is in the configuration reference (docs/configuration.md).
version = 1

[state]
path = ".reconcile/state.json"
"""

_EXAMPLE = """
# An emulated org: a Salesforce org emulator starts inside each command, from the seed below.
# Its live copy is kept in .reconcile/emulator/example.json; `reconcile emulator reset` starts it over.
[orgs.example]
emulator = "orgs/example.json"

# The account tier picklist offers these values (values not listed are left alone).
[[picklist]]
field = "Account.Tier__c"
values = ["Gold", "Silver", "Bronze"]

# Sales users see the sales layout on accounts.
[[layout_assignment]]
profile = "Sales User"
object = "Account"
layout = "Account Sales Layout"

# Alice holds Sales Ops.
[[permission_set_grant]]
permission_set = "Sales_Ops"
users = ["alice@example.com"]
"""

_ENTRIES_HINT = """
# Declare what these orgs must have, for example:
#
# [[permission_set_grant]]
# permission_set = "Sales_Ops"
# users = ["alice@acme.com"]
#
# `reconcile import --org NAME --out imported.toml` writes what an org has now as entries to start from.
"""


@dataclass(frozen=True)
class ScaffoldFile:
    """A file to write, relative to the project directory."""

    path: Path
    text: str


@dataclass(frozen=True)
class Scaffold:
    """The files ``init`` writes and the ``.gitignore`` lines it adds; ``orgs`` names the orgs declared."""

    files: tuple[ScaffoldFile, ...]
    orgs: tuple[str, ...]
    emulated: bool


def scaffold(sf_orgs: list[SfOrg] | None, *, schema: str, github: bool) -> Scaffold:
    """The files of a new project: orgs from ``sf_orgs`` (the emulated example when there are none)."""
    names = org_names(sf_orgs or [])
    emulated = not names
    config = _HEADER + (_EXAMPLE if emulated else _sf_orgs(sf_orgs or [], names) + _ENTRIES_HINT)
    files = [ScaffoldFile(CONFIG, config), ScaffoldFile(SCHEMA, schema)]
    if emulated:
        files.append(ScaffoldFile(SEED, _template("example-seed.json")))
    declared = tuple(names.values()) or ("example",)
    if github:
        files.append(ScaffoldFile(WORKFLOW, _workflow(_workflow_org(sf_orgs or [], names) or declared[0])))
    return Scaffold(files=tuple(files), orgs=declared, emulated=emulated)


def org_names(sf_orgs: list[SfOrg]) -> dict[str, str]:
    """A configuration org name per alias: the alias with anything but letters, digits, ``_`` and ``-``
    replaced by ``_``, made unique."""
    names: dict[str, str] = {}
    for org in sf_orgs:
        base = re.sub(r"[^A-Za-z0-9_-]+", "_", org.alias).strip("_") or "org"
        name, n = base, 2
        while name in names.values():
            name, n = f"{base}_{n}", n + 1
        names[org.alias] = name
    return names


def _sf_orgs(sf_orgs: list[SfOrg], names: dict[str, str]) -> str:
    blocks = []
    for org in sf_orgs:
        kind = "scratch org" if org.is_scratch else "sandbox" if org.is_sandbox else "production"
        lines = [f"\n# {org.username} ({kind})", f"[orgs.{names[org.alias]}]", f'sf_alias = "{_toml(org.alias)}"']
        if org.is_production:
            lines.append("protected = true                   # apply touches it only when named with --org")
        blocks.append("\n".join(lines) + "\n")
    return "".join(blocks)


def _toml(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _workflow_org(sf_orgs: list[SfOrg], names: dict[str, str]) -> str:
    """The org the workflow manages: the first production org, else the first org."""
    production = [names[org.alias] for org in sf_orgs if org.is_production]
    return production[0] if production else next(iter(names.values()), "")


def _workflow(org: str) -> str:
    text = _template("github-workflow.yml")
    return re.sub(r"(?m)^(  RECONCILE_ORG: )prod(\s)", lambda m: f"{m.group(1)}{org}{m.group(2)}", text, count=1)


def _template(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")


def write_scaffold(root: Path, plan: Scaffold, *, force: bool) -> list[Path]:
    """Write ``plan`` under ``root``; the paths written or changed, relative to ``root``. Raises
    ``ReconcileError`` naming every existing file when one would be replaced without ``force``."""
    existing = [f.path for f in plan.files if (root / f.path).exists()]
    if existing and not force:
        names = ", ".join(path.as_posix() for path in existing)
        raise ReconcileError(
            f"{names} already exist{'s' if len(existing) == 1 else ''} in {root}: init never replaces a file; "
            "move it away, or re-run with --force to replace it"
        )
    written = []
    try:
        for file in plan.files:
            target = root / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(file.text, encoding="utf-8")
            written.append(file.path)
        if _ignore(root / GITIGNORE):
            written.append(GITIGNORE)
    except OSError as exc:
        raise ReconcileError(f"cannot write {exc.filename or root}: {exc.strerror or exc}") from None
    return written


def _ignore(path: Path) -> bool:
    """Add the lines of ``IGNORED`` that ``path`` lacks; whether it changed."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in IGNORED if line not in present and line.rstrip("/") not in present]
    if not missing:
        return False
    prefix = "" if not text or text.endswith("\n") else "\n"
    comment = "# reconcile: state lock, backups and emulated orgs\n"
    path.write_text(text + prefix + comment + "\n".join(missing) + "\n", encoding="utf-8")
    return True
