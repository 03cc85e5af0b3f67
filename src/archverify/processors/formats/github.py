"""GitHub Actions output: workflow-command annotations and the job's step summary."""

from __future__ import annotations

from archverify.core.findings import Finding, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats import markdown
from archverify.processors.formats.base import ReportFormat, report_only
from archverify.processors.formats.common import safe_text
from archverify.processors.formats.routes import evidence_lines

_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}
# Routes in one annotation: GitHub shows a few lines of it; the JSON report keeps them all.
MAX_ROUTES = 20


def workflow_commands(report: RunReport) -> str:
    """One ``::error``/``::warning``/``::notice`` line per finding, then one per broken step.

    Baselined findings are accepted, so they are not annotated.
    """
    lines = [_annotation(finding) for finding in report.findings]
    for step in report.steps:
        if step.status is StepStatus.ERROR:
            reason = step.message or "no reason given"
            title = f"archverify: step {step.step} could not run"
            lines.append(f"::error title={escape_property(title)}::{escape_data(reason)}")
    return "".join(line + "\n" for line in lines)


def step_summary(report: RunReport) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: the same summary a pull-request comment gets."""
    return markdown.render(report)


def escape_data(text: str) -> str:
    """A command's message: controls spelled out (newlines kept: the log shows them as lines),
    then ``%`` first, so that the escapes it adds are not escaped again."""
    return (
        safe_text(text, multiline=True)
        .replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
    )


def escape_property(text: str) -> str:
    """A ``key=value`` property: one line (a file name's newline spelled out), and ``:`` and ``,``,
    which end a value, escaped."""
    return escape_data(safe_text(text)).replace(":", "%3A").replace(",", "%2C")


def _annotation(finding: Finding) -> str:
    properties: list[tuple[str, str]] = []
    if finding.path:
        properties.append(("file", finding.path))
        if finding.line >= 1:
            properties.append(("line", str(finding.line)))
            if finding.column >= 1:
                properties.append(("col", str(finding.column)))
    properties.append(("title", finding.rule))
    message = finding.message
    routes = evidence_lines(finding, MAX_ROUTES)
    if routes:
        message += "\n" + "\n".join(routes)
    if finding.hint:
        message += f"\nhint: {finding.hint}"
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{_COMMAND[finding.severity.value]} {joined}::{escape_data(message)}"


FORMAT = ReportFormat(
    name="github",
    description="GitHub Actions workflow annotations, in the job log",
    suffix="",
    render=report_only(workflow_commands),
    help_note="workflow annotations",
)
