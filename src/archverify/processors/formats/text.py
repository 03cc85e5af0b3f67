"""The terminal report: findings grouped by step, then a table of steps."""

from __future__ import annotations

from archverify.core.findings import Finding, Severity, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats.base import RenderInputs, ReportFormat
from archverify.processors.formats.common import (
    could_not_run,
    inert_in_ci_logs,
    location,
    safe_lines,
    safe_text,
)
from archverify.processors.formats.grouping import RuleGroup, grouped, hidden_note, visible
from archverify.processors.formats.routes import COVERING_SHOWN, evidence_lines, routes_summary
from archverify.processors.formats.summary import checked, set_aside, step_note

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


def render(report: RunReport, *, colour: bool = False, errors_only: bool = False) -> str:
    """The whole report; ``errors_only`` leaves warnings and notes out of the listing (the
    verdict still counts them)."""
    lines: list[str] = []
    for step in report.steps:
        findings = visible(report.findings_of(step.step), errors_only=errors_only)
        if not findings and step.status is not StepStatus.ERROR:
            continue
        lines.append(f"== {step.step} ==")
        if step.status is StepStatus.ERROR:
            lines.append(f"  step could not run: {_shown(step.message)}")
        for item in grouped(findings):
            lines += _group_lines(item) if isinstance(item, RuleGroup) else _finding_lines(item)
        lines.append("")
    lines.extend(_step_table(report, colour=colour))
    lines.append("")
    lines.extend(safe_text(notice) for notice in report.notices)
    hidden = hidden_note(report.findings, errors_only=errors_only)
    if hidden:
        lines.append(f"note: {hidden}")
    lines.append(_verdict(report))
    return inert_in_ci_logs("\n".join(lines) + "\n")


def _severity_word(severity: Severity) -> str:
    return "" if severity is Severity.ERROR else f" ({severity.value})"


def _finding_lines(finding: Finding) -> list[str]:
    where = safe_text(location(finding))
    lines = [f"{where}: {finding.rule}{_severity_word(finding.severity)} {_shown(finding.message)}"]
    lines.extend(f"    {safe_text(line)}" for line in _evidence(finding))
    if finding.hint:
        lines.append(f"    hint: {_shown(finding.hint)}")
    return lines


def _group_lines(group: RuleGroup) -> list[str]:
    """One rule's many warnings: a count, the first locations, how many more."""
    count = len(group.findings)
    head = f"{group.rule}{_severity_word(group.severity)}: {count} findings"
    lines = [f"{head}, the first {len(group.shown)}:"]
    lines += [
        f"  {safe_text(location(f))}: {safe_lines(f.message, _CONTINUATION)}" for f in group.shown
    ]
    if group.more:
        lines.append(f"  ... and {group.more} more (every one in --format json or sarif)")
    if group.hint:
        lines.append(f"    hint: {_shown(group.hint)}")
    return lines


def _step_table(report: RunReport, *, colour: bool) -> list[str]:
    width = max([len(s.step) for s in report.steps] + [4])
    rows = [f"{'step':<{width}}  {'status':<8}  {'findings':>8}  {'seconds':>8}  note"]
    for step in report.steps:
        word = _STATUS_WORD[step.status]
        status = f"{word:<8}"
        if colour:
            status = f"{_COLOURS[step.status]}{status}{_RESET}"
        note = safe_text(step_note(step))
        if step.cached:
            note = ("cached " + note).strip()
        rows.append(
            f"{step.step:<{width}}  {status}  {len(step.findings):>8}  "
            f"{step.duration_s:>8.2f}  {note}".rstrip()
        )
    return rows


def _evidence(finding: Finding) -> list[str]:
    """A contract finding's routes, under a line that counts them."""
    summary = routes_summary(finding)
    return [f"{summary}:", *evidence_lines(finding, covering=COVERING_SHOWN)] if summary else []


def _shown(text: str) -> str:
    return safe_lines(text, _CONTINUATION)


def _verdict(report: RunReport) -> str:
    summary = report.summary
    counts = f"{report.errors} error(s), {report.warnings} warning(s)"
    counts += set_aside(report) + could_not_run(report)
    scope = f"{summary.get('files', 0)} files, {summary.get('modules', 0)} modules"
    if "imports" in summary:
        scope += f", {summary['imports']} imports"
    verdict = "FAILED" if report.failed else "passed"
    line = f"archverify {verdict}: {counts} ({scope} analysed)"
    what = checked(report) if not report.failed else ""
    return f"{line}; checked: {what}" if what else line


def verdict_line(report: RunReport) -> str:
    """The text report's last line alone (printed to stderr when stdout carries no report a
    person reads), escaped as the whole report is."""
    return inert_in_ci_logs(safe_text(_verdict(report))) + "\n"


def _render(inputs: RenderInputs) -> str:
    return render(inputs.report, colour=inputs.colour, errors_only=inputs.errors_only)


FORMAT = ReportFormat(
    name="text",
    description="the terminal: findings by step, then the table of steps",
    suffix="",
    render=_render,
)
