"""Every route of a broken pair: the direct imports and the indirect chains, each hop with all
its import statements.

A route is what import-linter prints as one chain: ``heads`` (modules of the importer side
importing the route's first middle module), ``middle`` (modules outside both sides) and
``tails`` (modules of the imported side the last middle module imports). A direct route has
one head hop straight into the imported side, no middle and no tails.

The indirect routes are found as grimp finds them: the shortest chain from one side to the
other, then again with the hops of the chains found so far left out, until none is left.
Ties go by module name, so the answer is the same on every run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass, replace
from typing import Any

from archverify.core.graph import ImportEdge, ImportGraph


@dataclass(frozen=True)
class Hop:
    """One module importing another, with every import statement that does it."""

    importer: str
    imported: str
    edges: tuple[ImportEdge, ...]

    @property
    def lines(self) -> tuple[int, ...]:
        return tuple(edge.line for edge in self.edges)


@dataclass(frozen=True)
class Route:
    """One direct import, or one indirect chain with every head and tail it shares."""

    heads: tuple[Hop, ...]
    middle: tuple[str, ...] = ()
    links: tuple[Hop, ...] = ()  # between consecutive middle modules
    tails: tuple[Hop, ...] = ()
    # Found for a hop the shortest chains left out (see ``find_routes``), not popped as grimp.
    covering: bool = False

    @property
    def direct(self) -> bool:
        return not self.middle

    def chain(self) -> tuple[Hop, ...]:
        """The chain shown first: the first head, the links, the first tail."""
        return (self.heads[0], *self.links, *self.tails[:1])

    def chain_count(self) -> int:
        """How many module chains the route stands for (every head with every tail)."""
        return len(self.heads) * max(1, len(self.tails))


def hop(graph: ImportGraph, importer: str, imported: str) -> Hop:
    return Hop(importer, imported, graph.edges_between(importer, imported))


def direct_routes(graph: ImportGraph, sources: Set[str], targets: Set[str]) -> list[Route]:
    """Every import from ``sources`` straight into ``targets``, one route each."""
    return [
        Route(heads=(hop(graph, source, target),))
        for source in sorted(sources - targets)
        for target in sorted(graph.imports_of(source) & targets)
    ]


def find_routes(
    graph: ImportGraph,
    sources: Set[str],
    targets: Set[str],
    *,
    avoiding: Set[str] = frozenset(),
    direct_only: bool = False,
) -> list[Route]:
    """The direct routes from ``sources`` into ``targets``, then the indirect ones (middle
    modules never in ``avoiding``, nor on either side).

    The indirect routes are popped as grimp's ``find_shortest_chains`` pops them: the
    shortest chain, then the shortest without the hops already taken, until none is left.
    Which chains that yields depends on how ties are broken (grimp's vary from run to run),
    and a hop a chain left out may still lie on another; so every hop on some chain that no
    route has shown yet gets a route of its own too (``_covering``): every import that
    carries the dependency is in some route, with all its lines.
    """
    starts = sources - targets
    found = direct_routes(graph, starts, targets)
    if direct_only:
        return found
    used: set[tuple[str, str]] = {(r.heads[0].importer, r.heads[0].imported) for r in found}
    middles: list[tuple[str, ...]] = []
    blocked = avoiding | starts
    while True:
        chain = graph.shortest_chain(starts, targets, avoiding=blocked, skipping=used)
        if chain is None:
            break
        used.update(zip(chain, chain[1:], strict=False))
        middles.append(tuple(chain[1:-1]))
    if not middles:
        return found
    made: dict[tuple[str, str], Hop] = {}

    def make(importer: str, imported: str) -> Hop:
        # Heads are shared by many routes: one Hop each.
        key = (importer, imported)
        if key not in made:
            made[key] = hop(graph, importer, imported)
        return made[key]

    indirect = {m: _indirect(make, graph, starts, targets, m) for m in middles}
    for middle in _covering(graph, starts, targets, blocked, indirect.values()):
        if middle not in indirect:
            route = _indirect(make, graph, starts, targets, middle)
            indirect[middle] = replace(route, covering=True)
    return found + list(indirect.values())


def _covering(
    graph: ImportGraph,
    starts: Set[str],
    targets: Set[str],
    blocked: Set[str],
    routes: Iterable[Route],
) -> list[tuple[str, ...]]:
    """Middles of chains through every hop that lies on a chain but on no route yet: the
    shortest way from the sources to the hop, the hop, the shortest way on to the targets
    (skipped when the two ways meet: such a hop lies on no chain without a loop)."""
    ahead = _tree(graph.sorted_imports_of, starts, blocked | targets)
    behind = _tree(lambda m: sorted(graph.importers_of(m)), targets, blocked | starts)
    inner = ahead.keys() & behind.keys()
    shown = {(h.importer, h.imported) for r in routes for h in (*r.heads, *r.links, *r.tails)}
    found: list[tuple[str, ...]] = []
    for importer in sorted(inner | (starts & ahead.keys())):
        for imported in graph.sorted_imports_of(importer):
            pair = (importer, imported)
            onward = imported in inner or (imported in targets and importer in inner)
            if pair in shown or not onward:
                continue
            before = _walk(ahead, importer)[::-1]
            after = _walk(behind, imported)
            chain = [*before, *after]
            if len(set(chain)) < len(chain):
                continue
            middle = tuple(chain[1:-1])
            found.append(middle)
            shown.update(zip(chain, chain[1:], strict=False))
            shown.update((s, middle[0]) for s in graph.importers_of(middle[0]) & starts)
            shown.update((middle[-1], t) for t in graph.imports_of(middle[-1]) & targets)
    return found


def _tree(
    step: Callable[[str], Iterable[str]], roots: Set[str], blocked: Set[str]
) -> dict[str, str | None]:
    """Breadth-first parents from ``roots`` (parent None), never entering ``blocked``; ties by
    name."""
    parent: dict[str, str | None] = {m: None for m in roots}
    queue: deque[str] = deque(sorted(roots))
    while queue:
        current = queue.popleft()
        for nxt in step(current):
            if nxt not in parent and nxt not in blocked:
                parent[nxt] = current
                queue.append(nxt)
    return parent


def _walk(parent: dict[str, str | None], module: str) -> list[str]:
    """``module`` back to its root through ``parent``."""
    found = [module]
    step = parent[module]
    while step is not None:
        found.append(step)
        step = parent[step]
    return found


def _indirect(
    make: Callable[[str, str], Hop],
    graph: ImportGraph,
    sources: Set[str],
    targets: Set[str],
    middle: tuple[str, ...],
) -> Route:
    first, last = middle[0], middle[-1]
    heads = tuple(make(s, first) for s in sorted(graph.importers_of(first) & sources))
    tails = tuple(make(last, t) for t in sorted(graph.imports_of(last) & targets))
    links = tuple(make(a, b) for a, b in zip(middle, middle[1:], strict=False))
    return Route(heads=heads, middle=middle, links=links, tails=tails)


def hop_record(found: Hop) -> dict[str, Any]:
    """A hop as JSON: its two modules, its lines and every import statement as ``{path,
    line}`` (with the statement's own importer and imported where they are not the hop's, in
    an ``acyclic_siblings`` hop between two packages, and its markers where it has any)."""
    imports: list[dict[str, Any]] = []
    for edge in found.edges:
        record: dict[str, Any] = {"path": edge.path, "line": edge.line}
        if edge.importer != found.importer:
            record["importer"] = edge.importer
        if edge.imported != found.imported:
            record["imported"] = edge.imported
        if edge.in_function:
            record["in_function"] = True
        if edge.implicit:
            record["implicit"] = True
            record["via"] = edge.via
        imports.append(record)
    return {
        "importer": found.importer,
        "imported": found.imported,
        "lines": list(found.lines),
        "imports": imports,
    }


def route_records(routes: Iterable[Route]) -> list[dict[str, Any]]:
    """Routes as JSON-ready records: the ``extra.routes`` of a contract finding. A hop shared
    by several routes (a head of many) is one record object, written out at each place."""
    records: dict[tuple[str, str], dict[str, Any]] = {}

    def one(found: Hop) -> dict[str, Any]:
        key = (found.importer, found.imported)
        if key not in records:
            records[key] = hop_record(found)
        return records[key]

    return [
        {
            "direct": route.direct,
            "covering": route.covering,
            "heads": [one(h) for h in route.heads],
            "middle": list(route.middle),
            "links": [one(h) for h in route.links],
            "tails": [one(h) for h in route.tails],
        }
        for route in routes
    ]
