"""The key-value cache behind step replay and per-file tool results, kept in the cache folder.

Every entry is a file written atomically (a concurrent reader sees the old entry or the new
one, never half of one): a first line with the entry's HMAC tag (``cache.auth``) over the
namespace, the key and the body, then the JSON body. An entry whose tag does not verify (shipped
by a repository, written under another secret, damaged, or of an older format) reads as a miss
and is overwritten by the next ``put``: the cache is never trusted over a fresh run.

Keys and values hold no absolute path of the verified folder (``core.rerooting``): ``put``
stores the root as a mark and ``get`` puts the current root back, so a cache folder copied to
another checkout (a CI runner restoring it) replays there with that checkout's paths.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from archverify.core.rerooting import rerooted, unrooted, unrooted_text
from archverify.orchestrator.atomic_write import write_atomic
from archverify.orchestrator.cache.auth import CacheAuth, default_auth

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_DOMAIN = "archverify-kv-1"


class DirectoryCache:
    """``get``/``put`` JSON values under ``<cache_dir>/kv/<namespace>/``.

    ``auth`` tags and checks the entries (default: this process's secret, ``default_auth``).
    ``root``, the verified folder, is stored as a mark in keys and values (see the module).
    """

    def __init__(
        self,
        cache_dir: Path,
        stamp: str,
        auth: CacheAuth | None = None,
        root: Path | None = None,
    ) -> None:
        self._base = cache_dir / "kv"
        self._root = "" if root is None else str(root)
        self._roots = (
            () if root is None else tuple(dict.fromkeys([str(root), os.path.realpath(root)]))
        )
        # The stamp (archverify and Python versions) is stored in each entry; a mismatch is a miss.
        self._stamp = stamp
        self._auth = default_auth() if auth is None else auth

    def _path(self, namespace: str, key: str) -> Path:
        name = key if _SAFE.match(key) else hashlib.sha256(key.encode()).hexdigest()
        space = namespace if _SAFE.match(namespace) else "other"
        return self._base / space / name[:2] / f"{name}.json"

    def _holds_root(self, value: Any) -> bool:
        """Whether ``value`` may hold the root or a NUL (one text search, not a walk)."""
        if not self._roots:
            return False
        text = json.dumps(value, ensure_ascii=False, default=str)
        # Each spelling as JSON writes it inside a string (quotes and backslashes escaped).
        needles = ["\\u0000", *(json.dumps(r, ensure_ascii=False)[1:-1] for r in self._roots)]
        return any(needle in text for needle in needles)

    def get(self, namespace: str, key: str) -> Any | None:
        if not self._auth.usable:
            return None
        key = unrooted_text(key, self._roots)
        try:
            raw = self._path(namespace, key).read_bytes()
        except OSError:
            return None
        tag, _, body = raw.partition(b"\n")
        if not self._auth.verify(tag, _DOMAIN, namespace.encode(), key.encode(), body):
            return None
        try:
            entry = json.loads(body)
        except ValueError:
            return None
        if not isinstance(entry, dict) or entry.get("stamp") != self._stamp:
            return None
        if entry.get("key") != key:
            return None
        value = entry.get("value")
        # JSON writes the mark's NUL as \u0000: an entry without one has nothing to re-root.
        return rerooted(value, self._root) if self._roots and b"\\u0000" in body else value

    def put(self, namespace: str, key: str, value: Any) -> None:
        if not self._auth.usable:
            return  # an entry nobody may trust is not worth writing
        key = unrooted_text(key, self._roots)
        if self._holds_root(value):
            value = unrooted(value, self._roots)
        entry = {"stamp": self._stamp, "key": key, "value": value}
        body = json.dumps(entry, separators=(",", ":")).encode()
        tag = self._auth.tag(_DOMAIN, namespace.encode(), key.encode(), body)
        try:
            write_atomic(self._path(namespace, key), tag.encode() + b"\n" + body)
        except OSError:
            # A read-only or full disk must not fail the run: the cache is an optimisation.
            return
