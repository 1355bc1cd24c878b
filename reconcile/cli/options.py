"""Options shared by several commands, so every command spells them the same way."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", "-c", help="A config file or a directory of *.toml files."),
]
OrgOpt = Annotated[list[str] | None, typer.Option("--org", help="Only this org (repeatable).", show_default=False)]
TagOpt = Annotated[
    list[str] | None, typer.Option("--tag", help="Only orgs with this tag (repeatable).", show_default=False)
]
ParallelismOpt = Annotated[int, typer.Option("--parallelism", min=1, max=64, help="How many orgs to work on at once.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        max=256,
        help="Processes to spread the orgs over (default: one per 8 orgs, up to the CPUs, on Linux; else 1).",
        show_default=False,
    ),
]
ApplyWorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        max=256,
        help="Processes to apply the orgs in, forked after planning (Linux; default 1: threads in this process).",
        show_default=False,
    ),
]
LockTimeoutOpt = Annotated[
    float,
    typer.Option("--lock-timeout", min=0, help="Seconds to wait for the state lock before giving up."),
]

ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="K/N",
        help="Only shard K of N: a stable split of the orgs across N jobs.",
        show_default=False,
    ),
]

DEFAULT_CONFIG = Path("reconcile.toml")
DEFAULT_PARALLELISM = 16


class Format(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]
TargetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        help="Only this address and what it depends on (repeatable): an address as the plan "
        "prints it, or a permission set for all its grants, as `after` reads it.",
        show_default=False,
    ),
]
ByOpt = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="Who runs this, for the history (default: the CI's actor, such as GITHUB_ACTOR, else the OS user).",
        show_default=False,
    ),
]
ReplaceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--replace",
        help="Act on this address even though it is in sync (repeatable): `apex:NAME` runs a `once` script again.",
        show_default=False,
    ),
]
