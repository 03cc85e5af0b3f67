"""The compile step on hand-built facts."""

from __future__ import annotations

from archverify.core.facts import CompileError
from archverify.core.findings import Severity, StepStatus
from archverify.executors.compile import CompileStep
from tests.helpers.factories import context_of, module_facts


def test_clean_files_pass_and_are_counted() -> None:
    outcome = CompileStep().run(context_of([module_facts("app"), module_facts("app.a")]))
    assert outcome.step == "compile"
    assert outcome.status is StepStatus.PASSED
    assert outcome.findings == []
    assert outcome.stats["files"] == 2


def test_syntax_and_decode_errors_are_one_finding_each() -> None:
    syntax = CompileError(kind="syntax", line=4, column=9, message="invalid syntax")
    decode = CompileError(kind="decode", line=1, column=0, message="invalid start byte")
    facts = [
        module_facts("app.z", compile_error=syntax),
        module_facts("app.b", compile_error=decode, encoding="utf-8"),
        module_facts("app.ok"),
    ]
    outcome = CompileStep().run(context_of(facts))
    assert outcome.status is StepStatus.FAILED
    assert outcome.stats["files"] == 3
    # Sorted by path: app/b.py before app/z.py.
    decoded, syntaxed = outcome.findings
    assert (decoded.rule, decoded.path, decoded.line, decoded.column) == (
        "compile/decode-error",
        "app/b.py",
        1,
        0,
    )
    assert "utf-8" in decoded.message and "invalid start byte" in decoded.message
    assert "PEP 263" in decoded.hint
    assert (syntaxed.rule, syntaxed.path, syntaxed.line, syntaxed.column) == (
        "compile/syntax-error",
        "app/z.py",
        4,
        9,
    )
    assert "invalid syntax" in syntaxed.message
    assert syntaxed.hint
    assert all(f.severity is Severity.ERROR and f.step == "compile" for f in outcome.findings)


def test_symtable_error_counts_as_syntax_error() -> None:
    # CompileError.kind has no "symtable": extraction files a symtable error as "syntax".
    from archverify.core.extract import extract_facts

    facts = extract_facts(b'"""Doc."""\nnonlocal x\n', "a.py", "a", False)
    [found] = CompileStep().run(context_of([facts])).findings
    assert found.rule == "compile/syntax-error"


def test_empty_project_passes() -> None:
    outcome = CompileStep().run(context_of([]))
    assert outcome.status is StepStatus.PASSED
    assert outcome.stats["files"] == 0


def test_on_extracted_facts() -> None:
    from archverify.core.extract import extract_facts

    sources = {
        "app/a.py": b"def f(:\n    pass\n",
        "app/b.py": b"x = '\xe9'\n",
        "app/c.py": b"nonlocal x\n",
        "app/d.py": b'"""Fine."""\nX = 1\n',
    }
    facts = [
        extract_facts(source, path, path[:-3].replace("/", "."), False)
        for path, source in sources.items()
    ]
    outcome = CompileStep().run(context_of(facts))
    assert outcome.status is StepStatus.FAILED
    assert [(f.path, f.rule, f.line) for f in outcome.findings] == [
        ("app/a.py", "compile/syntax-error", 1),
        ("app/b.py", "compile/decode-error", 1),
        ("app/c.py", "compile/syntax-error", 1),
    ]
    assert "invalid syntax" in outcome.findings[0].message
    assert "nonlocal" in outcome.findings[2].message
    assert outcome.stats["files"] == 4


def test_an_unreadable_file_is_a_read_error_with_its_own_hint() -> None:
    error = CompileError(kind="read", line=0, column=0, message="cannot read: Permission denied")
    outcome = CompileStep().run(context_of([module_facts("app.a", compile_error=error)]))
    (finding,) = outcome.findings
    assert (finding.rule, finding.severity) == ("compile/read-error", Severity.ERROR)
    assert finding.message == "cannot read app/a.py: Permission denied"
    assert "syntax" not in finding.hint and "readable" in finding.hint


def test_facts_cut_short_are_a_warning_and_no_failure_of_the_file() -> None:
    from archverify.core.extract import TOO_DEEP

    facts = module_facts("app.a", extra={TOO_DEEP: "the fact walk stopped early"})
    outcome = CompileStep().run(context_of([facts]))
    (finding,) = outcome.findings
    assert (finding.rule, finding.severity) == ("compile/too-deep", Severity.WARNING)
    assert "the fact walk stopped early" in finding.message
    assert outcome.stats["failed"] == 0


def test_a_file_archverify_failed_on_is_an_error_not_a_silent_pass() -> None:
    from archverify.core.extract import EXTRACT_ERROR

    facts = module_facts("app.a", extra={EXTRACT_ERROR: "ValueError: odd"})
    outcome = CompileStep().run(context_of([facts]))
    (finding,) = outcome.findings
    assert (finding.rule, finding.severity) == ("compile/extract-error", Severity.ERROR)
    assert "ValueError: odd" in finding.message and outcome.status is StepStatus.FAILED
