"""The snapshots step: the public API of the configured packages against the committed snapshot."""

from __future__ import annotations

from archverify.core.findings import Rule, Severity, StepOutcome
from archverify.core.snapshots import (
    STEP,
    SnapshotError,
    build_snapshot,
    change_findings,
    compare,
    parse_snapshot,
    snapshot_file,
)
from archverify.executors.base import StepContext, finished, skipped

NOT_CONFIGURED = "no snapshot packages configured ([tool.archverify.snapshots] packages)"
RECORD_HINT = "run `archverify snapshot` to record the current public API, then commit the file"

MISSING = Rule("snapshots/missing", Severity.ERROR, RECORD_HINT)
INVALID = Rule("snapshots/invalid", Severity.ERROR, RECORD_HINT)


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
            return skipped(self.id, NOT_CONFIGURED)
        file = self._file(context)
        try:
            text = (context.root / file).read_text(encoding="utf-8")
        except FileNotFoundError:
            return finished(self.id, [MISSING.at(file, 0, 0, _missing(file))])
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            return finished(self.id, [INVALID.at(file, 0, 0, f"{file}: cannot read: {reason}")])
        try:
            old = parse_snapshot(text)
        except SnapshotError as error:
            finding = INVALID.at(file, error.line, 0, f"{file}: {error.message}")
            return finished(self.id, [finding])
        facts = list(context.project.iter_facts())
        new = build_snapshot(facts, packages)
        broken = [f.module for f in facts if f.compile_error is not None]
        changes = compare(old, new, packages, broken)
        by_module = {f.module: f for f in facts}
        findings = change_findings(changes, old, by_module, file)
        stats = {"modules": len(new.modules), "items": len(new.items), "changes": len(changes)}
        return finished(self.id, findings, stats=stats)

    def _file(self, context: StepContext) -> str:
        return snapshot_file(context.config)


def _missing(file: str) -> str:
    return f"no contract snapshot {file} yet: the public API is not pinned"
