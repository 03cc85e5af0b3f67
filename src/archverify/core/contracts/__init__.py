"""import-linter-compatible contracts over the import graph: one module per contract type."""

from __future__ import annotations

from collections.abc import Callable

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
    ContractResult,
    Violation,
    boolean,
)
from archverify.core.contracts.ignores import alerting, apply_ignores
from archverify.core.graph import ImportGraph

__all__ = [
    "CONTRACT_TYPES",
    "ContractError",
    "ContractResult",
    "Violation",
    "check_contract",
    "include_type_checking",
    "internal_only_modules",
    "referenced_modules",
]

_Check = Callable[[ImportGraph, ContractConfig], tuple[list[Violation], list[str]]]
_Referenced = Callable[[ContractConfig], list[tuple[str, bool]]]

_TYPES: dict[str, tuple[_Check, _Referenced]] = {
    "layers": (layers.check, layers.referenced),
    "forbidden": (forbidden.check, forbidden.referenced),
    "independence": (independence.check, independence.referenced),
    "protected": (protected.check, protected.referenced),
    "only_allow": (only_allow.check, only_allow.referenced),
    "acyclic_siblings": (acyclic_siblings.check, acyclic_siblings.referenced),
}
CONTRACT_TYPES: tuple[str, ...] = tuple(sorted(_TYPES))


def _type_of(contract: ContractConfig) -> tuple[_Check, _Referenced]:
    found = _TYPES.get(contract.type)
    if found is None:
        raise ContractError(
            contract, f"unknown type {contract.type!r} (known: {', '.join(CONTRACT_TYPES)})"
        )
    return found


def referenced_modules(contract: ContractConfig) -> list[tuple[str, bool]]:
    """Every module the contract names, with whether it may be absent (optional).

    Raises ``ContractError`` for an unknown type or malformed options.
    """
    return _type_of(contract)[1](contract)


def internal_only_modules(contract: ContractConfig) -> list[str]:
    """Names the contract marks optional in :func:`referenced_modules` only because they may be
    outside the project: one inside it (its top-level package is the project's) must exist, as
    lint-imports requires ("Module 'pkg.x' does not exist.")."""
    _type_of(contract)
    return forbidden.internal_only(contract) if contract.type == "forbidden" else []


def include_type_checking(contract: ContractConfig, default: bool) -> bool:
    """Whether this contract sees ``if TYPE_CHECKING:`` imports (its option wins)."""
    return boolean(contract, "include_type_checking_imports", default)


def check_contract(graph: ImportGraph, contract: ContractConfig) -> ContractResult:
    """The verdict of ``contract`` on ``graph`` (built with externals when it forbids them).

    Raises ``ContractError`` for an unknown type or malformed options.
    """
    check, _ = _type_of(contract)
    ignore_alerting = alerting(contract)
    pruned, unmatched = apply_ignores(graph, contract)
    violations, missing = check(pruned, contract)
    return ContractResult(
        contract=contract,
        violations=tuple(violations),
        unmatched_ignores=unmatched,
        ignore_alerting=ignore_alerting,
        missing_modules=tuple(dict.fromkeys(missing)),
    )
