"""The terminal report: findings under their step, the step table, the verdict."""

from __future__ import annotations

from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats.text import render


def test_findings_table_and_verdict() -> None:
    bad = Finding(
        "purity",
        "purity/io-call",
        Severity.ERROR,
        "app/core/x.py",
        3,
        5,
        "calls open",
        "move the I/O out",
    )
    steps = [
        StepOutcome("purity", StepStatus.FAILED, [bad], 0.01),
        StepOutcome("tests", StepStatus.PASSED, [], 2.5, stats={"coverage": 91.25}),
        StepOutcome("mypy", StepStatus.ERROR, [], 0.1, message="mypy is not installed"),
    ]
    text = render(RunReport("archverify", "1", "/r", steps, [bad], {"files": 2, "modules": 2}))
    assert "app/core/x.py:3:5: purity/io-call calls open\n    hint: move the I/O out" in text
    # 91.25 is exact in binary, so round-half-even gives 91.2 on every platform.
    assert "coverage 91.2 %" in text
    assert "step could not run: mypy is not installed" in text
    assert text.rstrip().endswith(
        "archverify FAILED: 1 error(s), 0 warning(s), 1 step could not run "
        "(2 files, 2 modules analysed)"
    )


def test_a_replayed_steps_note_reads_apart_from_the_word_cached() -> None:
    note = "ran with ruff's defaults: the project has no [tool.ruff], ruff.toml or .ruff.toml"
    step = StepOutcome("ruff", StepStatus.PASSED, [], message=note, cached=True)
    plain = StepOutcome("compile", StepStatus.PASSED, [], cached=True)
    report = RunReport("archverify", "0", "/r", [step, plain], [])
    rows = render(report).splitlines()
    [ruff] = [row for row in rows if row.startswith("ruff ")]
    assert ruff.endswith(f"cached; {note}")
    assert any(r.startswith("compile") and r.endswith("cached") for r in rows)
