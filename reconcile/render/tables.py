"""How the text renderers print a rich table: fitted to a terminal, whole anywhere else.

Rich fits a table to the console's width: it wraps cells and cuts what cannot wrap with an ellipsis
("creat…"). In a terminal that keeps the table inside the window, which the reader can widen. Outside
one (a pipe, a file, a CI log) nothing can be widened and the width is only a default (80 columns), so
there a table is printed at its natural width instead: every heading and cell whole, each row on one
line, however wide that makes it. Everything else the renderers print keeps the width they were given.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

#: A width no table reaches: measured against it, a table takes its natural width.
_UNBOUNDED = 1_000_000


def natural_width(console: Console, table: Table) -> int:
    """The width ``table`` takes on ``console`` when nothing in it is wrapped or cut."""
    return console.measure(table, options=console.options.update_width(_UNBOUNDED)).maximum


def print_table(console: Console, table: Table, *, terminal: bool) -> None:
    """Prints ``table`` on ``console``: fitted to the console's width when the output goes to a
    ``terminal``, otherwise whole (the console is widened for the table alone when it needs more room)."""
    width = console.width
    if not terminal:
        console.width = max(width, natural_width(console, table))
    try:
        console.print(table)
    finally:
        console.width = width
