"""The compile step: every file parses, compiles and decodes (``compile/*``)."""

from __future__ import annotations

import sys
from pathlib import Path

from archverify.core.extract import EXTRACT_ERROR, TOO_DEEP
from archverify.core.facts import CompileError, FileFacts
from archverify.core.findings import Finding, Severity, StepOutcome, status_for
from archverify.executors.base import StepContext
from archverify.executors.runtime.process import ToolFailure, run_tool

RULE_SYNTAX = "compile/syntax-error"
RULE_DECODE = "compile/decode-error"
RULE_READ = "compile/read-error"
RULE_TOO_DEEP = "compile/too-deep"
RULE_EXTRACT = "compile/extract-error"

_PYTHON = f"Python {sys.version_info.major}.{sys.version_info.minor}"
SYNTAX_HINT = (
    f"fix the syntax ({_PYTHON} compiled it); until it compiles, the other static steps skip "
    "this file"
)
DECODE_HINT = (
    "save the file as UTF-8, or declare its real encoding in a coding comment on line 1 or 2 "
    "(PEP 263)"
)
READ_HINT = (
    "make the file readable by the user running archverify (permissions, a dangling link, a "
    "file that vanished mid-run); until it can be read, no step checks it"
)
EXTRACT_HINT = (
    "archverify failed on this file (a bug: please report it with the file); until then no "
    "static step checks it"
)
TOO_DEEP_HINT = (
    "the file compiles, but it nests too deeply for archverify to read every fact; flatten "
    "the deepest expression (split it with intermediate names) so that nothing is missed"
)


# ``python -c "compile(source, path, 'exec')"``: the file is read and compiled, never run.
_FRESH_COMPILE = (
    "import sys\n"
    "with open(sys.argv[1], 'rb') as source:\n"
    "    compile(source.read(), sys.argv[2], 'exec', dont_inherit=True)\n"
)
_FRESH_COMPILE_TIMEOUT_S = 120.0


def compiles_in_fresh_interpreter(root: Path, path: str) -> bool | None:
    """Whether ``compile(source, path, "exec")`` succeeds in a fresh, isolated interpreter
    (the one running archverify), or None when that could not be found out."""
    try:
        run = run_tool(
            [sys.executable, "-I", "-c", _FRESH_COMPILE, str(root / path), path],
            cwd=root,
            timeout_s=_FRESH_COMPILE_TIMEOUT_S,
        )
    except ToolFailure:
        return None
    if run.timed_out:
        return None
    return run.returncode == 0


def compile_finding(facts: FileFacts, error: CompileError) -> Finding:
    """The one finding for a file that does not compile."""
    if error.kind == "decode":
        rule, hint = RULE_DECODE, DECODE_HINT
        message = f"cannot decode {facts.path} as {facts.encoding}: {error.message}"
        extra = {"encoding": facts.encoding}
    elif error.kind == "read":
        # An OSError while reading: nothing is known about the syntax, so say so.
        rule, hint = RULE_READ, READ_HINT
        message = f"cannot read {facts.path}: {error.message.removeprefix('cannot read: ')}"
        extra = {"kind": error.kind}
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


def too_deep_finding(facts: FileFacts, reason: str) -> Finding:
    """The warning for a file that compiles but whose facts were cut short."""
    return Finding(
        step=CompileStep.id,
        rule=RULE_TOO_DEEP,
        severity=Severity.WARNING,
        path=facts.path,
        line=0,
        column=0,
        message=f"compiles, but nests too deeply to analyse fully: {reason}",
        hint=TOO_DEEP_HINT,
        extra={"reason": reason},
    )


def extract_error_finding(facts: FileFacts, reason: str) -> Finding:
    """The error for a file whose facts could not be extracted at all: unchecked, not passed."""
    return Finding(
        step=CompileStep.id,
        rule=RULE_EXTRACT,
        severity=Severity.ERROR,
        path=facts.path,
        line=0,
        column=0,
        message=f"archverify could not read the facts of this file: {reason}",
        hint=EXTRACT_HINT,
        extra={"reason": reason},
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
            reason = facts.extra.get(TOO_DEEP)
            if isinstance(reason, str):
                findings.append(too_deep_finding(facts, reason))
            failure = facts.extra.get(EXTRACT_ERROR)
            if isinstance(failure, str):
                findings.append(extract_error_finding(facts, failure))
        findings.sort(key=Finding.sort_key)
        return StepOutcome(
            step=self.id,
            status=status_for(findings),
            findings=findings,
            stats={"files": files, "failed": sum(f.severity is Severity.ERROR for f in findings)},
        )
