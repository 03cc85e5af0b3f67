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

A run that changed a few entries (an edit) writes only a *delta* (``facts.delta``): the
entries added since the pack was written, the keys removed, the stat rows changed, and their
segments, tagged like the pack and bound to the pack's own tag. The delta always goes from the
pack to the current state, so it is replaced, never chained; once it holds more than
``1/_DELTA_SHARE`` of the entries the pack is rewritten and the delta removed. A delta that is
damaged, forged or made for another pack (a concurrent run rewrote the pack) is ignored as a
whole: the pack alone is then read, whose entries are keyed by content and whose stat rows are
each true of a past state of their file, so ignoring a delta costs misses, never a wrong hit.

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
DELTA_NAME = "facts.delta"
_LEGACY_PACK = "facts.json"
_FORMAT = "archverify-facts-pack-3"
_DELTA_FORMAT = "archverify-facts-delta-1"
# A run that changed at most this share of a pack's entries (and of its bytes) writes a delta
# beside it instead of the whole pack; more, and the pack is rewritten with the delta folded in.
_DELTA_SHARE = 8
_DELTA_MIN_ENTRIES = 64
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
        self._entries: dict[str, StoredEntry] = {}  # the pack's
        self._stats: StatTable = {}  # the pack's, with the delta's rows applied
        self._buffer = b""
        self._tag: str | None = None  # the loaded pack's tag: what a delta is bound to
        self._pack_stats: StatTable = {}
        self._delta_entries: dict[str, StoredEntry] = {}
        self._delta_buffer = b""
        self._removed: set[str] = set()  # the pack's keys the delta removes
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
            self._stats = self._pack_stats = _stat_table(stats)
            self._buffer = data[stats_end + 1 :]
            self._tag = tag
            self._load_delta()

    def _load_delta(self) -> None:
        if self._file is None or self._tag is None:
            return  # no pack was read: no delta can belong to it
        try:
            data = (self._file.parent / DELTA_NAME).read_bytes()
        except OSError:
            return
        lines = []
        start = 0
        for _ in range(4):
            end = data.find(b"\n", start)
            if end < 0:
                return
            lines.append(data[start:end])
            start = end + 1
        try:
            head = json.loads(lines[0])
            body = data[len(lines[0]) + 1 :]
            expected = {
                "format": _DELTA_FORMAT,
                "stamp": self._stamp,
                "pack": self._tag,
                "size": len(body),
            }
            if not isinstance(head, dict) or any(head.get(k) != v for k, v in expected.items()):
                return  # made for another pack (rewritten since), another version, cut short
            parts = (self._stamp.encode(), self._tag.encode(), body)
            if not self._auth().verify(str(head.get("hmac", "")), _DELTA_FORMAT, *parts):
                return
            entries, removed, rows = (json.loads(line) for line in lines[1:])
        except ValueError:
            return
        if not (
            isinstance(entries, dict)
            and isinstance(removed, list)
            and all(isinstance(key, str) for key in removed)
            and isinstance(rows, dict)
        ):
            return
        stats = dict(self._pack_stats)
        for path in [path for path, row in rows.items() if row is None]:
            stats.pop(path, None)
        stats.update(_stat_table({path: row for path, row in rows.items() if row is not None}))
        self._delta_entries, self._removed, self._stats = entries, set(removed), stats
        self._delta_buffer = data[start:]

    def has_entries(self) -> bool:
        """Whether any lookup can hit (so a caller knows if hashing files first is worth it)."""
        if not self._loaded:
            self.load()
        return bool(self._entries) or bool(self._delta_entries)

    def get(self, key: str) -> FileFacts | None:
        if not self._loaded:
            self.load()
        entry, buffer = self._delta_entries.get(key), self._delta_buffer
        if entry is None:
            entry, buffer = (None if key in self._removed else self._entries.get(key)), self._buffer
        if entry is None:
            return None
        try:
            return decode(entry, buffer)
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
        # From the pack unchanged: the entries a delta need not hold.
        kept = {
            key
            for key, facts in current.items()
            if key in self._entries and packed_buffer(facts) is self._buffer
        }
        added = {key: facts for key, facts in current.items() if key not in kept}
        removed = self._entries.keys() - kept
        if (
            added.keys() == self._delta_entries.keys()
            and removed == self._removed
            and stats == self._stats
            and all(packed_buffer(facts) is self._delta_buffer for facts in added.values())
        ):
            return  # every file came from this very pack (and delta), seen as before
        if (
            self._tag is not None
            and len(self._entries) >= _DELTA_MIN_ENTRIES
            and (len(added) + len(removed)) * _DELTA_SHARE <= len(self._entries)
            and self._write_delta(added, removed, stats)
        ):
            return
        table = {path: [*stat, digest] for path, (stat, digest) in stats.items()}
        body = self._body(current, json.dumps(table, separators=(",", ":")).encode())
        head = json.dumps(self._head(body), separators=(",", ":")).encode()
        try:
            write_atomic(self._file, head + b"\n" + body)
            # The delta belonged to the pack just replaced; the pack's earlier JSON form:
            # nothing reads either any more, so do not leave them behind.
            (self._file.parent / DELTA_NAME).unlink(missing_ok=True)
            (self._file.parent / _LEGACY_PACK).unlink(missing_ok=True)
        except OSError:
            return

    def _write_delta(
        self, added: Mapping[str, FileFacts], removed: set[str], stats: StatTable
    ) -> bool:
        """Write the delta from the loaded pack to this state; False when it would be too
        big (the pack is then rewritten)."""
        if self._file is None or self._tag is None:
            return False  # no pack to write a delta against: the pack is written whole
        rows: dict[str, list[Any] | None] = {
            path: [*stat, digest]
            for path, (stat, digest) in stats.items()
            if self._pack_stats.get(path) != (stat, digest)
        }
        rows.update((path, None) for path in self._pack_stats.keys() - stats.keys())
        removed_line = json.dumps(sorted(removed), separators=(",", ":")).encode()
        rows_line = json.dumps(rows, separators=(",", ":")).encode()
        body = self._body(added, removed_line + b"\n" + rows_line)
        if len(body) * _DELTA_SHARE > len(self._buffer):
            return False
        parts = (self._stamp.encode(), self._tag.encode(), body)
        head = {
            "format": _DELTA_FORMAT,
            "stamp": self._stamp,
            "pack": self._tag,
            "size": len(body),
            "hmac": self._auth().tag(_DELTA_FORMAT, *parts),
        }
        try:
            write_atomic(
                self._file.parent / DELTA_NAME,
                json.dumps(head, separators=(",", ":")).encode() + b"\n" + body,
            )
        except OSError:
            pass  # no delta: the next run reads the pack alone (misses, never a wrong hit)
        return True

    @staticmethod
    def _body(current: Mapping[str, FileFacts], middle: bytes) -> bytes:
        """The JSON index of ``current``, the lines ``middle``, the segments."""
        index: dict[str, Entry] = {}
        segments: list[bytes] = []
        offset = 0
        for key, facts in current.items():
            entry, segment = encode(facts)
            index[key] = entry._replace(start=offset)
            offset += len(segment)
            segments.append(segment)
        index_line = json.dumps(index, separators=(",", ":")).encode()
        return b"\n".join([index_line, middle, b"".join(segments)])

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
