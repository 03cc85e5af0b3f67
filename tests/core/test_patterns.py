"""Dotted-name wildcard patterns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archverify.core.config import BUILTIN_IO_NAMES, DEFAULT_FORBIDDEN_CALLS
from archverify.core.patterns import CallPatterns, NamePatterns, matches_dotted, validate_pattern
from archverify.core.project import in_package


@pytest.mark.parametrize(
    ("pattern", "name"),
    [
        ("json.load", "json.load"),
        ("requests.**", "requests"),
        ("requests.**", "requests.get"),
        ("requests.**", "requests.Session.get"),
        ("**.adapters", "adapters"),
        ("**.adapters", "app.infra.adapters"),
        ("a.**.b", "a.b"),
        ("a.**.b", "a.x.y.b"),
        ("**", "anything.at.all"),
        ("**.**.x", "x"),
        ("pandas.read_*", "pandas.read_csv"),
        ("pandas.read_*", "pandas.read_"),
        ("pandas.DataFrame.to_*", "pandas.DataFrame.to_parquet"),
        ("os.exec*", "os.execvp"),
        ("os.spawn?", "os.spawnl"),
        ("*.load", "pickle.load"),
        ("a.[bc]x", "a.cx"),
        ("a.[!b]x", "a.cx"),
        ("a.[]]", "a.]"),
        ("x[", "x["),
        ("a.b+c", "a.b+c"),
    ],
)
def test_matches(pattern: str, name: str) -> None:
    assert matches_dotted(pattern, name)


@pytest.mark.parametrize(
    ("pattern", "name"),
    [
        ("json.load", "json.loads"),
        ("json.load", "xjson.load"),
        ("requests.**", "requestsx.get"),
        ("requests.**", "my.requests.get"),
        ("**.adapters", "app.adapters.db"),
        ("**.adapters", "app.myadapters"),
        ("a.**.b", "a.xb"),
        ("a.**.b", "a.b.c"),
        ("pandas.read_*", "pandas.io.read_csv"),  # * never crosses a dot
        ("pandas.read_*", "pandas.Read_csv"),  # case-sensitive
        ("*.load", "a.b.load"),
        ("a.[!b]x", "a.bx"),
        ("a.[bc]x", "a.dx"),
        ("a.?", "a.bc"),
        ("a.b+c", "a.bbc"),  # regex characters are literal
        ("json.load", ""),
    ],
)
def test_does_not_match(pattern: str, name: str) -> None:
    assert not matches_dotted(pattern, name)


@pytest.mark.parametrize("pattern", ["", "a..b", ".a", "a.", "a**", "a.***", " a", "a.[z-a]"])
def test_malformed_patterns_are_named(pattern: str) -> None:
    assert validate_pattern(pattern) is not None
    with pytest.raises(ValueError):
        matches_dotted(pattern, "a.b")
    with pytest.raises(ValueError):
        NamePatterns(["ok.name", pattern])


def test_every_default_pattern_is_valid() -> None:
    assert [p for p in DEFAULT_FORBIDDEN_CALLS if validate_pattern(p) is not None] == []


_segment = st.from_regex(r"[a-z_][a-z0-9_]{0,4}", fullmatch=True)
_dotted = st.lists(_segment, min_size=1, max_size=4).map(".".join)


@given(_dotted, _dotted)
def test_literal_pattern_is_equality(pattern: str, name: str) -> None:
    assert matches_dotted(pattern, name) == (pattern == name)


@given(_dotted, _dotted)
def test_trailing_double_star_is_in_package(package: str, name: str) -> None:
    assert matches_dotted(package + ".**", name) == in_package(name, package)


@given(st.lists(_dotted, max_size=8), _dotted)
def test_name_patterns_agree_with_matches_dotted(patterns: list[str], name: str) -> None:
    expected = next((p for p in patterns if matches_dotted(p, name)), None)
    assert NamePatterns(patterns).match(name) == expected


def test_name_patterns_returns_first_matching_pattern_in_order() -> None:
    patterns = NamePatterns(["os.system", "**.open", "os.*", "sub*.run"])
    assert patterns.match("os.system") == "os.system"
    assert patterns.match("os.open") == "**.open"
    assert patterns.match("os.getcwd") == "os.*"
    assert patterns.match("subprocess.run") == "sub*.run"
    assert patterns.match("os.path.join") is None
    assert patterns.match("") is None
    # The memo must not change a second answer.
    assert patterns.match("os.open") == "**.open"


def test_name_patterns_with_wildcard_first_segment_reach_every_bucket() -> None:
    patterns = NamePatterns(["json.dump", "*.load"])
    assert patterns.match("json.load") == "*.load"
    assert patterns.match("pickle.load") == "*.load"
    assert patterns.match("json.dumps") is None


def test_empty_name_patterns_match_nothing() -> None:
    patterns = NamePatterns([])
    assert not patterns
    assert patterns.match("json.load") is None


def test_default_list_catches_io_and_spares_pure_calls() -> None:
    patterns = NamePatterns(DEFAULT_FORBIDDEN_CALLS)
    for name in ("builtins.open", "subprocess.run", "pathlib.Path.read_text", "os.execv"):
        assert patterns.match(name) is not None, name
    for name in ("json.loads", "os.path.join", "pathlib.Path.name", "builtins.len", "re.compile"):
        assert patterns.match(name) is None, name


class TestCallPatterns:
    def test_dotted_pattern_needs_the_resolved_name(self) -> None:
        calls = CallPatterns(["json.load"])
        assert calls.match("load", "json.load") == "json.load"
        assert calls.match("load", "") is None  # self.load(): unresolvable
        assert calls.match("load", "pickle.load") is None

    def test_bare_pattern_matches_written_or_resolved_last_name(self) -> None:
        calls = CallPatterns(["get_*_provider"])
        assert calls.match("get_questionnaire_provider", "") == "get_*_provider"
        assert calls.match("g", "app.wiring.get_questionnaire_provider") == "get_*_provider"
        assert calls.match("get_provider", "") is None
        assert calls.match("provider", "app.provider") is None

    def test_bare_builtin_name_means_the_builtin(self) -> None:
        calls = CallPatterns(["open"], builtin_names=BUILTIN_IO_NAMES)
        assert calls.match("open", "builtins.open") == "open"
        assert calls.match("open", "") is None  # self.open() is a method, not the builtin
        assert calls.match("open", "io.open") is None

    def test_without_builtin_names_a_bare_name_is_any_callee(self) -> None:
        calls = CallPatterns(["open"])
        assert calls.match("open", "") == "open"

    def test_first_configured_pattern_wins_across_kinds(self) -> None:
        calls = CallPatterns(["connect", "sqlite3.**"])
        assert calls.match("connect", "sqlite3.connect") == "connect"
        calls = CallPatterns(["sqlite3.**", "connect"])
        assert calls.match("connect", "sqlite3.connect") == "sqlite3.**"

    def test_malformed_pattern_raises(self) -> None:
        with pytest.raises(ValueError, match="empty segment"):
            CallPatterns(["json..load"])
