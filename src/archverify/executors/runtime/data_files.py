"""The data files beside the verified sources, as the steps that run the project's code key
them (the imports step per module, the tests step as a whole)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any

from archverify.core.project import SourceFile


def data_states(root: str, files: Sequence[SourceFile]) -> dict[str, str]:
    """What each module may read beside the verified sources: the other files of its folder.

    A package (``__init__.py``) or a module inside one has the state of every file below its
    folder, subpackages included (a package may read its subpackages' data), that is not a
    verified source file (keyed by content) or in ``__pycache__`` (bytecode of those sources):
    each file's relative path, size, modification time and change time (which no program can
    set back: ``touch -r`` and ``cp -p`` restore only the first). A top-level module has its
    source root's own files (its working directory at import), not the folders below. Each folder is
    listed once (one ``scandir`` per folder, one ``stat`` per data file).
    """
    sources = {os.path.normpath(os.path.join(root, f.path)) for f in files}
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
                        lines.append(f"{entry.name}/\0-> {os.path.realpath(entry.path)}")
                    continue
                if os.path.normpath(entry.path) in sources:
                    continue
                info = entry.stat()
                lines.append(
                    f"{entry.name}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}"
                )
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
