"""Helpers shared by the report formats: SARIF's partial fingerprint, anchors, grouping, verdict
counts and the one escape that keeps a project's text from driving the reader's terminal."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from archverify.core.cuts import advice
from archverify.core.findings import Finding, Severity, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats.summary import checked, set_aside

# Shown where a finding has no file (a contract that matched nothing, a missing tool).
PROJECT_LABEL = "(project)"

STATUS_ICON: dict[StepStatus, str] = {
    StepStatus.PASSED: "\u2705",
    StepStatus.FAILED: "\u274c",
    StepStatus.ERROR: "\U0001f4a5",
    StepStatus.SKIPPED: "\u23ed\ufe0f",
}
SEVERITY_ICON: dict[Severity, str] = {
    Severity.ERROR: "\u274c",
    Severity.WARNING: "\u26a0\ufe0f",
    Severity.NOTE: "\u2139\ufe0f",
}

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.-]+")

# What a project's text (an exception message, a file name) must not bring to a terminal or a log
# raw: C0 controls (ESC starts escape sequences, BEL, NUL, CR overwrites a line), DEL, C1
# controls (U+009B is a one-character CSI), lone surrogates (an undecodable file name read with
# surrogateescape; they cannot be encoded to UTF-8), the line and paragraph separators, and the
# bidirectional overrides that make text read differently from what it is ("Trojan Source"), and
# the noncharacters U+FFFE and U+FFFF (XML cannot hold them).
_NOT_C0 = "\x7f-\x9f\ud800-\udfff\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff"
_UNPRINTABLE = re.compile(f"[\x00-\x1f{_NOT_C0}]")
_UNPRINTABLE_KEEPING_LINES = re.compile(f"[\x00-\x08\x0b-\x1f{_NOT_C0}]")  # tab, newline kept
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _digest(*parts: str) -> str:
    # A unit separator keeps ("a", "bc") and ("ab", "c") apart.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def partial_fingerprint(finding: Finding) -> str:
    """SARIF's ``partialFingerprints`` value: a digest of rule, path and message, so that moving
    the code up or down keeps it. (Not the baseline's identity, ``baseline.Fingerprint``, which
    uses the enclosing symbol and the source line instead of the message.)"""
    return _digest(finding.rule, finding.path, finding.message)


def finding_anchor(finding: Finding) -> str:
    """The HTML id of one finding; the architecture picture links to it."""
    key = finding.sort_key()
    return "finding-" + _digest(key[0], str(key[1]), str(key[2]), *key[3:])[:12]


def file_anchor(path: str) -> str:
    """The HTML id of a file's group of findings: readable, and unique through a short hash."""
    slug = _UNSAFE_ID.sub("-", path).strip("-")[:60] or "project"
    return f"file-{slug}-{_digest(path)[:6]}"


def location(finding: Finding) -> str:
    """``path:line:col`` with the unknown parts left out."""
    if not finding.path:
        return PROJECT_LABEL
    if finding.line <= 0:
        return finding.path
    if finding.column <= 0:
        return f"{finding.path}:{finding.line}"
    return f"{finding.path}:{finding.line}:{finding.column}"


