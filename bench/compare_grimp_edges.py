"""Compare archverify's import edges and their lines with ``grimp.build_graph`` on a real package.

Run: .venv/bin/python bench/compare_grimp_edges.py SOURCE_ROOT PACKAGE [PACKAGE ...]
(an unpacked requests sdist: ``... ~/.cache/archverify-bench/src/requests-2.32.5/src requests``).

archverify's side is what a run builds: discovery, ``extract_facts`` and ``ImportGraph.build``
with the settings that match grimp's defaults (``if TYPE_CHECKING:`` and function-level imports
included, externals left out); its dynamic edges (``importlib.import_module("x")``) are left out
because grimp never sees them. grimp's side is ``grimp.build_graph`` with the source root first on
``sys.path``. Every (importer, imported) pair and every line that differs is printed, classified as
one of the deliberate differences documented in docs/internal/graph-engine.md or as unexplained;
the exit status is 1 when anything is unexplained.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import grimp

from archverify.core.config import Config
from archverify.core.extract import extract_facts
from archverify.core.facts import FileFacts
from archverify.core.graph import ImportGraph
from archverify.orchestrator.discovery import discover

# (importer, imported) -> the line numbers of the import statements between them.
Edges = dict[tuple[str, str], frozenset[int]]


@dataclass(frozen=True)
class Side:
    """One engine's edges and the modules it knows."""

    edges: Edges
    modules: frozenset[str]
    dynamic_only: int = 0  # archverify pairs left out: only ``import_module("x")`` reaches them


@dataclass(frozen=True)
class Difference:
    """A pair or line found by one engine only; ``reason`` is "" when it is unexplained."""

    kind: str  # "missing-in-archverify" | "extra-in-archverify" | "lines"
    importer: str
    imported: str
    detail: str
    reason: str


def read_facts(root: Path, packages: Iterable[str]) -> list[FileFacts]:
    """Every file of ``packages`` under ``root`` (a source root), found as a run finds them."""
    config = Config(root=str(root), source_roots=(".",), packages=tuple(packages))
    facts: list[FileFacts] = []
    for source in discover(root, config).files:
        data = (root / source.path).read_bytes()
        facts.append(extract_facts(data, source.path, source.module, source.is_package))
    return facts


def archverify_side(facts: Iterable[FileFacts]) -> Side:
    graph = ImportGraph.build(facts, include_type_checking=True, include_function_level=True)
    lines: dict[tuple[str, str], set[int]] = {}
    dynamic: set[tuple[str, str]] = set()
    for edge in graph.edges():
        pair = (edge.importer, edge.imported)
        if edge.dynamic:
            dynamic.add(pair)
        else:
            lines.setdefault(pair, set()).add(edge.line)
    edges = {pair: frozenset(found) for pair, found in lines.items()}
    return Side(edges, graph.modules, len(dynamic - edges.keys()))


def grimp_side(root: Path, packages: Iterable[str]) -> Side:
    names = list(packages)
    sys.path.insert(0, str(root))
    try:
        graph = grimp.build_graph(*names, include_external_packages=False, cache_dir=None)
    finally:
        sys.path.remove(str(root))
    edges: Edges = {}
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            details = graph.get_import_details(importer=importer, imported=imported)
            edges[(importer, imported)] = frozenset(int(d["line_number"]) for d in details)
    return Side(edges, frozenset(graph.modules))


@dataclass(frozen=True)
class Context:
    """What an explainer may look at: both sides and each module's source (by module name)."""

    ours: Side
    theirs: Side
    sources: Mapping[str, bytes]


# A deliberate difference: does it explain this one difference?
Explainer = Callable[[Difference, Context], bool]


