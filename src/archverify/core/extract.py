"""The one parse of a file: bytes in, every fact the static steps need out (``FileFacts``)."""

from __future__ import annotations

import _thread
import ast
import gc
import hashlib
import sys
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from archverify.core.api import api_items
from archverify.core.fact_rows import NO_ROWS, FactRows, with_rows
from archverify.core.fact_walker import FactWalker
from archverify.core.facts import CompileError, FileFacts
from archverify.core.source_text import (
    CharColumns,
    count_lines,
    decode_source,
    find_suppressions,
)


def _syntax_error(exc: BaseException, text: str) -> CompileError:
    """A compile failure as a fact: CPython's message at its 1-based line and column."""
    if isinstance(exc, SyntaxError):
        line, column, message = exc.lineno or 0, exc.offset or 0, exc.msg or str(exc)
    else:
        line, column = 0, 0
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if not line and "\0" in text:
        # The null-byte error comes without a position on some Python versions.
        offset = text.index("\0")
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return CompileError("syntax", line, max(column, 0), message)


# What CPython raises for code it cannot compile, besides SyntaxError: a null byte
# (ValueError, on some versions), too deep nesting (RecursionError, MemoryError), overflow.
_COMPILE_FAILURES = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
# Raised by a deep tree where CPython's own compile of the source may still succeed.
_TOO_DEEP = (RecursionError, MemoryError)
TOO_DEEP = "too_deep"  # the ``extra`` key of a file whose facts were cut short
# The ``extra`` key of a file refused for its depth before any fact was read: if a fresh
# interpreter compiles it after all (``confirm_depth_verdict``), its facts are missing.
TREE_TOO_DEEP = "tree_too_deep"
# The ``extra`` key of a file that compiles here only within ``_MARGIN_LEVELS`` of CPython's
# limit: a fresh interpreter decides (``confirm_depth_verdict``); its value is the error
# raised with that much less room, ``[line, column, message]``, the verdict if it refuses.
DEPTH_DOUBT = "depth_doubt"
EXTRACT_ERROR = "extract_error"  # the ``extra`` key of a file archverify failed on
NO_TREE_REASON = "the syntax tree is too deep to build: no facts were read"


def is_depth_verdict(error: CompileError) -> bool:
    """True for a compile error that is CPython running out of recursion (or memory) on deep
    nesting: a verdict that depends on the stack depth of the compiling thread, so that a
    caller able to start processes may confirm it in a fresh interpreter."""
    return error.kind == "syntax" and error.message.startswith(("RecursionError", "MemoryError"))


def _compile(source: str | ast.Module, path: str, flags: int = 0) -> Any:
    with warnings.catch_warnings():
        # Warnings are not failures of compileall; a ``-W error`` run must not make them so.
        warnings.simplefilter("ignore")
        return compile(source, path, "exec", flags, dont_inherit=True)


# A tree CPython's parser accepts can be deeper than turning it into ``ast`` objects allows at
# the default recursion limit (``f()`` followed by 2,990 ``()``). Such trees are built on a
# thread of their own with these limits: the nesting the parser accepts fits in both.
_DEEP_TREE_RECURSION_LIMIT = 20_000
_DEEP_TREE_STACK_BYTES = 256 * 1024 * 1024


def _on_new_thread(
    call: Callable[[], Any], *, recursion_limit: int = 0, stack_bytes: int = 0
) -> Any:
    """``call()`` on a new thread, where it runs one frame deep, as the ``<module>`` frame of
    ``python -c`` does; the caller waits. Raises what ``call`` raised.

    A raised recursion limit is the interpreter's, so it holds only while the caller waits:
    facts are extracted before any step's thread starts, and pool workers are single-threaded.
    """
    outcome: list[Any] = []
    done = _thread.allocate_lock()
    done.acquire()

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller as it was raised
            outcome.append(exc)
        finally:
            done.release()

    limit, stack = sys.getrecursionlimit(), _thread.stack_size()
    with warnings.catch_warnings():
        # Warnings are not failures of compileall; a ``-W error`` run must not make them so.
        warnings.simplefilter("ignore")
        try:
            if stack_bytes:
                _thread.stack_size(stack_bytes)
            if recursion_limit > limit:
                sys.setrecursionlimit(recursion_limit)
            _thread.start_new_thread(run, ())
            done.acquire()
        except RuntimeError:
            # No thread to be had (out of memory or threads): without the room it was asked
            # for, a raised limit is unsafe; otherwise the call runs here, as deep as we are.
            started = False
        else:
            started = True
        finally:
            sys.setrecursionlimit(limit)
            _thread.stack_size(stack)
        if not started:
            if recursion_limit or stack_bytes:
                raise RecursionError("no thread with room for a deep tree could be started")
            return call()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


