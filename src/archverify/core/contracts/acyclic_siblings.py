"""The ``acyclic_siblings`` contract: the children of each ancestor must not depend in a cycle."""

from __future__ import annotations

from dataclasses import dataclass

from archverify.core.contracts.common import (
    ContractConfig,
    ContractError,
    ContractOption,
    ContractType,
    GivenOptions,
    Violation,
)
from archverify.core.contracts.ignores import matches_expression
from archverify.core.contracts.routes import Hop, Route
from archverify.core.findings import Rule, Severity
from archverify.core.graph import ImportEdge, ImportGraph

# import-linter's default: deep enough for any real package tree.
DEFAULT_DEPTH = 10


@dataclass(frozen=True)
class AcyclicSiblingsOptions:
    """An ``acyclic_siblings`` contract's options, parsed. ``depth`` is kept as given: it is
    checked with the contract, not when the configuration is read (archverify's TOML reader has
    always accepted any value there; the import-linter reader checks it itself)."""

    ancestors: tuple[str, ...]
    skip_descendants: tuple[str, ...]
    depth: object


def _expressions(given: GivenOptions, key: str) -> tuple[str, ...]:
    found = given.strings(key)
    for text in found:
        if any(not (p in {"*", "**"} or p.isidentifier()) for p in text.split(".")):
            raise given.error(f"{key}: {text!r} is not a module expression")
    return tuple(found)


def _parse(given: GivenOptions) -> AcyclicSiblingsOptions:
    return AcyclicSiblingsOptions(
        ancestors=_expressions(given, "ancestors"),
        skip_descendants=_expressions(given, "skip_descendants"),
        depth=given.raw("depth"),
    )


def _depth(contract: ContractConfig, raw: object) -> int:
    # import-linter's ini files spell every value as a string.
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ContractError(contract, f"option 'depth' must be an integer >= 0, not {raw!r}")
    return raw


def _referenced(options: AcyclicSiblingsOptions) -> list[tuple[str, bool]]:
    return [(m, False) for m in options.ancestors] + [(m, False) for m in options.skip_descendants]


def referenced(contract: ContractConfig) -> list[tuple[str, bool]]:
    return TYPE.modules(contract)


def check(graph: ImportGraph, contract: ContractConfig) -> tuple[list[Violation], list[str]]:
    return TYPE.violations(graph, contract)


def _check(
    graph: ImportGraph, contract: ContractConfig, options: AcyclicSiblingsOptions
) -> tuple[list[Violation], list[str]]:
    depth = _depth(contract, options.depth)
    overlap = sorted(set(options.ancestors) & set(options.skip_descendants))
    if overlap:
        raise ContractError(contract, f"{overlap[0]!r} is both an ancestor and skipped")
    missing: list[str] = []
    ancestors = _resolve(graph, list(options.ancestors), missing)
    skipped = _resolve(graph, list(options.skip_descendants), missing)
    violations: list[Violation] = []
    for ancestor in sorted(ancestors):
        violations.extend(_drill(graph, ancestor, depth, skipped))
    return violations, missing


def _resolve(graph: ImportGraph, expressions: list[str], missing: list[str]) -> set[str]:
    """The internal modules the expressions name; an expression matching none is missing."""
    found: set[str] = set()
    for expression in expressions:
        hits = {m for m in graph.modules if matches_expression(expression, m)}
        if not hits:
            missing.append(expression)
        found |= hits
    return found


def _children(graph: ImportGraph, package: str) -> list[str]:
    return sorted(m for m in graph.modules if m.rpartition(".")[0] == package)


def _drill(graph: ImportGraph, package: str, depth: int, skipped: set[str]) -> list[Violation]:
    """Cycles among ``package``'s children, then among theirs, ``depth`` generations down."""
    children = _children(graph, package)
    found = _cycles(graph, package, children) if len(children) > 1 else []
    if depth > 0:
        for child in children:
            if child not in skipped:
                found.extend(_drill(graph, child, depth - 1, skipped))
    return found


def _child_of(package: str, module: str) -> str | None:
    prefix = package + "."
    if not module.startswith(prefix):
        return None
    return prefix + module.removeprefix(prefix).partition(".")[0]


def _cycles(graph: ImportGraph, package: str, children: list[str]) -> list[Violation]:
    """One violation per group of children that depend on each other in a cycle."""
    # The dependency between two children is their first import statement, for locating it;
    # ``every`` keeps all of them, for the route.
    first: dict[tuple[str, str], ImportEdge] = {}
    every: dict[tuple[str, str], list[ImportEdge]] = {}
    for importer in sorted(graph.members(package) - {package}):
        source = _child_of(package, importer)
        for imported in sorted(graph.imports_of(importer)):
            target = _child_of(package, imported)
            if source is None or target is None or target == source:
                continue
            edges = graph.edges_between(importer, imported)
            edge = edges[0]
            pair = (source, target)
            every.setdefault(pair, []).extend(edges)
            if pair not in first or edge.sort_key() < first[pair].sort_key():
                first[pair] = edge
    siblings = ImportGraph(
        children, (ImportEdge(a, b, e.path, e.line, e.column) for (a, b), e in first.items())
    )
    found: list[Violation] = []
    for component in siblings.strongly_connected_components():
        start = component[0]
        loop = siblings.restricted_to(set(component)).shortest_chain(
            {start}, siblings.importers_of(start) & set(component)
        )
        if loop is None:  # pragma: no cover - a strongly connected component always has one
            continue
        loop.append(start)
        pairs = list(zip(loop, loop[1:], strict=False))
        edges = tuple(first[pair] for pair in pairs)
        hops = tuple(Hop(a, b, tuple(sorted(every[(a, b)], key=_by_place))) for a, b in pairs)
        short = " -> ".join(m.removeprefix(package) for m in loop)
        where = ", ".join(f"{e.path}:{e.line}" for e in edges)
        names = ", ".join(m.removeprefix(package) for m in component)
        found.append(
            Violation(
                importer=loop[0],
                imported=loop[1],
                chain=edges,
                message=f"the children of {package} depend on each other in a cycle "
                f"({names}): {short} ({where})",
                path=edges[0].path,
                line=edges[0].line,
                column=edges[0].column,
                # The loop as one route: every hop between two children with all its imports.
                routes=(
                    Route(
                        heads=hops[:1],
                        middle=tuple(loop[1:-1]),
                        links=hops[1:-1],
                        tails=hops[-1:] if len(hops) > 1 else (),
                    ),
                ),
            )
        )
    return found


def _by_place(edge: ImportEdge) -> tuple[str, int, int, str]:
    return (edge.path, edge.line, edge.column, edge.imported)


TYPE = ContractType(
    name="acyclic_siblings",
    options=(
        ContractOption("ancestors", required=True, names_modules=True, wildcards=True),
        ContractOption("skip_descendants", wildcards=True),
        ContractOption("depth", "integer", default=DEFAULT_DEPTH),
    ),
    rule=Rule(
        "contracts/acyclic_siblings",
        Severity.ERROR,
        "Break the cycle: move the shared code down, or invert one dependency.",
    ),
    parse=_parse,
    check=_check,
    referenced=_referenced,
)
