"""The ``protected`` contract: only the allowed importers may directly import the modules."""

from __future__ import annotations

from dataclasses import dataclass, replace

from archverify.core.contracts.common import (
    ContractConfig,
    ContractOption,
    ContractType,
    GivenOptions,
    Violation,
    chain_violation,
    check_module_name,
    exists,
    members,
)
from archverify.core.contracts.routes import direct_routes
from archverify.core.findings import Rule, Severity
from archverify.core.graph import ImportGraph
from archverify.core.project import in_package

PROTECTED_KEYS = ("protected_modules", "allowed_importers")
HINT = "Import through an allowed importer, or add the importer to allowed_importers."


@dataclass(frozen=True)
class ProtectedOptions:
    """A ``protected`` (or ``only_allow``) contract's options, parsed."""

    modules: tuple[str, ...]
    allowed_importers: tuple[str, ...]
    as_packages: bool = True


def declared(keys: tuple[str, str]) -> tuple[ContractOption, ContractOption]:
    """The two lists, under either type's keys. ``allowed_importers`` must be given in
    archverify's TOML (an empty list: nobody may import them), not in import-linter files."""
    return (
        ContractOption(keys[0], required=True, names_modules=True),
        ContractOption(
            keys[1], required=True, may_be_empty=True, names_modules=True, importlinter="optional"
        ),
    )


_AS_PACKAGES = ContractOption("as_packages", "boolean", default=True)


def parse_keys(given: GivenOptions, keys: tuple[str, str]) -> ProtectedOptions:
    return ProtectedOptions(
        modules=tuple(given.strings(keys[0])),
        allowed_importers=tuple(given.strings(keys[1])),
        as_packages=given.flag("as_packages") if given.declares("as_packages") else True,
    )


def _parse(given: GivenOptions) -> ProtectedOptions:
    return parse_keys(given, PROTECTED_KEYS)


def referenced_modules(options: ProtectedOptions) -> list[tuple[str, bool]]:
    return [(m, False) for m in options.modules] + [(m, False) for m in options.allowed_importers]


def _given(contract: ContractConfig, keys: tuple[str, str]) -> GivenOptions:
    return GivenOptions(contract, (*declared(keys), _AS_PACKAGES))


def referenced(
    contract: ContractConfig, keys: tuple[str, str] = PROTECTED_KEYS
) -> list[tuple[str, bool]]:
    return referenced_modules(parse_keys(_given(contract, keys), keys))


def check(
    graph: ImportGraph, contract: ContractConfig, keys: tuple[str, str] = PROTECTED_KEYS
) -> tuple[list[Violation], list[str]]:
    return check_options(graph, contract, parse_keys(_given(contract, keys), keys))


def check_options(
    graph: ImportGraph, contract: ContractConfig, options: ProtectedOptions
) -> tuple[list[Violation], list[str]]:
    protected = [check_module_name(contract, m) for m in options.modules]
    allowed = [check_module_name(contract, m) for m in options.allowed_importers]
    as_packages = options.as_packages
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
                found = chain_violation(
                    graph, importer, target, [importer, hits[0]], "is not an allowed importer of"
                )
                routes = direct_routes(graph, {importer}, set(hits))
                violations.append(replace(found, routes=tuple(routes)))
    missing = [m for m in protected + allowed if not exists(graph, m)]
    return violations, missing


def _allowed(importer: str, allowed: list[str], as_packages: bool) -> bool:
    if as_packages:
        return any(in_package(importer, a) for a in allowed)
    return importer in allowed


TYPE = ContractType(
    name="protected",
    options=(*declared(PROTECTED_KEYS), _AS_PACKAGES),
    rule=Rule("contracts/protected", Severity.ERROR, HINT),
    parse=_parse,
    check=check_options,
    referenced=referenced_modules,
)
