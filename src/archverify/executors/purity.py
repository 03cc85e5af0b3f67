"""The purity step: no I/O calls and no ``__main__`` block in pure packages (``purity/*``)."""

from __future__ import annotations

from archverify.core.findings import Finding, StepOutcome
from archverify.core.project import in_package
from archverify.core.purity import PurityChecker
from archverify.executors.base import StepContext, failed_to_run, finished, skipped

NOT_CONFIGURED = "no pure packages configured ([tool.archverify.purity] packages)"


class PurityStep:
    """Checks every module inside ``[tool.archverify.purity] packages``."""

    id = "purity"

    def run(self, context: StepContext) -> StepOutcome:
        config = context.config.purity
        if not config.packages:
            return skipped(self.id, NOT_CONFIGURED)
        try:
            checker = PurityChecker(config)
        except ValueError as exc:
            return failed_to_run(self.id, str(exc))
        findings: list[Finding] = []
        modules = calls = 0
        seen_packages: set[str] = set()
        for facts in context.project.iter_facts():
            if facts.compile_error is not None or not checker.applies_to(facts.module):
                continue
            modules += 1
            calls += len(facts.calls)
            seen_packages.update(p for p in config.packages if in_package(facts.module, p))
            findings.extend(checker.check(facts))
        unmatched = [p for p in config.packages if p not in seen_packages]
        message = ""
        if unmatched:
            # A misspelt package would otherwise pass silently with nothing checked.
            message = "pure packages with no module: " + ", ".join(unmatched)
        stats = {"modules": modules, "calls": calls, "unmatched_packages": unmatched}
        return finished(self.id, findings, stats=stats, message=message)
