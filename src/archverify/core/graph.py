"""The import graph of the verified modules, built from facts, with the queries contracts need."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from archverify.core.facts import FileFacts, ImportFact
from archverify.core.project import existing_names


@dataclass(frozen=True)
class ImportEdge:
    """One import statement's contribution: ``importer`` imports ``imported`` at path:line.

    ``implicit`` edges are not written in the source: importing ``a.b.c`` runs ``a/__init__``
    and ``a/b/__init__`` first, so the statement at path:line also depends on those packages.
    ``via`` is then the module the statement imports (``a.b.c``).
    """

    importer: str
    imported: str
    path: str
    line: int
    column: int
    in_function: bool = False
    type_checking: bool = False
    guarded: bool = False
    dynamic: bool = False
    main_guarded: bool = False
    implicit: bool = False
    via: str = ""

    def sort_key(self) -> tuple[str, str, str, int, int]:
        return (self.importer, self.imported, self.path, self.line, self.column)


def nearest_internal(module: str, internal: Set[str]) -> str | None:
    """``module`` or its nearest ancestor that is internal, as grimp resolves ``a.b.c``."""
    name = module
    while name:
        if name in internal:
            return name
        name = name.rpartition(".")[0]
    return None


def resolve_import(name: str, internal: Set[str]) -> str | None:
    """The internal module an import of ``name`` reaches, as grimp resolves it.

    ``name`` itself when it is a module, else its parent (``name`` is then an attribute of it,
    ``from a import attr``), else None: the import fails at run time or names a module that is
    not in the sources (a compiled extension), and its ancestors are not its target.
    """
    if name in internal:
        return name
    parent = name.rpartition(".")[0]
    return parent if parent in internal else None


def implicit_parents(importer: str, imported: str, internal: Set[str]) -> list[str]:
    """The packages an import of ``imported`` runs first that ``importer`` has not already run.

    Python imports ``a`` and then ``a.b`` before ``a.b.c``, running each ``__init__`` not yet
    in ``sys.modules``. The importer's own ancestors (and itself) are there already, being or
    having been initialised before its code runs, so importing through them runs nothing.
    Outermost first; folders without ``__init__.py`` run no code and are no modules here.
    """
    parents: list[str] = []
    name = imported.rpartition(".")[0]
    while name:
        if name in internal and not (importer == name or importer.startswith(name + ".")):
            parents.append(name)
        name = name.rpartition(".")[0]
    return parents[::-1]


def _imported_names(fact: ImportFact) -> list[str]:
    """The dotted names one import fact asks for: ``a.b`` for ``from a import b``.

    ``from a import *`` asks for ``a.*``, which is never a module, so it resolves to ``a``.
    """
    if not fact.names:
        return [fact.module]
    return list(dict.fromkeys(f"{fact.module}.{name}" for name in fact.names))


# What kind of import an edge is, as bits: a graph built with some options leaves out every
# edge that has a bit its options exclude (``_excluded``).
_TYPE_CHECKING, _IN_FUNCTION, _MAIN_GUARDED, _IMPLICIT, _EXTERNAL = 1, 2, 4, 8, 16

Pair = tuple[str, str]


def _excluded(
    include_type_checking: bool,
    include_function_level: bool,
    include_external: bool,
    include_main_guarded: bool,
    include_implicit: bool,
) -> int:
    return (
        (0 if include_type_checking else _TYPE_CHECKING)
        | (0 if include_function_level else _IN_FUNCTION)
        | (0 if include_main_guarded else _MAIN_GUARDED)
        | (0 if include_implicit else _IMPLICIT)
        | (0 if include_external else _EXTERNAL)
    )


def _kind(edge: ImportEdge, external: bool) -> int:
    return (
        (_TYPE_CHECKING if edge.type_checking else 0)
        | (_IN_FUNCTION if edge.in_function else 0)
        | (_MAIN_GUARDED if edge.main_guarded else 0)
        | (_IMPLICIT if edge.implicit else 0)
        | (_EXTERNAL if external else 0)
    )


def _grouped(edges: Iterable[ImportEdge]) -> dict[Pair, tuple[ImportEdge, ...]]:
    """Edges by (importer, imported), pairs in order, each pair's edges by ``sort_key``
    (stable: equal keys keep their order); self-imports dropped."""
    by_pair: dict[Pair, list[ImportEdge]] = {}
    for edge in edges:
        if edge.importer != edge.imported:
            by_pair.setdefault((edge.importer, edge.imported), []).append(edge)
    return {
        pair: tuple(sorted(found, key=ImportEdge.sort_key) if len(found) > 1 else found)
        for pair, found in sorted(by_pair.items())
    }


class ImportTable:
    """Every edge any ``ImportGraph`` of one set of facts can hold, resolved once.

    Each edge carries its kind (``_kind``); ``graph(...)`` keeps the edges whose kind its
    options allow. The steps ask for several graphs of one project (contracts with and
    without ``TYPE_CHECKING`` imports and externals, cycles at import time with and without
    function-level imports): they share the resolution, the edge objects and the sorting.
    """

    def __init__(self, facts: Iterable[FileFacts]) -> None:
        all_facts = list(facts)
        internal = {f.module for f in all_facts}
        self.modules: frozenset[str] = frozenset(internal)
        self.paths: dict[str, str] = {f.module: f.path for f in all_facts}
        edges: list[ImportEdge] = []
        for file_facts in all_facts:
            for fact in file_facts.imports:
                targets: list[str] = []
                for name in _imported_names(fact):
                    target = resolve_import(name, internal)
                    if target is None:
                        # Inside a verified package but not a module: no edge at all.
                        if nearest_internal(name, internal) is not None:
                            continue
                        target = name.partition(".")[0]
                    if target in targets:
                        continue
                    targets.append(target)
                    edges.append(_edge(file_facts, fact, target))
                edges.extend(_implicit_edges(file_facts, fact, targets, internal))
        self._pairs: dict[Pair, tuple[tuple[ImportEdge, ...], tuple[int, ...], int, int]] = {}
        for pair, found in _grouped(edges).items():
            external = pair[1] not in internal
            kinds = tuple(_kind(edge, external) for edge in found)
            union = common = kinds[0]
            for kind in kinds[1:]:
                union, common = union | kind, common & kind
            self._pairs[pair] = (found, kinds, union, common)

    def graph(
        self,
        *,
        include_type_checking: bool = False,
        include_function_level: bool = True,
        include_external: bool = False,
        include_main_guarded: bool = True,
        include_implicit: bool = False,
    ) -> ImportGraph:
        """The graph of these facts with the options of ``ImportGraph.build``."""
        excluded = _excluded(
            include_type_checking,
            include_function_level,
            include_external,
            include_main_guarded,
            include_implicit,
        )
        by_pair: dict[Pair, tuple[ImportEdge, ...]] = {}
        externals: set[str] = set()
        for pair, (found, kinds, union, common) in self._pairs.items():
            if common & excluded:
                continue  # every edge of the pair is of a left-out kind
            if union & excluded:
                found = tuple(
                    e for e, kind in zip(found, kinds, strict=True) if not kind & excluded
                )
                if not found:
                    continue
            by_pair[pair] = found
            if union & _EXTERNAL:
                externals.add(pair[1])
        graph = object.__new__(ImportGraph)
        graph._adopt(self.modules, frozenset(externals), self.paths, by_pair)
        return graph


class ImportGraph:
    """Internal modules, the top-level externals they import and one edge per import statement.

    Built once per run and per inclusion setting; every query is answered from two adjacency
    maps, so the contracts never reparse anything.
    """

    modules: frozenset[str]
    external_modules: frozenset[str]
    paths: dict[str, str]
    import_count: int

    def __init__(
        self,
        modules: Iterable[str],
        edges: Iterable[ImportEdge],
        external_modules: Iterable[str] = (),
        paths: dict[str, str] | None = None,
    ) -> None:
        internal = frozenset(modules)
        self._adopt(
            internal,
            frozenset(external_modules) - internal,
            dict(paths or {}),
            _grouped(edges),
        )

    def _adopt(
        self,
        modules: frozenset[str],
        external_modules: frozenset[str],
        paths: dict[str, str],
        by_pair: dict[Pair, tuple[ImportEdge, ...]],
        *,
        adjacency: tuple[dict[str, set[str]], dict[str, set[str]], dict[str, list[str]]]
        | None = None,
        like: ImportGraph | None = None,
    ) -> None:
        """Set every attribute: the one path each constructor (``__init__``, the table's
        ``graph``, the derived graphs) goes through, so none lacks an index.

        ``by_pair`` is in pair order with self-imports dropped and each pair's edges sorted;
        ``adjacency`` (out, in, sorted out) is derived from it when not given; ``like`` is a
        graph with the same modules and externals whose module indexes are shared.
        """
        self.modules = modules
        self.external_modules = external_modules
        self.paths = paths
        self._by_pair = by_pair
        if adjacency is None:
            sorted_out: dict[str, list[str]] = {}
            into: dict[str, set[str]] = {}
            for importer, imported in by_pair:  # in pair order: each list comes out sorted
                targets = sorted_out.get(importer)
                if targets is None:
                    sorted_out[importer] = [imported]
                else:
                    targets.append(imported)
                found = into.get(imported)
                if found is None:
                    into[imported] = {importer}
                else:
                    found.add(importer)
            adjacency = ({m: set(t) for m, t in sorted_out.items()}, into, sorted_out)
        self._out, self._in, self._sorted_out = adjacency
        self.import_count = len(by_pair)
        # Indexes over the modules only (built on first use): shared with ``like``.
        self._members: dict[str, frozenset[str]] | None = None
        self._existing: frozenset[str] | None = None
        if like is not None:
            like.members("")
            self._members, self._existing = like._members, like._existing

    @classmethod
    def build(
        cls,
        facts: Iterable[FileFacts],
        *,
        include_type_checking: bool = False,
        include_function_level: bool = True,
        include_external: bool = False,
        include_main_guarded: bool = True,
        include_implicit: bool = False,
    ) -> ImportGraph:
        """The graph of ``facts``.

        ``from a import b`` targets ``a.b`` when that is an internal module, else ``a``; an
        import of a name neither internal nor an attribute of an internal module has no edge
        (``resolve_import``); imports of other distributions are squashed to their top-level
        name (kept only when ``include_external``). Self-imports are dropped.

        The defaults are grimp's (import-linter's) graph: imports under
        ``if __name__ == "__main__":`` count and parent packages get no edge. An import-time
        graph leaves the former out (``include_main_guarded=False``) and adds the latter
        (``include_implicit=True``, see ``implicit_parents``). Several graphs of the same
        facts: build an ``ImportTable`` once and ask it for each.
        """
        return ImportTable(facts).graph(
            include_type_checking=include_type_checking,
            include_function_level=include_function_level,
            include_external=include_external,
            include_main_guarded=include_main_guarded,
            include_implicit=include_implicit,
        )

    def edges(self) -> list[ImportEdge]:
        """Every edge, ordered by importer, imported, path, line, column."""
        return [edge for found in self._by_pair.values() for edge in found]

    def edges_between(self, importer: str, imported: str) -> tuple[ImportEdge, ...]:
        return self._by_pair.get((importer, imported), ())

    def imports_of(self, module: str) -> frozenset[str]:
        return frozenset(self._out.get(module, ()))

    def sorted_imports_of(self, module: str) -> list[str]:
        """What ``module`` imports, by name (the list is shared: do not change it)."""
        return self._sorted_out.get(module, [])

    def importers_of(self, module: str) -> frozenset[str]:
        return frozenset(self._in.get(module, ()))

    def all_modules(self) -> frozenset[str]:
        """Internal and external modules together."""
        return self.modules | self.external_modules

    def exists(self, name: str) -> bool:
        """``name`` is a module of the graph (externals included) or a package above one, a
        namespace folder included (``core.project.existing_names``)."""
        if self._existing is None:
            self._existing = existing_names(self.all_modules())
        return name in self._existing

    def members(self, package: str) -> frozenset[str]:
        """``package`` and its descendants in the graph, externals included."""
        if self._members is None:
            # Indexed once: contracts ask for the same few packages for every pair they check.
            index: dict[str, set[str]] = {}
            for module in self.all_modules():
                name = module
                while name:
                    index.setdefault(name, set()).add(module)
                    name = name.rpartition(".")[0]
            self._members = {name: frozenset(found) for name, found in index.items()}
        return self._members.get(package, frozenset())

    def without_imports(self, pairs: Iterable[tuple[str, str]]) -> ImportGraph:
        """A copy with every edge of the given (importer, imported) pairs removed."""
        return self.without_pairs(pairs)

    def without_pairs(self, pairs: Iterable[tuple[str, str]]) -> ImportGraph:
        """A copy without the edges of ``pairs``, sharing what does not change (the cut search
        asks for hundreds of such graphs on Django: a full rebuild each took 13 ms)."""
        dropped = {pair for pair in pairs if pair in self._by_pair}
        if not dropped:
            return self
        by_pair = dict(self._by_pair)  # a C-level copy, then a few deletions
        for pair in dropped:
            del by_pair[pair]
        out, into, sorted_out = dict(self._out), dict(self._in), dict(self._sorted_out)
        for importer, imported in dropped:
            out[importer] = out[importer] - {imported}
            into[imported] = into[imported] - {importer}
            sorted_out[importer] = sorted(out[importer])
        copy = object.__new__(ImportGraph)
        copy._adopt(
            self.modules,
            self.external_modules,
            self.paths,
            by_pair,
            adjacency=(out, into, sorted_out),
            like=self,
        )
        return copy

    def only_pairs(self, pairs: Iterable[tuple[str, str]]) -> ImportGraph:
        """The same modules with only the edges of ``pairs``, sharing the members index."""
        by_pair = {p: self._by_pair[p] for p in sorted(set(pairs)) if p in self._by_pair}
        copy = object.__new__(ImportGraph)
        copy._adopt(self.modules, self.external_modules, self.paths, by_pair, like=self)
        return copy

    def restricted_to(self, modules: Set[str]) -> ImportGraph:
        """The subgraph induced by ``modules`` (internal ones only)."""
        keep = self.modules & modules
        if keep == self.modules and not self.external_modules:
            return self  # graphs are never changed in place: the same graph serves
        by_pair = {
            (a, b): found for (a, b), found in self._by_pair.items() if a in keep and b in keep
        }
        copy = object.__new__(ImportGraph)
        copy._adopt(frozenset(keep), frozenset(), self.paths, by_pair)
        return copy

    def shortest_chain(
        self,
        importers: Set[str],
        imported: Set[str],
        *,
        avoiding: Set[str] = frozenset(),
        skipping: Set[tuple[str, str]] = frozenset(),
    ) -> list[str] | None:
        """The shortest module chain from any of ``importers`` to any of ``imported``.

        Intermediate modules are never in ``avoiding``, and no hop is one of ``skipping``
        (importer, imported) pairs. Ties are broken by module name so that the answer is the
        same on every run.
        """
        starts = sorted(m for m in importers if m not in imported)
        parent: dict[str, str | None] = {m: None for m in starts}
        queue: deque[str] = deque(starts)
        while queue:
            current = queue.popleft()
            for nxt in self._sorted_out.get(current, ()):
                if nxt in parent or (skipping and (current, nxt) in skipping):
                    continue
                if nxt in imported:
                    chain = [nxt, current]
                    step = parent[current]
                    while step is not None:
                        chain.append(step)
                        step = parent[step]
                    return chain[::-1]
                if nxt in avoiding:
                    continue
                parent[nxt] = current
                queue.append(nxt)
        return None

    def chain_edges(self, chain: list[str]) -> list[ImportEdge]:
        """The first import statement of every hop of ``chain``."""
        return [self._by_pair[(a, b)][0] for a, b in zip(chain, chain[1:], strict=False)]

    def strongly_connected_components(self) -> list[list[str]]:
        """Components of mutually importing modules (size > 1), each sorted, sorted by first."""
        components = strongly_connected(self._out)
        return sorted(sorted(c) for c in components if len(c) > 1)


def _edge(file_facts: FileFacts, fact: ImportFact, target: str, via: str = "") -> ImportEdge:
    return ImportEdge(
        importer=file_facts.module,
        imported=target,
        path=file_facts.path,
        line=fact.line,
        column=fact.column,
        in_function=fact.in_function,
        type_checking=fact.type_checking,
        guarded=fact.guarded,
        dynamic=fact.dynamic,
        main_guarded=fact.main_guarded,
        implicit=bool(via),
        via=via,
    )


def _implicit_edges(
    file_facts: FileFacts, fact: ImportFact, targets: list[str], internal: Set[str]
) -> list[ImportEdge]:
    """The parent packages one statement runs before its targets, each once, none that the
    statement imports explicitly anyway."""
    found: dict[str, ImportEdge] = {}
    for target in targets:
        if target not in internal:
            continue  # an external, squashed to its top-level name: its parents are not ours
        for parent in implicit_parents(file_facts.module, target, internal):
            if parent not in targets and parent not in found:
                found[parent] = _edge(file_facts, fact, parent, via=target)
    return list(found.values())


def strongly_connected(successors: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every strongly connected component, singletons included, each listed after every
    component it reaches (dependencies first). Iterative Tarjan: a recursive one overflows on
    the long import chains of real projects; successors are visited in sorted order so that
    the result is deterministic."""
    graph = {node: sorted(found) for node, found in successors.items()}
    for targets in list(graph.values()):
        for target in targets:
            graph.setdefault(target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            advanced = False
            for succ in pending:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(graph[succ])))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def edge_records(edges: Iterable[ImportEdge]) -> list[dict[str, str | int | bool]]:
    """Edges as JSON-ready records for a finding's ``extra``; ``in_function`` and
    ``implicit`` (with ``via``) appear only on the edges they mark."""
    records: list[dict[str, str | int | bool]] = []
    for e in edges:
        record: dict[str, str | int | bool] = {
            "importer": e.importer,
            "imported": e.imported,
            "path": e.path,
            "line": e.line,
        }
        if e.in_function:
            record["in_function"] = True
        if e.implicit:
            record["implicit"] = True
            record["via"] = e.via
        records.append(record)
    return records


def graph_stats(graph: ImportGraph) -> dict[str, int]:
    """The counts a report shows: internal modules and distinct imports analysed."""
    return {"modules": len(graph.modules), "imports": graph.import_count}


def describe_stats(graph: ImportGraph) -> str:
    stats = graph_stats(graph)
    return f"{stats['modules']} modules, {stats['imports']} imports analysed"
