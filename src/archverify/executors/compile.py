"""The compile step: every file parses, compiles and decodes (``compile/*``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import assert_never

from archverify.core import extract
from archverify.core.facts import CompileError, FileFacts
from archverify.core.findings import Finding, Rule, Severity, StepOutcome
from archverify.executors.base import StepContext, finished
from archverify.executors.runtime.process import ToolFailure, run_tool

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

SYNTAX_ERROR = Rule("compile/syntax-error", Severity.ERROR, SYNTAX_HINT)
DECODE_ERROR = Rule("compile/decode-error", Severity.ERROR, DECODE_HINT)
READ_ERROR = Rule("compile/read-error", Severity.ERROR, READ_HINT)
TOO_DEEP = Rule("compile/too-deep", Severity.WARNING, TOO_DEEP_HINT)
EXTRACT_ERROR = Rule("compile/extract-error", Severity.ERROR, EXTRACT_HINT)


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
    extra: dict[str, str]
    match error.kind:
        case "decode":
            rule = DECODE_ERROR
            message = f"cannot decode {facts.path} as {facts.encoding}: {error.message}"
            extra = {"encoding": facts.encoding}
        case "read":
            # An OSError while reading: nothing is known about the syntax, so say so.
            rule = READ_ERROR
            message = f"cannot read {facts.path}: {error.message.removeprefix('cannot read: ')}"
            extra = {"kind": error.kind}
        case "syntax":
            # A symtable error ("nonlocal at module level") is a syntax error to CPython too.
            rule = SYNTAX_ERROR
            message = f"does not compile: {error.message}"
            extra = {"kind": error.kind}
        case _:
            assert_never(error.kind)
    line, column = max(error.line, 0), max(error.column, 0)
    return rule.at(facts.path, line, column, message, extra=extra)


def too_deep_finding(facts: FileFacts, reason: str) -> Finding:
    """The warning for a file that compiles but whose facts were cut short."""
    message = f"compiles, but nests too deeply to analyse fully: {reason}"
    return TOO_DEEP.at(facts.path, 0, 0, message, extra={"reason": reason})


def extract_error_finding(facts: FileFacts, reason: str) -> Finding:
    """The error for a file whose facts could not be extracted at all: unchecked, not passed."""
    message = f"archverify could not read the facts of this file: {reason}"
    return EXTRACT_ERROR.at(facts.path, 0, 0, message, extra={"reason": reason})


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
            reason = facts.extra.get(extract.TOO_DEEP)
            if isinstance(reason, str):
                findings.append(too_deep_finding(facts, reason))
            failure = facts.extra.get(extract.EXTRACT_ERROR)
            if isinstance(failure, str):
                findings.append(extract_error_finding(facts, failure))
        stats = {"files": files, "failed": sum(f.severity is Severity.ERROR for f in findings)}
        return finished(self.id, findings, stats=stats)
