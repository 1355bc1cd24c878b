"""``reconcile schema``: print (or write) the JSON Schema of the configuration file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconcile.cli.application import app, err_console, handle_errors
from reconcile.errors import ReconcileError


@app.command()
@handle_errors
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the schema to this file instead of printing it.")
    ] = None,
) -> None:
    """Print the JSON Schema of the config file, for editors (taplo: #:schema on the first line)."""
    from reconcile.config.json_schema import schema_json

    text = schema_json()
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReconcileError(f"cannot write {out}: {exc.strerror}") from None
    err_console().print(f"Wrote the configuration schema to {out}.", highlight=False)
