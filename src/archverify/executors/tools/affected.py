"""Affected tests under ``--cache-tests``: which test modules an edit reaches, and what the
others contribute from the cache.

The tests step keeps one record per test module (its JUnit counts, its failing cases, the lines
or arcs it executed: coverage's dynamic context per module) under a key of everything but the
verified files and the test files. After an edit a test module runs again when

- it executed an edited file (its coverage context holds the file), or
- an edited file's import-time part changed (anything outside function bodies, or a function
  body that ran at import time) and the file is in the test module's static import closure, or
- the test module itself is new or changed.

Everything else is replayed. A change the records cannot judge (a new or removed verified
file, an edited file coverage does not measure, a changed helper, fixture or data file below
the test paths, an import-level edit that conftest or a helper imports) runs everything.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archverify.core.graph import ImportGraph, resolve_import

NAMESPACE = "tests-affected"
# The variable naming the plan file for the pytest plugin, and the JUnit property it adds.
AFFECTED_VARIABLE = "ARCHVERIFY_AFFECTED"
MODULE_PROPERTY = "archverify_module"
# The suffix of a test module's context while collection imports it.
IMPORT_CONTEXT = "|import"


def by_module(
    contexts: Mapping[str, Mapping[str, list[Any]]],
) -> tuple[dict[str, dict[str, list[Any]]], dict[str, list[Any]]]:
    """The lines (or arcs) each test module executed, importing it or running its tests, and
    those that ran at import time (outside any test: the empty context and the imports)."""
    modules: dict[str, dict[str, set[Any]]] = {}
    imports: dict[str, set[Any]] = {}
    for name, files in contexts.items():
        module = name.removesuffix(IMPORT_CONTEXT)
        for path, values in files.items():
            found = {tuple(v) if isinstance(v, list) else v for v in values}
            if module:
                modules.setdefault(module, {}).setdefault(path, set()).update(found)
            if not module or name.endswith(IMPORT_CONTEXT):
                imports.setdefault(path, set()).update(found)
    return (
        {m: {p: sorted(v) for p, v in files.items()} for m, files in modules.items()},
        {p: sorted(v) for p, v in imports.items()},
    )


STATE_VERSION = 1


@dataclass
class Plan:
    """What the next session runs: ``replay`` holds the records of the modules it skips;
    ``full`` says why everything runs (empty when the plan is a selection)."""

    replay: dict[str, dict[str, Any]] = field(default_factory=dict)
    rerun: list[str] = field(default_factory=list)
    full: str = ""


def test_tree_hashes(root: Path, paths: Iterable[str]) -> dict[str, str]:
    """Every file below the test paths by relative path, with its content's sha256."""
    hashes: dict[str, str] = {}
    for rel in paths:
        base = root / rel
        files = [base] if base.is_file() else sorted(base.rglob("*")) if base.is_dir() else []
        for file in files:
            if not file.is_file() or "__pycache__" in file.parts:
                continue
            try:
                content = file.read_bytes()
            except OSError:
                content = b"<unreadable>"
            hashes[file.relative_to(root).as_posix()] = hashlib.sha256(content).hexdigest()
    return hashes


