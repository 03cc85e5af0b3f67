"""The acyclic_siblings contract: cycles between siblings, drilling down, skipping and ignoring."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archverify.core.config import ContractConfig
from archverify.core.contracts import (
    CONTRACT_TYPES,
    ContractError,
    check_contract,
    referenced_modules,
)
from archverify.core.facts import FileFacts, ImportFact
from archverify.core.graph import ImportGraph
from tests.helpers.lint_imports import LINT_IMPORTS, option_lines, run_lint_imports

# The package of import-linter's own documentation: no module cycle, but blue -> green -> red
# -> yellow -> blue between the children of p, and one between blue's children.
DOC_PACKAGE: dict[str, list[str]] = {
    "p": [],
    "p.blue": [],
    "p.blue.one": ["p.green.two"],
    "p.blue.two": ["p.blue.three"],
    "p.blue.three": ["p.blue.four"],
    "p.blue.four": ["p.blue.two.x"],
    "p.blue.two.x": [],
    "p.green": [],
    "p.green.two": ["p.red"],
    "p.red": ["p.yellow.deep.leaf"],
    "p.yellow": [],
    "p.yellow.deep": [],
    "p.yellow.deep.leaf": ["p.blue.one"],
}


def facts_of(project: dict[str, list[str]]) -> list[FileFacts]:
    packages = {m.rpartition(".")[0] for m in project}
    return [
        FileFacts(
            path=m.replace(".", "/") + ("/__init__.py" if m in packages else ".py"),
            module=m,
            is_package=m in packages,
            content_hash="x",
            imports=tuple(ImportFact(module=i, line=n + 1, column=1) for n, i in enumerate(imps)),
        )
        for m, imps in project.items()
    ]


def check(project: dict[str, list[str]], **options: object) -> list[tuple[str, str]]:
    graph = ImportGraph.build(facts_of(project), include_external=True)
    result = check_contract(graph, ContractConfig("c", "acyclic_siblings", options))
    return [(v.importer, v.imported) for v in result.violations]


def test_registered() -> None:
    assert "acyclic_siblings" in CONTRACT_TYPES


def test_finds_the_cycle_between_children_and_between_grandchildren() -> None:
    assert check(DOC_PACKAGE, ancestors=["p"]) == [
        ("p.blue", "p.green"),
        ("p.blue.four", "p.blue.two"),
    ]


def test_depth_zero_checks_only_the_children() -> None:
    assert check(DOC_PACKAGE, ancestors=["p"], depth="0") == [("p.blue", "p.green")]


def test_skip_descendants_stops_drilling_but_keeps_deep_imports() -> None:
    # Skipping blue's children still counts blue.one -> green.two for the cycle among p's.
    assert check(DOC_PACKAGE, ancestors=["p"], skip_descendants=["p.blue"]) == [
        ("p.blue", "p.green")
    ]


def test_ignore_imports_break_the_cycle() -> None:
    assert check(DOC_PACKAGE, ancestors=["p"], ignore_imports=["p.red -> p.yellow.**"]) == [
        ("p.blue.four", "p.blue.two")
    ]


def test_wildcard_ancestors() -> None:
    assert check(DOC_PACKAGE, ancestors=["p.*"]) == [("p.blue.four", "p.blue.two")]


def test_acyclic_tree_and_imports_of_the_package_itself_are_kept() -> None:
    project = {
        "p": ["p.a", "p.b"],  # the parent importing its children is no sibling cycle
        "p.a": ["p.b", "p"],
        "p.b": ["p.c", "os"],
        "p.c": [],
    }
    assert check(project, ancestors=["p"]) == []


def test_two_way_import_is_a_cycle_and_names_the_statements() -> None:
    project = {"p": [], "p.a": ["p.b.x"], "p.b": [], "p.b.x": ["p.a"]}
    graph = ImportGraph.build(facts_of(project))
    result = check_contract(graph, ContractConfig("c", "acyclic_siblings", {"ancestors": "p"}))
    (violation,) = result.violations
    assert violation.message == (
        "the children of p depend on each other in a cycle (.a, .b): .a -> .b -> .a "
        "(p/a.py:1, p/b/x.py:1)"
    )
    assert (violation.path, violation.line) == ("p/a.py", 1)


def test_missing_ancestor_and_bad_options() -> None:
    graph = ImportGraph.build(facts_of({"p": [], "p.a": []}))
    result = check_contract(
        graph, ContractConfig("c", "acyclic_siblings", {"ancestors": ["q", "p.*.z"]})
    )
    assert result.missing_modules == ("q", "p.*.z")
    for options in (
        {"ancestors": ["p"], "depth": "-1"},
        {"ancestors": ["p"], "depth": True},
        {"ancestors": ["p"], "skip_descendants": ["p"]},
        {"ancestors": ["p.a-b"]},
        {},
    ):
        with pytest.raises(ContractError):
            check_contract(graph, ContractConfig("c", "acyclic_siblings", options))


def test_referenced_modules() -> None:
    contract = ContractConfig(
        "c", "acyclic_siblings", {"ancestors": "p\np.x", "skip_descendants": ["p.**.y"]}
    )
    assert referenced_modules(contract) == [("p", False), ("p.x", False), ("p.**.y", False)]


def write_package(root: Path, project: dict[str, list[str]]) -> None:
    for facts in facts_of(project):
        path = root / facts.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"import {i.module}\n" for i in facts.imports))


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")
def test_verdicts_equal_lint_imports(tmp_path: Path) -> None:
    contracts: dict[str, dict[str, object]] = {
        "whole": {"ancestors": ["p"]},
        "shallow": {"ancestors": ["p"], "depth": "0"},
        "skipping": {"ancestors": ["p"], "skip_descendants": ["p.blue"]},
        "ignoring": {"ancestors": ["p"], "ignore_imports": ["p.red -> p.yellow.**"]},
        "ignoring_all": {
            "ancestors": ["p"],
            "ignore_imports": ["p.red -> p.yellow.**", "p.blue.four -> p.blue.two.x"],
        },
        "starred": {"ancestors": ["p.*"]},
        "deep_only": {"ancestors": ["p.yellow", "p.green"]},
    }
    write_package(tmp_path, DOC_PACKAGE)
    lines = ["[importlinter]", "root_package = p", ""]
    for name, options in contracts.items():
        lines += [f"[importlinter:contract:{name}]", f"name = {name}", "type = acyclic_siblings"]
        lines += option_lines(options)
    (tmp_path / ".importlinter").write_text("\n".join(lines) + "\n")
    done = run_lint_imports(tmp_path)
    theirs = {n: v == "KEPT" for n, v in re.findall(r"^(\w+) (KEPT|BROKEN)", done.stdout, re.M)}
    assert len(theirs) == len(contracts), done.stdout + done.stderr
    graph = ImportGraph.build(facts_of(DOC_PACKAGE), include_external=True)
    ours = {
        name: check_contract(graph, ContractConfig(name, "acyclic_siblings", options)).kept
        for name, options in contracts.items()
    }
    assert ours == theirs
    assert theirs["ignoring_all"] and not theirs["whole"]
