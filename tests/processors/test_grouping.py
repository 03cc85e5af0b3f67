"""Warnings of one rule grouped for a reader, and ``--errors-only``, in the text and Markdown
reports (the machine formats keep every finding)."""

from __future__ import annotations

from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats import markdown, text
from archverify.processors.formats.grouping import RuleGroup, grouped, hidden_note, visible


def _finding(rule: str, line: int, severity: Severity = Severity.WARNING) -> Finding:
    return Finding("bandit", rule, severity, "pkg/a.py", line, 1, f"issue on {line}")


def test_more_than_three_warnings_of_a_rule_are_one_group_where_the_first_stood() -> None:
    found = [_finding("bandit/B101", n) for n in range(1, 6)]
    items = grouped([_finding("bandit/B602", 0, Severity.ERROR), *found])
    assert isinstance(items[0], Finding) and isinstance(items[1], RuleGroup)
    [group] = [i for i in items if isinstance(i, RuleGroup)]
    assert len(items) == 2
    assert [f.line for f in group.shown] == [1, 2, 3] and group.more == 2


def test_three_warnings_and_any_number_of_errors_stay_one_by_one() -> None:
    three = [_finding("bandit/B101", n) for n in range(1, 4)]
    errors = [_finding("bandit/B602", n, Severity.ERROR) for n in range(1, 10)]
    assert grouped(three) == three
    assert grouped(errors) == errors


def test_findings_that_say_what_to_cut_are_never_grouped() -> None:
    cut = {"method": "min-cut", "exact": True, "size": 1, "lower_bound": 1}
    notes = [
        Finding(
            "contracts",
            "contracts/cut",
            Severity.NOTE,
            "pkg/a.py",
            n,
            1,
            f"remove this import to keep 'c{n}'",
            extra={"cut": {**cut, "imports": [{"path": "pkg/a.py", "line": n}]}},
        )
        for n in range(1, 6)
    ]
    assert grouped(notes) == notes


def test_mypy_notes_stay_beside_their_errors() -> None:
    found: list[Finding] = []
    for n in range(1, 6):
        found.append(Finding("mypy", "mypy/arg-type", Severity.ERROR, "pkg/a.py", n, 1, "bad"))
        found.append(Finding("mypy", "mypy/note", Severity.NOTE, "pkg/a.py", n, 1, f"see {n}"))
    assert grouped(found) == found


def test_errors_only_keeps_errors_and_counts_the_rest() -> None:
    found = [_finding("bandit/B101", 1), _finding("x/y", 2, Severity.NOTE)]
    error = _finding("bandit/B602", 3, Severity.ERROR)
    assert visible([*found, error], errors_only=True) == [error]
    assert visible([*found, error]) == [*found, error]
    assert hidden_note([*found, error], errors_only=True) == (
        "2 warnings and notes not shown (--errors-only)"
    )
    assert hidden_note([error], errors_only=True) == ""
    assert hidden_note(found, errors_only=False) == ""


def _report(found: list[Finding]) -> RunReport:
    steps = [StepOutcome("bandit", StepStatus.PASSED, found)]
    return RunReport("archverify", "0", "/r", steps, found, summary={"suppressed": 2})


def test_text_and_markdown_show_a_group_and_hide_warnings_under_errors_only() -> None:
    report = _report([_finding("bandit/B101", n) for n in range(1, 7)])
    shown = text.render(report)
    assert "bandit/B101 (warning): 6 findings, the first 3:" in shown
    assert "  pkg/a.py:3:1: issue on 3" in shown and "issue on 4" not in shown
    assert "... and 3 more" in shown
    assert "0 error(s), 6 warning(s), 2 suppressed" in shown
    summary = markdown.render(report)
    assert "`bandit/B101` \u00d7 6" in summary and "and 3 more" in summary
    assert "2 suppressed" in summary
    for hidden in (
        text.render(report, errors_only=True),
        markdown.render(report, errors_only=True),
    ):
        assert "issue on" not in hidden and "6 warnings and notes not shown" in hidden
