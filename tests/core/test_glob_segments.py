"""One shell-wildcard translator for dotted patterns and path globs, equal to fnmatch in a name."""

from __future__ import annotations

import fnmatch
import itertools

import pytest

from archverify.core.path_globs import PathGlobs
from archverify.core.patterns import matches_dotted

# Bracket edge cases are where two hand-written translators used to differ.
# (A backslash is left out: in an exclude glob it is a Windows folder separator.)
SEGMENTS = ["a*", "?b", "[ab]c", "[!ab]c", "[]a]", "[!]a]", "[!]", "[a-c]x", "x[", "[^a]", "[&~]"]
NAMES = ["ab", "bb", "ac", "cc", "]", "a", "!", "bx", "x[", "^", "&", "~", "ax", "dc", "[!]"]


@pytest.mark.parametrize("segment", SEGMENTS)
def test_a_segment_matches_a_name_as_fnmatch_does_in_both_kinds(segment: str) -> None:
    globs = PathGlobs([f"top/{segment}"])
    for name in NAMES:
        expected = fnmatch.fnmatchcase(name, segment)
        assert globs.matches(f"top/{name}") is expected, (segment, name)
        assert matches_dotted(f"top.{segment}", f"top.{name}") is expected, (segment, name)


def test_a_wildcard_never_crosses_its_separator() -> None:
    for star, name in itertools.product(["*", "?*", "[a-z]*"], ["a/b", "ab/c"]):
        assert not PathGlobs([f"top/{star}"]).matches(f"top/{name}")
        assert not matches_dotted(f"top.{star}", f"top.{name.replace('/', '.')}")
