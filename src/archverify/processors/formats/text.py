"""The terminal report: findings grouped by step, then a table of steps."""

from __future__ import annotations

from archverify.core.findings import Finding, Severity, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats.base import RenderInputs, ReportFormat
from archverify.processors.formats.common import (
    could_not_run,
    cut_advice,
    inert_in_ci_logs,
    location,
    safe_lines,
    safe_text,
)

_STATUS_WORD = {
    StepStatus.PASSED: "passed",
    StepStatus.FAILED: "FAILED",
    StepStatus.ERROR: "ERROR",
    StepStatus.SKIPPED: "skipped",
}
_COLOURS = {
    StepStatus.PASSED: "\033[32m",
    StepStatus.FAILED: "\033[31m",
    StepStatus.ERROR: "\033[31m",
    StepStatus.SKIPPED: "\033[33m",
}
_RESET = "\033[0m"
# The lines of a multi-line message or hint after its first, indented under it.
_CONTINUATION = "      "


def render(report: RunReport, *, colour: bool = False) -> str:
    lines: list[str] = []
    for step in report.steps:
        findings = report.findings_of(step.step)
        if not findings and step.status is not StepStatus.ERROR:
            continue
        lines.append(f"== {step.step} ==")
        if step.status is StepStatus.ERROR:
            lines.append(f"  step could not run: {_shown(step.message)}")
        for finding in findings:
            severity = "" if finding.severity is Severity.ERROR else f" ({finding.severity.value})"
            where = safe_text(location(finding))
            lines.append(f"{where}: {finding.rule}{severity} {_shown(finding.message)}")
            if finding.hint:
                lines.append(f"    hint: {_shown(finding.hint)}")
            lines.extend(_cut_line(finding))
        lines.append("")
    lines.extend(_step_table(report, colour=colour))
    lines.append("")
    lines.extend(safe_text(notice) for notice in report.notices)
    lines.append(_verdict(report))
    return inert_in_ci_logs("\n".join(lines) + "\n")


def _step_table(report: RunReport, *, colour: bool) -> list[str]:
    width = max([len(s.step) for s in report.steps] + [4])
    rows = [f"{'step':<{width}}  {'status':<8}  {'findings':>8}  {'seconds':>8}  note"]
    for step in report.steps:
        word = _STATUS_WORD[step.status]
        status = f"{word:<8}"
        if colour:
            status = f"{_COLOURS[step.status]}{status}{_RESET}"
        note = (
            safe_text(step.message) if step.status in (StepStatus.SKIPPED, StepStatus.ERROR) else ""
        )
        if not note and isinstance(step.stats.get("coverage"), int | float):
            note = f"coverage {step.stats['coverage']:.1f} %"
        if step.cached:
            note = ("cached " + note).strip()
        rows.append(
            f"{step.step:<{width}}  {status}  {len(step.findings):>8}  "
            f"{step.duration_s:>8.2f}  {note}".rstrip()
        )
    return rows


def _cut_line(finding: Finding) -> list[str]:
    cut = cut_advice(finding)
    return [f"    cut: {_shown(cut)}"] if cut else []


def _shown(text: str) -> str:
    return safe_lines(text, _CONTINUATION)


def _verdict(report: RunReport) -> str:
    summary = report.summary
    counts = f"{report.errors} error(s), {report.warnings} warning(s)"
    if report.baselined:
        counts += f", {len(report.baselined)} baselined"
    counts += could_not_run(report)
    scope = f"{summary.get('files', 0)} files, {summary.get('modules', 0)} modules"
    if "imports" in summary:
        scope += f", {summary['imports']} imports"
    verdict = "FAILED" if report.failed else "passed"
    return f"archverify {verdict}: {counts} ({scope} analysed)"


def _render(inputs: RenderInputs) -> str:
    return render(inputs.report, colour=inputs.colour)


FORMAT = ReportFormat(
    name="text",
    description="the terminal: findings by step, then the table of steps",
    suffix="",
    render=_render,
)