def group_by_path(findings: Iterable[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings per file in path order (project-wide ones, path "", first), each sorted."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.path, []).append(finding)
    return [(path, sorted(groups[path], key=Finding.sort_key)) for path in sorted(groups)]


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def counts_text(report: RunReport) -> str:
    """The numbers every verdict line shows: "3 errors, 1 warning, 2 suppressed, 2 baselined"."""
    text = f"{plural(report.errors, 'error')}, {plural(report.warnings, 'warning')}"
    return text + set_aside(report) + could_not_run(report)


def verdict_counts(report: RunReport, escape: Callable[[str], str] = str) -> str:
    """``counts_text``; on a passing run, what it checked after it (``escape``d for the format):
    the numbers of the Markdown heading and the HTML header."""
    what = "" if report.failed else checked(report)
    return f"{counts_text(report)}; checked: {escape(what)}" if what else counts_text(report)


def could_not_run(report: RunReport) -> str:
    """``", 1 step could not run"`` when steps could not run (they fail the run), else ""."""
    broken = sum(1 for s in report.steps if s.status is StepStatus.ERROR)
    return f", {plural(broken, 'step')} could not run" if broken else ""


def verdict_word(report: RunReport) -> str:
    return "failed" if report.failed else "passed"


def one_line(text: str, limit: int = 0) -> str:
    """Whitespace collapsed to single spaces, cut at ``limit`` characters when it is set."""
    flat = " ".join(text.split())
    if limit and len(flat) > limit:
        return flat[: limit - 1] + "\u2026"
    return flat


def safe_text(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control character spelled out (``\\x1b``, ``\\n``), so that it shows as
    what it is and cannot move the cursor, ring, clear the screen or forge a report line.

    A byte that was not UTF-8 (a file name decoded with surrogateescape) is shown as ``\\xNN``.
    ``multiline`` keeps newlines and tabs for messages that span lines (mypy's notes); the
    caller indents the lines that follow. Every human-readable format escapes through here.
    """
    pattern = _UNPRINTABLE_KEEPING_LINES if multiline else _UNPRINTABLE
    return pattern.sub(_spelled_out, text)


def _spelled_out(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # the original byte of a surrogateescape'd name
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


# GitHub's runner reads a log line as a workflow command when it starts with "::" after leading
# white space (``::error file=x::...``), and wherever "##[" stands in it (the older form,
# ``##[error]...``). A project's text in a report printed to a CI log must not become one.
_WORKFLOW_COMMAND = re.compile(r"^(?P<indent>[ \t]*)::|##\[", re.MULTILINE)


def inert_in_ci_logs(rendered: str) -> str:
    """A whole rendered report whose lines a CI runner cannot take for workflow commands:
    ``::`` opening a line becomes ``:\\:``, ``##[`` becomes ``#\\#[`` (visible, and nothing our
    own reports print otherwise). The GitHub format's real annotations never pass here."""

    def inert(match: re.Match[str]) -> str:
        indent = match.group("indent")
        return "#\\#[" if indent is None else f"{indent}:\\:"

    return _WORKFLOW_COMMAND.sub(inert, rendered)


def safe_lines(text: str, indent: str) -> str:
    """:func:`safe_text` for a message that spans lines: each line after the first starts with
    ``indent``, so that no line of a project's text can pass for a line of the report."""
    return safe_text(text, multiline=True).replace("\n", "\n" + indent)


# The finding that is a contract's cut says so in its message; the others carry it in ``extra``.
CUT_RULE = "contracts/cut"


def cut_of(finding: Finding) -> Mapping[str, Any] | None:
    """The finding's ``extra["cut"]`` (statements to remove), when it has one with imports."""
    cut = finding.extra.get("cut")
    if isinstance(cut, Mapping) and isinstance(cut.get("imports"), list) and cut["imports"]:
        return cut
    return None


def cut_advice(finding: Finding) -> str:
    """ "remove these 2 imports to break the cycle (...): a.py:3, b.py:9" for a finding that
    carries a cut without saying it (a cycle's); "" otherwise. A cycle's message names one
    path, its cut breaks the whole component: when that holds more modules, the advice says so
    (Django: 71 imports to cut do not break one cycle of 2 modules, they untangle 173)."""
    cut = cut_of(finding)
    if cut is None or finding.rule == CUT_RULE:
        return ""
    return advice(cut, _cut_goal(finding))


def _cut_goal(finding: Finding) -> str:
    modules = finding.extra.get("modules")
    chain = finding.extra.get("chain")
    if not isinstance(modules, list | tuple) or not isinstance(chain, list | tuple):
        return "break the cycle"
    on_path = {
        str(hop.get(end))
        for hop in chain
        if isinstance(hop, Mapping)
        for end in ("importer", "imported")
    }
    if len(set(modules) - on_path) == 0:
        return "break the cycle"
    return f"break every cycle among the {len(modules)} modules tangled with it"