# Frames of room given up, below those a call already has, for a verdict that must hold in a
# fresh interpreter too. A call site that has run before (a specialized call) counts one C
# level less on 3.12+ than ``python -c``'s first call does; this covers that four times over.
# Each frame costs a few levels of nesting (3 on 3.11, 4 on 3.12, 2 on 3.13), so a file
# within about 16 levels of CPython's limit is confirmed in a fresh interpreter.
_MARGIN_LEVELS = 4


def _less_room(levels: int, call: Callable[[], Any]) -> Any:
    """``call()`` below ``levels`` more frames, each entered from C (through ``map``), so that
    each costs a level of CPython's C recursion budget as well as a Python frame."""
    if levels <= 0:
        return call()
    return next(map(_less_room, (levels - 1,), (call,)))


def _first_compile(text: str, path: str) -> Callable[[], Any]:
    """``compile(text, path, "exec")`` as a call never made before, as ``python -c`` makes it.

    CPython specializes a call site that has run before; on 3.12+ a specialized call of a
    builtin skips a level of the C recursion budget that compiling counts, so a file of
    CPython's limit plus one compiled from a warm call site. A copy of the code has never run.
    """
    call = lambda: compile(text, path, "exec", 0, True)  # noqa: E731 - its code is copied
    code = call.__code__.replace()
    return types.FunctionType(code, call.__globals__, None, None, call.__closure__)


def _build_tree(text: str, path: str) -> Any:
    # Positional arguments only: a call with keywords is never specialized on 3.13.
    return compile(text, path, "exec", ast.PyCF_ONLY_AST, True)


def _deep_tree(text: str, path: str) -> Any:
    """The tree of a source too deep to build here, built on a thread with room to spare.

    On 3.12+ turning the tree into ``ast`` objects counts the C recursion budget, not the
    raised recursion limit, and one level more than compiling the source does: a file at
    CPython's limit builds only from a specialized call, which skips a level; so the call
    site is run on an empty source first (specialized from its second run on).
    """

    def build() -> Any:
        for _ in range(2):
            _build_tree("", path)
        return _build_tree(text, path)

    return _on_new_thread(
        build, recursion_limit=_DEEP_TREE_RECURSION_LIMIT, stack_bytes=_DEEP_TREE_STACK_BYTES
    )


def _source_error(text: str, path: str) -> tuple[CompileError | None, CompileError | None]:
    """What ``compile(source, path, "exec")`` raises in a fresh interpreter, asked only once
    a compile here ran out of recursion: ``(error, doubt)``.

    CPython's parser and compiler stop at a nesting that counts the frames already below the
    call (and, on 3.12+, whether the call site ran before), so the same source compiles at
    the top of ``python -c`` and fails a few dozen calls deep inside archverify: it is
    compiled on a new thread from a first call, as ``python -c`` runs it. A source that
    compiles with ``_MARGIN_LEVELS`` less room compiles there too; one that compiles only
    with the full room is within a few levels of the limit, and ``doubt`` is the error it
    raised with less room: a fresh interpreter has the last word (``confirm_depth_verdict``).
    """
    try:
        first = _first_compile(text, path)
        _on_new_thread(lambda: _less_room(_MARGIN_LEVELS, first))
    except _TOO_DEEP as exc:
        doubt = _syntax_error(exc, text)
    except _COMPILE_FAILURES as exc:
        return _syntax_error(exc, text), None
    else:
        return None, None
    try:
        _on_new_thread(_first_compile(text, path))
    except _COMPILE_FAILURES as exc:
        return _syntax_error(exc, text), None
    return None, doubt


@dataclass(frozen=True)
class _NoTree:
    """A source that compiles but whose tree is too deep to build; ``doubt`` as in
    ``_source_error``."""

    doubt: CompileError | None


def _parse(text: str, path: str) -> ast.Module | CompileError | _NoTree:
    """The syntax tree, or why the source does not compile, or ``_NoTree`` when the source
    compiles but its tree is too deep to build (no facts can be read from it then)."""
    try:
        try:
            tree = _compile(text, path, ast.PyCF_ONLY_AST)
        except _TOO_DEEP:
            tree = _deep_tree(text, path)
    except _TOO_DEEP:
        error, doubt = _source_error(text, path)
        return _NoTree(doubt) if error is None else error
    except _COMPILE_FAILURES as exc:
        return _syntax_error(exc, text)
    if not isinstance(tree, ast.Module):
        return CompileError("syntax", 0, 0, "source did not parse to a module")
    return tree


def _compile_error(
    tree: ast.Module, text: str, path: str
) -> tuple[CompileError | None, CompileError | None]:
    """Compile the tree so symtable and compiler errors surface as compileall's do:
    ``(error, doubt)`` as in ``_source_error``.

    Turning a deep tree back into CPython's own AST counts Python's recursion limit, which
    compiling the source text does not: ``f()()...`` with 1,500 calls compiles from source
    but not from its tree. A too-deep tree is therefore judged by compiling the source. The
    tree is compiled with ``_MARGIN_LEVELS`` less room than it has here, so that a file this
    compile accepts is one a fresh interpreter accepts too, however warm this process is.
    """
    try:
        _less_room(_MARGIN_LEVELS, lambda: _compile(tree, path))
    except _TOO_DEEP:
        return _source_error(text, path)
    except _COMPILE_FAILURES as exc:
        return _syntax_error(exc, text), None
    return None, None


