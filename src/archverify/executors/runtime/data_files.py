"""The data files beside the verified sources, as the steps that run the project's code key
them (the imports step per module, the tests step as a whole)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Sequence
from typing import Any

from archverify.core.project import SourceFile

# Up to this size a data file counts by its content, so that a copy of the tree in another
# folder (another checkout, a CI runner) has the same state; a larger one by its size and times,
# which no other checkout shares (a miss there, never a wrong replay).
CONTENT_LIMIT = 16 * 1024 * 1024


# (path, size, times, inode) -> content state: a run computes the data states more than once
# (the imports step's keys, the tests step's), each file is read once per process.
_SEEN: dict[tuple[str, int, int, int, int], str] = {}


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


def data_states(root: str, files: Sequence[SourceFile]) -> dict[str, str]:
    """What each module may read beside the verified sources: the other files of its folder.

    A package (``__init__.py``) or a module inside one has the state of every file below its
    folder, subpackages included (a package may read its subpackages' data), that is not a
    verified source file (keyed by content) or in ``__pycache__`` (bytecode of those sources):
    each file's relative path, size and content (``file_content_state``: a large file by its
    modification and change times). A top-level module has its source root's own files (its
    working directory at import), not the folders below. Each folder is listed once (one
    ``scandir`` per folder, one ``stat`` per data file, each file read once per process).
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
                content = file_content_state(entry.path, info)
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
    return states


def digest(material: Any) -> str:
    text = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
