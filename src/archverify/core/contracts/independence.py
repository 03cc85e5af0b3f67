"""The ``independence`` contract: none of the modules imports another, even indirectly."""

from __future__ import annotations

from archverify.core.contracts.common import (
    ContractConfig,
    Violation,
    check_module_name,
    exists,
    find_violation,
    members,
    string_list,
)
from archverify.core.graph import ImportGraph


def referenced(contract: ContractConfig) -> list[tuple[str, bool]]:
    return [(m, False) for m in string_list(contract, "modules", required=True)]


def check(graph: ImportGraph, contract: ContractConfig) -> tuple[list[Violation], list[str]]:
    modules = [
        check_module_name(contract, m) for m in string_list(contract, "modules", required=True)
    ]
    present = [m for m in modules if exists(graph, m)]
    member_sets = {m: members(graph, m) for m in present}
    violations: list[Violation] = []
    for importer in present:
        for imported in present:
            if importer == imported:
                continue
            # A chain through a third listed module is reported once, for its own pair.
            others = frozenset().union(
                *(s for name, s in member_sets.items() if name not in (importer, imported))
            )
            hit = find_violation(graph, importer, imported, avoiding=others)
            if hit is not None:
                violations.append(hit)
    return violations, [m for m in modules if m not in present]
