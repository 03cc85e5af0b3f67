"""The data files beside the verified sources, as the steps that run the project's code key
them (the imports step per module, the tests step as a whole)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Sequence
from typing import Any

from archverify.core.project import SourceFile
from archverify.executors.base import KeyValueCache

# Up to this size a data file counts by its content, so that a copy of the tree in another
# folder (another checkout, a CI runner) has the same state; a larger one by its size and times,
# which no other checkout shares (a miss there, never a wrong replay).
CONTENT_LIMIT = 16 * 1024 * 1024


# (path, size, times, inode) -> content state: a run computes the data states more than once
# (the imports step's keys, the tests step's), each file is read once per process.
_SEEN: dict[tuple[str, int, int, int, int], str] = {}
# A file's hash is remembered between runs (``ContentMemo``) only once its change time is this
# much older than the hash: a write in the same clock tick as the read could keep every time.
_SETTLED_NS = 2_000_000_000
MEMO_NAMESPACE = "content"
_MEMO_KEY = "data-files-1"


class ContentMemo:
    """The content states of data files by their stat, kept between runs in the cache (an
    authenticated entry, like the facts pack's stat table), so that a warm run reads no data
    file whose size, times and inode are unchanged. A copy of the tree in another folder has
    other times and inodes: each file is read once there, then remembered too."""

    def __init__(self, cache: KeyValueCache, root: str) -> None:
        self._cache = cache
        self._prefix = root.rstrip(os.sep) + os.sep
        stored = cache.get(MEMO_NAMESPACE, _MEMO_KEY)
        self._rows: dict[str, list[Any]] = stored if isinstance(stored, dict) else {}
        self._changed = False

    def state(self, path: str, info: os.stat_result) -> str:
        stamp = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
        relative = path[len(self._prefix) :] if path.startswith(self._prefix) else path
        row = self._rows.get(relative)
        if isinstance(row, list) and len(row) == 5 and row[:4] == stamp:
            return str(row[4])
        found = file_content_state(path, info)
        if found.startswith("sha256:") and time.time_ns() - info.st_ctime_ns > _SETTLED_NS:
            self._rows[relative] = [*stamp, found]
            self._changed = True
        return found

    def save(self) -> None:
        if self._changed:
            self._cache.put(MEMO_NAMESPACE, _MEMO_KEY, self._rows)
            self._changed = False


def file_content_state(path: str, info: os.stat_result) -> str:
    """A file of the tree by content (``sha256:...``) up to ``CONTENT_LIMIT``, else by its
    modification and change times (``touch -r`` and ``cp -p`` restore only the first)."""
    if not stat.S_ISREG(info.st_mode):
        return "special"  # a FIFO or a device: never opened
    if info.st_size > CONTENT_LIMIT:
        return f"{info.st_mtime_ns}\0{info.st_ctime_ns}"
    seen = (path, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
    known = _SEEN.get(seen)
    if known is not None:
        return known
    try:
        with open(path, "rb") as handle:
            state = "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as error:
        return f"<{type(error).__name__}>"
    _SEEN[seen] = state
    return state


def data_states(
    root: str, files: Sequence[SourceFile], contents: ContentMemo | None = None
) -> dict[str, str]:
    """What each module may read beside the verified sources: the other files of its folder.

    A package (``__init__.py``) or a module inside one has the state of every file below its
    folder, subpackages included (a package may read its subpackages' data), that is not a
    verified source file (keyed by content) or in ``__pycache__`` (bytecode of those sources):
    each file's relative path, size and content (``file_content_state``: a large file by its
    modification and change times). A top-level module has its source root's own files (its
    working directory at import), not the folders below. Each folder is listed once (one
    ``scandir`` per folder, one ``stat`` per data file, each file read once per process, and
    with ``contents`` only when its stat changed since an earlier run).
    """
    sources = {os.path.normpath(os.path.join(root, f.path)) for f in files}
    real_root = os.path.realpath(root).rstrip(os.sep)
    memo: dict[tuple[str, bool], str] = {}

    def state(folder: str, deep: bool) -> str:
        known = memo.get((folder, deep))
        if known is not None:
            return known
        lines: list[str] = []
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            entries, lines = [], [f"<{type(error).__name__}>"]
        for entry in entries:
            try:
                if entry.is_dir():
                    if deep and entry.name != "__pycache__" and not entry.is_symlink():
                        lines.append(f"{entry.name}/\0{state(entry.path, True)}")
                    elif entry.is_symlink():
                        target = os.path.realpath(entry.path)
                        if target == real_root or target.startswith(real_root + os.sep):
                            target = "<root>" + target[len(real_root) :]  # any checkout's
                        lines.append(f"{entry.name}/\0-> {target}")
                    continue
                if os.path.normpath(entry.path) in sources:
                    continue
                info = entry.stat()
                content = (
                    contents.state(entry.path, info)
                    if contents
                    else file_content_state(entry.path, info)
                )
                lines.append(f"{entry.name}\0{info.st_size}\0{content}")
            except OSError:
                lines.append(f"{entry.name}\0<gone>")
        found = digest(lines)
        memo[(folder, deep)] = found
        return found

    states: dict[str, str] = {}
    for f in files:
        folder = os.path.dirname(os.path.normpath(os.path.join(root, f.path)))
        states[f.module] = state(folder, "." in f.module or f.is_package)
    if contents:
        contents.save()
    return states


def digest(material: Any) -> str:
    text = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
