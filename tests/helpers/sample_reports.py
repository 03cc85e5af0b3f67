"""Hand-made run reports shared by the report-format tests (imported, not collected)."""

from __future__ import annotations

from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.core.report import RunReport

NASTY = 'a <script>alert("x")</script> & 50% | b, c: d\r\nnext `tick` *star* \x1b[31m'


def finding(
    step: str = "purity",
    rule: str = "purity/io-call",
    path: str = "src/pkg/core/model.py",
    line: int = 12,
    column: int = 5,
    message: str = "call to builtins.open in pure package pkg.core",
    severity: Severity = Severity.ERROR,
    hint: str = "",
) -> Finding:
    return Finding(step, rule, severity, path, line, column, message, hint)


def sample_report(root: str = "/work/project") -> RunReport:
    """Every status, every severity, a project-wide finding and a baselined one."""
    findings = [
        finding(hint="pass the data in instead of reading it"),
        finding(rule="purity/io-call", line=30, column=1, message="call to json.load"),
        finding(
            step="contracts",
            rule="contracts/layers",
            path="src/pkg/core/__init__.py",
            line=3,
            column=1,
            message="pkg.core imports pkg.orchestrator (higher layer)",
        ),
        finding(
            step="contracts",
            rule="contracts/unmatched",
            path="",
            line=0,
            column=0,
            message="contract 'layers' matched no module",
            severity=Severity.WARNING,
        ),
        finding(
            step="ruff",
            rule="ruff/F401",
            path="src/pkg/cli.py",
            line=1,
            column=8,
            message="`os` imported but unused",
            severity=Severity.NOTE,
        ),
    ]
    findings.sort(key=Finding.sort_key)
    baselined = [
        finding(step="mypy", rule="mypy/arg-type", path="src/pkg/cli.py", line=9, message="old"),
    ]

    def outcome(step: str, status: StepStatus, message: str = "") -> StepOutcome:
        mine = [f for f in findings if f.step == step]
        return StepOutcome(step, status, mine, duration_s=0.25, message=message)

    steps = [
        outcome("compile", StepStatus.PASSED),
        outcome("purity", StepStatus.FAILED),
        outcome("contracts", StepStatus.FAILED),
        outcome("ruff", StepStatus.PASSED),
        outcome("mypy", StepStatus.ERROR, "mypy crashed: INTERNAL ERROR"),
        outcome("bandit", StepStatus.SKIPPED, "bandit is not installed"),
    ]
    return RunReport(
        tool="archverify",
        version="0.1.0",
        root=root,
        steps=steps,
        findings=findings,
        summary={"files": 7, "modules": 7},
        baselined=baselined,
        notices=["cache was cold"],
    )


def clean_report() -> RunReport:
    steps = [StepOutcome("compile", StepStatus.PASSED, duration_s=0.1)]
    return RunReport("archverify", "0.1.0", "/work/project", steps, [])


def nasty_report() -> RunReport:
    """Text that breaks naive XML, HTML, Markdown and workflow-command builders."""
    bad = finding(
        step="boundaries",
        rule="boundaries/forbidden-import",
        path="src/p,k:g/we ird%.py",
        message=NASTY,
        hint=NASTY,
    )
    steps = [StepOutcome("boundaries", StepStatus.ERROR, [bad], 1.5, message=NASTY)]
    return RunReport("archverify", "0.1.0", "/work/project", steps, [bad], notices=[NASTY])
