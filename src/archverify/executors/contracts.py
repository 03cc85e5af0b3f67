"""The ``contracts`` step: import-linter-compatible contracts over the project's import graph."""

from __future__ import annotations

from typing import Any

from archverify.core.contracts import (
    ContractError,
    ContractResult,
    Violation,
    check_contract,
    include_type_checking,
)
from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus, status_for
from archverify.core.graph import ImportGraph, edge_records, graph_stats
from archverify.executors.base import StepContext

STEP = "contracts"
_HINTS = {
    "layers": "Move the code down a layer, invert the dependency, or add an ignore_imports entry.",
    "forbidden": "Remove the import or route it through an allowed module.",
    "independence": "Move the shared code to a module both may import.",
    "protected": "Import through an allowed importer, or add the importer to allowed_importers.",
    "only_allow": "Import through an allowed importer, or add the importer to allowed_importers.",
    "acyclic_siblings": "Break the cycle: move the shared code down, or invert one dependency.",
}


class ContractsStep:
    """Checks every configured contract; each broken package pair is one error finding."""

    id = STEP

    def run(self, context: StepContext) -> StepOutcome:
        config = context.config
        if not config.contracts:
            return StepOutcome(STEP, StepStatus.SKIPPED, message="no contracts configured")
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
            except ContractError as error:
                findings.append(_config_error(str(error), contract.origin))
                continue
            kept += result.kept
            findings.extend(_findings(result))
        graph = graphs.get(config.include_type_checking_imports) or next(
            iter(graphs.values()), None
        )
        stats: dict[str, Any] = dict(graph_stats(graph)) if graph is not None else {}
        stats["contracts_kept"] = kept
        stats["contracts_broken"] = len(config.contracts) - kept
        findings.sort(key=Finding.sort_key)
        return StepOutcome(STEP, status_for(findings), findings=findings, stats=stats)


def _config_error(message: str, origin: str) -> Finding:
    path, _, line = origin.rpartition(":")
    return Finding(
        step=STEP,
        rule="contracts/config-error",
        severity=Severity.ERROR,
        path=path if line.isdigit() else origin,
        line=int(line) if line.isdigit() else 0,
        column=0,
        message=message,
        hint="Fix the contract's options; see `archverify explain contracts`.",
    )


def _violation(result: ContractResult, violation: Violation) -> Finding:
    contract = result.contract
    return Finding(
        step=STEP,
        rule=f"contracts/{contract.type}",
        severity=Severity.ERROR,
        path=violation.path,
        line=violation.line,
        column=violation.column,
        message=f"contract {contract.name!r} broken: {violation.message}",
        hint=_HINTS.get(contract.type, ""),
        extra={
            "contract": contract.name,
            "importer": violation.importer,
            "imported": violation.imported,
            "chain": edge_records(violation.chain),
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
            path, _, line = contract.origin.rpartition(":")
            found.append(
                Finding(
                    step=STEP,
                    rule="contracts/unmatched-ignore",
                    severity=severity,
                    path=path if line.isdigit() else contract.origin,
                    line=int(line) if line.isdigit() else 0,
                    column=0,
                    message=f"contract {contract.name!r}: no import matches ignored import "
                    f"{expression!r}",
                    hint="Remove the stale ignore_imports entry, or set "
                    "unmatched_ignore_imports_alerting.",
                    extra={"contract": contract.name, "expression": expression},
                )
            )
    return found
