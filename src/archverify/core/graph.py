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


class ImportGraph:
    """Internal modules, the top-level externals they import and one edge per import statement.

    Built once per run and per inclusion setting; every query is answered from two adjacency
    maps, so the contracts never reparse anything.
    """

    def __init__(
        self,
        modules: Iterable[str],
        edges: Iterable[ImportEdge],
        external_modules: Iterable[str] = (),
        paths: dict[str, str] | None = None,
    ) -> None:
        self.modules: frozenset[str] = frozenset(modules)
        self.external_modules: frozenset[str] = frozenset(external_modules) - self.modules
        self.paths: dict[str, str] = dict(paths or {})
        by_pair: dict[tuple[str, str], list[ImportEdge]] = {}
        for edge in edges:
            if edge.importer != edge.imported:
                by_pair.setdefault((edge.importer, edge.imported), []).append(edge)
        self._by_pair: dict[tuple[str, str], tuple[ImportEdge, ...]] = {
            pair: tuple(sorted(found, key=ImportEdge.sort_key) if len(found) > 1 else found)
            for pair, found in sorted(by_pair.items())
        }
        self._out: dict[str, set[str]] = {}
        self._in: dict[str, set[str]] = {}
        for importer, imported in self._by_pair:
            self._out.setdefault(importer, set()).add(imported)
            self._in.setdefault(imported, set()).add(importer)
        self.import_count: int = len(self._by_pair)
        self._sorted_out: dict[str, list[str]] = {m: sorted(t) for m, t in self._out.items()}
        self._members: dict[str, frozenset[str]] | None = None
        self._existing: frozenset[str] | None = None

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
        (``include_implicit=True``, see ``implicit_parents``).
        """
        all_facts = list(facts)
        internal = {f.module for f in all_facts}
        paths = {f.module: f.path for f in all_facts}
        edges: list[ImportEdge] = []
        externals: set[str] = set()
        for file_facts in all_facts:
            for fact in file_facts.imports:
                if fact.type_checking and not include_type_checking:
                    continue
                if fact.in_function and not include_function_level:
                    continue
                if fact.main_guarded and not include_main_guarded:
                    continue
                targets: list[str] = []
                for name in _imported_names(fact):
                    target = resolve_import(name, internal)
                    if target is None:
                        # Inside a verified package but not a module: no edge at all.
                        if not include_external or nearest_internal(name, internal) is not None:
                            continue
                        target = name.partition(".")[0]
                        externals.add(target)
                    if target in targets:
                        continue
                    targets.append(target)
                    edges.append(_edge(file_facts, fact, target))
                if include_implicit:
                    edges.extend(_implicit_edges(file_facts, fact, targets, internal))
        return cls(internal, edges, externals, paths)

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
        dropped = set(pairs)
        kept = (e for pair, found in self._by_pair.items() if pair not in dropped for e in found)
        return ImportGraph(self.modules, kept, self.external_modules, self.paths)

    def without_pairs(self, pairs: Iterable[tuple[str, str]]) -> ImportGraph:
        """``without_imports`` for a few pairs, sharing what does not change (the cut search
        asks for hundreds of such graphs on Django: a full rebuild each took 13 ms)."""
        dropped = {pair for pair in pairs if pair in self._by_pair}
        if not dropped:
            return self
        self.members("")  # the index depends on the modules only: built once, shared
        copy = object.__new__(ImportGraph)
        copy.modules, copy.external_modules, copy.paths = (
            self.modules,
            self.external_modules,
            self.paths,
        )
        copy._by_pair = dict(self._by_pair)  # a C-level copy, then a few deletions
        for pair in dropped:
            del copy._by_pair[pair]
        copy._out, copy._in, copy._sorted_out = (
            dict(self._out),
            dict(self._in),
            dict(self._sorted_out),
        )
        for importer, imported in dropped:
            copy._out[importer] = copy._out[importer] - {imported}
            copy._in[imported] = copy._in[imported] - {importer}
            copy._sorted_out[importer] = sorted(copy._out[importer])
        copy.import_count = len(copy._by_pair)
        copy._members, copy._existing = self._members, self._existing
        return copy

    def only_pairs(self, pairs: Iterable[tuple[str, str]]) -> ImportGraph:
        """The same modules with only the edges of ``pairs``, sharing the members index."""
        self.members("")
        kept = (e for pair in dict.fromkeys(pairs) for e in self._by_pair.get(pair, ()))
        copy = ImportGraph(self.modules, kept, self.external_modules, self.paths)
        copy._members = self._members
        return copy

    def restricted_to(self, modules: Set[str]) -> ImportGraph:
        """The subgraph induced by ``modules`` (internal ones only)."""
        keep = self.modules & modules
        kept = (
            e for (a, b), found in self._by_pair.items() if a in keep and b in keep for e in found
        )
        return ImportGraph(keep, kept, (), self.paths)

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
