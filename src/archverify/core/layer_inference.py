"""Infers a layer order for a package's direct children from today's import graph."""

from __future__ import annotations

from dataclasses import dataclass, replace

from archverify.core.cuts import feedback_arc_set
from archverify.core.graph import ImportEdge, ImportGraph


@dataclass(frozen=True)
class Cycle:
    """Children that import each other, so they share one layer (written ``a : b``).

    ``suggested`` is the order (high to low) that leaves the fewest imports pointing up, and
    ``upward`` those imports: removing them would let the layer be split in that order. They
    are the cut of :func:`archverify.core.cuts.feedback_arc_set`, the one the cycles step names.
    """

    members: tuple[str, ...]
    suggested: tuple[str, ...]
    upward: tuple[ImportEdge, ...]


@dataclass(frozen=True)
class LayerPlan:
    """The inferred layers of one package, high to low; each layer is one or more children.

    ``independent[i]`` is True when the children of layer ``i`` do not import each other: it
    is written ``a | b`` and the contract keeps them apart; otherwise ``a : b`` (a cycle).

    The layers come from what runs on import: imports under ``if __name__ == "__main__":``
    are left out. A layers contract counts them all the same (as import-linter does), so
    ``main_guarded_upward`` holds those that would break these layers, to be ignored by name.
    """

    package: str
    layers: tuple[tuple[str, ...], ...]
    cycles: tuple[Cycle, ...]
    main_guarded_upward: tuple[ImportEdge, ...] = ()
    independent: tuple[bool, ...] = ()  # one per layer; missing entries mean ``:``

    def expressions(self) -> list[str]:
        """The layers as import-linter writes them: independent children joined by ``|``,
        mutually dependent ones by ``:``."""
        return [
            (" | " if self.is_independent(index) else " : ").join(layer)
            for index, layer in enumerate(self.layers)
        ]

    def is_independent(self, index: int) -> bool:
        return index < len(self.independent) and self.independent[index]


def direct_children(graph: ImportGraph, package: str) -> list[str]:
    """The subpackages and modules directly inside ``package``, sorted."""
    prefix = package + "."
    found = {
        prefix + module[len(prefix) :].split(".", 1)[0]
        for module in graph.modules
        if module.startswith(prefix)
    }
    return sorted(found)


def child_graph(graph: ImportGraph, package: str) -> ImportGraph:
    """A graph whose nodes are ``package``'s direct children.

    A child imports another when one of its modules reaches one of the other's, directly or
    through modules that belong to no child (the package's ``__init__``, other packages): a
    layers contract counts such chains too. Each edge keeps the import statement that starts it.
    """
    children = direct_children(graph, package)
    owner = {module: _owner(module, package, children) for module in graph.modules}
    edges: list[ImportEdge] = []
    through: dict[str, set[str]] = {}
    for edge in graph.edges():
        child = owner.get(edge.importer)
        if child is None:
            continue
        target = owner.get(edge.imported)
        if target is not None:
            if target != child:
                edges.append(_renamed(edge, child, target))
            continue
        if edge.imported not in through:
            through[edge.imported] = _reached_through_others(graph, edge.imported, owner)
        edges.extend(_renamed(edge, child, r) for r in sorted(through[edge.imported]) if r != child)
    return ImportGraph(children, edges)


def infer_layers(graph: ImportGraph, package: str) -> LayerPlan:
    """Layers for ``package``'s children with no import pointing up.

    The units are the package's direct children (its structure: a subpackage is one unit
    whatever it holds); their imports give the order. Each child's height is the longest chain
    of imports below it, so a child sits above everything it imports. Children of one height
    never import each other: they share one independent layer (``a | b``) instead of an
    invented order. Children in one import cycle share a layer (``a : b``); since a layer cannot
    mix ``|`` and ``:``, a cycle gets its own layer below the other children of its height.
    """
    children_graph = child_graph(graph, package)
    components = children_graph.strongly_connected_components()
    group_of: dict[str, tuple[str, ...]] = {}
    for component in components:
        for member in component:
            group_of[member] = tuple(component)
    for child in children_graph.modules:
        group_of.setdefault(child, (child,))
    groups = sorted(set(group_of.values()))
    below: dict[tuple[str, ...], set[tuple[str, ...]]] = {group: set() for group in groups}
    for edge in children_graph.edges():
        importer, imported = group_of[edge.importer], group_of[edge.imported]
        if importer != imported:
            below[importer].add(imported)
    height: dict[tuple[str, ...], int] = {}
    for group in groups:
        _height(group, below, height)
    levels: dict[int, list[tuple[str, ...]]] = {}
    for group in groups:
        levels.setdefault(height[group], []).append(group)
    layers: list[tuple[str, ...]] = []
    independent: list[bool] = []
    for level in sorted(levels, reverse=True):
        singles = tuple(group[0] for group in levels[level] if len(group) == 1)
        if singles:
            layers.append(singles)
            independent.append(len(singles) > 1)
        for group in levels[level]:
            if len(group) > 1:
                layers.append(group)
                independent.append(False)
    cycles = tuple(_cycle(children_graph, list(component)) for component in components)
    return LayerPlan(
        package=package, layers=tuple(layers), cycles=cycles, independent=tuple(independent)
    )


