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

    ``lazy`` is True when the component exists only once function-level imports count.
    """

    modules: tuple[str, ...]
    path: tuple[ImportEdge, ...]
    edges: tuple[ImportEdge, ...]
    lazy: bool

    @property
    def chain(self) -> list[str]:
        return [self.path[0].importer, *(e.imported for e in self.path)]


def cycle_path(graph: ImportGraph, component: list[str]) -> list[str]:
    """The shortest cycle through the component's first module, inside the component."""
    start = component[0]
    inside = set(component)
    parent: dict[str, str] = {}
    queue: deque[str] = deque([start])
    seen = {start}
    while queue:
        current = queue.popleft()
        for nxt in sorted(graph.imports_of(current) & inside):
            if nxt == start:
                chain = [current]
                while chain[-1] != start:
                    chain.append(parent[chain[-1]])
                return [*chain[::-1], start]
            if nxt not in seen:
                seen.add(nxt)
                parent[nxt] = current
                queue.append(nxt)
    raise ValueError(f"{component} is not a strongly connected component")


def _cycle(graph: ImportGraph, component: list[str], lazy: bool) -> Cycle:
    inside = set(component)
    edges = tuple(
        edge
        for importer in component
        for imported in sorted(graph.imports_of(importer) & inside)
        for edge in graph.edges_between(importer, imported)
    )
    path = tuple(graph.chain_edges(cycle_path(graph, component)))
    return Cycle(modules=tuple(component), path=path, edges=edges, lazy=lazy)


def find_cycles(facts: Iterable[FileFacts], packages: tuple[str, ...]) -> list[Cycle]:
    """Import-time cycles, then cycles that need a function-level import, among ``packages``.

    ``TYPE_CHECKING`` imports never run, so they never make a cycle. An empty ``packages``
    means every module.
    """
    everything = list(facts)
    eager = ImportGraph.build(everything, include_function_level=False)
    full = ImportGraph.build(everything, include_function_level=True)
    return cycles_in(eager, full, packages)


def cycles_in(eager: ImportGraph, full: ImportGraph, packages: tuple[str, ...]) -> list[Cycle]:
    """``find_cycles`` on graphs already built: ``eager`` without function-level imports,
    ``full`` with them, both without TYPE_CHECKING imports."""
    if packages:
        chosen = {m for m in full.modules if in_any_package(m, packages)}
        eager, full = eager.restricted_to(chosen), full.restricted_to(chosen)
    eager_components = eager.strongly_connected_components()
    found = [_cycle(eager, c, lazy=False) for c in eager_components]
    known = {tuple(c) for c in eager_components}
    for component in full.strongly_connected_components():
        if tuple(component) not in known:
            found.append(_cycle(full, component, lazy=True))
    return found
