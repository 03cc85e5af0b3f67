"""Import cycles: strongly connected components of import-time and of lazy imports."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from archverify.core.facts import FileFacts
from archverify.core.graph import ImportEdge, ImportGraph
from archverify.core.project import in_any_package


@dataclass(frozen=True)
class Cycle:
    """One component: its modules, one deterministic cycle path through it and every edge.

    ``lazy`` is True when the component exists only once function-level imports count; its
    path then goes through at least one function-level import.
    """

    modules: tuple[str, ...]
    path: tuple[ImportEdge, ...]
    edges: tuple[ImportEdge, ...]
    lazy: bool

    @property
    def chain(self) -> list[str]:
        return [self.path[0].importer, *(e.imported for e in self.path)]


# The graph options of what runs on import: no TYPE_CHECKING (the default), no main-guarded
# imports, and the parent packages every import runs first.
IMPORT_TIME_OPTIONS: dict[str, bool] = {"include_main_guarded": False, "include_implicit": True}


# Lazy hops tried when choosing the shortest cycle through one (a breadth-first search each):
# enough for any real component, bounded for a huge one.
_LAZY_HOPS_TRIED = 64


def _shortest_path(graph: ImportGraph, start: str, goal: str, inside: set[str]) -> list[str]:
    """The shortest chain from ``start`` back to ``goal`` (which may be ``start`` itself)
    through modules of ``inside``, ties broken by name."""
    parent: dict[str, str] = {}
    queue: deque[str] = deque([start])
    seen = {start}
    while queue:
        current = queue.popleft()
        for nxt in sorted(graph.imports_of(current) & inside):
            if nxt == goal:
                chain = [current]
                while chain[-1] != start:
                    chain.append(parent[chain[-1]])
                return [*chain[::-1], goal]
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = current
                queue.append(nxt)
    raise ValueError(f"no chain from {start} to {goal} inside the component")


def cycle_path(graph: ImportGraph, component: list[str]) -> list[str]:
    """The shortest cycle through the component's first module, inside the component."""
    try:
        return _shortest_path(graph, component[0], component[0], set(component))
    except ValueError:
        raise ValueError(f"{component} is not a strongly connected component") from None


def lazy_cycle_path(full: ImportGraph, eager: ImportGraph, component: list[str]) -> list[str]:
    """The shortest cycle of the component that takes a lazy hop (an import pair that only
    function-level imports make), starting with that hop, the first such by name on a tie.

    Such a hop always exists: were every pair inside also an import-time one, the component
    would be an import-time cycle already.
    """
    inside = set(component)
    lazy_hops = [
        (importer, imported)
        for importer in component
        for imported in sorted(full.imports_of(importer) & inside)
        if imported not in eager.imports_of(importer)
    ]
    best: list[str] | None = None
    for importer, imported in lazy_hops[:_LAZY_HOPS_TRIED]:
        chain = [importer, *_shortest_path(full, imported, importer, inside)]
        if best is None or len(chain) < len(best):
            best = chain
    return best if best is not None else cycle_path(full, component)


def _cycle(graph: ImportGraph, component: list[str], chain: list[str], lazy: bool) -> Cycle:
    inside = set(component)
    edges = tuple(
        edge
        for importer in component
        for imported in sorted(graph.imports_of(importer) & inside)
        for edge in graph.edges_between(importer, imported)
    )
    # Each hop by its first import-time statement when it has one: a pair imported both at
    # import time and in a function is an import-time hop.
    path = tuple(
        next((e for e in found if not e.in_function), found[0])
        for found in (graph.edges_between(a, b) for a, b in zip(chain, chain[1:], strict=False))
    )
    return Cycle(modules=tuple(component), path=path, edges=edges, lazy=lazy)


def find_cycles(facts: Iterable[FileFacts], packages: tuple[str, ...]) -> list[Cycle]:
    """Import-time cycles, then cycles that need a function-level import, among ``packages``.

    ``TYPE_CHECKING`` and ``if __name__ == "__main__":`` imports never run on import, so they
    never make a cycle; importing ``a.b.c`` runs the packages ``a`` and ``a.b`` first, so those
    implicit edges do (``ImportGraph.build``'s ``include_implicit``). An empty ``packages``
    means every module.
    """
    everything = list(facts)
    options = IMPORT_TIME_OPTIONS
    eager = ImportGraph.build(everything, include_function_level=False, **options)
    full = ImportGraph.build(everything, include_function_level=True, **options)
    return cycles_in(eager, full, packages)


def cycles_in(eager: ImportGraph, full: ImportGraph, packages: tuple[str, ...]) -> list[Cycle]:
    """``find_cycles`` on graphs already built with ``IMPORT_TIME_OPTIONS``: ``eager``
    without function-level imports, ``full`` with them."""
    if packages:
        chosen = {m for m in full.modules if in_any_package(m, packages)}
        eager, full = eager.restricted_to(chosen), full.restricted_to(chosen)
    eager_components = eager.strongly_connected_components()
    found = [_cycle(eager, c, cycle_path(eager, c), lazy=False) for c in eager_components]
    known = {tuple(c) for c in eager_components}
    for component in full.strongly_connected_components():
        if tuple(component) not in known:
            chain = lazy_cycle_path(full, eager, component)
            found.append(_cycle(full, component, chain, lazy=True))
    return found
