"""A cheap picture of the project's tree, to see what running its code did to it.

The tests step (and the imports step) run the project's code by design; that code may write,
delete or change files of the project. ``snapshot`` before and ``changes`` after say which:
one ``lstat`` per entry (links never followed), no reading of file contents, so a tree of tens
of thousands of files takes a fraction of a second. A file whose size, mtime, mode or kind
changed counts as changed, even when its bytes are the same again (``touch``): the tree was
written.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

# Folders that are not the project's files: version-control metadata changes under the user's
# own hands (an IDE's `git fetch`) while a run goes on, and nothing verified lives there; and
# bytecode caches, which Python itself writes on every import of code the tests run (derived
# files, never sources: archverify's own children never write them).
IGNORED_NAMES = frozenset({".git", ".hg", ".svn", "__pycache__"})


@dataclass(frozen=True)
class Entry:
    """What ``lstat`` says about one path: kind (``file``/``dir``/``link``/``other``), mode
    bits, size, modification time, and a link's target; and the inode change time, which
    every write or ``os.utime`` moves and no user call can set back, so that a file rewritten
    and restored with its old size and mtime still shows as changed."""

    kind: str
    mode: int
    size: int
    mtime_ns: int
    target: str = ""
    ctime_ns: int = 0


# Relative POSIX path -> entry.
TreeState = Mapping[str, Entry]


@dataclass(frozen=True)
class TreeChanges:
    """What differs between two snapshots, each list sorted."""

    created: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.created or self.deleted or self.modified)

    def describe(self, limit: int = 10) -> str:
        """``deleted data/a.txt, created out/`` (at most ``limit`` paths, then a count).

        A created or deleted folder stands for everything below it.
        """
        parts = [
            (verb, path)
            for verb, paths in (
                ("deleted", _topmost(self.deleted)),
                ("created", _topmost(self.created)),
                ("changed", self.modified),
            )
            for path in paths
        ]
        shown = ", ".join(f"{verb} {path}" for verb, path in parts[:limit])
        rest = len(parts) - limit
        return f"{shown} and {rest} more" if rest > 0 else shown

    def paths(self) -> list[str]:
        """Every path that changed, in one sorted list."""
        return sorted({*self.created, *self.deleted, *self.modified})


def _topmost(paths: tuple[str, ...]) -> list[str]:
    """``paths`` without those below another of them (sorted input: a parent comes first)."""
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(f"{parent}/") for parent in kept):
            kept.append(path)
    return kept


def snapshot(root: Path, skip: Collection[Path] = ()) -> dict[str, Entry]:
    """Every entry below ``root`` (``root`` itself left out) by relative POSIX path.

    Folders named in ``IGNORED_NAMES`` and the folders in ``skip`` (archverify's cache folder)
    are left out with everything below them. Unreadable folders are left out silently: the
    comparison only cares about what it could see both times.
    """
    skipped = {os.path.normcase(os.path.abspath(p)) for p in skip}
    state: dict[str, Entry] = {}
    pending = [(str(root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as entries:
                listing = list(entries)
        except OSError:
            continue
        for item in listing:
            if item.name in IGNORED_NAMES:
                continue
            rel = f"{prefix}{item.name}"
            try:
                info = item.stat(follow_symlinks=False)
            except OSError:
                continue
            entry = _entry(item.path, info)
            if entry.kind == "dir":
                if os.path.normcase(os.path.abspath(item.path)) in skipped:
                    continue
                pending.append((item.path, f"{rel}/"))
            state[rel] = entry
    return state


def changes(before: TreeState, after: TreeState) -> TreeChanges:
    """What ``after`` created, deleted and modified relative to ``before``.

    A folder's own mtime changes whenever an entry in it is created or removed; that is already
    said by the entry, so folders count as modified only when their mode or kind changed.
    """
    created = sorted(p for p in after if p not in before)
    deleted = sorted(p for p in before if p not in after)
    modified = sorted(p for p, old in before.items() if p in after and _differs(old, after[p]))
    return TreeChanges(tuple(created), tuple(deleted), tuple(modified))


def _differs(old: Entry, new: Entry) -> bool:
    if old.kind == "dir" and new.kind == "dir":
        return old.mode != new.mode
    return old != new


def _entry(path: str, info: os.stat_result) -> Entry:
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return Entry("link", 0, 0, 0, target)
    kind = "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"
    size = info.st_size if kind == "file" else 0
    return Entry(kind, stat.S_IMODE(mode), size, info.st_mtime_ns, ctime_ns=info.st_ctime_ns)
