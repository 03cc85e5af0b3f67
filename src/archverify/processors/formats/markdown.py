"""The Markdown summary: sized for a pull-request comment or a CI step summary."""

from __future__ import annotations

import re

from archverify.core.findings import Finding, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats.base import ReportFormat
from archverify.processors.formats.common import (
    PROJECT_LABEL,
    SEVERITY_ICON,
    STATUS_ICON,
    cut_advice,
    group_by_path,
    inert_in_ci_logs,
    location,
    one_line,
    safe_text,
    verdict_counts,
    verdict_word,
)
from archverify.processors.formats.grouping import RuleGroup, hidden_note, split_groups, visible
from archverify.processors.formats.routes import evidence_lines, routes_summary

MAX_FINDINGS = 50
# GitHub cuts comments at 65,536 characters; a few long messages must not get there alone.
MAX_MESSAGE = 300
# Routes shown per contract finding; the JSON report keeps them all.
MAX_ROUTES = 10

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
# One backtick, then no backtick, then one: a code span as CommonMark reads it.
_CODE_SPAN = re.compile(r"(?<!`)`[^`]+`(?!`)")


def render(
    report: RunReport, *, max_findings: int = MAX_FINDINGS, errors_only: bool = False
) -> str:
    """The summary; ``errors_only`` leaves warnings and notes out of the findings listed."""
    icon = "\u274c" if report.failed else "\u2705"
    lines = [f"## {icon} archverify {verdict_word(report)}: {verdict_counts(report, escape)}", ""]
    lines += _step_table(report)
    broken = [s for s in report.steps if s.status is StepStatus.ERROR and s.message]
    for step in broken:
        lines.append(f"- **{escape(step.step)}** could not run: {escape(one_line(step.message))}")
    if broken:
        lines.append("")
    lines += _step_notes(report)
    listed = visible(report.findings, errors_only=errors_only)
    if listed:
        singles, groups = split_groups(listed)
        lines += ["### Findings", ""]
        lines += _findings(singles, max_findings) + _groups(groups)
    hidden = hidden_note(report.findings, errors_only=errors_only)
    notices = [*report.notices, *([f"note: {hidden}"] if hidden else [])]
    lines += [f"> {escape(one_line(notice))}" for notice in notices if notice.strip()]
    return inert_in_ci_logs("\n".join(lines).rstrip("\n") + "\n")


def escape(text: str, *, table: bool = False) -> str:
    """Inline text that Markdown and GitHub's HTML filter leave exactly as written (controls
    spelled out first, so their backslashes are escaped too). A balanced pair of backticks
    stays a code span, as messages write code (`pathlib.Path.open()`): Markdown shows a span's
    content as it is, HTML included. In a ``table`` cell its ``|`` is escaped too (GitHub reads
    ``\\|`` there before the span), or it would split the cell."""
    flat = safe_text(text.replace("\r", " ").replace("\n", " "))
    parts: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(flat):
        parts.append(_SPECIAL.sub(r"\\\1", flat[last : span.start()]))
        parts.append(span.group(0).replace("|", "\\|") if table else span.group(0))
        last = span.end()
    parts.append(_SPECIAL.sub(r"\\\1", flat[last:]))
    return "".join(parts)


def code(text: str) -> str:
    """A code span that survives backticks inside it (its fence is one longer than any run)."""
    flat = safe_text(text)
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _step_table(report: RunReport) -> list[str]:
    rows = ["| Step | Status | Findings | Seconds |", "| --- | --- | ---: | ---: |"]
    for step in report.steps:
        status = f"{STATUS_ICON[step.status]} {step.status.value}"
        if step.cached:
            status += " (cached)"
        name = escape(step.step, table=True)
        rows.append(f"| {name} | {status} | {len(step.findings)} | {step.duration_s:.2f} |")
    return [*rows, ""]


def _step_notes(report: RunReport) -> list[str]:
    """What the other steps want the reader to know: why one was skipped, that a tool ran with
    its defaults, that a test collection was interrupted."""
    notes = [
        f"- **{escape(step.step)}**: {escape(one_line(step.message))}"
        for step in report.steps
        if step.status is not StepStatus.ERROR and step.message
    ]
    return [*notes, ""] if notes else []


def _groups(groups: list[RuleGroup]) -> list[str]:
    """One line per rule with many warnings: the count, the first locations, how many more."""
    lines: list[str] = []
    for group in groups:
        places = ", ".join(code(location(f)) for f in group.shown)
        more = f" and {group.more} more" if group.more else ""
        text = (
            f"- {SEVERITY_ICON[group.severity]} {code(group.rule)} \u00d7 {len(group.findings)}: "
            f"{escape(one_line(group.findings[0].message, MAX_MESSAGE))} \u2014 at {places}{more}"
        )
        if group.hint:
            text += f" \u2014 _{escape(one_line(group.hint, MAX_MESSAGE))}_"
        lines.append(text)
    return ["**Repeated warnings, by rule**", "", *lines, ""] if lines else []


def _findings(findings: list[Finding], limit: int) -> list[str]:
    lines: list[str] = []
    shown = 0
    for path, group in group_by_path(findings):
        if shown >= limit:
            break
        lines += [f"**{code(path) if path else PROJECT_LABEL}**", ""]
        for finding in group[: limit - shown]:
            lines.append(_item(finding))
            shown += 1
        lines.append("")
    if len(findings) > shown:
        lines += [f"_\u2026and {len(findings) - shown} more (see the full report)._", ""]
    return lines


def _item(finding: Finding) -> str:
    where = f"{finding.line}:{finding.column}" if finding.column > 0 else f"{finding.line}"
    place = f"line {where} " if finding.line > 0 else ""
    text = (
        f"- {SEVERITY_ICON[finding.severity]} {place}{code(finding.rule)} "
        f"{escape(one_line(finding.message, MAX_MESSAGE))}"
    )
    if finding.hint:
        text += f" \u2014 _{escape(one_line(finding.hint, MAX_MESSAGE))}_"
    cut = cut_advice(finding)  # a cycle's cut (a contract's is a finding of its own)
    if cut:
        text += f" \u2014 cut: {escape(one_line(cut, MAX_MESSAGE))}"
    return text + _routes(finding)


def _routes(finding: Finding) -> str:
    """A contract finding's routes, folded under the item: a code block in a ``<details>``."""
    summary = routes_summary(finding)
    if not summary:
        return ""
    body = [safe_text(line) for line in evidence_lines(finding, MAX_ROUTES)]
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    block = [f"<details><summary>{summary}</summary>", "", fence, *body, fence, "</details>"]
    return "".join(f"\n  {line}" if line else "\n" for line in block)


FORMAT = ReportFormat(
    name="markdown",
    description="a pull-request comment or a CI step summary",
    suffix=".md",
    render=lambda inputs: render(inputs.report, errors_only=inputs.errors_only),
)
