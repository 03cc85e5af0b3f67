"""A project on disk for a test: write its files, take a digest of everything below a folder."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

CACHE_FOLDER = ".archverify_cache"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) below ``root`` and return ``root``."""
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def tree_digest(root: Path, *, skip: Iterable[str] = (CACHE_FOLDER,)) -> dict[str, str]:
    """Every entry below ``root`` (links not followed) by content and mode, ``skip`` left out.

    Symlinks are recorded by their target, folders by their mode, files by mode and sha256.
    """
    skipped = set(skip)
    digest: dict[str, str] = {}
    if not root.exists():
        return digest
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir.parts and rel_dir.parts[0] in skipped:
            continue
        dirnames[:] = [d for d in dirnames if not (not rel_dir.parts and d in skipped)]
        for name in [*dirnames, *filenames]:
            if not rel_dir.parts and name in skipped:
                continue
            path = Path(dirpath) / name
            rel = (rel_dir / name).as_posix()
            info = path.lstat()
            mode = oct(stat.S_IMODE(info.st_mode))
            if stat.S_ISLNK(info.st_mode):
                digest[rel] = f"link -> {os.readlink(path)}"
            elif stat.S_ISDIR(info.st_mode):
                digest[rel] = f"dir {mode}"
            else:
                digest[rel] = f"file {mode} {hashlib.sha256(path.read_bytes()).hexdigest()}"
    return digest
