"""The per-file facts cache: one pack in the cache folder, keyed by content.

An entry is keyed by the file's content hash together with its path and module name (relative
imports resolve against the module), so a moved file is parsed again. The pack as a whole is
stamped with archverify's version, the facts schema and the Python version: a pack written by
another version, or one that does not parse, is ignored and rewritten, never trusted.

The pack is private and built for a fast warm run: a first line with the stamp and a checksum,
a second with the JSON index of entries, a third with the recorded stat of each file (below),
then the facts' segments (``facts_pack``), which are decoded only when a step reads them.
The checksum is an HMAC tag (``cache.auth``) over the stamp,
the index and the segments: a truncated or edited pack, or one a repository ships (forged facts
would hide a call from the purity step), is ignored as a whole. The pack is replaced atomically,
so a concurrent run reads the old pack or the new one.

Stat first: beside each file's content hash the pack keeps the file's ``FileStat`` (size,
mtime_ns, ctime_ns, inode, device) as it was *before* the file was read. A later run whose
``os.stat`` of the file gives the same five numbers takes the hash from the pack and does not
read the file. The rule that keeps this exact, and its limits (``recordable``):

- ctime is in the stat because no program can set it: ``os.utime`` (or ``touch -d``, ``tar``,
  ``rsync -t``) restores an mtime, but every write, ``utime`` or rename sets the ctime to the
  kernel's clock at that moment. An edit that keeps the size and restores the mtime is seen.
- A stat is recorded only when both its mtime and ctime are more than ``RACY_NS`` older than
  the run's start (git's "racy git" rule, with a margin): a file changed in the same second as
  the run that saw it, on a filesystem whose timestamps are coarse (1 s on ext3 and HFS+, 2 s on
  FAT) or from the kernel's coarse clock (which lags ``time.time_ns()`` by a tick), could get the
  very same timestamps again. Such a file is read and hashed on the next run too, and recorded
  then, once it is old enough. After its recording, any change sets a ctime at least the run's
  start minus one tick, which cannot equal a recorded ctime older than that minus ``RACY_NS``.
- Limits: the clock set back by more than ``RACY_NS`` (by root), a filesystem that does not
  update ctime on writes (some FUSE and network filesystems; an NFS server whose clock is more
  than ``RACY_NS`` behind), or raw writes to the block device. ``--no-cache`` reads every file.
"""

from __future__ import annotations

import hashlib
import json
import os
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
_FORMAT = "archverify-facts-pack-3"
# How much older than the run's start a file's mtime and ctime must be for its stat to be
# recorded (see the module's docstring): FAT's 2 s timestamps are the coarsest in use.
RACY_NS = 2_000_000_000

# (size, mtime_ns, ctime_ns, inode, device), taken before the file is read.
FileStat = tuple[int, int, int, int, int]
# A file's path -> its stat and the hash of the content read after that stat.
StatTable = dict[str, tuple[FileStat, str]]


def file_stat(info: os.stat_result) -> FileStat:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def recordable(stat: FileStat, started_ns: int) -> bool:
    """Whether ``stat``, taken by a run that started at ``started_ns``, may be trusted later:
    neither its mtime nor its ctime falls within ``RACY_NS`` of the start (or after it)."""
    return max(stat[1], stat[2]) < started_ns - RACY_NS


def cache_stamp() -> str:
    """What makes cached data comparable: archverify's version and code, the facts schema,
    Python's version (the AST and the compiler's messages change between Python versions)."""
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return f"archverify-{archverify_identity()}-facts{FACTS_SCHEMA}-py{python}"


def facts_key(
    content_hash: str, path: str, module: str, is_package: bool, *, api: bool = True
) -> str:
    """The pack's key of a file's facts; ``api=False`` for facts without the public API (a run
    that no step needing it is part of), which a run that needs it does not take."""
    text = f"{content_hash}\0{path}\0{module}\0{int(is_package)}" + ("" if api else "\0no-api")
    return hashlib.sha256(text.encode()).hexdigest()


class FactsCache:
    """The pack of one cache folder (None: remember nothing). ``auth`` tags and checks the
    pack (default: this process's secret, ``default_auth``)."""

    def __init__(self, cache_dir: Path | None, stamp: str, auth: CacheAuth | None = None) -> None:
        self._file = cache_dir / PACK_NAME if cache_dir is not None else None
        self._stamp = stamp
        self._given_auth = auth
        self._entries: dict[str, StoredEntry] = {}
        self._stats: StatTable = {}
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
        stats_end = data.find(b"\n", index_end + 1)
        if head_end < 0 or index_end < 0 or stats_end < 0:
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
            stats = json.loads(data[index_end + 1 : stats_end])
        except ValueError:
            return
        if isinstance(entries, dict) and isinstance(stats, dict):
            self._entries = entries
            self._stats = _stat_table(stats)
            self._buffer = data[stats_end + 1 :]

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

    def known_hash(self, path: str, stat: FileStat) -> str | None:
        """The content hash recorded for ``path`` when its stat was exactly ``stat``."""
        if not self._loaded:
            self.load()
        recorded = self._stats.get(path)
        return recorded[1] if recorded is not None and recorded[0] == stat else None

    def save(self, current: Mapping[str, FileFacts], stats: StatTable | None = None) -> None:
        """Keep exactly the entries of this run's files, so the pack never grows stale, and
        ``stats``, the recordable stats of this run's files (see ``recordable``)."""
        if self._file is None or not self._auth().usable:
            return
        stats = {} if stats is None else stats
        if (
            current.keys() == self._entries.keys()
            and stats == self._stats
            and all(packed_buffer(facts) is self._buffer for facts in current.values())
        ):
            return  # every file came from this very pack, seen as before: nothing to write
        index: dict[str, Entry] = {}
        segments: list[bytes] = []
        offset = 0
        for key, facts in current.items():
            entry, segment = encode(facts)
            index[key] = entry._replace(start=offset)
            offset += len(segment)
            segments.append(segment)
        table = {path: [*stat, digest] for path, (stat, digest) in stats.items()}
        body = b"\n".join(
            [
                json.dumps(index, separators=(",", ":")).encode(),
                json.dumps(table, separators=(",", ":")).encode(),
                b"".join(segments),
            ]
        )
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


def _stat_table(raw: dict[str, Any]) -> StatTable:
    """The stat line of a pack; a malformed row is left out (its file is read)."""
    table: StatTable = {}
    for path, row in raw.items():
        if (
            isinstance(row, list)
            and len(row) == 6
            and all(isinstance(n, int) for n in row[:5])
            and isinstance(row[5], str)
        ):
            table[path] = ((row[0], row[1], row[2], row[3], row[4]), row[5])
    return table
