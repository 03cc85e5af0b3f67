"""Bulky facts as rows of plain values: how the walker collects them and how they travel.

A large project has a hundred thousand call sites; building a frozen dataclass for each costs
more than finding it. The walker therefore collects plain tuples, and the facts objects are
built from them only where they are read (``FileFacts`` for callers of ``extract_facts``,
lazily after a process pool or the cache). Rows are JSON-ready: lists read back as tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, NamedTuple, TypeAlias

from archverify.core.facts import (
    CallFact,
    Definition,
    EnvironmentAccess,
    FileFacts,
    ImportFact,
    Location,
    Suppression,
)

# Bits of an import row's flags.
IN_FUNCTION, TYPE_CHECKING, GUARDED, DYNAMIC, MAIN_GUARDED = 1, 2, 4, 8, 16
# Bits of a call row's flags.
WRITES_NOTHING, PARTIAL = 1, 2

# The row shapes, stated once. They are aliases of plain tuples, not NamedTuples, because the
# walker builds one per import and call site and a tuple literal is the cheapest object to
# build. A row read back from JSON is a list with the same positions; the readers below only
# unpack it, so they take either.

#: ``module, line, column, names, flags``: ``names`` are those of ``from m import a, b``
#: (empty for ``import m``), ``flags`` the bits above (``IN_FUNCTION | GUARDED``, ...).
ImportRow: TypeAlias = tuple[str, int, int, tuple[str, ...], int]
#: ``name, qualname, line, column, flags``: the called name as written, the callee resolved,
#: and the call bits above (``WRITES_NOTHING | PARTIAL``).
CallRow: TypeAlias = tuple[str, str, int, int, int]
#: ``line, column`` of an ``if __name__ == "__main__":`` block.
LocationRow: TypeAlias = tuple[int, int]
#: ``qualname, kind, line, end_line``, ``kind`` being ``"function"`` or ``"class"``.
DefinitionRow: TypeAlias = tuple[str, str, int, int]
#: ``line, rules, reason`` of a suppression comment (``source_text.find_suppressions``).
SuppressionRow: TypeAlias = tuple[int, tuple[str, ...], str]
#: ``name, line, column`` of a read of the environment (``os.environ``, ``os.getenv``).
EnvironmentRow: TypeAlias = tuple[str, int, int]
#: Any of them (``Sequence[Any]`` also covers a row read back from JSON as a list).
Row = Sequence[Any]


class FactRows(NamedTuple):
    """The bulky fields of one file's facts, in ``FileFacts`` order, each a list of rows."""

    imports: Sequence[ImportRow]
    calls: Sequence[CallRow]
    main_blocks: Sequence[LocationRow]
    definitions: Sequence[DefinitionRow]
    suppressions: Sequence[SuppressionRow]
    api: Sequence[Any]  # the API items, JSON-ready mappings already
    environment: Sequence[EnvironmentRow] = ()


NO_ROWS = FactRows((), (), (), (), (), (), ())


def imports_from(rows: Iterable[ImportRow]) -> tuple[ImportFact, ...]:
    return tuple(
        ImportFact(
            module,
            line,
            column,
            tuple(names),
            bool(flags & IN_FUNCTION),
            bool(flags & TYPE_CHECKING),
            bool(flags & GUARDED),
            bool(flags & DYNAMIC),
            bool(flags & MAIN_GUARDED),
        )
        for module, line, column, names, flags in rows
    )


def calls_from(rows: Iterable[CallRow]) -> tuple[CallFact, ...]:
    return tuple(
        CallFact(name, qualname, line, column, bool(flags & WRITES_NOTHING), bool(flags & PARTIAL))
        for name, qualname, line, column, flags in rows
    )


def environment_from(rows: Iterable[EnvironmentRow]) -> tuple[EnvironmentAccess, ...]:
    return tuple(EnvironmentAccess(name, line, column) for name, line, column in rows)


def locations_from(rows: Iterable[LocationRow]) -> tuple[Location, ...]:
    return tuple(Location(line, column) for line, column in rows)


def definitions_from(rows: Iterable[DefinitionRow]) -> tuple[Definition, ...]:
    return tuple(Definition(name, kind, line, end) for name, kind, line, end in rows)


def suppressions_from(rows: Iterable[SuppressionRow]) -> tuple[Suppression, ...]:
    return tuple(Suppression(line, tuple(rules), reason) for line, rules, reason in rows)


def api_from(rows: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(rows)


# Builds each field of ``FactRows`` (same order) from its rows.
READERS: tuple[Callable[[Sequence[Any]], tuple[Any, ...]], ...] = (
    imports_from,
    calls_from,
    locations_from,
    definitions_from,
    suppressions_from,
    api_from,
    environment_from,
)


def with_rows(base: FileFacts, rows: FactRows) -> FileFacts:
    """``base`` with its bulky fields built from ``rows``."""
    return replace(
        base,
        imports=imports_from(rows.imports),
        calls=calls_from(rows.calls),
        main_blocks=locations_from(rows.main_blocks),
        definitions=definitions_from(rows.definitions),
        suppressions=suppressions_from(rows.suppressions),
        api=api_from(rows.api),
        environment=environment_from(rows.environment),
    )


def rows_of(facts: FileFacts) -> FactRows:
    """The rows of facts already built (the inverse of ``with_rows``)."""
    return FactRows(
        imports=[
            (
                i.module,
                i.line,
                i.column,
                i.names,
                (IN_FUNCTION if i.in_function else 0)
                | (TYPE_CHECKING if i.type_checking else 0)
                | (GUARDED if i.guarded else 0)
                | (DYNAMIC if i.dynamic else 0)
                | (MAIN_GUARDED if i.main_guarded else 0),
            )
            for i in facts.imports
        ],
        calls=[
            (
                c.name,
                c.qualname,
                c.line,
                c.column,
                (WRITES_NOTHING if c.writes_nothing else 0) | (PARTIAL if c.partial else 0),
            )
            for c in facts.calls
        ],
        main_blocks=[(m.line, m.column) for m in facts.main_blocks],
        definitions=[(d.qualname, d.kind, d.line, d.end_line) for d in facts.definitions],
        suppressions=[(s.line, s.rules, s.reason) for s in facts.suppressions],
        api=list(facts.api),
        environment=[(e.name, e.line, e.column) for e in facts.environment],
    )
