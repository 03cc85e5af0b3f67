"""What each import really loaded, checked against the static import-time graph.

The import server records, per module, the project modules its import loaded, the packages
outside the project it loaded, and every load that no literal ``import`` statement of the
project asked for (``importlib.import_module`` with a computed name, ``__import__``, a plugin
registry, a module ``__getattr__``, a framework loading the project's modules). Here those
records become ``imports/hidden-edge`` warnings (a load the static import-time closure does not
explain), ``imports/runtime-contract`` errors (a contract the static imports keep and the
hidden edges break) and the step's ``stats.runtime`` (what each import loaded, and the
module-level imports that never ran).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archverify.core.config import Config
from archverify.core.contracts import ContractError, check_contract, include_type_checking
from archverify.core.cycles import IMPORT_TIME_OPTIONS
from archverify.core.facts import FileFacts
from archverify.core.findings import Finding, Rule, Severity
from archverify.core.graph import ImportEdge, ImportGraph, edge_records
from archverify.executors.imports.findings import ProjectIndex
from archverify.executors.imports.plan import ancestors

HIDDEN_EDGE = Rule(
    "imports/hidden-edge",
    Severity.WARNING,
    "write the import as a literal import statement (the static checks then see it), or "
    "suppress it on the loading line with a reason",
)
RUNTIME_CONTRACT = Rule(
    "imports/runtime-contract",
    Severity.ERROR,
    "remove the runtime-only import, or make it a literal import statement and allow it in "
    "the contract (ignore_imports)",
)
_LISTED = 20


@dataclass(frozen=True)
class Load:
    """One load of ``target`` by the code at ``path:line`` of ``loader`` (no import statement).

    ``importing`` is the module whose import-time code was running (the loader itself, or the
    module that called a function of the loader, or that touched its ``__getattr__``); ``via``
    the code outside the project the load went through (``pkgutil``, a framework), if any.
    """

    target: str
    external: bool
    loader: str
    path: str
    line: int
    function: str
    importing: str
    importing_path: str
    importing_line: int
    via: str


@dataclass
class RuntimeReport:
    """The findings and the ``stats.runtime`` record of one run."""

    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


# The static import-time graph (the cycles step's), with the packages outside the project.
EAGER_OPTIONS: dict[str, bool] = {
    "include_function_level": False,
    "include_external": True,
    **IMPORT_TIME_OPTIONS,
}


def asks(graph: ImportGraph) -> dict[str, list[str]]:
    """Per module, what its own module-level import statements load (modules, external tops):
    the import server says which of them are not loaded at all once the import is done."""
    found: dict[str, set[str]] = {}
    for edge in graph.edges():
        if not edge.implicit:
            found.setdefault(edge.importer, set()).add(edge.imported)
    return {module: sorted(names) for module, names in found.items()}


def runtime_of(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    runtime = record.get("runtime")
    return runtime if isinstance(runtime, Mapping) else None


def loads_of(record: Mapping[str, Any], index: ProjectIndex) -> list[Load]:
    """The recorded loads of one import that belong to the project's code, deepest names only
    (``import_module("a.b.c")`` also loads ``a.b``: one load, of ``a.b.c``)."""
    runtime = runtime_of(record)
    raw = runtime.get("loads") if runtime is not None else None
    found: dict[tuple[str, int, str], Load] = {}
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, list) or len(entry) != 7:
            continue
        name, path, line, function, body_path, body_line, via = entry
        loader = index.module_of(str(path))
        if loader is None or not isinstance(name, str) or not isinstance(line, int):
            continue
        top = name.partition(".")[0]
        external = top not in index.tops
        if external:
            name = top
        elif name not in index.modules:
            continue  # a namespace folder, or a module outside the verified files
        importing = index.module_of(str(body_path)) or loader
        load = Load(
            target=name,
            external=external,
            loader=loader,
            path=index.modules[loader],
            line=line,
            function=str(function),
            importing=importing,
            importing_path=index.modules[importing],
            importing_line=int(body_line) if isinstance(body_line, int) else 0,
            via=str(via),
        )
        found.setdefault((load.path, load.line, load.target), load)
    deeper = {(k[0], k[1], a) for k in found for a in ancestors(k[2])}
    return [load for key, load in sorted(found.items()) if key not in deeper]


class Closures:
    """Static import-time closures (a module, its packages and what they import), memoised."""

    def __init__(self, graph: ImportGraph) -> None:
        self.graph = graph
        self.memo: dict[str, frozenset[str]] = {}

    def of(self, module: str) -> frozenset[str]:
        found = self.memo.get(module)
        if found is None:
            seen = {module, *ancestors(module)}
            stack = list(seen)
            while stack:
                for nxt in self.graph.imports_of(stack.pop()):
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
            found = self.memo[module] = frozenset(seen)
        return found


def analyse(
    results: Mapping[str, Mapping[str, Any]],
    index: ProjectIndex,
    eager: ImportGraph,
    config: Config,
    graph_for: Any,
) -> RuntimeReport:
    """Hidden edges, runtime-only contract breaks and the ``stats.runtime`` record.

    ``eager`` is the static import-time graph (``EAGER_OPTIONS``);
    ``graph_for(include_type_checking)`` the contracts step's static graph (the step
    context's, shared).
    """
    started = time.monotonic()
    closures = Closures(eager)
    recorded = {m: r for m, r in results.items() if m in index.modules and runtime_of(r)}
    own = {m: loads_of(r, index) for m, r in recorded.items()}
    hidden: dict[tuple[str, int, str], tuple[Load, set[str]]] = {}
    for module in sorted(recorded):
        # A member's child starts from its packages' imports (a zygote): their loads are its
        # loads too, as a fresh import runs the packages first.
        inherited = [load for name in ancestors(module) for load in own.get(name, ())]
        for load in [*own[module], *inherited]:
            if load.target in closures.of(load.importing):
                continue  # a static import-time chain already loads it
            key = (load.path, load.line, load.target)
            hidden.setdefault(key, (load, set()))[1].add(module)
    report = RuntimeReport()
    report.findings = [_hidden_finding(load, sorted(by)) for load, by in hidden.values()]
    edges = [_edge(load) for load, _ in hidden.values()]
    if edges:
        report.findings += _runtime_contracts(config, graph_for, edges)
    report.stats = {
        "recorded": len(recorded),
        "hidden_edges": len(hidden),
        "runtime_contract_breaks": sum(1 for f in report.findings if f.rule == RUNTIME_CONTRACT.id),
        "not_run": _not_run(recorded, eager),
        "loads": _loads(recorded, index, closures),
    }
    report.stats["seconds"] = round(time.monotonic() - started, 3)  # this comparison's cost
    return report


def _edge(load: Load) -> ImportEdge:
    return ImportEdge(
        importer=load.loader,
        imported=load.target,
        path=load.path,
        line=load.line,
        column=0,
        in_function=load.function != "<module>",
        dynamic=True,
    )


def _where(load: Load) -> str:
    parts = []
    if load.function != "<module>":
        parts.append(f"in {load.function}()")
    if load.via:
        parts.append(f"through {load.via}")
    if load.importing != load.loader:
        parts.append(
            f"while importing {load.importing} ({load.importing_path}:{load.importing_line})"
        )
    return f" ({', '.join(parts)})" if parts else ""


def _hidden_finding(load: Load, reached_from: list[str]) -> Finding:
    kind = "package" if load.external else "module"
    message = (
        f"{load.loader} loads {kind} {load.target} at import time{_where(load)} without an "
        f"import statement: no static import explains it"
    )
    extra = {
        "module": load.loader,
        "imported": load.target,
        "external": load.external,
        "function": load.function,
        "via": load.via,
        "importing": load.importing,
        "importing_path": load.importing_path,
        "importing_line": load.importing_line,
        "reached_from": reached_from[:_LISTED],
        "reached_from_count": len(reached_from),
    }
    return HIDDEN_EDGE.at(load.path, load.line, 0, message, extra=extra)


def _runtime_contracts(config: Config, graph_for: Any, hidden: list[ImportEdge]) -> list[Finding]:
    """Contracts that the static graph keeps and the static graph plus the hidden edges breaks."""
    found: list[Finding] = []
    runtime: dict[bool, ImportGraph] = {}
    for contract in config.contracts:
        try:
            with_tc = include_type_checking(contract, config.include_type_checking_imports)
            static_graph = graph_for(with_tc)
            if not check_contract(static_graph, contract).kept:
                continue  # the contracts step reports it
            if with_tc not in runtime:
                runtime[with_tc] = _with_edges(static_graph, hidden)
            result = check_contract(runtime[with_tc], contract)
        except ContractError:
            continue  # the contracts step reports it
        for violation in result.violations:
            hops = [e for e in violation.chain if e.dynamic]
            first = hops[0] if hops else None
            where = f" at {first.path}:{first.line}" if first else ""
            message = (
                f"contract {contract.name!r} broken at runtime only: {violation.message} "
                f"(the static imports keep it; the runtime-only import "
                f"{first.importer if first else '?'} -> {first.imported if first else '?'}"
                f"{where} breaks it)"
            )
            path, line = (first.path, first.line) if first else (violation.path, violation.line)
            extra = {
                "contract": contract.name,
                "importer": violation.importer,
                "imported": violation.imported,
                "chain": edge_records(violation.chain),
                "runtime_hops": edge_records(hops),
            }
            found.append(RUNTIME_CONTRACT.at(path, line, 0, message, extra=extra))
    return found


def _with_edges(graph: ImportGraph, extra: list[ImportEdge]) -> ImportGraph:
    externals = set(graph.external_modules)
    externals.update(e.imported for e in extra if e.imported not in graph.modules)
    return ImportGraph(graph.modules, [*graph.edges(), *extra], externals, graph.paths)


def _not_run(recorded: Mapping[str, Mapping[str, Any]], eager: ImportGraph) -> list[dict[str, Any]]:
    """Module-level imports that a clean import of their module never ran (a ``try``/``except
    ImportError`` fallback, a ``sys.version_info`` branch): information, not findings."""
    found: list[dict[str, Any]] = []
    for module, record in sorted(recorded.items()):
        runtime = runtime_of(record) or {}
        unrun = runtime.get("unrun")
        names = set(unrun) if isinstance(unrun, list) else set()
        for name in sorted(names):
            for edge in eager.edges_between(module, name):
                if edge.implicit:
                    continue
                item: dict[str, Any] = {
                    "module": module,
                    "imported": name,
                    "path": edge.path,
                    "line": edge.line,
                }
                if edge.guarded:
                    item["guarded"] = True
                found.append(item)
    return found


def add_preloaded(
    results: Mapping[str, Mapping[str, Any]],
    modules: Iterable[str],
    facts: Iterable[FileFacts],
    index: ProjectIndex,
    preload_tops: Mapping[str, Sequence[str]],
) -> None:
    """Complete the ``packages`` of fresh records with the preloaded ones (before caching).

    A preloaded package is already loaded when the child starts, so its import does not show
    in the child: it counts for an import that loaded a project module importing it at module
    level, with what it loads alone (from its probe), as a fresh interpreter would load it.
    """
    stdlib = sys.stdlib_module_names
    asked: dict[str, set[str]] = {}
    for file_facts in facts:
        names: set[str] = set()
        for fact in file_facts.imports:
            if fact.in_function or fact.type_checking or fact.main_guarded:
                continue
            if fact.module in preload_tops:
                names.add(fact.module.partition(".")[0])
                names.update(preload_tops[fact.module])
        asked[file_facts.module] = {
            n
            for n in names
            if n not in stdlib and n not in index.tops and not n.startswith("_sysconfigdata")
        }
    for module in modules:
        runtime = runtime_of(results.get(module) or {})
        if not isinstance(runtime, dict):
            continue
        loaded = [m for m in runtime.get("modules") or () if isinstance(m, str)]
        packages = {p for p in runtime.get("packages") or () if isinstance(p, str)}
        for name in loaded:
            packages |= asked.get(name, set())
        runtime["packages"] = sorted(packages)


def _loads(
    recorded: Mapping[str, Mapping[str, Any]], index: ProjectIndex, closures: Closures
) -> dict[str, dict[str, Any]]:
    """What each import loaded, against its static import-time closure (so that a large
    project's report stays small): how many project modules, the ones beyond the closure
    (loaded by a hidden edge or a function-level import run at import time), the closure's
    modules it did not load (imports that never ran), and the packages outside the project
    and the standard library (see ``add_preloaded``). The loaded set is the closure plus
    ``beyond_static`` minus ``static_not_loaded``."""
    found: dict[str, dict[str, Any]] = {}
    # Once: a set of every module made per module was quadratic (28 s of a 20,000-module merge).
    known = frozenset(index.modules)
    for module, record in sorted(recorded.items()):
        runtime = runtime_of(record) or {}
        loaded = {m for m in runtime.get("modules") or () if isinstance(m, str)}
        loaded &= known
        static = closures.of(module) & known
        found[module] = {
            "modules": len(loaded),
            "beyond_static": sorted(loaded - static),
            "static_not_loaded": sorted(static - loaded),
            "packages": sorted(p for p in runtime.get("packages") or () if isinstance(p, str)),
        }
    return found
