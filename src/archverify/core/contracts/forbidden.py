"""The ``forbidden`` contract: source modules must not import the forbidden modules."""

from __future__ import annotations

from archverify.core.contracts.common import (
    ContractConfig,
    ContractError,
    Violation,
    boolean,
    check_module_name,
    exists,
    find_violation,
    string_list,
)
from archverify.core.graph import ImportGraph, nearest_internal


def referenced(contract: ContractConfig) -> list[tuple[str, bool]]:
    sources = string_list(contract, "source_modules", required=True)
    forbidden = string_list(contract, "forbidden_modules", required=True)
    # A forbidden module may be a distribution that is simply not imported anywhere; one of
    # the project's must exist (see internal_only).
    return [(m, False) for m in sources] + [(m, True) for m in forbidden]


def internal_only(contract: ContractConfig) -> list[str]:
    """The forbidden modules: each must exist when it is inside the project."""
    return string_list(contract, "forbidden_modules", required=True)


def check(graph: ImportGraph, contract: ContractConfig) -> tuple[list[Violation], list[str]]:
    sources = [
        check_module_name(contract, m)
        for m in string_list(contract, "source_modules", required=True)
    ]
    forbidden = [
        check_module_name(contract, m)
        for m in string_list(contract, "forbidden_modules", required=True)
    ]
    direct_only = boolean(contract, "allow_indirect_imports")
    for module in forbidden:
        internal_root = nearest_internal(module.partition(".")[0], graph.modules)
        if "." in module and internal_root is None and module not in graph.modules:
            raise ContractError(
                contract, f"external forbidden module {module!r} must be a top-level name"
            )
    missing = [m for m in sources if not exists(graph, m)]
    violations: list[Violation] = []
    for source in sources:
        for target in forbidden:
            hit = find_violation(graph, source, target, direct_only=direct_only)
            if hit is not None:
                violations.append(hit)
    return violations, missing
