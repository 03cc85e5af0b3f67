"""The ``forbidden`` contract: source modules must not import the forbidden modules."""

from __future__ import annotations

from dataclasses import dataclass

from archverify.core.contracts.common import (
    ContractConfig,
    ContractError,
    ContractOption,
    ContractType,
    GivenOptions,
    Violation,
    check_module_name,
    exists,
    find_violation,
)
from archverify.core.findings import Rule, Severity
from archverify.core.graph import ImportGraph, nearest_internal


@dataclass(frozen=True)
class ForbiddenOptions:
    """A ``forbidden`` contract's options, parsed. ``as_packages`` is accepted but only its
    default (true) is supported: the import-linter reader refuses false."""

    source_modules: tuple[str, ...]
    forbidden_modules: tuple[str, ...]
    allow_indirect_imports: bool


def _parse(given: GivenOptions) -> ForbiddenOptions:
    return ForbiddenOptions(
        source_modules=tuple(given.strings("source_modules")),
        forbidden_modules=tuple(given.strings("forbidden_modules")),
        allow_indirect_imports=given.flag("allow_indirect_imports"),
    )


def _referenced(options: ForbiddenOptions) -> list[tuple[str, bool]]:
    # A forbidden module may be a distribution that is simply not imported anywhere; one of
    # the project's must exist (see internal_only).
    return [(m, False) for m in options.source_modules] + [
        (m, True) for m in options.forbidden_modules
    ]


def _internal_only(options: ForbiddenOptions) -> list[str]:
    return list(options.forbidden_modules)


def referenced(contract: ContractConfig) -> list[tuple[str, bool]]:
    return TYPE.modules(contract)


def internal_only(contract: ContractConfig) -> list[str]:
    """The forbidden modules: each must exist when it is inside the project."""
    return _internal_only(TYPE.read(contract))


def check(graph: ImportGraph, contract: ContractConfig) -> tuple[list[Violation], list[str]]:
    return TYPE.violations(graph, contract)


def _check(
    graph: ImportGraph, contract: ContractConfig, options: ForbiddenOptions
) -> tuple[list[Violation], list[str]]:
    sources = [check_module_name(contract, m) for m in options.source_modules]
    forbidden = [check_module_name(contract, m) for m in options.forbidden_modules]
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
            hit = find_violation(graph, source, target, direct_only=options.allow_indirect_imports)
            if hit is not None:
                violations.append(hit)
    return violations, missing


TYPE = ContractType(
    name="forbidden",
    options=(
        ContractOption("source_modules", required=True, names_modules=True),
        ContractOption("forbidden_modules", required=True, names_modules=True),
        ContractOption("allow_indirect_imports", "boolean", default=False),
        ContractOption("as_packages", "boolean", default=True),
    ),
    rule=Rule(
        "contracts/forbidden",
        Severity.ERROR,
        "Remove the import or route it through an allowed module.",
    ),
    parse=_parse,
    check=_check,
    referenced=_referenced,
    internal_only=_internal_only,
)
