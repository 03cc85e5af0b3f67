"""forbidden, independence, protected and only_allow contracts, and ignore expressions."""

from __future__ import annotations

import pytest

from archverify.core.config import ContractConfig
from archverify.core.contracts import ContractError, check_contract, referenced_modules
from archverify.core.contracts.ignores import ImportExpression
from archverify.core.facts import FileFacts
from archverify.core.graph import ImportGraph
from tests.helpers.factories import module_facts


def broken(facts: list[FileFacts], kind: str, **options: object) -> list[tuple[str, str]]:
    graph = ImportGraph.build(facts, include_external=True)
    result = check_contract(graph, ContractConfig("c", kind, options))
    return [(v.importer, v.imported) for v in result.violations]


BASE = [module_facts("p"), module_facts("p.a"), module_facts("p.b"), module_facts("p.c")]


def test_forbidden_direct_indirect_and_external() -> None:
    facts = [
        *BASE,
        module_facts("p.a.x", "p.c"),
        module_facts("p.c", "p.b.y", "requests.sessions"),
        module_facts("p.b.y"),
    ]
    assert broken(facts, "forbidden", source_modules=["p.a"], forbidden_modules=["p.b"]) == [
        ("p.a", "p.b")
    ]
    assert (
        broken(
            facts,
            "forbidden",
            source_modules=["p.a"],
            forbidden_modules=["p.b"],
            allow_indirect_imports="True",
        )
        == []
    )
    assert broken(facts, "forbidden", source_modules=["p.a"], forbidden_modules=["requests"]) == [
        ("p.a", "requests")
    ]
    assert broken(facts, "forbidden", source_modules=["p.b"], forbidden_modules=["p.a"]) == []


def test_forbidden_rejects_dotted_external() -> None:
    with pytest.raises(ContractError, match="top-level"):
        broken(BASE, "forbidden", source_modules=["p.a"], forbidden_modules=["django.db"])


def test_independence_both_directions_and_via_third_listed_module() -> None:
    facts = [*BASE, module_facts("p.a.x", "p.b.y"), module_facts("p.b.y", "p.c")]
    assert broken(facts, "independence", modules=["p.a", "p.b", "p.c"]) == [
        ("p.a", "p.b"),
        ("p.b", "p.c"),
    ]
    assert broken(facts, "independence", modules=["p.a", "p.c"]) == [("p.a", "p.c")]
    assert (
        broken(
            [*BASE, module_facts("p.a.x", "p.d"), module_facts("p.d")],
            "independence",
            modules=["p.a", "p.b"],
        )
        == []
    )


def test_protected_only_direct_imports_by_others() -> None:
    facts = [
        *BASE,
        module_facts("p.a.x", "p.b.y"),
        module_facts("p.c", "p.b"),
        module_facts("p.b.y", "p.b.z"),
        module_facts("p.b.z"),
    ]
    assert broken(facts, "protected", protected_modules=["p.b"], allowed_importers=["p.a"]) == [
        ("p.c", "p.b")
    ]
    assert broken(facts, "only_allow", modules=["p.b"], allowed_importers=["p.a", "p.c"]) == []
    assert broken(
        facts, "protected", protected_modules=["p.b"], allowed_importers=["p.a"], as_packages=False
    ) == [("p.c", "p.b")]


def test_unknown_type_and_referenced_modules() -> None:
    with pytest.raises(ContractError, match="unknown type 'nope'"):
        referenced_modules(ContractConfig("c", "nope"))
    contract = ContractConfig(
        "c", "forbidden", {"source_modules": "p.a\np.b", "forbidden_modules": ["x"]}
    )
    assert referenced_modules(contract) == [("p.a", False), ("p.b", False), ("x", True)]


@pytest.mark.parametrize(
    ("expression", "importer", "expected"),
    [
        ("p.* -> q", "p.a", True),
        ("p.* -> q", "p.a.b", False),
        ("p.** -> q", "p.a.b", True),
        ("p.** -> q", "p", False),
        ("p.**.z -> q", "p.a.b.z", True),
        ("p.**.z -> q", "p.z", False),
    ],
)
def test_ignore_expressions_match_like_import_linter(
    expression: str, importer: str, expected: bool
) -> None:
    left, _, right = expression.partition(" -> ")
    assert ImportExpression(expression, left, right).matches(importer, "q") is expected
