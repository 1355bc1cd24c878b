"""``reconcile emulator``: run, reset or describe local emulated Salesforce orgs (``snapshot`` is in
``emulator_snapshot.py``).

``reset`` starts emulated orgs over from their seeds. The state is a separate thing: after a reset it
still describes the org as it was, which ``reset`` says; ``--with-state`` also forgets those orgs'
state entries (managed resources, the Apex run ledger, pending restores) under the state lock, with a
journal run (operation ``emulator reset``, one ``forget`` result per resource), so the next plan starts
from nothing, as on the first day.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reconcile.cli.application import app, handle_errors, out_console
from reconcile.cli.options import DEFAULT_CONFIG, ConfigOpt, LockTimeoutOpt, OrgOpt
from reconcile.errors import ConfigError

if TYPE_CHECKING:
    from reconcile.workspace import Workspace
    from state.base import OrgState

emulator_app = typer.Typer(help="Run, reset or describe local emulated Salesforce orgs.", no_args_is_help=True)
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
def reset(
    config: ConfigOpt = DEFAULT_CONFIG,
    org: OrgOpt = None,
    with_state: Annotated[
        bool, typer.Option("--with-state", help="Also forget these orgs' state, to start over as on the first day.")
    ] = False,
    lock_timeout: LockTimeoutOpt = 0.0,
) -> None:
    """Start emulated orgs over from their seeds (all emulated orgs, or those named)."""
    from providers.emulator.serve import reset as reset_org
    from reconcile.workspace import Workspace, emulator_data_path

    workspace = Workspace.open(config)
    emulated = sorted(name for name, cfg in workspace.config.orgs.items() if cfg.emulator)
    names = org or emulated
    unknown = [name for name in names if name not in emulated]
    if unknown:
        raise ConfigError(f"not an emulated org: {', '.join(unknown)} (emulated orgs: {', '.join(emulated)})")
    console = out_console()

    def reset_all() -> None:
        for name in names:
            seed = workspace.config.root / str(workspace.config.orgs[name].emulator)
            reset_org(seed, emulator_data_path(workspace.config, name))
            console.print(f"Reset {name} from {seed}.", highlight=False)

    if with_state:
        from state.factory import lock_orgs

        with lock_orgs(workspace.backend, names, "emulator reset", lock_timeout):
            reset_all()
            forgotten = forget_orgs(workspace, names)
        for name in names:
            count = forgotten.get(name)
            what = f"forgot {_describe(count)}" if count else "it held nothing"
            console.print(f"State of {name}: {what}.", highlight=False)
        return
    reset_all()
    state = workspace.backend.read()
    for name in names:
        held = state.orgs.get(name)
        if held is not None and _describe(held):
            console.print(
                f"The state still describes {name} as it was before the reset ({_describe(held)}): the next "
                f"plan compares the seed's org with that. To start both over: "
                f"reconcile emulator reset --org {name} --with-state",
                highlight=False,
            )


def _describe(held: OrgState) -> str:
    parts = [
        (len(held.resources), "managed resource"),
        (sum(len(runs) for runs in held.apex_runs.values()), "Apex run"),
        (len(held.restore), "pending restore"),
    ]
    return ", ".join(f"{count} {noun}{'' if count == 1 else 's'}" for count, noun in parts if count)


def forget_orgs(workspace: Workspace, names: list[str]) -> dict[str, OrgState]:
    """Drop the state of ``names``, journaled as an ``emulator reset`` run; returns what each org held
    (orgs the state did not know are left out). The caller holds the state lock of ``names``."""
    from reconcile.history.writer import RunWriter, org_totals
    from state.factory import journal_for

    state = workspace.backend.read()
    dropped = {name: state.orgs.pop(name) for name in names if name in state.orgs}
    writer = RunWriter(journal_for(workspace.config.state, workspace.config.root))
    reason = "the emulated org was reset from its seed"
    writer.start(
        "emulator reset",
        names,
        changes={
            name: [{"address": a, "action": "forget", "reason": reason} for a in held.resources]
            for name, held in dropped.items()
        },
    )
    workspace.backend.write(state)
    for name, held in dropped.items():
        for address in held.resources:
            writer.append("result", org=name, address=address, action="forget", ok=True, message=reason)
    totals = {
        name: org_totals(
            applied=len(dropped[name].resources) if name in dropped else 0,
            failed=0,
            skipped=0,
            api_calls=0,
            seconds=0.0,
            error="",
        )
        for name in names
    }
    writer.append("run_end", ok=True, orgs=totals)
    return dropped


@emulator_app.command()
@handle_errors
def schema() -> None:
    """Print the JSON Schema of emulator seeds (docs/emulator-seeds.md describes every section)."""
    from providers.emulator.org.seed_schema import seed_schema

    typer.echo(json.dumps(seed_schema(), indent=2, ensure_ascii=False))
