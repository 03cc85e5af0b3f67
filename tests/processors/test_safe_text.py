"""The one escape of every human-readable format: controls shown as what they are."""

from __future__ import annotations

import pytest

from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats import github, junit, markdown
from archverify.processors.formats import html as html_report
from archverify.processors.formats import text as text_report
from archverify.processors.formats.common import safe_text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, café, ✅", "plain text, café, ✅"),
        ("\x1b[31mred\x07\x00", "\\x1b[31mred\\x07\\x00"),
        ("a\r\nb\tc", "a\\r\\nb\\tc"),
        ("del\x7f csi\x9b", "del\\x7f csi\\x9b"),
        ("caf\udce9.py", "caf\\xe9.py"),  # an undecodable byte, read with surrogateescape
        ("\ud800", "\\ud800"),
        ("abc\u202edcba", "abc\\u202edcba"),  # a bidirectional override
        ("line\u2028sep", "line\\u2028sep"),
    ],
)
def test_safe_text(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown
    shown.encode("utf-8")  # always encodable


def test_multiline_keeps_newlines_and_tabs_only() -> None:
    assert safe_text("a\n\tb\r\x1b", multiline=True) == "a\n\tb\\r\\x1b"


def _hostile_report() -> RunReport:
    finding = Finding(
        step="imports",
        rule="imports/error",
        severity=Severity.ERROR,
        path="src/bad\nna\udce9me.py",
        line=1,
        column=0,
        message="boom \x1b[2J\x07\x00\r\nfake.py:1: forged",
        hint="hint \x1b]0;title\x07",
    )
    step = StepOutcome("imports", StepStatus.FAILED, findings=[finding])
    broken = StepOutcome("mypy", StepStatus.ERROR, message="crashed \x1b[1m\x00")
    return RunReport(
        tool="archverify",
        version="0",
        root="/r",
        steps=[step, broken],
        findings=[finding],
        summary={},
        notices=["note: \x1b[5mblink"],
    )


@pytest.mark.parametrize(
    "render",
    [
        text_report.render,
        markdown.render,
        github.workflow_commands,
        junit.render,
    ],
)
def test_no_format_for_people_carries_a_control(render: object) -> None:
    assert callable(render)
    out = render(_hostile_report())
    assert isinstance(out, str)
    out.encode("utf-8")
    assert not [c for c in out if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    # No line of the message passes for a line of the report.
    assert not any(line.startswith(("fake.py", "na")) for line in out.splitlines())


def test_html_carries_no_control() -> None:
    # HTML has no lines to forge (a newline is a space there), only characters to keep out.
    out = html_report.render(_hostile_report(), "")
    out.encode("utf-8")
    assert not [c for c in out if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert "\\x1b[2J" in out and "na\\xe9me.py" in out