def _doubted(doubt: CompileError | None) -> dict[str, Any]:
    """The ``extra`` entry that asks a fresh interpreter to confirm a near-limit verdict."""
    return {} if doubt is None else {DEPTH_DOUBT: [doubt.line, doubt.column, doubt.message]}


def _walk(
    walker: FactWalker, tree: ast.Module, module: str, api: bool
) -> tuple[tuple[Any, ...], str]:
    """Walk the tree and read its API (unless ``api`` is false: no step asks for it); what was
    found stays when either is cut short."""
    read_api = api_items if api else _no_api
    try:
        walker.walk(tree)
    except _TOO_DEEP as exc:
        walker.finish()
        return read_api(tree, module), f"the fact walk stopped early ({type(exc).__name__})"
    try:
        return read_api(tree, module), ""
    except _TOO_DEEP as exc:
        return (), f"the public API was not read ({type(exc).__name__})"


def _no_api(tree: ast.Module, module: str) -> tuple[Any, ...]:
    return ()


def _extract(source: bytes, base: FileFacts, api: bool) -> tuple[FileFacts, FactRows]:
    decoded = decode_source(source)
    if isinstance(decoded, CompileError):
        return replace(base, compile_error=decoded), NO_ROWS
    text, encoding = decoded
    parsed = _parse(text, base.path)
    if isinstance(parsed, CompileError):
        marked = {TREE_TOO_DEEP: True} if is_depth_verdict(parsed) else {}
        return replace(base, encoding=encoding, compile_error=parsed, extra=marked), NO_ROWS
    if isinstance(parsed, _NoTree):
        missing = {TOO_DEEP: NO_TREE_REASON, **_doubted(parsed.doubt)}
        return replace(base, encoding=encoding, extra=missing), NO_ROWS
    error, doubt = _compile_error(parsed, text, base.path)
    walker = FactWalker(base.module, base.is_package, CharColumns(text))
    api_rows, cut_short = _walk(walker, parsed, base.module, api)
    unresolved = walker.unresolved_relative
    extra: dict[str, Any] = {"unresolved_relative": unresolved} if unresolved else {}
    extra.update(_doubted(doubt))
    if cut_short:
        extra[TOO_DEEP] = cut_short
    rows = FactRows(
        imports=walker.imports,
        calls=walker.calls,
        main_blocks=walker.main_blocks,
        definitions=walker.definitions,
        suppressions=[(s.line, s.rules, s.reason) for s in find_suppressions(source, text)],
        api=api_rows,
        environment=walker.environment,
    )
    return replace(base, encoding=encoding, compile_error=error, extra=extra), rows


def _too_deep(source: bytes, base: FileFacts) -> FileFacts:
    decoded = decode_source(source)
    if isinstance(decoded, CompileError):
        return replace(base, compile_error=decoded)
    text, encoding = decoded
    error, doubt = _source_error(text, base.path)
    if error is not None:
        marked = {TREE_TOO_DEEP: True} if is_depth_verdict(error) else {}
        return replace(base, encoding=encoding, compile_error=error, extra=marked)
    missing = {TOO_DEEP: "no facts could be read", **_doubted(doubt)}
    return replace(base, encoding=encoding, extra=missing)


def extract_facts(source: bytes, path: str, module: str, is_package: bool) -> FileFacts:
    """Every fact of one file from one parse. Never raises: bad input becomes a fact.

    ``path`` is relative with forward slashes, ``module`` the dotted module name
    (``pkg.sub`` for ``pkg/sub/__init__.py``, with ``is_package`` true).
    """
    return with_rows(*extract_rows(source, path, module, is_package))


def extract_rows(
    source: bytes, path: str, module: str, is_package: bool, *, api: bool = True
) -> tuple[FileFacts, FactRows]:
    """``extract_facts`` with the bulky fields left as rows (``fact_rows``), for callers that
    ship or store them rather than read them: the facts returned have those fields empty.
    ``api=False`` leaves the public API (``core.api``, read by the snapshots only) unread."""
    base = FileFacts(
        path=path,
        module=module,
        is_package=is_package,
        content_hash=hashlib.sha256(source).hexdigest(),
        lines=count_lines(source),
    )
    # A syntax tree has no reference cycles, yet building one triggers many cyclic-GC passes
    # over it (a quarter of the parse time on Django); refcounting frees it all anyway.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _extract(source, base, api)
    except _TOO_DEEP:
        # Somewhere deeper than the steps above guard: whether the file compiles is still
        # CPython's verdict on its source, not ours.
        return _too_deep(source, base), NO_ROWS
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop a whole run
        return replace(base, extra={EXTRACT_ERROR: f"{type(exc).__name__}: {exc}"}), NO_ROWS
    finally:
        if collecting:
            gc.enable()
