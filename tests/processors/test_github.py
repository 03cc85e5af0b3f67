"""GitHub workflow commands: one annotation per finding, with GitHub's escaping."""

from __future__ import annotations

from archverify.core.findings import Severity
from archverify.processors.formats import github
from tests.helpers.sample_reports import clean_report, finding, nasty_report, sample_report


def test_annotation_per_finding_with_level_and_location() -> None:
    lines = github.workflow_commands(sample_report()).splitlines()
    assert (
        "::error file=src/pkg/core/model.py,line=12,col=5,title=purity/io-call::"
        "call to builtins.open in pure package pkg.core%0Ahint: pass the data in instead of "
        "reading it"
    ) in lines
    assert "::warning title=contracts/unmatched::contract 'layers' matched no module" in lines
    notice = "::notice file=src/pkg/cli.py,line=1,col=8,title=ruff/F401::`os` imported but unused"
    assert notice in lines
    assert (
        "::error title=archverify%3A step mypy could not run::mypy crashed: INTERNAL ERROR" in lines
    )


def test_baselined_findings_are_not_annotated() -> None:
    assert "mypy/arg-type" not in github.workflow_commands(sample_report())


def test_line_and_column_left_out_when_unknown() -> None:
    report = clean_report()
    report.findings = [finding(line=0, column=0, severity=Severity.WARNING)]
    assert github.workflow_commands(report) == (
        "::warning file=src/pkg/core/model.py,title=purity/io-call::"
        "call to builtins.open in pure package pkg.core\n"
    )


def test_escaping_of_data_and_properties() -> None:
    # A carriage return is spelled out (it would overwrite the log line); a message keeps its
    # newlines as GitHub's %0A, a property (a file name) is one line.
    assert github.escape_data("50% a\r\nb:c,d") == "50%25 a\\r%0Ab:c,d"
    assert github.escape_property("50% a\r\nb:c,d") == "50%25 a\\r\\nb%3Ac%2Cd"
    # % goes first: an escape must not be escaped again
    assert github.escape_data("%0A") == "%250A"


def test_nasty_finding_stays_on_one_line() -> None:
    lines = github.workflow_commands(nasty_report()).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::error file=src/p%2Ck%3Ag/we ird%25.py,line=12,col=5,")
    assert "\r" not in lines[0]


def test_clean_report_has_no_commands_and_a_passing_summary() -> None:
    assert github.workflow_commands(clean_report()) == ""
    assert github.step_summary(clean_report()).startswith("## \u2705 archverify passed")
