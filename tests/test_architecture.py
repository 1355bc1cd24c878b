"""The architecture rules of the design (DESIGN.md §2), checked on the code itself.

The import graph is read from the source with ``ast`` (every ``import`` and ``from … import``, at any
depth in a module, so a deferred import counts the same as one at the top) and checked with networkx:

- no import cycles between our modules;
- ``reconcile/model.py`` and ``reconcile/errors.py`` import nothing of ours;
- the emulator imports nothing of the engine (``reconcile``), the state backends or the real provider;
- only ``providers/salesforce/`` imports simple_salesforce;
- only ``reconcile/cli/`` and ``reconcile/render/`` print (``print``, rich consoles, ``typer.echo``);
- ``state/`` imports nothing of ``reconcile.config``;
- the engine names no resource kind: the modules outside ``reconcile/kinds/`` never import one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("reconcile", "providers", "state")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


SOURCES = _sources()


def _resolve(module: str, name: str | None, level: int, importer: str, is_package: bool) -> list[str]:
    if level:
        base = importer.split(".")
        base = base if is_package else base[:-1]
        base = base[: len(base) - (level - 1)]
        module = ".".join([*base, module] if module else base)
    targets = [module]
    if name is not None:
        targets.insert(0, f"{module}.{name}")
    return targets


def _imports(name: str, path: Path) -> set[str]:
    """Our modules that ``name`` imports (the most specific module each import names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        candidates: list[list[str]] = []
        if isinstance(node, ast.Import):
            candidates = [[alias.name] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            candidates = [_resolve(node.module or "", alias.name, node.level, name, is_package) for alias in node.names]
        for options in candidates:
            target = next((option for option in options if option in SOURCES), None)
            if target is None:
                target = next((o for o in options for m in [o] if m.split(".")[0] in PACKAGES), None)
                while target and target not in SOURCES and "." in target:
                    target = target.rsplit(".", 1)[0]
            if target in SOURCES and target != name:
                found.add(target)
    return found


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for name, path in SOURCES.items():
        graph.add_node(name)
        for target in _imports(name, path):
            # a package's __init__ re-exporting its own modules is not a dependency of the modules on it
            graph.add_edge(name, target)
    return graph


GRAPH = _graph()


def _third_party(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_there_are_no_import_cycles() -> None:
    graph = GRAPH.copy()
    # a package __init__ importing its submodules (registration, re-export) is how Python packages work;
    # the submodules importing the package back is the cycle to forbid, so drop only parent -> child edges
    graph.remove_edges_from([(a, b) for a, b in GRAPH.edges if _within(b, a)])
    cycles = [cycle for cycle in nx.simple_cycles(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join([*c, c[0]]) for c in cycles[:20])


@pytest.mark.parametrize("module", ["reconcile.model", "reconcile.errors"])
def test_the_vocabulary_imports_nothing_of_ours(module: str) -> None:
    assert set(GRAPH.successors(module)) == set()


def test_the_emulator_imports_nothing_of_the_engine_state_or_real_provider() -> None:
    bad = sorted(
        (a, b) for a, b in GRAPH.edges if _within(a, "providers.emulator") and not _within(b, "providers.emulator")
    )
    assert not bad, bad


def test_only_the_salesforce_provider_imports_simple_salesforce() -> None:
    bad = sorted(
        name
        for name, path in SOURCES.items()
        if "simple_salesforce" in _third_party(path) and not _within(name, "providers.salesforce")
    )
    assert not bad, bad


def test_state_imports_nothing_of_the_configuration() -> None:
    bad = sorted((a, b) for a, b in GRAPH.edges if _within(a, "state") and _within(b, "reconcile.config"))
    assert not bad, bad


def _prints(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "print":
                found.append(f"print() at line {node.lineno}")
            elif (
                isinstance(func, ast.Attribute)
                and func.attr in ("echo", "secho")
                and isinstance(func.value, ast.Name)
                and func.value.id == "typer"
            ):
                found.append(f"typer.{func.attr}() at line {node.lineno}")
            elif isinstance(func, ast.Name) and func.id == "Console":
                found.append(f"rich Console() at line {node.lineno}")
    return found


# The emulator is a stand-alone server: its `serve` entry point prints its one ready line on stdout.
PRINTING_ALLOWED = ("reconcile.cli", "reconcile.render", "providers.emulator.serve")


def test_only_the_cli_and_the_renderers_print() -> None:
    bad = {
        name: found
        for name, path in SOURCES.items()
        if not any(_within(name, prefix) for prefix in PRINTING_ALLOWED) and (found := _prints(path))
    }
    assert not bad, bad


def test_the_engine_names_no_resource_kind() -> None:
    """Outside reconcile/kinds/ (and the real provider's kinds/), no module imports a kind module."""
    kind_modules = {
        name
        for name in SOURCES
        if _within(name, "reconcile.kinds") and name != "reconcile.kinds" and not name.endswith(".base")
    }
    allowed = ("reconcile.kinds", "providers.salesforce.kinds")
    bad = sorted(
        (a, b) for a, b in GRAPH.edges if b in kind_modules and not any(_within(a, prefix) for prefix in allowed)
    )
    assert not bad, bad
