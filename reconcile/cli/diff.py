"""``reconcile diff``: compare two orgs' live configuration, as what would make one like the other."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconcile.cli.application import app, err_console, handle_errors, out_console
from reconcile.cli.options import DEFAULT_CONFIG, ConfigOpt, Format

if TYPE_CHECKING:
    from reconcile.fleet.diff import OrgDiff
    from reconcile.fleet.importer import Entries

KindOpt = Annotated[
    list[str] | None,
    typer.Option("--kind", help="Compare everything readable of this kind (repeatable).", show_default=False),
]


def write_entries(entries: Entries, out: Path, header: list[str]) -> None:
    """Write ``entries`` as TOML to ``out`` and say on stderr how many, and what was left out."""
    out.write_text(entries.toml(header), encoding="utf-8")
    count = entries.count
    err_console().print(f"Wrote {count} entr{'y' if count == 1 else 'ies'} to {out}.", markup=False, highlight=False)
    report_skipped(entries)


def report_skipped(entries: Entries) -> None:
    """One stderr line per resource left out of ``entries``, with the reason."""
    console = err_console()
    for skipped in entries.skipped:
        console.print(f"left out {skipped.address}: {skipped.reason}", markup=False, highlight=False)


@app.command()
@handle_errors
def diff(
    source: Annotated[str, typer.Option("--from", help="The org to compare from (the model).")],
    target: Annotated[str, typer.Option("--to", help="The org to compare (the one that would change).")],
    config: ConfigOpt = DEFAULT_CONFIG,
    kind: KindOpt = None,
    all_kinds: Annotated[
        bool, typer.Option("--all", help="Compare everything readable of every kind, not only managed keys.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the differences as entries for the --to org (TOML).")
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="Output format: text, markdown or json.")] = Format.text,
) -> None:
    """Compare two orgs' live configuration, printed as what would make --to like --from."""
    from reconcile.fleet.diff import diff_entries, diff_orgs
    from reconcile.fleet.importer import parse_kinds
    from reconcile.workspace import Workspace

    with Workspace.open(config) as workspace:
        names = workspace.select([source, target], [], for_apply=False)
        providers = workspace.connect(names)
        result = diff_orgs(
            workspace.config,
            source,
            target,
            providers,
            kinds=parse_kinds(kind or []),
            everything=all_kinds or bool(kind),
        )
        entries = diff_entries(result, workspace.config) if out is not None else None
    typer.echo(_render(result, format).rstrip("\n"))
    if out is not None and entries is not None:
        write_entries(
            entries,
            out,
            [
                f"What {source} has and {target} lacks, as entries for {target}.",
                "Written by `reconcile diff`; add this file to the configuration to adopt it.",
            ],
        )


def _render(result: OrgDiff, fmt: Format) -> str:
    from reconcile.render.drift import render_diff_json, render_diff_text
    from reconcile.render.markdown import render_diff_markdown

    if fmt is Format.json:
        return render_diff_json(result)
    if fmt is Format.markdown:
        return render_diff_markdown(result)
    return render_diff_text(result, width=max(out_console().width, 80))
