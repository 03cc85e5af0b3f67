"""Facts as rows: the walker's plain tuples and the facts built from them agree."""

from __future__ import annotations

import json

from archverify.core.extract import extract_facts, extract_rows
from archverify.core.fact_rows import NO_ROWS, rows_of, with_rows

SOURCE = b"""\
import os
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import typing_only
try:
    import optional
except ImportError:
    pass
def f():
    import lazy
    __import__("dyn")
    return os.getcwd()  # archverify: ignore[purity/io-call] needed
class C:
    x: int = 1
if __name__ == "__main__":
    f()
"""


def test_rows_build_the_same_facts_as_extract_facts() -> None:
    base, rows = extract_rows(SOURCE, "pkg/m.py", "pkg.m", False)
    assert base.calls == () and base.imports == ()
    facts = extract_facts(SOURCE, "pkg/m.py", "pkg.m", False)
    assert with_rows(base, rows) == facts
    flags = {
        (i.module, i.in_function, i.type_checking, i.guarded, i.dynamic) for i in facts.imports
    }
    assert flags >= {
        ("typing_only", False, True, False, False),
        ("optional", False, False, True, False),
        ("lazy", True, False, False, False),
        ("dyn", True, False, False, True),
    }


def test_rows_survive_json_and_read_back_as_the_same_facts() -> None:
    facts = extract_facts(SOURCE, "pkg/m.py", "pkg.m", False)
    assert facts.suppressions and facts.main_blocks and facts.definitions and facts.api
    through_json = [json.loads(json.dumps(field)) for field in rows_of(facts)]
    assert with_rows(facts, type(NO_ROWS)(*through_json)) == facts


def test_a_file_that_does_not_compile_has_no_rows() -> None:
    base, rows = extract_rows(b"def f(:\n", "m.py", "m", False)
    assert base.compile_error is not None and rows == NO_ROWS
