"""Scratch folders of a run (the import server's, a tool session's): made, removed, and swept.

A step removes its scratch when it returns; what it cannot remove that way is removed on the
exits archverify can catch: a run stopped by Ctrl-C, SIGTERM or SIGHUP leaves with
``os._exit`` (the step threads are not joined, so their ``finally`` never runs) after
``remove_all``; a normal exit runs it from ``atexit``. What no handler sees (SIGKILL, a
crash of the interpreter, a power cut) is swept by the next run: each folder holds a marker
naming its owner (host, pid namespace, pid and the process's start time), and a folder is
removed only when its marker says it is ours (a folder of this user, with our prefix and a
marker we wrote) and its owner is gone. A folder without a marker, of another user, another
host or another pid namespace (a container sharing /tmp), or of an owner that may be alive,
is left alone.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PREFIX = "archverify-"
MARKER = ".archverify-scratch"

_held: set[Path] = set()
_lock = threading.Lock()
_started = {"atexit": False, "swept": False}


def make(kind: str) -> Path:
    """A new private scratch folder ``archverify-<kind>-*`` in the temp folder, marked ours
    and held until ``remove``. The first one of a process sweeps the stale ones first."""
    with _lock:
        if not _started["swept"]:
            _started["swept"] = True
            sweep_stale()
        if not _started["atexit"]:
            _started["atexit"] = True
            atexit.register(remove_all)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-"))
    with _lock:
        _held.add(path)
    (path / MARKER).write_text(json.dumps(_owner(os.getpid())), "utf-8")
    return path


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with _lock:
        _held.discard(path)


@contextmanager
def scratch(kind: str) -> Iterator[Path]:
    """``make``, then ``remove`` however the block ends."""
    path = make(kind)
    try:
        yield path
    finally:
        remove(path)


def remove_all() -> None:
    """Remove every scratch folder this process still holds (at its exit)."""
    with _lock:
        held = sorted(_held)
    for path in held:
        # Twice: a step thread that still runs may have written into it meanwhile.
        for _ in range(2):
            shutil.rmtree(path, ignore_errors=True)
        with _lock:
            _held.discard(path)


def sweep_stale(folder: Path | None = None) -> list[Path]:
    """Remove the scratch folders of owners that are gone; the ones removed."""
    base = Path(tempfile.gettempdir()) if folder is None else folder
    removed: list[Path] = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        if not entry.name.startswith(PREFIX):
            continue
        path = Path(entry.path)
        if _stale(path, uid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _stale(path: Path, uid: int | None) -> bool:
    try:
        info = path.lstat()
        marker = (path / MARKER).lstat()
    except OSError:
        return False  # no marker: not known to be ours
    if not stat.S_ISDIR(info.st_mode) or not stat.S_ISREG(marker.st_mode):
        return False
    if uid is not None and (info.st_uid != uid or marker.st_uid != uid):
        return False
    try:
        owner = json.loads((path / MARKER).read_text("utf-8"))
        pid = int(owner["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    here = _owner(pid)
    if owner.get("host") != here["host"] or owner.get("pid_namespace") != here["pid_namespace"]:
        return False
    if here["pid_namespace"] is None or pid <= 0:
        return False  # no way to tell one process from another here
    if not _alive(pid):
        return True
    # The pid is taken: by the owner, or by a process that reused its number.
    return owner.get("started") is not None and here["started"] not in (None, owner["started"])


def _owner(pid: int) -> dict[str, Any]:
    return {
        "pid": pid,
        "started": _start_time(pid),
        "host": socket.gethostname(),
        "pid_namespace": _pid_namespace(),
    }


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), None where unknown."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text("utf-8")
        return int(text.rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _pid_namespace() -> str | None:
    """Which pid namespace this process sees (Linux), None elsewhere: on a system without
    ``/proc`` a pid cannot be told apart from another container's, so nothing is swept."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
