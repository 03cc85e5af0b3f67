"""Markdown summary: verdict, step table, findings per file, capped and escaped."""

from __future__ import annotations

from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats import markdown
from tests.helpers.sample_reports import clean_report, finding, nasty_report, sample_report


def test_verdict_and_step_table() -> None:
    text = markdown.render(sample_report())
    lines = text.splitlines()
    assert lines[0] == (
        "## \u274c archverify failed: 3 errors, 1 warning, 1 baselined, 1 step could not run"
    )
    assert "| purity | \u274c failed | 2 | 0.25 |" in lines
    assert "| bandit | \u23ed\ufe0f skipped | 0 | 0.25 |" in lines
    assert "- **mypy** could not run: mypy crashed: INTERNAL ERROR" in lines


def test_findings_grouped_by_file_in_path_order() -> None:
    text = markdown.render(sample_report())
    order = [
        text.index(h)
        for h in (
            "**(project)**",
            "**`src/pkg/cli.py`**",
            "**`src/pkg/core/__init__.py`**",
            "**`src/pkg/core/model.py`**",
        )
    ]
    assert order == sorted(order)
    assert "- \u274c line 12:5 `purity/io-call` call to builtins.open" in text
    assert "\u2014 _pass the data in instead of reading it_" in text
    assert "mypy/arg-type" not in text  # baselined findings are not listed


def test_clean_report_has_no_findings_section() -> None:
    text = markdown.render(clean_report())
    assert text.startswith("## \u2705 archverify passed: 0 errors, 0 warnings")
    assert "### Findings" not in text


def test_findings_are_capped() -> None:
    report = clean_report()
    report.findings = [finding(path=f"m{i:03}.py") for i in range(60)]
    text = markdown.render(report, max_findings=50)
    assert text.count("`purity/io-call`") == 50
    assert "and 10 more (see the full report)" in text
    assert "m049.py" in text and "m050.py" not in text


def test_nasty_text_is_escaped() -> None:
    text = markdown.render(nasty_report())
    assert "<script>" not in text
    assert "\\<script\\>" in text
    assert "\\|" in text and "\r" not in text
    for line in text.splitlines():
        if line.startswith("|"):
            assert line.replace("\\|", "").count("|") == 5  # four cells, no cell split


def test_code_span_survives_backticks() -> None:
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.code("`x`") == "`` `x` ``"


def test_a_balanced_code_span_in_a_message_renders_as_code() -> None:
    assert markdown.escape("I/O call `pathlib.Path.open()` in *core*") == (
        "I/O call `pathlib.Path.open()` in \\*core\\*"
    )
    # HTML inside a span is shown as text by Markdown: left as written, never outside a span.
    assert markdown.escape("`<b>` and <b>") == "`<b>` and \\<b\\>"
    # Spans pair as CommonMark pairs them, left to right; the odd backtick left is escaped.
    assert markdown.escape("a ` b `c` d") == "a ` b `c\\` d"
    assert markdown.escape("``x``") == "\\`\\`x\\`\\`"


def test_a_pipe_in_a_code_span_splits_no_table_cell() -> None:
    assert markdown.escape("`a|b`", table=True) == "`a\\|b`"
    assert markdown.escape("`a|b`") == "`a|b`"


def test_a_cycle_says_which_import_to_cut_as_the_text_report_does() -> None:
    cut = {"method": "exact-order-dp", "exact": True, "size": 1, "lower_bound": 1}
    cycle = Finding(
        "cycles",
        "cycles/import-cycle",
        Severity.ERROR,
        "pkg/a.py",
        1,
        1,
        "import cycle: pkg.a -> pkg.b -> pkg.a",
        extra={"cut": {**cut, "imports": [{"path": "pkg/a.py", "line": 1}]}},
    )
    steps = [StepOutcome("cycles", StepStatus.FAILED, [cycle])]
    report = RunReport("archverify", "0", "/r", steps, [cycle])
    shown = markdown.render(report)
    assert "cut: remove this import to break the cycle \\(minimum, exact-order-dp\\): " in shown
