"""A "too deep to compile" verdict stands only if a fresh interpreter agrees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from archverify.core.extract import DEPTH_DOUBT, TOO_DEEP, TREE_TOO_DEEP
from archverify.core.facts import CompileError, FileFacts
from archverify.core.project import SourceFile
from archverify.orchestrator.cache.facts import FactsCache
from archverify.orchestrator.parsing import _confirm_depth_verdict, parse_files
from tests.integration.test_cli_compile_kinds import _cpython_limit

DEPTH = CompileError("syntax", 0, 0, "RecursionError: maximum recursion depth exceeded")


def _facts(path: str, **extra: object) -> FileFacts:
    return FileFacts(path, "m", False, "h", compile_error=DEPTH, extra=extra)


def test_a_file_a_fresh_interpreter_compiles_is_no_compile_error(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = " + "not " * 100 + "y\n", encoding="utf-8")
    kept = _confirm_depth_verdict(tmp_path, _facts("m.py"))
    assert kept.compile_error is None and TOO_DEEP not in kept.extra
    # When no tree could be built, the facts are missing: a warning says so.
    missing = _confirm_depth_verdict(tmp_path, _facts("m.py", **{TREE_TOO_DEEP: True}))
    assert missing.compile_error is None
    assert TOO_DEEP in missing.extra and TREE_TOO_DEEP not in missing.extra


def test_a_file_a_fresh_interpreter_refuses_keeps_its_error(tmp_path: Path) -> None:
    # Deeper than every supported CPython compiles (3.13 compiles 5,000 calls; 3.11 did not).
    (tmp_path / "m.py").write_text("f" + "()" * 20_000 + "\n", encoding="utf-8")
    refused = _confirm_depth_verdict(tmp_path, _facts("m.py", **{TREE_TOO_DEEP: True}))
    assert refused.compile_error == DEPTH and refused.extra == {}


def test_other_errors_are_not_asked_again(tmp_path: Path) -> None:
    syntax = CompileError("syntax", 1, 5, "invalid syntax")
    facts = FileFacts("gone.py", "m", False, "h", compile_error=syntax)
    assert _confirm_depth_verdict(tmp_path, facts) is facts


def _doubted(path: str, **extra: object) -> FileFacts:
    """Facts of a file that compiled here only with the full room (``DEPTH_DOUBT``)."""
    doubt = [0, 0, DEPTH.message]
    return FileFacts(path, "m", False, "h", extra={DEPTH_DOUBT: doubt, **extra})


def test_a_doubted_file_a_fresh_interpreter_compiles_keeps_its_facts(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = " + "not " * 100 + "y\n", encoding="utf-8")
    kept = _confirm_depth_verdict(tmp_path, _doubted("m.py", unresolved_relative=["..x"]))
    assert kept.compile_error is None
    assert kept.extra == {"unresolved_relative": ["..x"]}


def test_a_doubted_file_a_fresh_interpreter_refuses_is_a_compile_error(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("f" + "()" * 20_000 + "\n", encoding="utf-8")
    refused = _confirm_depth_verdict(tmp_path, _doubted("m.py", **{TOO_DEEP: "no facts"}))
    # The error raised here with less room; a file that does not compile is not "too deep".
    assert refused.compile_error == DEPTH and refused.extra == {}


def test_verdicts_at_cpythons_limit_do_not_depend_on_what_this_process_compiled(
    tmp_path: Path,
) -> None:
    # On 3.12+ a call site that ran before compiles one level deeper than ``python -c``'s
    # first call, so a process that had compiled deep files once accepted CPython's limit
    # plus one; and on 3.13 the tree at the limit is a level deeper than ``ast`` builds cold.
    make: Callable[[int], str] = lambda n: "f" + "()" * n  # noqa: E731
    limit = _cpython_limit(make)
    names = ["a_at.py", "b_past.py", "c_at.py", "d_past.py"]
    for name in names:
        depth = limit + 1 if "past" in name else limit
        (tmp_path / name).write_text(make(depth) + "\nopen('data')\n", encoding="utf-8")
    files = [SourceFile(name, name[:-3], False, ".") for name in names]
    facts = parse_files(tmp_path, files, jobs=1, cache=FactsCache(None, ""))
    for name in names:
        found = facts[name[:-3]]
        if "past" in name:
            assert found.compile_error is not None, name
            assert "maximum recursion depth" in found.compile_error.message, name
        else:
            assert found.compile_error is None, (name, found.compile_error)
            assert found.extra == {}, name  # the tree was built: no fact is missing
            assert [c.line for c in found.calls if c.qualname == "builtins.open"] == [2]
