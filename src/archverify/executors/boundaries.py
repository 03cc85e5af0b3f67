"""The boundaries step: calls and imports that configured packages must not make."""

from __future__ import annotations

from archverify.core.boundaries import BoundaryChecker
from archverify.core.findings import Finding, StepOutcome
from archverify.executors.base import StepContext, failed_to_run, finished, skipped

NOT_CONFIGURED = "no boundaries configured ([[tool.archverify.boundaries]])"


class BoundariesStep:
    """Checks every module against every ``[[tool.archverify.boundaries]]`` rule."""

    id = "boundaries"

    def run(self, context: StepContext) -> StepOutcome:
        rules = context.config.boundaries
        if not rules:
            return skipped(self.id, NOT_CONFIGURED)
        try:
            checker = BoundaryChecker(rules)
        except ValueError as exc:
            return failed_to_run(self.id, str(exc))
        findings: list[Finding] = []
        modules = 0
        for facts in context.project.iter_facts():
            if facts.compile_error is None:
                modules += 1
                findings.extend(checker.check(facts))
        return finished(self.id, findings, stats={"rules": len(rules), "modules": modules})
