"""``exclude`` globs over relative posix paths: ``*`` stays in one name, ``**`` crosses folders."""

from __future__ import annotations

import re
from collections.abc import Iterable

from archverify.core.patterns import segment_regex


def glob_regex(pattern: str) -> str:
    """The regex source of one glob; a glob without ``/`` matches a name at any depth."""
    glob = pattern.strip().replace("\\", "/")
    while glob.startswith("./"):
        glob = glob[2:]
    glob = glob.rstrip("/") or "**"
    anywhere = "/" not in glob
    parts: list[str] = []
    segments = glob.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            # ``a/**`` also matches ``a`` itself, so that the folder is pruned as a whole.
            if last:
                parts.append("(?:/.*)?" if parts else ".*")
            else:
                parts.append("(?:.*/)?" if not parts else "/(?:.*/)?")
            continue
        if parts and not parts[-1].endswith("/)?"):
            parts.append("/")
        parts.append(segment_regex(segment, "/"))
    body = "".join(parts).replace("/(?:.*/)?/", "/(?:.*/)?")
    return f"(?:.*/)?{body}" if anywhere else body


class PathGlobs:
    """A set of globs compiled into one regex; ``matches`` takes a path relative to the root."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(p for p in patterns if p.strip())
        combined = "|".join(f"(?:{glob_regex(p)})" for p in self.patterns)
        self._regex = re.compile(combined) if combined else None

    def matches(self, path: str) -> bool:
        return self._regex is not None and self._regex.fullmatch(path) is not None
