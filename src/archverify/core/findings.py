"""Findings and step outcomes: the one model every step produces and every report reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from archverify.core.steps import step_of_rule


class Severity(StrEnum):
    """How much a finding matters; only ``error`` makes a run fail."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class StepStatus(StrEnum):
    """The verdict of one step."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the step could not run (tool missing, crash, bad output)
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Finding:
    """One problem at one place.

    ``path`` is relative to the verified root with forward slashes, or "" when the finding has no
    file (a contract that matched nothing, say). ``line`` and ``column`` are 1-based; 0 means
    "no line known".
    """

    step: str
    rule: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    hint: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        return (self.path, self.line, self.column, self.step, self.rule, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            step=str(data["step"]),
            rule=str(data["rule"]),
            severity=Severity(data["severity"]),
            path=str(data["path"]),
            line=int(data["line"]),
            column=int(data["column"]),
            message=str(data["message"]),
            hint=str(data.get("hint", "")),
            extra=dict(data.get("extra", {})),
        )


@dataclass(frozen=True)
class Rule:
    """A rule as a value: its id, how much a finding of it matters, and what to change.

    Declared once, as a named constant in the module that emits it (``IO_CALL =
    Rule("purity/io-call", Severity.ERROR, "...")``), so that the id can be found by ``grep``
    and every finding of the rule carries the same severity and hint. ``at`` builds one.
    """

    id: str
    severity: Severity
    hint: str = ""

    @property
    def step(self) -> str:
        """The step that reports the rule: its family's (``core.steps.step_of_rule``)."""
        return step_of_rule(self.id)

    def at(
        self,
        path: str,
        line: int,
        column: int,
        message: str,
        *,
        step: str | None = None,
        severity: Severity | None = None,
        hint: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Finding:
        """A finding of this rule at ``path:line:column``.

        ``step``, ``severity`` and ``hint`` override the rule's own where one finding differs
        (a rule id whose family is not its step, a severity the user configured, a hint that
        names the module); most callers give none of them.
        """
        return Finding(
            step=self.step if step is None else step,
            rule=self.id,
            severity=self.severity if severity is None else severity,
            path=path,
            line=line,
            column=column,
            message=message,
            hint=self.hint if hint is None else hint,
            extra={} if extra is None else extra,
        )


@dataclass
class StepOutcome:
    """What one step produced: its status, its findings and how long it took.

    ``message`` says why a step is ``error`` or ``skipped``; ``stats`` carries step-specific
    counts shown in the report (e.g. modules and imports analysed).
    """

    step: str
    status: StepStatus
    findings: list[Finding] = field(default_factory=list)
    duration_s: float = 0.0
    message: str = ""
    cached: bool = False
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return count(self.findings, Severity.ERROR)

    @property
    def warnings(self) -> int:
        return count(self.findings, Severity.WARNING)


def count(findings: Iterable[Finding], severity: Severity) -> int:
    """How many of ``findings`` have ``severity`` (a step's and a run's counters alike)."""
    return sum(1 for f in findings if f.severity is severity)


def status_for(findings: Iterable[Finding]) -> StepStatus:
    """A step with at least one error finding fails; warnings and notes alone pass."""
    if any(f.severity is Severity.ERROR for f in findings):
        return StepStatus.FAILED
    return StepStatus.PASSED
