"""The per-file facts cache: one JSON pack in the cache folder, keyed by content.

An entry is keyed by the file's content hash together with its path and module name (relative
imports resolve against the module), so a moved file is parsed again. The pack as a whole is
stamped with archverify's version, the facts schema and the Python version: a pack written by
another version, or one that does not parse, is ignored and rewritten, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archverify import __version__
from archverify.core.facts import FACTS_SCHEMA, FileFacts
from archverify.orchestrator.outputs import write_atomic

PACK_NAME = "facts.json"


def cache_stamp() -> str:
    """What makes cached data comparable: archverify's version, the facts schema, Python's
    version (the AST and the compiler's messages change between Python versions)."""
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return f"archverify-{__version__}-facts{FACTS_SCHEMA}-py{python}"


def facts_key(content_hash: str, path: str, module: str, is_package: bool) -> str:
    text = f"{content_hash}\0{path}\0{module}\0{int(is_package)}"
    return hashlib.sha256(text.encode()).hexdigest()


class FactsCache:
    def __init__(self, cache_dir: Path | None, stamp: str) -> None:
        self._file = cache_dir / PACK_NAME if cache_dir is not None else None
        self._stamp = stamp
        self._entries: dict[str, dict[str, Any]] = {}
        self._loaded = False

    def load(self) -> None:
        self._loaded = True
        if self._file is None:
            return
        try:
            pack = json.loads(self._file.read_bytes())
        except (OSError, ValueError):
            return
        if not isinstance(pack, dict) or pack.get("stamp") != self._stamp:
            return
        entries = pack.get("entries")
        if isinstance(entries, dict):
            self._entries = entries

    def get(self, key: str) -> FileFacts | None:
        if not self._loaded:
            self.load()
        raw = self._entries.get(key)
        if raw is None:
            return None
        try:
            return FileFacts.from_dict(raw)
        except (KeyError, TypeError, ValueError):
            # A hand-edited or truncated entry: parse the file again.
            return None

    def save(self, current: Mapping[str, FileFacts]) -> None:
        """Keep exactly the entries of this run's files, so the pack never grows stale."""
        if self._file is None:
            return
        entries = {
            key: self._entries[key] if key in self._entries else facts.to_dict()
            for key, facts in current.items()
        }
        if entries == self._entries:
            return
        pack = {"stamp": self._stamp, "entries": entries}
        try:
            write_atomic(self._file, json.dumps(pack, separators=(",", ":")))
        except OSError:
            return
