"""Compare archverify's import edges with ``grimp.build_graph`` on a real project.

Run: .venv/bin/python bench/compare_grimp_edges.py SOURCE_ROOT PACKAGE
(e.g. an unpacked ``requests`` sdist: ``... /tmp/requests-2.32.3/src requests``).
grimp counts ``if TYPE_CHECKING:`` imports and never sees ``importlib.import_module``; the
comparison builds archverify's graph the same way, so every difference printed is real.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp
from archverify.core.extract import extract_facts

from archverify.core.facts import FileFacts
from archverify.core.graph import ImportGraph


def module_name(root: Path, path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def archverify_edges(root: Path, package: str) -> set[tuple[str, str]]:
    facts: list[FileFacts] = []
    for path in sorted((root / package.replace(".", "/")).rglob("*.py")):
        module, is_package = module_name(root, path)
        rel = path.relative_to(root).as_posix()
        facts.append(extract_facts(path.read_bytes(), rel, module, is_package))
    graph = ImportGraph.build(facts, include_type_checking=True)
    return {(e.importer, e.imported) for e in graph.edges() if not e.dynamic}


def grimp_edges(root: Path, package: str) -> set[tuple[str, str]]:
    sys.path.insert(0, str(root))
    graph = grimp.build_graph(package, cache_dir=None)
    return {
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
    }


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    root, package = Path(sys.argv[1]).resolve(), sys.argv[2]
    ours = archverify_edges(root, package)
    theirs = grimp_edges(root, package)
    print(f"archverify {len(ours)} edges, grimp {len(theirs)} edges, common {len(ours & theirs)}")
    for label, extra in (("only archverify", ours - theirs), ("only grimp", theirs - ours)):
        for importer, imported in sorted(extra):
            print(f"{label}: {importer} -> {imported}")
    return 0 if ours == theirs else 1


if __name__ == "__main__":
    raise SystemExit(main())
