"""Dotted-name wildcard patterns: ``pathlib.Path.read_*``, ``requests.**``, ``**.adapters``.

A pattern is split on ``.`` into segments. ``**`` matches zero or more whole segments; any
other segment is a case-sensitive shell wildcard (``*``, ``?``, ``[seq]``, ``[!seq]``) that
never crosses a dot. Patterns are compiled to regular expressions once and cached, because a
run asks thousands of names against about a hundred patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from archverify.core.facts import CallFact

_ANY_SEGMENTS = "**"
_SEGMENT = r"[^.]+"
# Escaped inside a character class so that a member never reads as regex set syntax.
_SET_SPECIALS = frozenset("\\^[]&~|")


def validate_pattern(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable dotted pattern, or None when it is."""
    if not pattern:
        return "empty pattern"
    if pattern != pattern.strip():
        return f"pattern {pattern!r} has surrounding whitespace"
    for segment in pattern.split("."):
        if not segment:
            return f"pattern {pattern!r} has an empty segment"
        if "**" in segment and segment != _ANY_SEGMENTS:
            return f"pattern {pattern!r}: '**' must be a whole segment"
    try:
        re.compile(_pattern_regex(pattern))
    except re.error as exc:
        # A reversed range such as ``[z-a]``.
        return f"pattern {pattern!r} is malformed: {exc}"
    return None


