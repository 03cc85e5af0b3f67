"""The ``protected`` contract: only the allowed importers may directly import the modules."""

from __future__ import annotations

from archverify.core.contracts.common import (
    ContractConfig,
    Violation,
    boolean,
    chain_violation,
    check_module_name,
    exists,
    members,
    string_list,
)
from archverify.core.graph import ImportGraph
from archverify.core.project import in_package

PROTECTED_KEYS = ("protected_modules", "allowed_importers")


def referenced(
    contract: ContractConfig, keys: tuple[str, str] = PROTECTED_KEYS
) -> list[tuple[str, bool]]:
    protected = string_list(contract, keys[0], required=True)
    allowed = string_list(contract, keys[1])
    return [(m, False) for m in protected] + [(m, False) for m in allowed]


def check(
    graph: ImportGraph, contract: ContractConfig, keys: tuple[str, str] = PROTECTED_KEYS
) -> tuple[list[Violation], list[str]]:
    protected = [
        check_module_name(contract, m) for m in string_list(contract, keys[0], required=True)
    ]
    allowed = [check_module_name(contract, m) for m in string_list(contract, keys[1])]
    as_packages = boolean(contract, "as_packages", default=True)
    violations: list[Violation] = []
    for target in protected:
        if not exists(graph, target):
            continue
        targets = members(graph, target) if as_packages else frozenset({target})
        for importer in sorted(graph.modules):
            if importer in targets or _allowed(importer, allowed, as_packages):
                continue
            hits = sorted(graph.imports_of(importer) & targets)
            if hits:
                violations.append(
                    chain_violation(
                        graph,
                        importer,
                        target,
                        [importer, hits[0]],
                        "is not an allowed importer of",
                    )
                )
    missing = [m for m in protected + allowed if not exists(graph, m)]
    return violations, missing


def _allowed(importer: str, allowed: list[str], as_packages: bool) -> bool:
    if as_packages:
        return any(in_package(importer, a) for a in allowed)
    return importer in allowed
