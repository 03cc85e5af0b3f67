"""Decoding, compile errors, robustness and serialisation of extract_facts."""

from __future__ import annotations

import ast
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archverify.core.aliases import Scope
from archverify.core.extract import extract_facts
from archverify.core.fact_walker import FactWalker
from archverify.core.facts import FileFacts

VALID = b'''"""Doc."""
import os
from . import sibling
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import json
def f(p: str = "x") -> None:  # archverify: ignore[purity/io-call] fine here
    with open(p) as fh:
        os.path.exists(fh.name)
class C:
    def m(self) -> None:
        nonlocal_ok = [x for x in range(3) if (y := x)]
if __name__ == "__main__":
    f()
'''


def run(source: bytes, module: str = "pkg.mod") -> FileFacts:
    return extract_facts(source, "pkg/mod.py", module, False)


def test_hash_lines_and_encoding() -> None:
    result = run(VALID)
    assert result.content_hash == hashlib.sha256(VALID).hexdigest()
    assert result.lines == 14
    assert result.encoding == "utf-8"
    assert run(b"x = 1").lines == 1 and run(b"").lines == 0
    assert run(b"a = 1\r\nb = 2\rc = 3\n").lines == 3


def test_latin1_file_with_a_cookie_decodes() -> None:
    result = run("# -*- coding: latin-1 -*-\ns = 'café'\nprint(s)\n".encode("latin-1"))
    assert result.compile_error is None
    assert result.encoding == "iso-8859-1"
    assert [c.name for c in result.calls] == ["print"]


def test_invalid_utf8_without_a_cookie_is_a_decode_error_at_its_line() -> None:
    result = run(b"x = 1\ny = 2\nz = '\xff'\nprint(z)\n")
    error = result.compile_error
    assert error is not None and error.kind == "decode"
    assert (error.line, error.column) == (3, 6)
    assert result.calls == () and result.imports == ()


def test_unknown_cookie_is_a_decode_error_on_the_cookie_line() -> None:
    error = run(b"#!/usr/bin/env python\n# coding: no-such-codec\nx = 1\n").compile_error
    assert error is not None and (error.kind, error.line) == ("decode", 2)
    assert "no-such-codec" in error.message


def test_a_bom_is_honoured() -> None:
    result = run(b"\xef\xbb\xbfimport os\nos.getcwd()\n")
    assert result.compile_error is None and result.encoding == "utf-8-sig"
    assert result.calls[0].column == 1 and result.imports[0].module == "os"


def test_syntax_error_has_line_column_and_message_and_no_facts() -> None:
    result = run(b"import os\ndef f(:\n    pass\n")
    error = result.compile_error
    assert error is not None and error.kind == "syntax"
    assert (error.line, error.column) == (2, 7)
    assert error.message == "invalid syntax"
    assert result.imports == () and result.definitions == ()


def test_symtable_errors_are_caught_and_facts_still_extracted() -> None:
    result = run(b"import os\ndef f():\n    nonlocal x\n")
    error = result.compile_error
    assert error is not None and error.kind == "syntax" and error.line == 3
    assert "nonlocal" in error.message
    assert [i.module for i in result.imports] == ["os"]
    returned = run(b"import os\nreturn 1\n").compile_error
    assert returned is not None and returned.message == "'return' outside function"
    assert (returned.line, returned.column) == (2, 1)


def test_compiler_errors_that_compileall_reports() -> None:
    for source in (
        b"for x in y:\n    pass\nelse:\n    break\n",
        b"f(a=1, a=2)\n",
        b"def f(a, a): pass\n",
        b"__debug__ = 1\n",
    ):
        assert run(source).compile_error is not None, source


def test_null_bytes() -> None:
    error = run(b"x = 1\ny = 2\0\n").compile_error
    assert error is not None and error.kind == "syntax" and error.line == 2
    assert "null" in error.message


def test_deep_nesting_never_raises() -> None:
    deep_expression = run(b"x = 1" + b" + 1" * 200_000 + b"\n")
    assert deep_expression.compile_error is not None
    parens = run(b"x = " + b"(" * 500 + b"1" + b")" * 500 + b"\n")
    assert parens.compile_error is not None
    nested = "".join("    " * i + f"def f{i}():\n" for i in range(90)) + "    " * 90 + "pass\n"
    result = run(nested.encode())
    assert len(result.definitions) == 90
    chain = run(b"x = a" + b".b()" * 2000 + b"\n")
    # Either outcome is right (whether CPython's parser takes 2000 chained calls depends on its
    # version and stack): what is tested is that the extractor returns instead of raising.
    assert chain.compile_error is not None or len(chain.calls) == 2000


