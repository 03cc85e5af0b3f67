"""What every contract type shares: its declaration, results, violations, errors and option
parsing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, TypeVar

from archverify.core.contracts.routes import Route, find_routes
from archverify.core.findings import Rule
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

    ``chain`` holds the first import statement of every hop of the shortest chain; it is empty
    for violations that are not about an import (a module missing from an exhaustive layers
    contract). ``routes`` holds every direct import and every indirect route of the pair, each
    hop with all its statements (see ``routes.find_routes``).
    """

    importer: str
    imported: str
    chain: tuple[ImportEdge, ...]
    message: str
    path: str = ""
    line: int = 0
    column: int = 0
    routes: tuple[Route, ...] = ()


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
    """A namespace folder exists when a module is inside it (``ImportGraph.exists``)."""
    return graph.exists(module)


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
    routes = find_routes(
        graph, sources, targets, avoiding=avoiding - sources - targets, direct_only=direct_only
    )
    if not routes:
        return None
    # The first route is the shortest chain (a direct import when there is one).
    first = routes[0]
    chain = [first.heads[0].importer, *first.middle, first.chain()[-1].imported]
    found = chain_violation(graph, importer, imported, chain, verb)
    return replace(found, routes=tuple(routes))


ContractOptionKind = Literal["list", "boolean", "choice", "integer"]
# How import-linter files treat an option: read as archverify's TOML reads it, read but not
# required there, or not read at all (archverify's own option, or one set for the whole file).
ImportLinterUse = Literal["read", "optional", "ignored"]


@dataclass(frozen=True)
class ContractOption:
    """One option a contract type declares; both configuration readers validate by it.

    ``required``: a contract without the key is refused, and a required list must not be empty
    unless ``may_be_empty``. ``names_modules``: a list of module names, which must exist once the
    project is discovered. ``wildcards``: a list whose items may use ``*`` and ``**``.
    ``default`` is the value of an absent boolean, choice or integer.
    """

    key: str
    kind: ContractOptionKind = "list"
    required: bool = False
    default: bool | int | str | None = None
    choices: tuple[str, ...] = ()
    may_be_empty: bool = False
    names_modules: bool = False
    wildcards: bool = False
    importlinter: ImportLinterUse = "read"


class GivenOptions:
    """A contract's options as declared, read through its type's :class:`ContractOption` values: the
    declaration says whether a key is required and what an absent one means."""

    def __init__(self, contract: ContractConfig, declared: Iterable[ContractOption]) -> None:
        self.contract = contract
        self._declared = {option.key: option for option in declared}

    def declares(self, key: str) -> bool:
        return key in self._declared

    def _option(self, key: str, kind: ContractOptionKind) -> ContractOption:
        option = self._declared[key]
        if option.kind != kind:  # pragma: no cover - a contract type reading its own key wrongly
            raise TypeError(f"option {key!r} is declared {option.kind}, not {kind}")
        return option

    def strings(self, key: str) -> list[str]:
        option = self._option(key, "list")
        return string_list(self.contract, key, required=option.required and not option.may_be_empty)

    def flag(self, key: str) -> bool:
        return boolean(self.contract, key, bool(self._option(key, "boolean").default))

    def raw(self, key: str) -> object:
        """The value as given (or the declared default), for an option checked later."""
        return self.contract.options.get(key, self._declared[key].default)

    def error(self, problem: str, key: str = "") -> ContractError:
        return ContractError(self.contract, problem, key)


Options = TypeVar("Options")
Referenced = list[tuple[str, bool]]


@dataclass(frozen=True)
class ContractType(Generic[Options]):
    """A contract type as a value: its name, its declared options, the rule its violations are
    findings of, and three functions over its typed options.

    ``parse`` turns the options as declared into the type's own frozen value, refusing what is
    malformed (configuration readers call it through :meth:`modules`, so its errors are
    configuration errors). ``check`` returns the violations and the required modules that do not
    exist; it gets the contract only to name it in a ``ContractError``. ``referenced`` lists
    every module named, with whether it may be absent; ``internal_only`` those of them that must
    exist when they are the project's. ``importlinter``: import-linter has this type, so its
    files may declare it.
    """

    name: str
    options: tuple[ContractOption, ...]
    rule: Rule
    parse: Callable[[GivenOptions], Options]
    check: Callable[[ImportGraph, ContractConfig, Options], tuple[list[Violation], list[str]]]
    referenced: Callable[[Options], Referenced]
    internal_only: Callable[[Options], list[str]] | None = None
    importlinter: bool = True

    @property
    def hint(self) -> str:
        return self.rule.hint

    def read(self, contract: ContractConfig) -> Options:
        return self.parse(GivenOptions(contract, self.options))

    def modules(self, contract: ContractConfig) -> Referenced:
        return self.referenced(self.read(contract))

    def violations(
        self, graph: ImportGraph, contract: ContractConfig
    ) -> tuple[list[Violation], list[str]]:
        return self.check(graph, contract, self.read(contract))
