"""Facts as rows: the walker's plain tuples and the facts built from them agree."""

from __future__ import annotations

import json
from dataclasses import fields

from archverify.core.extract import extract_facts, extract_rows
from archverify.core.fact_rows import NO_ROWS, FactRows, rows_of, with_rows
from archverify.core.facts import (
    FACTS_SCHEMA,
    CallFact,
    CompileError,
    Definition,
    EnvironmentAccess,
    FileFacts,
    ImportFact,
    Location,
    Suppression,
)

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


# The shape of the facts at the current schema. A change of shape must come with a bump of
# FACTS_SCHEMA (part of the facts cache's stamp), or a warm cache serves facts of the old
# shape: change FACTS_SCHEMA, then this.
SHAPE_AT_SCHEMA = (
    4,
    {
        "FileFacts": "path module is_package content_hash encoding compile_error imports calls "
        "main_blocks definitions suppressions api lines extra environment",
        "CallFact": "name qualname line column writes_nothing partial",
        "ImportFact": "module line column names in_function type_checking guarded dynamic "
        "main_guarded",
        "EnvironmentAccess": "name line column",
        "Location": "line column",
        "CompileError": "kind line column message",
        "Definition": "qualname kind line end_line",
        "Suppression": "line rules reason",
        "FactRows": "imports calls main_blocks definitions suppressions api environment",
    },
)


def test_a_change_of_the_facts_shape_bumps_the_schema() -> None:
    kinds = (
        FileFacts,
        CallFact,
        ImportFact,
        EnvironmentAccess,
        Location,
        CompileError,
        Definition,
        Suppression,
    )
    shape = {kind.__name__: " ".join(f.name for f in fields(kind)) for kind in kinds}
    shape["FactRows"] = " ".join(FactRows._fields)
    assert (FACTS_SCHEMA, shape) == SHAPE_AT_SCHEMA


def test_call_rows_carry_their_flags_and_environment_rows_their_place() -> None:
    source = (
        b"import functools, os, pandas\n"
        b"functools.partial(open)\n"
        b"pandas.DataFrame().to_csv()\n"
        b"HOME = os.getenv('HOME')\n"
    )
    base, rows = extract_rows(source, "pkg/m.py", "pkg.m", False)
    assert ("open", "builtins.open", 2, 19, 2) in rows.calls
    assert ("to_csv", "pandas.DataFrame.to_csv", 3, 1, 1) in rows.calls
    assert list(rows.environment) == [("os.getenv", 4, 8)]
    facts = with_rows(base, rows)
    assert facts.environment == (EnvironmentAccess("os.getenv", 4, 8),)
    assert rows_of(facts) == FactRows(*(list(field) for field in rows))


def test_a_file_that_does_not_compile_has_no_rows() -> None:
    base, rows = extract_rows(b"def f(:\n", "m.py", "m", False)
    assert base.compile_error is not None and rows == NO_ROWS