def test_valid_source_has_no_error_and_round_trips_through_json() -> None:
    result = run(VALID)
    assert result.compile_error is None
    assert result.extra == {}
    restored = FileFacts.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored == result
    unresolved = run(b"from ... import x\n", module="top")
    again = FileFacts.from_dict(json.loads(json.dumps(unresolved.to_dict())))
    assert again == unresolved and again.extra["unresolved_relative"] == [1]


def test_broken_file_round_trips_through_json() -> None:
    result = run(b"def f(:\n")
    assert FileFacts.from_dict(json.loads(json.dumps(result.to_dict()))) == result


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_never_raises_on_random_bytes(source: bytes) -> None:
    result = run(source)
    assert result.content_hash == hashlib.sha256(source).hexdigest()
    assert "extract_error" not in result.extra


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_never_raises_on_mutations_of_valid_source(data: st.DataObject) -> None:
    source = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 6))):
        index = data.draw(st.integers(0, len(source) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        byte = data.draw(st.sampled_from(list(b"():=.,'\"\n\t #\\\xff\x00abf*@[]{}")))
        if action == "replace":
            source[index] = byte
        elif action == "delete":
            del source[index]
        else:
            source.insert(index, byte)
    result = run(bytes(source))
    assert "extract_error" not in result.extra
    restored = FileFacts.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored == result


def test_deep_code_cpython_compiles_is_facts_not_a_compile_error() -> None:
    # compile(source) accepts these in CPython 3.11; compile(ast tree) and ast.unparse do not.
    deep_union = b"X = int" + b" | int" * 2500 + b" | None"
    for deep in (
        b"f" + b"()" * 1500,
        b"x = " + b"not " * 2000 + b"y",
        b"x = A" + b"[f()]" * 1400,
        deep_union,
    ):
        facts = run(deep + b"\nopen('data')\n")
        assert facts.compile_error is None, deep[:20]
        assert "too_deep" not in facts.extra
        assert [c.line for c in facts.calls if c.qualname == "builtins.open"] == [2]
    # The union is shown as a type alias, its text too deep to write back.
    (alias,) = run(deep_union).api
    assert alias["value"] == "<expression too deep to show>"


def test_too_many_nested_parentheses_is_cpythons_syntax_error() -> None:
    facts = run(b"x = " + b"(" * 201 + b"1" + b")" * 201 + b"\n")
    assert facts.compile_error is not None
    assert "too many nested parentheses" in facts.compile_error.message


def test_the_depth_verdict_does_not_depend_on_the_callers_stack() -> None:
    source = b"x = " + b"not " * 2900 + b"y\nopen('data')\n"

    def nested(depth: int) -> FileFacts:
        return run(source) if depth == 0 else nested(depth - 1)

    shallow, deep = run(source), nested(150)
    assert shallow == deep and shallow.compile_error is None


def test_a_walk_cut_short_keeps_what_it_found_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = FactWalker._call

    def call_then_overflow(self: FactWalker, node: ast.Call, scope: Scope, flags: int) -> None:
        if len(self.calls) == 2:
            raise RecursionError("maximum recursion depth exceeded")
        original(self, node, scope, flags)

    monkeypatch.setattr(FactWalker, "_call", call_then_overflow)
    facts = run(b"import os\nopen('a')\nprint(1)\nexec('x')\n")
    assert facts.compile_error is None
    assert [c.name for c in facts.calls] == ["open", "print"]
    assert [i.module for i in facts.imports] == ["os"]
    assert facts.extra["too_deep"] == "the fact walk stopped early (RecursionError)"


def test_a_file_far_from_cpythons_limit_needs_no_fresh_interpreter() -> None:
    # Only a verdict within a few levels of the limit is sent to a fresh interpreter.
    for deep in (b"f" + b"()" * 1500, b"x = " + b"not " * 2900 + b"y"):
        facts = run(deep + b"\n")
        assert facts.compile_error is None and facts.extra == {}, deep[:20]
