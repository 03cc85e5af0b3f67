"""The archverify ``only_allow`` contract: ``modules`` may be imported only by the listed importers.

It is ``protected`` under plainer keys (``modules``, ``allowed_importers``), kept for configs
that read better that way.
"""

from __future__ import annotations

from archverify.core.contracts import protected
from archverify.core.contracts.common import (
    ContractConfig,
    ContractType,
    GivenOptions,
    Violation,
)
from archverify.core.findings import Rule, Severity
from archverify.core.graph import ImportGraph

KEYS = ("modules", "allowed_importers")


def _parse(given: GivenOptions) -> protected.ProtectedOptions:
    return protected.parse_keys(given, KEYS)


def referenced(contract: ContractConfig) -> list[tuple[str, bool]]:
    return TYPE.modules(contract)


def check(graph: ImportGraph, contract: ContractConfig) -> tuple[list[Violation], list[str]]:
    return TYPE.violations(graph, contract)


TYPE = ContractType(
    name="only_allow",
    options=protected.declared(KEYS),
    rule=Rule("contracts/only_allow", Severity.ERROR, protected.HINT),
    parse=_parse,
    check=protected.check_options,
    referenced=protected.referenced_modules,
    importlinter=False,
)
