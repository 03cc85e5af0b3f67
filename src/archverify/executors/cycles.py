"""The ``cycles`` step: import cycles among the verified packages."""

from __future__ import annotations

from archverify.core.cuts import Cut, cut_record, feedback_arc_set
from archverify.core.cycles import IMPORT_TIME_OPTIONS, Cycle, cycles_in
from archverify.core.findings import Finding, Rule, Severity, StepOutcome
from archverify.core.graph import ImportEdge, edge_records, graph_stats
from archverify.executors.base import StepContext, finished

STEP = "cycles"

IMPORT_CYCLE = Rule(
    "cycles/import-cycle",
    Severity.ERROR,
    "Break the cycle: move the shared code to a module both may import.",
)
LAZY_CYCLE = Rule(
    "cycles/lazy-cycle",
    Severity.WARNING,
    "Lazy imports hide the cycle at import time; move the shared code to a lower module.",
)


class CyclesStep:
    """One finding per cycle: an error when it runs at import time, a warning when lazy."""

    id = STEP

    def cache_key(self, context: StepContext) -> str:
        # The step reads the import graph and the configuration only.
        return context.import_graph_key()

    def run(self, context: StepContext) -> StepOutcome:
        packages = context.config.cycles.packages or context.project.packages
        eager = context.import_graph(include_function_level=False, **IMPORT_TIME_OPTIONS)
        full = context.import_graph(**IMPORT_TIME_OPTIONS)
        cycles = cycles_in(eager, full, packages)
        findings = [
            _finding(c, feedback_arc_set(full if c.lazy else eager, c.modules)) for c in cycles
        ]
        return finished(STEP, findings, stats=graph_stats(full))


def _hop(edge: ImportEdge) -> str:
    """The module a hop reaches, marked when the hop is not a plain import-time import."""
    notes = []
    if edge.implicit:
        notes.append(f"implicit: importing {edge.via} runs {edge.imported} first")
    if edge.in_function:
        notes.append("function-level")
    return f"{edge.imported} ({'; '.join(notes)})" if notes else edge.imported


def _finding(cycle: Cycle, cut: Cut) -> Finding:
    first = cycle.path[0]
    hops = " -> ".join([cycle.path[0].importer, *(_hop(e) for e in cycle.path)])
    where = ", ".join(f"{e.path}:{e.line}" for e in cycle.path)
    if cycle.lazy:
        rule = LAZY_CYCLE
        message = f"import cycle through a function-level import: {hops} ({where})"
    else:
        rule = IMPORT_CYCLE
        message = f"import cycle: {hops} ({where})"
    extra = {
        "modules": list(cycle.modules),
        "chain": edge_records(cycle.path),
        "edges": edge_records(cycle.edges),
        "cut": cut_record(cut),
    }
    return rule.at(first.path, first.line, first.column, message, extra=extra)
