"""The ``contracts`` step: import-linter-compatible contracts over the project's import graph."""

from __future__ import annotations

from typing import Any

from archverify.core.contracts import (
    ContractError,
    ContractResult,
    Violation,
    check_contract,
    cut_contract,
    include_type_checking,
    route_records,
    rule_for,
)
from archverify.core.cuts import Cut, advice, cut_record
from archverify.core.findings import Finding, Rule, Severity, StepOutcome
from archverify.core.graph import ImportGraph, edge_records, graph_stats
from archverify.executors.base import StepContext, finished, skipped

STEP = "contracts"
# A violation is a finding of its contract type's rule (``contracts/layers``...), declared
# with the type in core/contracts/<type>.py; these two are the step's own.
CONFIG_ERROR = Rule(
    "contracts/config-error",
    Severity.ERROR,
    "Fix the contract's options; see `archverify explain contracts`.",
)
UNMATCHED_IGNORE = Rule(
    "contracts/unmatched-ignore",
    Severity.ERROR,
    "Remove the stale ignore_imports entry, or set unmatched_ignore_imports_alerting.",
)
# One per broken contract, beside its violations: the cut belongs to the contract, not to one
# of its broken pairs (see rule_docs/contracts.md).
CUT = Rule(
    "contracts/cut",
    Severity.NOTE,
    "Remove or move these imports (or invert them); the contract holds without them.",
)


class ContractsStep:
    """Checks every configured contract; each broken package pair is one error finding."""

    id = STEP

    def cache_key(self, context: StepContext) -> str:
        # The step reads the import graph and the configuration only.
        return context.import_graph_key()

    def run(self, context: StepContext) -> StepOutcome:
        config = context.config
        if not config.contracts:
            return skipped(STEP, "no contracts configured")
        graphs: dict[bool, ImportGraph] = {}
        findings: list[Finding] = []
        kept = 0
        for contract in config.contracts:
            try:
                with_tc = include_type_checking(contract, config.include_type_checking_imports)
                if with_tc not in graphs:
                    graphs[with_tc] = context.import_graph(
                        include_type_checking=with_tc, include_external=True
                    )
                result = check_contract(graphs[with_tc], contract)
                cut = None if result.kept else cut_contract(graphs[with_tc], contract)
            except ContractError as error:
                findings.append(_config_error(str(error), contract.origin))
                continue
            kept += result.kept
            findings.extend(_findings(result))
            if cut is not None:
                findings.append(_cut_finding(result, cut))
        graph = graphs.get(config.include_type_checking_imports) or next(
            iter(graphs.values()), None
        )
        stats: dict[str, Any] = dict(graph_stats(graph)) if graph is not None else {}
        stats["contracts_kept"] = kept
        stats["contracts_broken"] = len(config.contracts) - kept
        return finished(STEP, findings, stats=stats)


def _at_origin(origin: str) -> tuple[str, int]:
    """A contract's ``file:line`` origin as a path and a line (0 when it names no line)."""
    path, _, line = origin.rpartition(":")
    return (path, int(line)) if line.isdigit() else (origin, 0)


def _config_error(message: str, origin: str) -> Finding:
    return CONFIG_ERROR.at(*_at_origin(origin), 0, message)


def _violation(result: ContractResult, violation: Violation) -> Finding:
    contract = result.contract
    return rule_for(contract).at(
        violation.path,
        violation.line,
        violation.column,
        f"contract {contract.name!r} broken: {violation.message}",
        extra={
            "contract": contract.name,
            "importer": violation.importer,
            "imported": violation.imported,
            "chain": edge_records(violation.chain),
            "routes": route_records(violation.routes),
        },
    )


def _findings(result: ContractResult) -> list[Finding]:
    contract = result.contract
    found = [_violation(result, v) for v in result.violations]
    for module in result.missing_modules:
        found.append(
            _config_error(
                f"contract {contract.name!r}: module {module!r} does not exist", contract.origin
            )
        )
    severity = {"error": Severity.ERROR, "warn": Severity.WARNING}.get(result.ignore_alerting)
    if severity is not None:
        for expression in result.unmatched_ignores:
            found.append(
                UNMATCHED_IGNORE.at(
                    *_at_origin(contract.origin),
                    0,
                    f"contract {contract.name!r}: no import matches ignored import {expression!r}",
                    severity=severity,
                    extra={"contract": contract.name, "expression": expression},
                )
            )
    return found


def _cut_finding(result: ContractResult, cut: Cut) -> Finding:
    """``remove these 3 imports to keep 'Four layers' (minimum, min-cut): a.py:3, ...``, at the
    first of them."""
    contract = result.contract
    first = cut.edges[0]
    record = cut_record(cut)
    message = advice(record, f"keep {contract.name!r}")
    if any(not v.chain for v in result.violations):
        message += "; the modules missing from its exhaustive containers still break it"
    return CUT.at(
        first.path,
        first.line,
        first.column,
        message,
        extra={"contract": contract.name, "cut": record},
    )
