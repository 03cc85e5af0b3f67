"""The snapshots step: the public API of the configured packages against the committed snapshot."""

from __future__ import annotations

from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus, status_for
from archverify.core.snapshots import (
    DEFAULT_FILE,
    STEP,
    SnapshotError,
    build_snapshot,
    change_findings,
    compare,
    parse_snapshot,
)
from archverify.executors.base import StepContext

NOT_CONFIGURED = "no snapshot packages configured ([tool.archverify.snapshots] packages)"
RECORD_HINT = "run `archverify snapshot` to record the current public API, then commit the file"


class SnapshotsStep:
    """Compares the API items in the facts with ``[tool.archverify.snapshots] file``."""

    id = STEP

    def read_files(self, context: StepContext) -> list[str]:
        """The snapshot file: besides the facts, the one input of this step."""
        return [self._file(context)]

    def run(self, context: StepContext) -> StepOutcome:
        options = context.config.tool(self.id).options
        packages = tuple(str(p) for p in options.get("packages", ()))
        if not packages:
            return StepOutcome(step=self.id, status=StepStatus.SKIPPED, message=NOT_CONFIGURED)
        file = self._file(context)
        try:
            text = (context.root / file).read_text(encoding="utf-8")
        except FileNotFoundError:
            return self._outcome([self._file_finding("missing", file, 0, _missing(file))])
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            return self._outcome([self._file_finding("invalid", file, 0, f"cannot read: {reason}")])
        try:
            old = parse_snapshot(text)
        except SnapshotError as error:
            finding = self._file_finding("invalid", file, error.line, error.message)
            return self._outcome([finding])
        facts = list(context.project.iter_facts())
        new = build_snapshot(facts, packages)
        broken = [f.module for f in facts if f.compile_error is not None]
        changes = compare(old, new, packages, broken)
        by_module = {f.module: f for f in facts}
        findings = change_findings(changes, old, by_module, file)
        stats = {"modules": len(new.modules), "items": len(new.items), "changes": len(changes)}
        return self._outcome(findings, stats)

    def _file(self, context: StepContext) -> str:
        return str(context.config.tool(self.id).options.get("file") or DEFAULT_FILE)

    def _outcome(self, findings: list[Finding], stats: dict[str, int] | None = None) -> StepOutcome:
        return StepOutcome(
            step=self.id, status=status_for(findings), findings=findings, stats=stats or {}
        )

    def _file_finding(self, rule: str, file: str, line: int, message: str) -> Finding:
        return Finding(
            step=self.id,
            rule=f"{self.id}/{rule}",
            severity=Severity.ERROR,
            path=file,
            line=line,
            column=0,
            message=message if rule == "missing" else f"{file}: {message}",
            hint=RECORD_HINT,
        )


def _missing(file: str) -> str:
    return f"no contract snapshot {file} yet: the public API is not pinned"
