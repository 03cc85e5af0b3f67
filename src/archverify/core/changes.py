"""What ``--changed-since REF`` calls changed: files and the line ranges of their new text.

A file is changed when its text in the working tree differs from its text at the merge-base of
REF and HEAD: committed, staged and unstaged edits and untracked files (not ignored) alike. Its
ranges are the lines of today's text that the change wrote (inserted or replaced lines); a new
file is changed as a whole. A file the change deleted has no lines today: nothing points into it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The ranges of a file changed as a whole (new, untracked, or its old text unreadable).
WHOLE: tuple[tuple[int, int], ...] = ((1, 2**31),)


@dataclass(frozen=True)
class ChangeSet:
    """Changed files (relative to the verified root) with their 1-based inclusive line ranges.

    ``ref`` is what the user named, ``commit`` what it resolved to, ``base`` the merge-base of
    that commit and HEAD, which the working tree is compared with.
    """

    ref: str
    commit: str
    base: str
    files: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def touches(self, path: str, line: int = 0) -> bool:
        """Whether the change wrote ``line`` of ``path`` (any line of it when ``line`` is 0)."""
        ranges = self.files.get(path)
        if ranges is None:
            return False
        if line <= 0:
            return True
        return any(start <= line <= end for start, end in ranges)

    def summary(self) -> dict[str, Any]:
        """What the JSON report records as ``summary.changed_since``."""
        return {
            "ref": self.ref,
            "commit": self.commit,
            "merge_base": self.base,
            "changed_files": len(self.files),
        }

    def to_dict(self) -> dict[str, Any]:
        """The whole change, files and ranges too (a shard's partial carries it to the merge)."""
        return {
            "ref": self.ref,
            "commit": self.commit,
            "merge_base": self.base,
            "files": {path: [list(r) for r in ranges] for path, ranges in self.files.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChangeSet:
        """What ``to_dict`` wrote; ``ValueError``/``KeyError``/``TypeError`` when it is not."""
        files = {
            str(path): tuple((int(start), int(end)) for start, end in ranges)
            for path, ranges in dict(data["files"]).items()
        }
        return cls(str(data["ref"]), str(data["commit"]), str(data["merge_base"]), files)


def changed_lines(old: str, new: str) -> tuple[tuple[int, int], ...]:
    """The lines of ``new`` that are not in ``old`` (inserted or replaced), as merged ranges.

    Line ends are not compared: a file whose only change is CRLF for LF has no changed line.
    """
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    ranges: list[tuple[int, int]] = []
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert") and j2 > j1:
            ranges.append((j1 + 1, j2))
    return tuple(_merged(ranges))


def _merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
