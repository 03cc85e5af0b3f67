"""A "too deep to compile" verdict stands only if a fresh interpreter agrees."""

from __future__ import annotations

from pathlib import Path

from archverify.core.extract import TOO_DEEP, TREE_TOO_DEEP
from archverify.core.facts import CompileError, FileFacts
from archverify.orchestrator.parsing import _confirm_depth_verdict

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