def segment_regex(segment: str, separator: str) -> str:
    """The regex source of one shell-wildcard segment that never crosses ``separator``.

    ``*`` and ``?`` stay inside one name (``fnmatch.translate`` lets them cross it); brackets
    follow fnmatch: ``[!seq]`` negates, a leading ``]`` is a member, an unclosed ``[`` is a
    literal. Shared by dotted patterns (``.``) and the ``exclude`` path globs (``/``).
    """
    out: list[str] = []
    i, n = 0, len(segment)
    while i < n:
        char = segment[i]
        i += 1
        if char == "*":
            out.append(f"[^{separator}]*")
        elif char == "?":
            out.append(f"[^{separator}]")
        elif char == "[":
            start = i
            if start < n and segment[start] == "!":
                start += 1
            if start < n and segment[start] == "]":
                start += 1  # a leading "]" is a member, not the end
            end = segment.find("]", start)
            if end < 0:
                # An unclosed bracket is a literal, as in fnmatch.
                out.append(re.escape(char))
                continue
            body = segment[i:end]
            i = end + 1
            negate = body.startswith("!")
            if negate:
                body = body[1:]
            members = "".join("\\" + c if c in _SET_SPECIALS else c for c in body)
            out.append(f"[^{separator}{members}]" if negate else f"[{members}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def _pattern_regex(pattern: str) -> str:
    """The regex source (without anchors) of one validated pattern."""
    parts: list[str] = []
    emitted = False  # a concrete segment was written, so the next one needs a separator
    pending_any = False  # a ``**`` sits at the very start and must prefix the next segment
    previous_any = False
    for segment in pattern.split("."):
        if segment == _ANY_SEGMENTS:
            if previous_any:
                continue
            previous_any = True
            if emitted:
                parts.append(rf"(?:\.{_SEGMENT})*")
            else:
                pending_any = True
            continue
        previous_any = False
        if emitted:
            parts.append(r"\.")
        elif pending_any:
            parts.append(rf"(?:{_SEGMENT}\.)*")
        parts.append(segment_regex(segment, "."))
        emitted = True
    if not emitted:
        # Only ``**``: any non-empty dotted name.
        return rf"{_SEGMENT}(?:\.{_SEGMENT})*"
    return "".join(parts)


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    problem = validate_pattern(pattern)
    if problem is not None:
        raise ValueError(problem)
    return re.compile(_pattern_regex(pattern))


def matches_dotted(pattern: str, name: str) -> bool:
    """True when the dotted ``name`` matches ``pattern``.

    Raises ``ValueError`` for a malformed pattern (empty, empty segment, ``a**`` segment).
    """
    return _compiled(pattern).fullmatch(name) is not None


def _first_literal(pattern: str) -> str | None:
    first = pattern.split(".", 1)[0]
    if any(char in first for char in "*?["):
        return None
    return first


class NamePatterns:
    """An ordered list of dotted patterns, compiled once.

    ``match`` returns the first pattern, in the given order, that matches a name. Patterns are
    grouped by their literal first segment so that a name is tried against one combined
    regex of the patterns that can possibly match it, and answers are remembered per name.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns: tuple[str, ...] = tuple(patterns)
        for pattern in self.patterns:
            problem = validate_pattern(pattern)
            if problem is not None:
                raise ValueError(problem)
        wild = [i for i, p in enumerate(self.patterns) if _first_literal(p) is None]
        buckets: dict[str, list[int]] = {}
        for index, pattern in enumerate(self.patterns):
            first = _first_literal(pattern)
            if first is not None:
                buckets.setdefault(first, []).append(index)
        self._by_first: dict[str, re.Pattern[str] | None] = {
            first: self._combine(sorted(indexes + wild)) for first, indexes in buckets.items()
        }
        self._fallback = self._combine(wild)
        self._memo: dict[str, str | None] = {}

    def _combine(self, indexes: list[int]) -> re.Pattern[str] | None:
        if not indexes:
            return None
        # Alternatives are tried in order, so the first listed pattern wins; the group name
        # carries its index back.
        source = "|".join(f"(?P<p{i}>{_pattern_regex(self.patterns[i])})" for i in indexes)
        return re.compile(source)

    def match(self, name: str) -> str | None:
        """The first pattern that matches ``name``, or None."""
        if name in self._memo:
            return self._memo[name]
        regex = self._by_first.get(name.split(".", 1)[0], self._fallback)
        found: str | None = None
        if regex is not None and name:
            hit = regex.fullmatch(name)
            if hit is not None and hit.lastgroup is not None:
                found = self.patterns[int(hit.lastgroup[1:])]
        self._memo[name] = found
        return found

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def __len__(self) -> int:
        return len(self.patterns)

    def __repr__(self) -> str:
        return f"NamePatterns({list(self.patterns)!r})"


class CallPatterns:
    """Forbidden-call patterns matched against one call site's written and resolved names.

    A dotted pattern (``json.load``, ``requests.**``) matches the resolved qualname only, so
    an unresolvable ``self.load()`` never matches it. A bare pattern without dots
    (``connect``, ``get_*``) matches the callee's last name as written or as resolved, so it
    also catches ``x.connect()`` and an aliased ``from db import connect as c; c()``.
    A bare name listed in ``builtin_names`` means that builtin (``open`` -> ``builtins.open``).
    """

    def __init__(
        self, patterns: Iterable[str], builtin_names: frozenset[str] = frozenset()
    ) -> None:
        self.patterns: tuple[str, ...] = tuple(patterns)
        self._order: dict[str, int] = {}
        dotted: list[str] = []
        self._dotted_source: dict[str, str] = {}
        bare: list[str] = []
        for index, pattern in enumerate(self.patterns):
            self._order.setdefault(pattern, index)
            if "." in pattern or pattern == _ANY_SEGMENTS:
                dotted.append(pattern)
                self._dotted_source.setdefault(pattern, pattern)
            elif pattern in builtin_names:
                resolved = f"builtins.{pattern}"
                dotted.append(resolved)
                self._dotted_source.setdefault(resolved, pattern)
            else:
                bare.append(pattern)
        self._dotted = NamePatterns(dotted)
        self._bare = NamePatterns(bare)

    def forbidden_calls(self, calls: Iterable[CallFact]) -> Iterator[tuple[CallFact, str]]:
        """Each call that a pattern forbids, with the first pattern that does."""
        for call in calls:
            pattern = self.match(call.name, call.qualname)
            if pattern is not None:
                yield call, pattern

    def match(self, name: str, qualname: str) -> str | None:
        """The first configured pattern that forbids this call, or None."""
        hits: list[str] = []
        if qualname:
            found = self._dotted.match(qualname)
            if found is not None:
                hits.append(self._dotted_source[found])
        if self._bare:
            for candidate in (name, qualname.rsplit(".", 1)[-1]):
                found = self._bare.match(candidate) if candidate else None
                if found is not None:
                    hits.append(found)
        if not hits:
            return None
        return min(hits, key=self._order.__getitem__)

    def __bool__(self) -> bool:
        return bool(self.patterns)
