"""The ``cycles`` step: import cycles among the verified packages."""

from __future__ import annotations

from archverify.core.cycles import IMPORT_TIME_OPTIONS, Cycle, cycles_in
from archverify.core.findings import Finding, Severity, StepOutcome, status_for
from archverify.core.graph import ImportEdge, edge_records, graph_stats
from archverify.executors.base import StepContext

STEP = "cycles"


class CyclesStep:
    """One finding per cycle: an error when it runs at import time, a warning when lazy."""

    id = STEP

    def run(self, context: StepContext) -> StepOutcome:
        packages = context.config.cycles.packages or context.project.packages
        eager = context.import_graph(include_function_level=False, **IMPORT_TIME_OPTIONS)
        full = context.import_graph(**IMPORT_TIME_OPTIONS)
        cycles = cycles_in(eager, full, packages)
        findings = sorted((_finding(c) for c in cycles), key=Finding.sort_key)
        stats = dict(graph_stats(full))
        return StepOutcome(STEP, status_for(findings), findings=findings, stats=stats)


def _hop(edge: ImportEdge) -> str:
    """The module a hop reaches, marked when the hop is not a plain import-time import."""
    notes = []
    if edge.implicit:
        notes.append(f"implicit: importing {edge.via} runs {edge.imported} first")
    if edge.in_function:
        notes.append("function-level")
    return f"{edge.imported} ({'; '.join(notes)})" if notes else edge.imported


def _finding(cycle: Cycle) -> Finding:
    first = cycle.path[0]
    hops = " -> ".join([cycle.path[0].importer, *(_hop(e) for e in cycle.path)])
    where = ", ".join(f"{e.path}:{e.line}" for e in cycle.path)
    if cycle.lazy:
        rule, severity = "cycles/lazy-cycle", Severity.WARNING
        message = f"import cycle through a function-level import: {hops} ({where})"
        hint = "Lazy imports hide the cycle at import time; move the shared code to a lower module."
    else:
        rule, severity = "cycles/import-cycle", Severity.ERROR
        message = f"import cycle: {hops} ({where})"
        hint = "Break the cycle: move the shared code to a module both may import."
    return Finding(
        step=STEP,
        rule=rule,
        severity=severity,
        path=first.path,
        line=first.line,
        column=first.column,
        message=message,
        hint=hint,
        extra={
            "modules": list(cycle.modules),
            "chain": edge_records(cycle.path),
            "edges": edge_records(cycle.edges),
        },
    )
