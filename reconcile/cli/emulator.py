"""``reconcile emulator``: run or reset a local emulated Salesforce org."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconcile.cli.application import app, handle_errors, out_console
from reconcile.cli.options import DEFAULT_CONFIG, ConfigOpt, OrgOpt
from reconcile.errors import ConfigError

emulator_app = typer.Typer(help="Run or reset a local emulated Salesforce org.", no_args_is_help=True)
app.add_typer(emulator_app, name="emulator")


@emulator_app.command()
@handle_errors
def serve(
    data: Annotated[
        Path | None, typer.Option("--data", help="The org file to serve (changes are written back to it).")
    ] = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0 picks a free port.")] = 0,
    latency_ms: Annotated[int, typer.Option("--latency-ms", min=0, help="Added to every request.")] = 0,
    faults: Annotated[Path | None, typer.Option("--faults", help="A JSON file of fault rules.")] = None,
    fleet: Annotated[
        Path | None,
        typer.Option("--fleet", help="A JSON file of orgs to serve together on one port, routed by token."),
    ] = None,
) -> None:
    """Serve one emulated org (or a fleet) over HTTPS until interrupted; prints one JSON line when ready."""
    from providers.emulator.serve import serve_fleet_main, serve_main

    if (data is None) == (fleet is None):
        raise ConfigError("give either --data (one org) or --fleet (a fleet file), not both or neither")
    if fleet is not None:
        if faults is not None:
            raise ConfigError("--faults applies to one org (--data); a fleet serves without fault rules")
        raise typer.Exit(serve_fleet_main(fleet, port=port, latency_ms=latency_ms))
    assert data is not None
    raise typer.Exit(serve_main(data, port=port, latency_ms=latency_ms, faults_file=faults))


@emulator_app.command()
@handle_errors
def reset(config: ConfigOpt = DEFAULT_CONFIG, org: OrgOpt = None) -> None:
    """Start emulated orgs over from their seeds (all emulated orgs, or those named)."""
    from providers.emulator.serve import reset as reset_org
    from reconcile.workspace import Workspace, emulator_data_path

    workspace = Workspace.open(config)
    emulated = sorted(name for name, cfg in workspace.config.orgs.items() if cfg.emulator)
    names = org or emulated
    unknown = [name for name in names if name not in emulated]
    if unknown:
        raise ConfigError(f"not an emulated org: {', '.join(unknown)} (emulated orgs: {', '.join(emulated)})")
    for name in names:
        seed = workspace.config.root / str(workspace.config.orgs[name].emulator)
        reset_org(seed, emulator_data_path(workspace.config, name))
        out_console().print(f"Reset {name} from {seed}.")
