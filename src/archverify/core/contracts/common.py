"""What every contract type shares: results, violations, errors and option parsing."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from archverify.core.graph import ImportEdge, ImportGraph


@dataclass(frozen=True)
class ContractConfig:
    """One contract with import-linter's keys kept as given (``layers``, ``source_modules``...).

    ``origin`` names where it was declared ("pyproject.toml:42") for error messages.
    """

    name: str
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)
    origin: str = ""


class ContractError(ValueError):
    """A contract whose options are malformed; the message names the contract and its origin."""

    def __init__(self, contract: ContractConfig, problem: str, key: str = "") -> None:
        where = f" ({contract.origin})" if contract.origin else ""
        super().__init__(f"contract {contract.name!r}{where}: {problem}")
        self.contract = contract
        self.problem = problem
        self.key = key  # the option at fault, when one is


@dataclass(frozen=True)
class Violation:
    """One broken (importer package, imported package) pair and the chain that breaks it.

    ``chain`` holds the first import statement of every hop; it is empty for violations that
    are not about an import (a module missing from an exhaustive layers contract).
    """

    importer: str
    imported: str
    chain: tuple[ImportEdge, ...]
    message: str
    path: str = ""
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class ContractResult:
    """The verdict of one contract."""

    contract: ContractConfig
    violations: tuple[Violation, ...] = ()
    unmatched_ignores: tuple[str, ...] = ()
    ignore_alerting: str = "error"
    missing_modules: tuple[str, ...] = ()

    @property
    def kept(self) -> bool:
        return not self.violations


def string_list(contract: ContractConfig, key: str, *, required: bool = False) -> list[str]:
    """A list option given as a TOML list or as import-linter's newline-separated string."""
    raw = contract.options.get(key)
    if raw is None:
        if required:
            raise ContractError(contract, f"missing required option {key!r}", key)
        return []
    if isinstance(raw, str):
        items = [part.strip() for part in raw.splitlines()]
    elif isinstance(raw, list | tuple):
        if not all(isinstance(item, str) for item in raw):
            raise ContractError(contract, f"option {key!r} must be a list of strings", key)
        items = [item.strip() for item in raw]
    else:
        raise ContractError(contract, f"option {key!r} must be a list of strings")
    found = [item for item in items if item]
    if required and not found:
        raise ContractError(contract, f"option {key!r} must not be empty", key)
    return found


def boolean(contract: ContractConfig, key: str, default: bool = False) -> bool:
    """A boolean option; import-linter's ini files spell them as strings."""
    raw = contract.options.get(key, default)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in {"true", "false", "1", "0", "yes", "no"}:
        return raw.strip().lower() in {"true", "1", "yes"}
    raise ContractError(contract, f"option {key!r} must be true or false, not {raw!r}", key)


def check_module_name(contract: ContractConfig, name: str) -> str:
    if not name or any(not part.isidentifier() for part in name.split(".")):
        raise ContractError(contract, f"{name!r} is not a dotted module name")
    return name


def members(graph: ImportGraph, package: str) -> frozenset[str]:
    """``package`` and its descendants that are in the graph (externals included)."""
    return graph.members(package)


def exists(graph: ImportGraph, module: str) -> bool:
    return module in graph.modules or module in graph.external_modules


def chain_violation(
    graph: ImportGraph, importer: str, imported: str, chain: list[str], verb: str
) -> Violation:
    """A violation located at the first import of ``chain``, naming every hop."""
    edges = tuple(graph.chain_edges(chain))
    hops = " -> ".join(chain)
    where = ", ".join(f"{e.path}:{e.line}" for e in edges)
    first = edges[0]
    return Violation(
        importer=importer,
        imported=imported,
        chain=edges,
        message=f"{importer} {verb} {imported}: {hops} ({where})",
        path=first.path,
        line=first.line,
        column=first.column,
    )


def find_violation(
    graph: ImportGraph,
    importer: str,
    imported: str,
    *,
    avoiding: Set[str] = frozenset(),
    direct_only: bool = False,
    verb: str = "is not allowed to import",
) -> Violation | None:
    """The one violation of ``importer`` (as a package) reaching ``imported`` (as a package)."""
    sources = members(graph, importer)
    targets = members(graph, imported)
    if not sources or not targets:
        return None
    if direct_only:
        for source in sorted(sources - targets):
            for target in sorted(graph.imports_of(source) & targets):
                return chain_violation(graph, importer, imported, [source, target], verb)
        return None
    chain = graph.shortest_chain(sources, targets, avoiding=avoiding - sources - targets)
    if chain is None:
        return None
    return chain_violation(graph, importer, imported, chain, verb)