def _strip_bodies(tree: ast.AST) -> None:
    """Replace every function body by its docstring (or ``...``): what stays runs at import."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            node.body = [ast.Expr(ast.Constant(doc if doc is not None else ...))]


def skeleton(source: bytes) -> tuple[str, list[tuple[int, int]]]:
    """The digest of a file's import-time part and the line ranges of its function bodies.

    A file that does not parse gets a digest of its bytes: any edit then counts as import-level.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return "raw-" + hashlib.sha256(source).hexdigest(), []
    bodies = [
        (node.body[0].lineno, node.end_lineno or node.body[-1].lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    _strip_bodies(tree)
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest(), bodies


def file_skeletons(
    root: Path, paths: Iterable[str], import_lines: Mapping[str, Iterable[Any]]
) -> dict[str, list[Any]]:
    """``[digest, ran_at_import]`` per verified file: ``ran_at_import`` when a line of one of
    its function bodies ran outside every test (a module-level call at import time)."""
    found: dict[str, list[Any]] = {}
    for path in paths:
        try:
            source = (root / path).read_bytes()
        except OSError:
            continue
        digest, bodies = skeleton(source)
        lines = {line for v in import_lines.get(path, ()) for line in _lines(v)}
        ran = any(start <= line <= end for line in lines for start, end in bodies)
        found[path] = [digest, ran]
    return found


def _lines(value: Any) -> list[int]:
    """The lines a line number or an arc names (an arc's negative ends are entries and exits)."""
    values = value if isinstance(value, list | tuple) else [value]
    return [int(v) for v in values if int(v) > 0]


def imported_names(source: bytes) -> set[str]:
    """Every absolute name a file imports, at any level (relative imports are left out)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def closure(names: Iterable[str], graph: ImportGraph, internal: set[str]) -> set[str]:
    """The internal modules importing ``names`` runs: their imports and their packages."""
    todo = [m for m in (resolve_import(n, internal) for n in names) if m is not None]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parent = module.rpartition(".")[0]
        if parent in internal:
            todo.append(parent)
        todo.extend(graph.imports_of(module))
    return seen


@dataclass(frozen=True)
class Tree:
    """This run's inputs to a plan."""

    root: Path
    files: dict[str, str]  # verified file -> content hash
    modules: dict[str, str]  # verified file -> module name
    tests: dict[str, str]  # file below the test paths -> sha256
    graph: ImportGraph
    # A shard's (``run --shard``): the test modules of the other shards' shares, which are
    # neither this shard's modules nor helpers of them (their tests run elsewhere).
    others: frozenset[str] = frozenset()


def plan(state: Mapping[str, Any] | None, tree: Tree, changed: Collection[str] = ()) -> Plan:
    """Which test modules to replay from ``state`` (the last run's records) for ``tree``.

    ``changed`` (``--changed-since``: the files of the change) counts as edited too, even where
    the records were made after the change: its tests run again."""
    if not isinstance(state, Mapping) or state.get("version") != STATE_VERSION:
        return Plan(full="no earlier per-module record")
    records: Mapping[str, Any] = state["modules"]
    old_tests: Mapping[str, str] = state["tests"]
    for path in sorted(set(old_tests) | set(tree.tests)):
        before, now = old_tests.get(path), tree.tests.get(path)
        if path in records or path in tree.others or (before is None and path.endswith(".py")):
            continue  # a test module (re-run when changed), or a new module
        if before != now or path in changed:
            return Plan(full=f"{path} changed below the test paths")
    old_files: Mapping[str, str] = state["files"]
    if set(old_files) != set(tree.files):
        return Plan(full="a verified file was added or removed")
    edited = sorted(p for p, h in tree.files.items() if old_files[p] != h or p in changed)
    measured = set(state["measured"])
    unmeasured = [p for p in edited if p not in measured]
    if unmeasured:
        return Plan(full=f"coverage does not measure the edited {unmeasured[0]}")
    skeletons = file_skeletons(tree.root, edited, {})
    old_skeletons: Mapping[str, list[Any]] = state["skeletons"]
    import_level = {
        tree.modules[p]
        for p in edited
        if p not in old_skeletons or old_skeletons[p][1] or skeletons[p][0] != old_skeletons[p][0]
    }
    internal = set(tree.modules.values())
    rerun: list[str] = []
    replay: dict[str, dict[str, Any]] = {}
    for module in sorted(records):
        record = records[module]
        if old_tests.get(module) != tree.tests.get(module) or module in changed:
            continue  # changed (runs) or removed (gone)
        reached = any(p in record["coverage"] for p in edited)
        if not reached and import_level:
            reached = bool(import_level & _closure_of(tree, module, internal))
        if reached:
            rerun.append(module)
        else:
            replay[module] = record
    if import_level:
        # conftest.py files, helpers and the root's conftest.py: their objects reach any test.
        helpers = set(tree.tests) - set(records) - tree.others
        if (tree.root / "conftest.py").is_file():
            helpers.add("conftest.py")
        for path in sorted(helpers):
            if path.endswith(".py") and import_level & _closure_of(tree, path, internal):
                return Plan(full=f"{path} imports an edited file's import-time part")
    return Plan(replay=replay, rerun=rerun)


def _closure_of(tree: Tree, path: str, internal: set[str]) -> set[str]:
    try:
        source = (tree.root / path).read_bytes()
    except OSError:
        return set(internal)  # unreadable: assume it reaches everything
    return closure(imported_names(source), tree.graph, internal)
