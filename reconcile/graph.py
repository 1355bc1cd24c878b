"""The dependency graph of one org's resources: order, cycle check, dependents.

Nodes are addresses; an edge ``first -> then`` means ``first`` is applied before ``then``. Edges come
from the desired org (``after = [...]`` in the config). Ties are broken by kind (registry order), then by
the address text, so the same config always yields the same order.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import networkx as nx

from reconcile import kinds
from reconcile.config.desired import DesiredOrg
from reconcile.errors import CycleError, Problem
from reconcile.model import Address


def _sort_key(address: Address) -> tuple[int, str]:
    return kinds.order(address.kind), str(address)


def build_graph(desired: DesiredOrg, extra: Iterable[Address] = ()) -> nx.DiGraph:
    """A graph over the desired addresses plus ``extra`` (e.g. addresses only in state), with the
    desired org's edges. Nodes are inserted in a stable order, so graph walks are deterministic."""
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted({*desired.resources, *extra}, key=_sort_key))
    graph.add_edges_from(sorted(desired.edges, key=lambda edge: (_sort_key(edge[0]), _sort_key(edge[1]))))
    return graph


def check_cycles(desired: DesiredOrg) -> None:
    """Raise ``CycleError`` if the desired org's edges form a cycle.

    The message prints the cycle as ``a -> b -> c -> a`` and where each address was declared.
    """
    if not desired.edges:
        return
    graph = build_graph(desired)
    try:
        cycle_edges = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    cycle: list[Address] = [edge[0] for edge in cycle_edges]
    path = " -> ".join(str(address) for address in [*cycle, cycle[0]])
    where = "; ".join(
        f"{address} declared at {desired.locations[address]}" for address in cycle if address in desired.locations
    )
    raise CycleError(
        Problem(
            f"dependency cycle: {path}",
            location=desired.locations.get(cycle[0]),
            hint=where,
        )
    )


def order(graph: nx.DiGraph, addresses: Collection[Address]) -> list[Address]:
    """``addresses`` in a deterministic topological order of ``graph``.

    Ordering respects paths through nodes outside ``addresses``. Addresses not in the graph come last,
    sorted by kind and text.
    """
    wanted = set(addresses)
    if not wanted:
        return []
    if not graph.number_of_edges():  # no edge: the tie-break order is the whole order
        inside = sorted((address for address in wanted if address in graph), key=_sort_key)
        return inside + sorted((address for address in wanted if address not in graph), key=_sort_key)
    ordered = [address for address in nx.lexicographical_topological_sort(graph, key=_sort_key) if address in wanted]
    missing = sorted(wanted.difference(ordered), key=_sort_key)
    return ordered + missing


def dependents(graph: nx.DiGraph, address: Address) -> set[Address]:
    """Everything that must run after ``address``, directly or transitively (empty if unknown)."""
    if address not in graph:
        return set()
    return set(nx.descendants(graph, address))


def dependencies(graph: nx.DiGraph, address: Address) -> set[Address]:
    """Everything ``address`` runs after, directly or transitively (empty if unknown)."""
    if address not in graph:
        return set()
    return set(nx.ancestors(graph, address))


def nearest_in(graph: nx.DiGraph, address: Address, members: Collection[Address]) -> list[Address]:
    """The closest predecessors of ``address`` that are in ``members``, looking through predecessors
    that are not (sorted). On a reversed view this gives the closest successors instead."""
    found: set[Address] = set()
    seen: set[Address] = set()
    stack: list[Address] = list(graph.predecessors(address))
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node in members:
            found.add(node)
        else:
            stack.extend(graph.predecessors(node))
    return sorted(found)


def add_recorded_dependencies(graph: nx.DiGraph, address: Address, recorded: Iterable[str]) -> None:
    """Add edges ``dependency -> address`` for dependencies recorded in state, when both are in the graph.

    A recorded dependency that no longer parses, is not in the graph, or would close a cycle orders
    nothing and is ignored.
    """
    if address not in graph:
        return
    for text in recorded:
        try:
            dependency = Address.parse(text)
        except ValueError:
            continue
        if dependency in graph and not nx.has_path(graph, address, dependency):
            graph.add_edge(dependency, address)
