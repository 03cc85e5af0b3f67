"""The key-value cache behind step replay and per-file tool results, kept in the cache folder.

Every entry is a JSON file written atomically. A corrupted or foreign entry reads as a miss and
is overwritten by the next ``put``: the cache is never trusted over a fresh run.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from archverify.orchestrator.outputs import write_atomic

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class DirectoryCache:
    """``get``/``put`` JSON values under ``<cache_dir>/kv/<namespace>/``."""

    def __init__(self, cache_dir: Path, stamp: str) -> None:
        self._base = cache_dir / "kv"
        # The stamp (archverify and Python versions) is stored in each entry; a mismatch is a miss.
        self._stamp = stamp

    def _path(self, namespace: str, key: str) -> Path:
        name = key if _SAFE.match(key) else hashlib.sha256(key.encode()).hexdigest()
        space = namespace if _SAFE.match(namespace) else "other"
        return self._base / space / name[:2] / f"{name}.json"

    def get(self, namespace: str, key: str) -> Any | None:
        try:
            raw = self._path(namespace, key).read_bytes()
            entry = json.loads(raw)
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("stamp") != self._stamp:
            return None
        if entry.get("key") != key:
            return None
        return entry.get("value")

    def put(self, namespace: str, key: str, value: Any) -> None:
        entry = {"stamp": self._stamp, "key": key, "value": value}
        try:
            write_atomic(self._path(namespace, key), json.dumps(entry, separators=(",", ":")))
        except OSError:
            # A read-only or full disk must not fail the run: the cache is an optimisation.
            return
