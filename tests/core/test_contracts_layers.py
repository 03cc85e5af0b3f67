"""The layers contract: what it must catch and what it must leave alone."""

from __future__ import annotations

import pytest

from archverify.core.config import ContractConfig
from archverify.core.contracts import ContractError, check_contract, referenced_modules
from archverify.core.facts import FileFacts
from archverify.core.graph import ImportGraph
from tests.helpers.factories import module_facts


def layers(graph: ImportGraph, *names: str, **options: object) -> list[tuple[str, str]]:
    contract = ContractConfig("c", "layers", {"layers": list(names), **options})
    return [(v.importer, v.imported) for v in check_contract(graph, contract).violations]


def g(*facts: FileFacts) -> ImportGraph:
    return ImportGraph.build(facts)


PKGS = [module_facts("p"), module_facts("p.high"), module_facts("p.mid"), module_facts("p.low")]


def test_downward_imports_are_kept() -> None:
    graph = g(*PKGS, module_facts("p.high.x", "p.mid.y"), module_facts("p.mid.y", "p.low"))
    assert layers(graph, "p.high", "p.mid", "p.low") == []


def test_upward_direct_import_breaks() -> None:
    graph = g(*PKGS, module_facts("p.low.x", "p.high"))
    result = check_contract(graph, ContractConfig("c", "layers", {"layers": ["p.high", "p.low"]}))
    assert not result.kept
    (violation,) = result.violations
    assert (violation.path, violation.line) == ("p/low/x.py", 1)
    assert [e.importer for e in violation.chain] == ["p.low.x"]


def test_indirect_chain_through_outside_module_breaks_once() -> None:
    graph = g(
        *PKGS,
        module_facts("p.low.x", "p.util"),
        module_facts("p.util", "p.high.y"),
        module_facts("p.high.y"),
        module_facts("p.low.z", "p.util"),
    )
    found = check_contract(
        graph, ContractConfig("c", "layers", {"layers": ["p.high", "p.mid", "p.low"]})
    ).violations
    assert [(v.importer, v.imported) for v in found] == [("p.low", "p.high")]
    assert [e.imported for e in found[0].chain] == ["p.util", "p.high.y"]
    assert "p/low/x.py:1" in found[0].message and "p/util.py:1" in found[0].message


def test_chain_through_another_layer_is_reported_for_that_layer_only() -> None:
    graph = g(*PKGS, module_facts("p.low.x", "p.mid.y"), module_facts("p.mid.y", "p.high"))
    assert layers(graph, "p.high", "p.mid", "p.low") == [("p.mid", "p.high"), ("p.low", "p.mid")]


def test_independent_siblings() -> None:
    graph = g(*PKGS, module_facts("p.a", "p.b"), module_facts("p.b"))
    assert layers(graph, "p.high", "p.a | p.b") == [("p.a", "p.b")]
    assert layers(graph, "p.high", "p.a : p.b") == []


def test_optional_missing_layer_and_required_missing_layer() -> None:
    graph = g(*PKGS)
    contract = ContractConfig("c", "layers", {"layers": ["p.high", "(p.nothing)", "p.gone"]})
    result = check_contract(graph, contract)
    assert result.kept and result.missing_modules == ("p.gone",)
    assert referenced_modules(contract) == [
        ("p.high", False),
        ("p.nothing", True),
        ("p.gone", False),
    ]


def test_containers_and_exhaustive() -> None:
    graph = g(
        module_facts("app"),
        module_facts("app.one"),
        module_facts("app.one.ui", "app.one.data"),
        module_facts("app.one.data"),
        module_facts("app.two"),
        module_facts("app.two.ui"),
        module_facts("app.two.data", "app.two.ui"),
        module_facts("app.two.extra"),
    )
    found = layers(graph, "ui", "data", containers=["app.one", "app.two"], exhaustive=True)
    assert found == [("app.two.data", "app.two.ui"), ("app.two.extra", "app.two")]
    assert layers(
        graph,
        "ui",
        "data",
        containers=["app.one", "app.two"],
        exhaustive=True,
        exhaustive_ignores=["extra"],
    ) == [("app.two.data", "app.two.ui")]


def test_closed_layers_forbid_skipping() -> None:
    graph = g(*PKGS, module_facts("p.high.x", "p.low"))
    assert layers(graph, "p.high", "p.mid", "p.low") == []
    assert layers(graph, "p.high", "p.mid", "p.low", closed=True) == [("p.high", "p.low")]


def test_ignore_imports_and_unmatched() -> None:
    graph = g(*PKGS, module_facts("p.low.x", "p.high"))
    contract = ContractConfig(
        "c",
        "layers",
        {
            "layers": ["p.high", "p.low"],
            "ignore_imports": ["p.low.* -> p.high", "p.nothing -> p.high"],
        },
    )
    result = check_contract(graph, contract)
    assert result.kept
    assert result.unmatched_ignores == ("p.nothing -> p.high",)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"layers": "p.a | p.b : p.c"},
        {"layers": ["p.a"], "exhaustive": True},
        {"layers": ["not a module"]},
        {"layers": ["p.a"], "ignore_imports": ["p.a p.b"]},
        {"layers": ["p.a"], "unmatched_ignore_imports_alerting": "loud"},
        {"layers": [1, 2]},
    ],
)
def test_malformed_options_raise_contract_error(options: dict[str, object]) -> None:
    with pytest.raises(ContractError, match="contract 'c' \\(pyproject.toml:3\\)"):
        check_contract(g(*PKGS), ContractConfig("c", "layers", options, origin="pyproject.toml:3"))


def test_a_namespace_folder_is_a_layer_that_exists_and_is_checked() -> None:
    # flask 3.1.0: flask.sansio has no __init__.py; "module 'flask.sansio' does not exist".
    graph = g(
        module_facts("p"),
        module_facts("p.high", "p.ns.base"),
        module_facts("p.ns.base", "p.low"),
        module_facts("p.low"),
    )
    contract = ContractConfig("c", "layers", {"layers": ["p.high", "p.ns", "p.low"]})
    result = check_contract(graph, contract)
    assert result.missing_modules == () and result.kept
    # The folder's modules are the layer: an upward import from it is caught.
    broken = g(*graph_facts_with_upward_import())
    assert layers(broken, "p.high", "p.ns", "p.low") == [("p.ns", "p.high")]
    # A name with nothing discovered inside is still missing.
    absent = ContractConfig("c", "layers", {"layers": ["p.high", "p.gone"]})
    assert check_contract(graph, absent).missing_modules == ("p.gone",)


def graph_facts_with_upward_import() -> list[FileFacts]:
    return [module_facts("p"), module_facts("p.high"), module_facts("p.ns.base", "p.high")]
