"""``ignore_imports`` expressions (``a.* -> b.**``) and removing what they match from a graph."""

from __future__ import annotations

from dataclasses import dataclass

from archverify.core.contracts.common import ContractConfig, ContractError, string_list
from archverify.core.graph import ImportGraph
from archverify.core.patterns import matches_dotted

ALERTING = ("error", "warn", "none")
# Set (false) on contracts read from an import-linter file without include_external_packages:
# lint-imports' graph then holds no external module, so no ignored import of one can match.
INCLUDE_EXTERNAL_OPTION = "include_external_packages"


@dataclass(frozen=True)
class ImportExpression:
    """``importer -> imported``; ``*`` is one module name, ``**`` one or more (import-linter)."""

    text: str
    importer: str
    imported: str

    def matches(self, importer: str, imported: str) -> bool:
        return matches_expression(self.importer, importer) and matches_expression(
            self.imported, imported
        )


def matches_expression(expression: str, module: str) -> bool:
    if "*" not in expression:
        return expression == module
    # import-linter's ``**`` needs at least one name; the shared matcher's ``**`` allows none.
    widened = ".".join("*.**" if part == "**" else part for part in expression.split("."))
    return matches_dotted(widened, module)


def parse_expressions(contract: ContractConfig) -> list[ImportExpression]:
    found: list[ImportExpression] = []
    for text in string_list(contract, "ignore_imports"):
        importer, arrow, imported = (part.strip() for part in text.partition("->"))
        if not arrow or not importer or not imported:
            raise ContractError(contract, f"ignore_imports entry {text!r} is not 'a -> b'")
        for side in (importer, imported):
            parts = side.split(".")
            if any(not (p in {"*", "**"} or p.isidentifier()) for p in parts):
                raise ContractError(contract, f"ignore_imports entry {text!r}: bad name {side!r}")
            # import-linter's rules: ``**`` is never next to another wildcard after it.
            for before, after in zip(parts, parts[1:], strict=False):
                if (before, after) in {("**", "*"), ("**", "**"), ("*", "**")}:
                    raise ContractError(
                        contract,
                        f"ignore_imports entry {text!r}: {before!r} cannot be followed by "
                        f"{after!r}",
                        "ignore_imports",
                    )
        found.append(ImportExpression(text, importer, imported))
    return found


def alerting(contract: ContractConfig) -> str:
    value = contract.options.get("unmatched_ignore_imports_alerting", "error")
    if value not in ALERTING:
        raise ContractError(
            contract, f"unmatched_ignore_imports_alerting must be one of {ALERTING}, not {value!r}"
        )
    return str(value)


def apply_ignores(
    graph: ImportGraph, contract: ContractConfig
) -> tuple[ImportGraph, tuple[str, ...]]:
    """The graph without the ignored imports, and the expressions that matched nothing."""
    expressions = parse_expressions(contract)
    if not expressions:
        return graph, ()
    pairs = {(e.importer, e.imported) for e in graph.edges()}
    if contract.options.get(INCLUDE_EXTERNAL_OPTION, True) is False:
        pairs = {pair for pair in pairs if pair[1] not in graph.external_modules}
    dropped: set[tuple[str, str]] = set()
    unmatched: list[str] = []
    for expression in expressions:
        hits = {pair for pair in pairs if expression.matches(*pair)}
        if not hits:
            unmatched.append(expression.text)
        dropped |= hits
    return graph.without_imports(dropped), tuple(unmatched)
