"""The archverify ``only_allow`` contract: ``modules`` may be imported only by the listed importers.

It is ``protected`` under plainer keys (``modules``, ``allowed_importers``), kept for configs
that read better that way.
"""

from __future__ import annotations

from archverify.core.contracts import protected
from archverify.core.contracts.common import ContractConfig, Violation
from archverify.core.graph import ImportGraph

KEYS = ("modules", "allowed_importers")


def referenced(contract: ContractConfig) -> list[tuple[str, bool]]:
    return protected.referenced(contract, KEYS)


def check(graph: ImportGraph, contract: ContractConfig) -> tuple[list[Violation], list[str]]:
    return protected.check(graph, contract, KEYS)
