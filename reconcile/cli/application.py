"""The Typer app every command registers on, and what all commands share: error handling and consoles.

Every command catches the errors a user can cause (``ReconcileError``), prints one red message and
exits 1; ``--debug`` shows the traceback instead. Only ``reconcile/cli/`` and ``reconcile/render/`` print.
"""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from reconcile import __version__
from reconcile.errors import ReconcileError

P = ParamSpec("P")
R = TypeVar("R")


def _usage_error(exc: Exception) -> bool:
    """Whether ``exc`` is the command-line parser's usage error (a wrong option, command or argument)."""
    return any(cls.__name__ == "UsageError" for cls in type(exc).__mro__)


class _ReconcileGroup(TyperGroup):
    """The app's command group: a usage error exits 1 like every other error, because ``--detailed-exitcode``
    gives 2 the meaning "changes present" (a typo'd option in a nightly drift job must not read as drift)."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        if parent is None and not args:
            _suggest_init()
        try:
            return super().make_context(info_name, args, parent, **extra)
        except Exception as exc:
            if _usage_error(exc):
                setattr(exc, "exit_code", 1)  # noqa: B010 (set on the instance, whatever its class)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if _usage_error(exc):
                setattr(exc, "exit_code", 1)  # noqa: B010 (set on the instance, whatever its class)
            raise


def _suggest_init() -> None:
    """``reconcile`` alone in a directory without a configuration: say how to start, before the help."""
    if not Path("reconcile.toml").exists():
        err_console().print(
            "No reconcile.toml here. To start a project in this directory: reconcile init "
            "(see docs/getting-started.md).\n",
            markup=False,
            highlight=False,
        )


app = typer.Typer(
    cls=_ReconcileGroup,
    name="reconcile",
    help="Declarative configuration for Salesforce orgs: validate, plan, apply.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_debug = False


def err_console() -> Console:
    return Console(stderr=True, soft_wrap=True)


def out_console() -> Console:
    return Console(soft_wrap=True, highlight=False)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a ReconcileError into one red message and exit 1 (a traceback only with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ReconcileError as exc:
            if _debug:
                raise
            err_console().print(f"[bold red]Error:[/] {escape(str(exc))}", markup=True, highlight=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console().print("[red]Interrupted.[/]")
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reconcile {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Declarative configuration for Salesforce orgs: validate, plan, apply."""
    global _debug
    _debug = debug


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point. SIGTERM is handled like Ctrl-C, so a terminated command unwinds (the
    state lock is released, an apply finishes its batch in flight) instead of dying on the spot."""
    signal.signal(signal.SIGTERM, _terminate)
    app(prog_name="reconcile")


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()
