"""import-linter-compatible contracts over the import graph: one module per contract type.

Each type module declares one :class:`ContractType` value, ``TYPE``: its options, its rule and
its functions. :data:`REGISTRY` is built from those values; archverify's TOML schema, the
import-linter reader and the contracts step read every type's keys, required keys, booleans,
choices and rule from it.
"""

from __future__ import annotations

from typing import Any

from archverify.core.contracts import (
    acyclic_siblings,
    forbidden,
    independence,
    layers,
    only_allow,
    protected,
)
from archverify.core.contracts.common import (
    ContractConfig,
    ContractError,
    ContractOption,
    ContractResult,
    ContractType,
    Violation,
    boolean,
)
from archverify.core.contracts.ignores import ALERTING, alerting, apply_ignores
from archverify.core.contracts.routes import Hop, Route, route_records
from archverify.core.cuts import Cut, cut_violations
from archverify.core.findings import Rule
from archverify.core.graph import ImportGraph

__all__ = [
    "COMMON_OPTIONS",
    "CONTRACT_TYPES",
    "REGISTRY",
    "ContractError",
    "ContractResult",
    "ContractType",
    "ContractOption",
    "Hop",
    "Route",
    "Violation",
    "check_contract",
    "cut_contract",
    "include_type_checking",
    "internal_only_modules",
    "referenced_modules",
    "route_records",
    "rule_for",
]

# Options every contract type takes, whatever its type.
COMMON_OPTIONS: tuple[ContractOption, ...] = (
    ContractOption("ignore_imports", wildcards=True),
    ContractOption(
        "unmatched_ignore_imports_alerting", "choice", default=ALERTING[0], choices=ALERTING
    ),
    # An import-linter file sets it for all its contracts (exclude_type_checking_imports).
    ContractOption(
        "include_type_checking_imports", "boolean", default=False, importlinter="ignored"
    ),
)

# Every contract type by name, in the order the TOML schema lists them. A new type is one
# module with a ``TYPE`` and one entry here (tests register a fake one with
# ``monkeypatch.setitem``).
REGISTRY: dict[str, ContractType[Any]] = {
    contract_type.name: contract_type
    for contract_type in (
        layers.TYPE,
        forbidden.TYPE,
        independence.TYPE,
        protected.TYPE,
        acyclic_siblings.TYPE,
        only_allow.TYPE,
    )
}
CONTRACT_TYPES: tuple[str, ...] = tuple(sorted(REGISTRY))


def _type_of(contract: ContractConfig) -> ContractType[Any]:
    found = REGISTRY.get(contract.type)
    if found is None:
        known = ", ".join(sorted(REGISTRY))
        raise ContractError(contract, f"unknown type {contract.type!r} (known: {known})")
    return found


def rule_for(contract: ContractConfig) -> Rule:
    """The rule the contract's violations are findings of (``contracts/<type>``)."""
    return _type_of(contract).rule


def referenced_modules(contract: ContractConfig) -> list[tuple[str, bool]]:
    """Every module the contract names, with whether it may be absent (optional).

    Raises ``ContractError`` for an unknown type or malformed options.
    """
    return _type_of(contract).modules(contract)


def internal_only_modules(contract: ContractConfig) -> list[str]:
    """Names the contract marks optional in :func:`referenced_modules` only because they may be
    outside the project: one inside it (its top-level package is the project's) must exist, as
    lint-imports requires ("Module 'pkg.x' does not exist.")."""
    contract_type = _type_of(contract)
    if contract_type.internal_only is None:
        return []
    return contract_type.internal_only(contract_type.read(contract))


def include_type_checking(contract: ContractConfig, default: bool) -> bool:
    """Whether this contract sees ``if TYPE_CHECKING:`` imports (its option wins)."""
    return boolean(contract, "include_type_checking_imports", default)


def check_contract(graph: ImportGraph, contract: ContractConfig) -> ContractResult:
    """The verdict of ``contract`` on ``graph`` (built with externals when it forbids them).

    Raises ``ContractError`` for an unknown type or malformed options.
    """
    contract_type = _type_of(contract)
    ignore_alerting = alerting(contract)
    pruned, unmatched = apply_ignores(graph, contract)
    violations, missing = contract_type.violations(pruned, contract)
    return ContractResult(
        contract=contract,
        violations=tuple(violations),
        unmatched_ignores=unmatched,
        ignore_alerting=ignore_alerting,
        missing_modules=tuple(dict.fromkeys(missing)),
    )


def cut_contract(graph: ImportGraph, contract: ContractConfig) -> Cut | None:
    """The fewest import statements whose removal keeps ``contract`` (see ``core.cuts``), or
    None when no violation with a chain breaks it. The proof is the contract's own check:
    the cut is returned only once it passes on the graph without the cut, ignores applied.

    Raises ``ContractError`` for an unknown type or malformed options.
    """
    contract_type = _type_of(contract)
    pruned, _ = apply_ignores(graph, contract)

    def violations_of(candidate: ImportGraph) -> list[Violation]:
        return contract_type.violations(candidate, contract)[0]

    return cut_violations(pruned, violations_of)
