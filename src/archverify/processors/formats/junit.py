"""The JUnit XML report: one test case per step, for CI systems that only read JUnit."""

from __future__ import annotations

# This module only builds XML from our own findings; it never parses untrusted input.
import xml.etree.ElementTree as ET  # nosec B405

from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats.base import ReportFormat, report_only
from archverify.processors.formats.common import location, plural, safe_lines, safe_text
from archverify.processors.formats.routes import COVERING_SHOWN, evidence_lines

SUITE = "archverify"


def render(report: RunReport) -> str:
    cases = [_case(step, report.findings_of(step.step)) for step in _steps(report)]
    suite = ET.Element(
        "testsuite",
        {
            "name": SUITE,
            "tests": str(len(cases)),
            "failures": str(sum(1 for c in cases if c.find("failure") is not None)),
            "errors": str(sum(1 for c in cases if c.find("error") is not None)),
            "skipped": str(sum(1 for c in cases if c.find("skipped") is not None)),
            "time": _seconds(sum(step.duration_s for step in report.steps)),
        },
    )
    suite.extend(cases)
    if report.notices:
        ET.SubElement(suite, "system-out").text = _clean("\n".join(report.notices))
    root = ET.Element("testsuites", {"name": SUITE})
    for key in ("tests", "failures", "errors", "skipped", "time"):
        root.set(key, suite.get(key, "0"))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _steps(report: RunReport) -> list[StepOutcome]:
    # A finding of a step missing from the list still has to fail somewhere visible.
    known = {step.step for step in report.steps}
    stray = sorted({f.step for f in report.findings} - known)
    return [*report.steps, *(StepOutcome(step, StepStatus.FAILED) for step in stray)]


def _case(step: StepOutcome, findings: list[Finding]) -> ET.Element:
    case = ET.Element(
        "testcase",
        {"classname": f"{SUITE}.{_clean(step.step)}", "name": _clean(step.step)},
    )
    case.set("time", _seconds(step.duration_s))
    errors = [f for f in findings if f.severity is Severity.ERROR]
    others = [f for f in findings if f.severity is not Severity.ERROR]
    if step.status is StepStatus.ERROR:
        reason = _clean(step.message or "the step could not run")
        ET.SubElement(case, "error", {"message": reason, "type": "step-error"}).text = reason
    elif step.status is StepStatus.SKIPPED and not errors:
        ET.SubElement(case, "skipped", {"message": _clean(step.message or "skipped")})
    if errors:
        failure = ET.SubElement(
            case, "failure", {"message": plural(len(errors), "error"), "type": "findings"}
        )
        failure.text = _clean("\n".join(_line(f) for f in errors))
    if others:
        ET.SubElement(case, "system-out").text = _clean("\n".join(_line(f) for f in others))
    return case


def _line(finding: Finding) -> str:
    where = safe_text(location(finding))
    message = safe_lines(finding.message, "    ")
    text = f"{where} {finding.rule} {message}"
    if finding.severity is not Severity.ERROR:
        text = f"{where} {finding.rule} ({finding.severity.value}) {message}"
    if finding.hint:
        text += f" (hint: {safe_lines(finding.hint, '    ')})"
    return "\n    ".join(
        [text, *(safe_text(line) for line in evidence_lines(finding, covering=COVERING_SHOWN))]
    )


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _clean(text: str) -> str:
    # XML 1.0 cannot carry most control characters even escaped (nor lone surrogates); tools'
    # output (ANSI colours, NULs from a crashed process) does contain them, so they are spelled
    # out by the text report's escape (a bare CR would not survive parsing either).
    return safe_text(text, multiline=True)


FORMAT = ReportFormat(
    name="junit",
    description="CI systems that read JUnit XML (GitLab, Jenkins)",
    suffix=".xml",
    render=report_only(render),
)