def main_guarded_upward(graph: ImportGraph, plan: LayerPlan) -> list[ImportEdge]:
    """The main-guarded imports of ``graph`` (which holds them) that a layers contract of
    ``plan`` would count as pointing up, or as joining two children of one ``|`` layer,
    directly or through modules of no child."""
    rank = {child: index for index, layer in enumerate(plan.layers) for child in layer}
    children = sorted(rank)
    owner = {module: _owner(module, plan.package, children) for module in graph.modules}
    found: list[ImportEdge] = []
    for edge in graph.edges():
        low = owner.get(edge.importer)
        if not edge.main_guarded or low is None:
            continue
        target = owner.get(edge.imported)
        if target is not None:
            reached = {target}
        else:
            reached = _reached_through_others(graph, edge.imported, owner)
        if any(_breaks(plan, rank, low, child) for child in reached):
            found.append(edge)
    return found


def _breaks(plan: LayerPlan, rank: dict[str, int], importer: str, imported: str) -> bool:
    """An import from child ``importer`` to child ``imported`` breaks ``plan``'s contract."""
    if rank[imported] < rank[importer]:
        return True
    return (
        imported != importer
        and rank[imported] == rank[importer]
        and plan.is_independent(rank[importer])
    )


def order_with_fewest_upward(graph: ImportGraph, members: list[str]) -> list[str]:
    """``members`` high to low so that the fewest import statements point up (lower to higher).

    The imports pointing up are the cycles step's cut (:func:`feedback_arc_set`), so that init
    and the cycles step name the same imports to remove; the order is the one that cut leaves:
    each member above what it still imports, ties by name.
    """
    return _split(graph, members)[0]


def _split(graph: ImportGraph, members: list[str]) -> tuple[list[str], tuple[ImportEdge, ...]]:
    """The order of :func:`order_with_fewest_upward` and the cut it comes from."""
    edges = feedback_arc_set(graph, members).edges
    cut = {(edge.importer, edge.imported) for edge in edges}
    inside = set(members)
    below = {
        member: sorted(
            other
            for other in graph.imports_of(member) & inside
            if other != member and (member, other) not in cut
        )
        for member in members
    }
    importers = {member: 0 for member in members}
    for imported in below.values():
        for other in imported:
            importers[other] += 1
    ready = sorted(member for member, count in importers.items() if count == 0)
    order: list[str] = []
    while ready:
        member = ready.pop(0)
        order.append(member)
        for other in below[member]:
            importers[other] -= 1
            if importers[other] == 0:
                ready.append(other)
        ready.sort()
    return order, edges


def upward_imports(graph: ImportGraph, order: list[str]) -> list[ImportEdge]:
    """The import statements that point up in ``order`` (high to low)."""
    rank = {member: index for index, member in enumerate(order)}
    return [
        edge
        for edge in graph.edges()
        if edge.importer in rank
        and edge.imported in rank
        and rank[edge.importer] > rank[edge.imported]
    ]


def _owner(module: str, package: str, children: list[str]) -> str | None:
    if not module.startswith(package + "."):
        return None
    child = package + "." + module[len(package) + 1 :].split(".", 1)[0]
    return child if child in children else None


def _reached_through_others(
    graph: ImportGraph, start: str, owner: dict[str, str | None]
) -> set[str]:
    """The children reached from ``start`` (a module of no child) through modules of no child."""
    reached: set[str] = set()
    seen = {start}
    stack = [start]
    while stack:
        current = stack.pop()
        for nxt in graph.imports_of(current):
            child = owner.get(nxt)
            if child is not None:
                reached.add(child)
            elif nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return reached


def _renamed(edge: ImportEdge, importer: str, imported: str) -> ImportEdge:
    return replace(edge, importer=importer, imported=imported)


def _height(
    group: tuple[str, ...],
    below: dict[tuple[str, ...], set[tuple[str, ...]]],
    height: dict[tuple[str, ...], int],
) -> int:
    # Iterative on purpose: a long chain of children must not hit the recursion limit.
    stack = [group]
    while stack:
        current = stack[-1]
        pending = [g for g in below[current] if g not in height]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        height[current] = 1 + max((height[g] for g in below[current]), default=-1)
    return height[group]


def _cycle(graph: ImportGraph, members: list[str]) -> Cycle:
    order, cut = _split(graph, members)
    return Cycle(members=tuple(members), suggested=tuple(order), upward=cut)