def classify(context: Context, explainers: Mapping[str, Explainer]) -> list[Difference]:
    """Every difference between the two sides, each named by the first explainer accepting it."""
    ours, theirs = context.ours.edges, context.theirs.edges
    raw: list[Difference] = []
    for pair in sorted(theirs.keys() - ours.keys()):
        lines = ",".join(map(str, sorted(theirs[pair])))
        raw.append(Difference("missing-in-archverify", *pair, f"grimp lines {lines}", ""))
    for pair in sorted(ours.keys() - theirs.keys()):
        lines = ",".join(map(str, sorted(ours[pair])))
        raw.append(Difference("extra-in-archverify", *pair, f"archverify lines {lines}", ""))
    for pair in sorted(ours.keys() & theirs.keys()):
        if ours[pair] != theirs[pair]:
            detail = f"archverify lines {sorted(ours[pair])}, grimp lines {sorted(theirs[pair])}"
            raw.append(Difference("lines", *pair, detail, ""))
    return [
        replace(d, reason=next((name for name, test in explainers.items() if test(d, context)), ""))
        for d in raw
    ]


def _self_import(difference: Difference, context: Context) -> bool:
    return difference.kind == "missing-in-archverify" and difference.importer == difference.imported


def _in_folder_without_init(module: str, modules: frozenset[str]) -> bool:
    """``module`` sits below a folder without ``__init__.py`` inside its top-level package."""
    parts = module.split(".")
    return any(".".join(parts[:size]) not in modules for size in range(1, len(parts)))


def _namespace_folder_module(difference: Difference, context: Context) -> bool:
    if difference.kind != "extra-in-archverify":
        return False
    ours, theirs = context.ours.modules, context.theirs.modules
    return any(
        module not in theirs and _in_folder_without_init(module, ours)
        for module in (difference.importer, difference.imported)
    )


def continuation_lines(source: bytes) -> dict[int, int]:
    """Line of each name of an ``import`` statement spread over lines -> the statement's line."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    return {
        alias.lineno: node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.lineno != node.lineno
    }


def _name_line(difference: Difference, context: Context) -> bool:
    if difference.kind != "lines":
        return False
    pair = (difference.importer, difference.imported)
    moved = continuation_lines(context.sources.get(difference.importer, b""))
    ours = {moved.get(line, line) for line in context.ours.edges[pair]}
    return ours == context.theirs.edges[pair]


# The deliberate differences, documented in docs/internal/graph-engine.md
# ("Differences from grimp").
EXPLAINERS: dict[str, Explainer] = {
    "self-import (dropped by archverify)": _self_import,
    "module in a folder without __init__.py (grimp skips it)": _namespace_folder_module,
    "line of the name in a multi-line import statement": _name_line,
}


def compare(root: Path, packages: list[str]) -> tuple[Context, list[Difference]]:
    """Both sides of ``packages`` under ``root`` and their classified differences."""
    facts = read_facts(root, packages)
    sources = {f.module: (root / f.path).read_bytes() for f in facts}
    context = Context(archverify_side(facts), grimp_side(root, packages), sources)
    return context, classify(context, EXPLAINERS)


def report(ours: Side, theirs: Side, differences: list[Difference]) -> str:
    common = len(ours.edges.keys() & theirs.edges.keys())
    out = [
        f"modules: archverify {len(ours.modules)}, grimp {len(theirs.modules)}",
        f"edges: archverify {len(ours.edges)}, grimp {len(theirs.edges)}, common {common}",
        f"archverify pairs reached only by dynamic imports, left out: {ours.dynamic_only}",
    ]
    for kind in ("missing-in-archverify", "extra-in-archverify", "lines"):
        of_kind = [d for d in differences if d.kind == kind]
        out.append(f"{kind}: {len(of_kind)}")
        for d in of_kind:
            verdict = f"deliberate: {d.reason}" if d.reason else "UNEXPLAINED"
            out.append(f"  {d.importer} -> {d.imported} ({d.detail}) [{verdict}]")
    unexplained = sum(1 for d in differences if not d.reason)
    out.append(f"unexplained: {unexplained}")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    context, differences = compare(Path(argv[0]).resolve(), argv[1:])
    print(report(context.ours, context.theirs, differences))
    return 1 if any(not d.reason for d in differences) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
