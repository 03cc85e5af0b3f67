"""Facts in a compact, lazily decoded form: how they cross process boundaries and sit in the cache.

A file's facts become an *entry* (a short JSON list of its path, module and small fields) and
*segments*: one compact JSON text per bulky field (imports, calls, ...). ``PackedFacts`` is a
``FileFacts`` that decodes a bulky field only when a step first reads it, so a warm run, whose
steps are all replayed, never builds the hundred thousand call facts of a large project, and
a cold run builds only those its steps read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from typing import Any, Generic, NamedTuple, TypeVar, cast

from archverify.core.fact_rows import READERS, FactRows, rows_of
from archverify.core.facts import (
    CallFact,
    CompileError,
    Definition,
    EnvironmentAccess,
    FileFacts,
    ImportFact,
    Location,
    Suppression,
)


class Entry(NamedTuple):
    """The small fields of one file's facts, and where its segments are.

    It is written as a JSON list in this order (a NamedTuple encodes as one), so the pack's
    format is that of the plain list it replaced; it reads back as a ``StoredEntry``.
    """

    path: str
    module: str
    is_package: bool
    content_hash: str
    lines: int
    encoding: str
    compile_error: list[Any] | None  # kind, line, column, message
    extra: dict[str, Any]
    start: int  # offset of the first segment in the shared buffer (0 in a lone record)
    lengths: list[int]  # length of each segment, in ``FactRows`` order


# An ``Entry`` read back from JSON: a list with the same positions, checked by ``decode``.
StoredEntry = Sequence[Any]
Record = tuple[Entry, bytes]

_FIELD_NAMES = tuple(f.name for f in fields(FileFacts))
_T = TypeVar("_T")
_DUMP = json.JSONEncoder(separators=(",", ":")).encode  # ASCII only: bytes equal characters


def packed_buffer(facts: FileFacts) -> bytes | None:
    """The buffer holding the segments of ``facts``, when they were decoded from one."""
    source = facts.__dict__.get("_packed") if isinstance(facts, PackedFacts) else None
    return None if source is None else source[0]


def imports_text(facts: FileFacts) -> bytes:
    """The packed JSON text of ``facts``' imports, sliced from its pack when it came from one
    (nothing decoded): equal texts are equal imports, so a digest of it stands for them."""
    source = facts.__dict__.get("_packed") if isinstance(facts, PackedFacts) else None
    if source is not None:
        buffer, start, lengths = source
        return bytes(buffer[start : start + lengths[0]])  # imports are the first segment
    return _DUMP(rows_of(facts)[0]).encode("ascii")


def import_count(facts: FileFacts) -> int:
    """``len(facts.imports)``, for packed facts whose imports are not decoded yet counted from
    their segment (one row a statement) without building the facts."""
    source = facts.__dict__.get("_packed") if isinstance(facts, PackedFacts) else None
    if source is None or "imports" in facts.__dict__:
        return len(facts.imports)
    buffer, start, lengths = source
    rows = json.loads(buffer[start : start + lengths[0]])
    return len(rows) if isinstance(rows, list) else len(facts.imports)


def encode(facts: FileFacts) -> Record:
    """The entry and the segments of ``facts`` (segments are reused when already packed)."""
    source = facts.__dict__.get("_packed") if isinstance(facts, PackedFacts) else None
    if source is not None:
        buffer, start, lengths = source
        return _entry(facts, lengths), buffer[start : start + sum(lengths)]
    return encode_rows(facts, rows_of(facts))


def encode_rows(facts: FileFacts, rows: FactRows) -> Record:
    """The entry of ``facts`` (its bulky fields are ignored) and the segments of ``rows``."""
    texts = [_DUMP(field) for field in rows]
    return _entry(facts, [len(t) for t in texts]), "".join(texts).encode("ascii")


def _entry(facts: FileFacts, lengths: Sequence[int]) -> Entry:
    error = facts.compile_error
    error_row = None if error is None else [error.kind, error.line, error.column, error.message]
    return Entry(
        facts.path,
        facts.module,
        facts.is_package,
        facts.content_hash,
        facts.lines,
        facts.encoding,
        error_row,
        dict(facts.extra),
        0,
        list(lengths),
    )


def decode(entry: StoredEntry, buffer: bytes) -> PackedFacts:
    """Facts from an entry whose segments are in ``buffer``; raises ValueError or TypeError
    (also for a malformed entry) rather than returning facts that are not what was stored."""
    path, module, is_package, content_hash, lines, encoding, error, extra, start, lengths = entry
    if not all(isinstance(s, str) for s in (path, module, content_hash, encoding)):
        raise TypeError("entry: path, module, hash and encoding must be strings")
    if not isinstance(extra, dict) or not isinstance(lines, int):
        raise TypeError("entry: malformed lines or extra")
    lengths = tuple(lengths)
    sizes_ok = all(type(n) is int and n >= 2 for n in lengths)
    if len(lengths) != len(READERS) or not sizes_ok or type(start) is not int or start < 0:
        raise ValueError("entry: malformed segment lengths")
    if start + sum(lengths) > len(buffer):
        raise ValueError("entry: segments beyond the end of the pack")
    facts = object.__new__(PackedFacts)
    facts.__dict__.update(
        path=path,
        module=module,
        is_package=bool(is_package),
        content_hash=content_hash,
        encoding=encoding,
        compile_error=None if error is None else CompileError(*error),
        lines=lines,
        extra=extra,
        _packed=(buffer, start, lengths),
    )
    return facts


class _Lazy(Generic[_T]):
    """A bulky field of ``PackedFacts``: decoded from its segment on first read, then kept."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.name = FactRows._fields[index]
        self.read = READERS[index]

    def __get__(self, facts: PackedFacts | None, owner: type[Any]) -> _T:
        if facts is None:
            # On the class, the attribute is the field's default, as it is on FileFacts.
            return cast(_T, ())
        buffer, start, lengths = facts.__dict__["_packed"]
        offset = start + sum(lengths[: self.index])
        value = cast(_T, self.read(json.loads(buffer[offset : offset + lengths[self.index]])))
        # Frozen dataclasses refuse setattr; the instance dict then shadows this descriptor.
        facts.__dict__[self.name] = value
        return value


class PackedFacts(FileFacts):
    """``FileFacts`` whose bulky fields are decoded on first read; equal to the plain facts."""

    imports: _Lazy[tuple[ImportFact, ...]] = _Lazy(0)
    calls: _Lazy[tuple[CallFact, ...]] = _Lazy(1)
    main_blocks: _Lazy[tuple[Location, ...]] = _Lazy(2)
    definitions: _Lazy[tuple[Definition, ...]] = _Lazy(3)
    suppressions: _Lazy[tuple[Suppression, ...]] = _Lazy(4)
    api: _Lazy[tuple[Any, ...]] = _Lazy(5)
    environment: _Lazy[tuple[EnvironmentAccess, ...]] = _Lazy(6)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileFacts):
            return NotImplemented
        return _values(self) == _values(other)

    __hash__ = FileFacts.__hash__

    def __repr__(self) -> str:
        return repr(FileFacts(*_values(self)))

    def __reduce__(self) -> tuple[type[FileFacts], tuple[Any, ...]]:
        # Pickled as the plain facts: the shared pack buffer must not travel with each file.
        return FileFacts, _values(self)


def _values(facts: FileFacts) -> tuple[Any, ...]:
    return tuple(getattr(facts, name) for name in _FIELD_NAMES)
