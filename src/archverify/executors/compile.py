"""The compile step: every file parses, compiles and decodes (``compile/*``)."""

from __future__ import annotations

import sys

from archverify.core.facts import CompileError, FileFacts
from archverify.core.findings import Finding, Severity, StepOutcome, status_for
from archverify.executors.base import StepContext

RULE_SYNTAX = "compile/syntax-error"
RULE_DECODE = "compile/decode-error"

_PYTHON = f"Python {sys.version_info.major}.{sys.version_info.minor}"
SYNTAX_HINT = (
    f"fix the syntax ({_PYTHON} compiled it); until it compiles, the other static steps skip "
    "this file"
)
DECODE_HINT = (
    "save the file as UTF-8, or declare its real encoding in a coding comment on line 1 or 2 "
    "(PEP 263)"
)


def compile_finding(facts: FileFacts, error: CompileError) -> Finding:
    """The one finding for a file that does not compile."""
    if error.kind == "decode":
        rule, hint = RULE_DECODE, DECODE_HINT
        message = f"cannot decode {facts.path} as {facts.encoding}: {error.message}"
        extra = {"encoding": facts.encoding}
    else:
        # A symtable error ("nonlocal at module level") is a syntax error to CPython too.
        rule, hint = RULE_SYNTAX, SYNTAX_HINT
        message = f"does not compile: {error.message}"
        extra = {"kind": error.kind}
    return Finding(
        step=CompileStep.id,
        rule=rule,
        severity=Severity.ERROR,
        path=facts.path,
        line=max(error.line, 0),
        column=max(error.column, 0),
        message=message,
        hint=hint,
        extra=extra,
    )


class CompileStep:
    """Reports the compile errors found while extracting facts; it never parses again."""

    id = "compile"

    def run(self, context: StepContext) -> StepOutcome:
        files = 0
        findings: list[Finding] = []
        for facts in context.project.iter_facts():
            files += 1
            if facts.compile_error is not None:
                findings.append(compile_finding(facts, facts.compile_error))
        findings.sort(key=Finding.sort_key)
        return StepOutcome(
            step=self.id,
            status=status_for(findings),
            findings=findings,
            stats={"files": files, "failed": len(findings)},
        )
