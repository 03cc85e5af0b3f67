"""The one parse of a file: bytes in, every fact the static steps need out (``FileFacts``)."""

from __future__ import annotations

import ast
import gc
import hashlib
import warnings
from dataclasses import replace

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


def _parse(text: str, path: str) -> ast.Module | CompileError:
    """Parse, then compile the tree so symtable and compiler errors surface as compileall's do."""
    try:
        with warnings.catch_warnings():
            # Warnings are not failures of compileall; a ``-W error`` run must not make them so.
            warnings.simplefilter("ignore")
            tree = compile(text, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return _syntax_error(exc, text)
    if not isinstance(tree, ast.Module):
        return CompileError("syntax", 0, 0, "source did not parse to a module")
    return tree


def _compile_error(tree: ast.Module, text: str, path: str) -> CompileError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(tree, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return _syntax_error(exc, text)
    return None


def _extract(source: bytes, base: FileFacts) -> tuple[FileFacts, FactRows]:
    decoded = decode_source(source)
    if isinstance(decoded, CompileError):
        return replace(base, compile_error=decoded), NO_ROWS
    text, encoding = decoded
    parsed = _parse(text, base.path)
    if isinstance(parsed, CompileError):
        return replace(base, encoding=encoding, compile_error=parsed), NO_ROWS
    error = _compile_error(parsed, text, base.path)
    walker = FactWalker(base.module, base.is_package, CharColumns(text))
    walker.walk(parsed)
    unresolved = walker.unresolved_relative
    extra = {"unresolved_relative": unresolved} if unresolved else {}
    rows = FactRows(
        imports=walker.imports,
        calls=walker.calls,
        main_blocks=walker.main_blocks,
        definitions=walker.definitions,
        suppressions=[(s.line, s.rules, s.reason) for s in find_suppressions(source, text)],
        api=api_items(parsed, base.module),
    )
    return replace(base, encoding=encoding, compile_error=error, extra=extra), rows


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
    except (RecursionError, MemoryError) as exc:
        return replace(base, compile_error=_syntax_error(exc, "")), NO_ROWS
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop a whole run
        return replace(base, extra={"extract_error": f"{type(exc).__name__}: {exc}"}), NO_ROWS
    finally:
        if collecting:
            gc.enable()
