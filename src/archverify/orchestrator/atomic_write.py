"""Writing files atomically: a reader never sees half a report or half a cache entry."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path


def write_atomic(path: Path, text: str | bytes, *, new_mode: int = 0o666) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path``.

    The rename is atomic on POSIX, so an interrupted run (Ctrl-C) leaves either the old file
    or none, never a partial one. A file that exists keeps its mode (a report a team made
    group-readable stays so); a new one gets ``new_mode`` less the umask, like any file the
    user's shell creates (``new_mode=0o600`` for a private one). ``path`` itself is replaced,
    never written through: a symbolic link there is replaced by the file, its target untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        info = os.lstat(path)
        kept = None if stat.S_ISLNK(info.st_mode) else stat.S_IMODE(info.st_mode)
    except FileNotFoundError:
        kept = None
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    # O_EXCL: the temporary name is new, never a file (or a link) that was already there.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, new_mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            if kept is not None:
                os.fchmod(handle.fileno(), kept)
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def as_written(given: str | Path) -> Path:
    """The file a write to ``given`` reaches, as the kernel walks it: its folder with links
    followed *before* ``..`` applies (``link/../x`` is beside the link's target, not beside the
    link), its last name kept, so that a link there is replaced, never written through.
    Destinations are checked and written through this one path, so the check sees the write."""
    path = Path(given).absolute()
    return path.parent.resolve() / path.name


def resolved_inside(root: Path, path: Path) -> Path | None:
    """``path`` with every symbolic link followed, or None when that leaves ``root``."""
    target = path.resolve()
    return target if target.is_relative_to(root.resolve()) else None
