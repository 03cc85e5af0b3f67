"""The one parse of a file: bytes in, every fact the static steps need out (``FileFacts``)."""

from __future__ import annotations

import _thread
import ast
import gc
import hashlib
import sys
import warnings
from collections.abc import Callable
from dataclasses import replace
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


def _deep_tree(text: str, path: str) -> Any:
    return _on_new_thread(
        lambda: compile(text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True),
        recursion_limit=_DEEP_TREE_RECURSION_LIMIT,
        stack_bytes=_DEEP_TREE_STACK_BYTES,
    )


def _source_error(text: str, path: str) -> CompileError | None:
    """What ``compile(source, path, "exec")`` raises in a fresh interpreter: the verdict on
    whether a file compiles at all, asked only once a compile here ran out of recursion.

    CPython's parser and compiler stop at a nesting that counts the frames already below the
    call, so the same source compiles at the top of ``python -c`` and fails a few dozen calls
    deep inside archverify: it is compiled on a new thread, as deep as ``python -c`` runs it.
    """
    try:
        _on_new_thread(lambda: compile(text, path, "exec", dont_inherit=True))
    except _COMPILE_FAILURES as exc:
        return _syntax_error(exc, text)
    return None


def _parse(text: str, path: str) -> ast.Module | CompileError | None:
    """The syntax tree, or why the source does not compile; None when the source compiles
    but its tree is too deep to build (no facts can be read from it then)."""
    try:
        try:
            tree = _compile(text, path, ast.PyCF_ONLY_AST)
        except _TOO_DEEP:
            tree = _deep_tree(text, path)
    except _TOO_DEEP:
        return _source_error(text, path)
    except _COMPILE_FAILURES as exc:
        return _syntax_error(exc, text)
    if not isinstance(tree, ast.Module):
        return CompileError("syntax", 0, 0, "source did not parse to a module")
    return tree


def _compile_error(tree: ast.Module, text: str, path: str) -> CompileError | None:
    """Compile the tree so symtable and compiler errors surface as compileall's do.

    Turning a deep tree back into CPython's own AST counts Python's recursion limit, which
    compiling the source text does not: ``f()()...`` with 1,500 calls compiles from source
    but not from its tree. A too-deep tree is therefore judged by compiling the source.
    """
    try:
        _compile(tree, path)
    except _TOO_DEEP:
        return _source_error(text, path)
    except _COMPILE_FAILURES as exc:
        return _syntax_error(exc, text)
    return None


def _walk(walker: FactWalker, tree: ast.Module, module: str) -> tuple[tuple[Any, ...], str]:
    """Walk the tree and read its API; what was found stays when either is cut short."""
    try:
        walker.walk(tree)
    except _TOO_DEEP as exc:
        walker.finish()
        return api_items(tree, module), f"the fact walk stopped early ({type(exc).__name__})"
    try:
        return api_items(tree, module), ""
    except _TOO_DEEP as exc:
        return (), f"the public API was not read ({type(exc).__name__})"


def _extract(source: bytes, base: FileFacts) -> tuple[FileFacts, FactRows]:
    decoded = decode_source(source)
    if isinstance(decoded, CompileError):
        return replace(base, compile_error=decoded), NO_ROWS
    text, encoding = decoded
    parsed = _parse(text, base.path)
    if isinstance(parsed, CompileError):
        marked = {TREE_TOO_DEEP: True} if is_depth_verdict(parsed) else {}
        return replace(base, encoding=encoding, compile_error=parsed, extra=marked), NO_ROWS
    if parsed is None:
        return replace(base, encoding=encoding, extra={TOO_DEEP: NO_TREE_REASON}), NO_ROWS
    error = _compile_error(parsed, text, base.path)
    walker = FactWalker(base.module, base.is_package, CharColumns(text))
    api, cut_short = _walk(walker, parsed, base.module)
    unresolved = walker.unresolved_relative
    extra: dict[str, Any] = {"unresolved_relative": unresolved} if unresolved else {}
    if cut_short:
        extra[TOO_DEEP] = cut_short
    rows = FactRows(
        imports=walker.imports,
        calls=walker.calls,
        main_blocks=walker.main_blocks,
        definitions=walker.definitions,
        suppressions=[(s.line, s.rules, s.reason) for s in find_suppressions(source, text)],
        api=api,
    )
    return replace(base, encoding=encoding, compile_error=error, extra=extra), rows


def _too_deep(source: bytes, base: FileFacts) -> FileFacts:
    decoded = decode_source(source)
    if isinstance(decoded, CompileError):
        return replace(base, compile_error=decoded)
    text, encoding = decoded
    error = _source_error(text, base.path)
    if error is not None:
        marked = {TREE_TOO_DEEP: True} if is_depth_verdict(error) else {}
        return replace(base, encoding=encoding, compile_error=error, extra=marked)
    return replace(base, encoding=encoding, extra={TOO_DEEP: "no facts could be read"})


def extract_facts(source: bytes, path: str, module: str, is_package: bool) -> FileFacts:
    """Every fact of one file from one parse. Never raises: bad input becomes a fact.

    ``path`` is relative with forward slashes, ``module`` the dotted module name
    (``pkg.sub`` for ``pkg/sub/__init__.py``, with ``is_package`` true).
    """
    return with_rows(*extract_rows(source, path, module, is_package))


def extract_rows(
    source: bytes, path: str, module: str, is_package: bool
) -> tuple[FileFacts, FactRows]:
    """``extract_facts`` with the bulky fields left as rows (``fact_rows``), for callers that
    ship or store them rather than read them: the facts returned have those fields empty."""
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
        return _extract(source, base)
    except _TOO_DEEP:
        # Somewhere deeper than the steps above guard: whether the file compiles is still
        # CPython's verdict on its source, not ours.
        return _too_deep(source, base), NO_ROWS
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop a whole run
        return replace(base, extra={EXTRACT_ERROR: f"{type(exc).__name__}: {exc}"}), NO_ROWS
    finally:
        if collecting:
            gc.enable()
