"""The ``independence`` contract: none of the modules imports another, even indirectly."""

from __future__ import annotations

from dataclasses import dataclass

from archverify.core.contracts.common import (
    ContractConfig,
    ContractOption,
    ContractType,
    GivenOptions,
    Violation,
    check_module_name,
    exists,
    find_violation,
    members,
)
from archverify.core.findings import Rule, Severity
from archverify.core.graph import ImportGraph


@dataclass(frozen=True)
class IndependenceOptions:
    """An ``independence`` contract's options, parsed."""

    modules: tuple[str, ...]


def _parse(given: GivenOptions) -> IndependenceOptions:
    return IndependenceOptions(modules=tuple(given.strings("modules")))


def _referenced(options: IndependenceOptions) -> list[tuple[str, bool]]:
    return [(m, False) for m in options.modules]


def referenced(contract: ContractConfig) -> list[tuple[str, bool]]:
    return TYPE.modules(contract)


def check(graph: ImportGraph, contract: ContractConfig) -> tuple[list[Violation], list[str]]:
    return TYPE.violations(graph, contract)


def _check(
    graph: ImportGraph, contract: ContractConfig, options: IndependenceOptions
) -> tuple[list[Violation], list[str]]:
    modules = [check_module_name(contract, m) for m in options.modules]
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


TYPE = ContractType(
    name="independence",
    options=(ContractOption("modules", required=True, names_modules=True),),
    rule=Rule(
        "contracts/independence",
        Severity.ERROR,
        "Move the shared code to a module both may import.",
    ),
    parse=_parse,
    check=_check,
    referenced=_referenced,
)
