"""The per-file facts cache: one pack in the cache folder, keyed by content.

An entry is keyed by the file's content hash together with its path and module name (relative
imports resolve against the module), so a moved file is parsed again. The pack as a whole is
stamped with archverify's version, the facts schema and the Python version: a pack written by
another version, or one that does not parse, is ignored and rewritten, never trusted.

The pack is private and built for a fast warm run: a first line with the stamp and a checksum,
a second with the JSON index of entries, then the facts' segments (``facts_pack``), which are
decoded only when a step reads them. The checksum is an HMAC tag (``cache.auth``) over the stamp,
the index and the segments: a truncated or edited pack, or one a repository ships (forged facts
would hide a call from the purity step), is ignored as a whole. The pack is replaced atomically,
so a concurrent run reads the old pack or the new one.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archverify.core.facts import FACTS_SCHEMA, FileFacts
from archverify.core.facts_pack import Entry, StoredEntry, decode, encode, packed_buffer
from archverify.executors.runtime.environment import archverify_identity
from archverify.orchestrator.atomic_write import write_atomic
from archverify.orchestrator.cache.auth import CacheAuth, default_auth

PACK_NAME = "facts.pack"
_LEGACY_PACK = "facts.json"
_FORMAT = "archverify-facts-pack-2"


def cache_stamp() -> str:
    """What makes cached data comparable: archverify's version and code, the facts schema,
    Python's version (the AST and the compiler's messages change between Python versions)."""
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return f"archverify-{archverify_identity()}-facts{FACTS_SCHEMA}-py{python}"


def facts_key(content_hash: str, path: str, module: str, is_package: bool) -> str:
    text = f"{content_hash}\0{path}\0{module}\0{int(is_package)}"
    return hashlib.sha256(text.encode()).hexdigest()


class FactsCache:
    """The pack of one cache folder (None: remember nothing). ``auth`` tags and checks the
    pack (default: this process's secret, ``default_auth``)."""

    def __init__(self, cache_dir: Path | None, stamp: str, auth: CacheAuth | None = None) -> None:
        self._file = cache_dir / PACK_NAME if cache_dir is not None else None
        self._stamp = stamp
        self._given_auth = auth
        self._entries: dict[str, StoredEntry] = {}
        self._buffer = b""
        self._loaded = False

    def load(self) -> None:
        self._loaded = True
        if self._file is None or not self._auth().usable:
            return
        try:
            data = self._file.read_bytes()
        except OSError:
            return
        head_end = data.find(b"\n")
        index_end = data.find(b"\n", head_end + 1)
        if head_end < 0 or index_end < 0:
            return
        try:
            head = json.loads(data[:head_end])
            body = data[head_end + 1 :]
            expected = {"format": _FORMAT, "stamp": self._stamp, "size": len(body)}
            if not isinstance(head, dict) or any(head.get(k) != v for k, v in expected.items()):
                return  # another version's pack, or cut short
            tag = str(head.get("hmac", ""))
            if not self._auth().verify(tag, _FORMAT, self._stamp.encode(), body):
                return  # not written under this secret (shipped, copied or edited)
            entries = json.loads(data[head_end + 1 : index_end])
        except ValueError:
            return
        if isinstance(entries, dict):
            self._entries = entries
            self._buffer = data[index_end + 1 :]

    def has_entries(self) -> bool:
        """Whether any lookup can hit (so a caller knows if hashing files first is worth it)."""
        if not self._loaded:
            self.load()
        return bool(self._entries)

    def get(self, key: str) -> FileFacts | None:
        if not self._loaded:
            self.load()
        entry = self._entries.get(key)
        if entry is None:
            return None
        try:
            return decode(entry, self._buffer)
        except (TypeError, ValueError):
            # A malformed entry: parse the file again.
            return None

    def save(self, current: Mapping[str, FileFacts]) -> None:
        """Keep exactly the entries of this run's files, so the pack never grows stale."""
        if self._file is None or not self._auth().usable:
            return
        if current.keys() == self._entries.keys() and all(
            packed_buffer(facts) is self._buffer for facts in current.values()
        ):
            return  # every file came from this very pack: nothing to write
        index: dict[str, Entry] = {}
        segments: list[bytes] = []
        offset = 0
        for key, facts in current.items():
            entry, segment = encode(facts)
            index[key] = entry._replace(start=offset)
            offset += len(segment)
            segments.append(segment)
        body = json.dumps(index, separators=(",", ":")).encode() + b"\n" + b"".join(segments)
        head = json.dumps(self._head(body), separators=(",", ":")).encode()
        try:
            write_atomic(self._file, head + b"\n" + body)
            # The pack's earlier JSON form: nothing reads it any more, so do not leave it behind.
            (self._file.parent / _LEGACY_PACK).unlink(missing_ok=True)
        except OSError:
            return

    def _auth(self) -> CacheAuth:
        # Read only when a pack is used: runs without a cache folder need no secret.
        return default_auth() if self._given_auth is None else self._given_auth

    def _head(self, body: bytes) -> dict[str, Any]:
        tag = self._auth().tag(_FORMAT, self._stamp.encode(), body)
        return {"format": _FORMAT, "stamp": self._stamp, "size": len(body), "hmac": tag}
