"""The verified folder's path written as a mark, so cache keys and entries serve any checkout.

A cache made in one checkout folder (``/home/a/repo``) must serve another (``/ci/work/repo``):
a key that held the folder's absolute path would never match there, and an entry replayed
there must not name the first folder's files (a finding's message, a tool's output, a record
of the files an import read). So before a key is hashed or an entry is stored, each spelling of
the root in every string becomes ``ROOT_MARK`` (``unrooted``); a replayed entry gets the current
root back in its place (``rerooted``). Paths outside the root (the interpreter, site-packages,
the user's config files) stay as they are: a folder there that differs between two machines
makes the keys differ, a miss, never a wrong hit.

The root is replaced only where it is a whole path: ``/work/app`` in ``/work/app/x.py`` or
``'/work/app'``, not in ``/work/apple`` nor in ``/old/work/app``. A NUL, which no path holds,
introduces the mark; a NUL already in a string is doubled first, so ``rerooted`` gives back
exactly the string ``unrooted`` was given (with the new root).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

ROOT_MARK = "\x00R"
_ESCAPE = "\x00\x00"
_MARKED = re.compile("\x00(.)", re.DOTALL)


@lru_cache(maxsize=16)
def _pattern(roots: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first: a root below another (the resolved spelling of a link) is matched whole.
    spelled = sorted({r.rstrip("/\\") or r for r in roots if r}, key=len, reverse=True)
    alternatives = "|".join(re.escape(r) for r in spelled)
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w.\-])")


def unrooted_text(text: str, roots: Iterable[str]) -> str:
    """``text`` with each whole-path spelling of ``roots`` replaced by ``ROOT_MARK``."""
    spellings = tuple(r for r in roots if r)
    if "\x00" in text:
        text = text.replace("\x00", _ESCAPE)
    if not spellings:
        return text
    return _pattern(spellings).sub(ROOT_MARK, text)


def rerooted_text(text: str, root: str) -> str:
    """The inverse of ``unrooted_text``, with ``root`` where the mark is."""
    if "\x00" not in text:
        return text
    return _MARKED.sub(lambda m: root if m.group(1) == "R" else m.group(1), text)


def unrooted(value: Any, roots: Iterable[str]) -> Any:
    """A JSON value (dicts, lists, strings, numbers) with ``unrooted_text`` applied to every
    string in it, dictionary keys included."""
    spellings = tuple(r for r in roots if r)
    return _map_strings(value, lambda text: unrooted_text(text, spellings))


def rerooted(value: Any, root: str) -> Any:
    """The inverse of ``unrooted`` over a JSON value."""
    return _map_strings(value, lambda text: rerooted_text(text, root))


def _map_strings(value: Any, change: Any) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {
            change(k) if isinstance(k, str) else k: _map_strings(v, change)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_map_strings(item, change) for item in value]
    return value
