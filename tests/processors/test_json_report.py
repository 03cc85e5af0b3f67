"""The JSON report: valid, complete, in the documented key order, deterministic."""

from __future__ import annotations

import json

from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats.json_report import render, report_to_dict


def _report(findings: list[Finding]) -> RunReport:
    steps = [StepOutcome("purity", StepStatus.FAILED if findings else StepStatus.PASSED, findings)]
    return RunReport("archverify", "1.0", "/root", steps, findings, {"files": 2, "modules": 2})


def _finding(line: int) -> Finding:
    return Finding(
        "purity",
        "purity/io-call",
        Severity.ERROR,
        "app/core/x.py",
        line,
        5,
        'calls "open" \u00e9',
        "move it",
        {"call": "builtins.open", "n": [1, 2]},
    )


def test_the_text_is_the_documented_document() -> None:
    for findings in ([], [_finding(3), _finding(9)]):
        report = _report(findings)
        parsed = json.loads(render(report))
        assert parsed == json.loads(json.dumps(report_to_dict(report)))
        assert list(parsed) == [
            "schema",
            "tool",
            "version",
            "root",
            "steps",
            "findings",
            "summary",
            "notices",
        ]


def test_findings_and_summary_carry_the_contract_keys() -> None:
    parsed = json.loads(render(_report([_finding(3)])))
    [finding] = parsed["findings"]
    assert finding == {
        "step": "purity",
        "rule": "purity/io-call",
        "severity": "error",
        "path": "app/core/x.py",
        "line": 3,
        "column": 5,
        "message": 'calls "open" \u00e9',
        "hint": "move it",
        "extra": {"call": "builtins.open", "n": [1, 2]},
    }
    assert parsed["summary"]["errors"] == 1 and parsed["summary"]["warnings"] == 0
    assert parsed["steps"][0]["findings"] == 1


def test_one_finding_per_line_and_the_same_bytes_twice() -> None:
    report = _report([_finding(3), _finding(9)])
    text = render(report)
    assert text == render(report)
    assert sum(1 for line in text.splitlines() if '"rule": "purity/io-call"' in line) == 2


def test_changed_since_marks_every_finding_and_lists_the_existing_ones() -> None:
    plain = report_to_dict(_report([_finding(3)]))
    assert "existing" not in plain and "change" not in plain["findings"][0]
    report = _report([_finding(3)])
    report.existing = [_finding(9)]
    report.summary["changed_since"] = {"ref": "HEAD", "commit": "c", "merge_base": "b"}
    parsed = json.loads(render(report))
    assert parsed == json.loads(json.dumps(report_to_dict(report)))
    assert [(f["line"], f["change"]) for f in parsed["findings"]] == [(3, "new")]
    assert [(f["line"], f["change"]) for f in parsed["existing"]] == [(9, "existing")]
    assert list(parsed)[-2:] == ["notices", "existing"]
    assert parsed["summary"]["errors"] == 1  # the existing finding does not count
