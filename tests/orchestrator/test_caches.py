"""The facts pack and the key-value cache: hits, misses, and never trusting a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from archverify.core.facts import FileFacts
from archverify.orchestrator.atomic_write import write_atomic
from archverify.orchestrator.cache.auth import CacheAuth
from archverify.orchestrator.cache.facts import PACK_NAME, FactsCache, facts_key
from archverify.orchestrator.cache.kv import DirectoryCache
from tests.helpers.factories import imp, module_facts


def _facts(module: str = "a") -> FileFacts:
    return module_facts(module, imp("json"))


@pytest.mark.parametrize(
    "pack", [None, b"\x00{not json"], ids=["no pack yet", "a corrupted pack, rewritten"]
)
def test_facts_round_trip_through_the_pack(tmp_path: Path, pack: bytes | None) -> None:
    if pack is not None:
        (tmp_path / PACK_NAME).write_bytes(pack)
    key = facts_key("h", "a.py", "a", False)
    cache = FactsCache(tmp_path, "v1")
    assert cache.get(key) is None
    cache.save({key: _facts()})
    assert FactsCache(tmp_path, "v1").get(key) == _facts()


def test_a_pack_from_another_version_is_ignored(tmp_path: Path) -> None:
    key = facts_key("h", "a.py", "a", False)
    FactsCache(tmp_path, "v1").save({key: _facts()})
    assert FactsCache(tmp_path, "v2").get(key) is None


def test_a_pack_cut_short_is_ignored(tmp_path: Path) -> None:
    key = facts_key("h", "a.py", "a", False)
    FactsCache(tmp_path, "v1").save({key: _facts()})
    pack = tmp_path / PACK_NAME
    pack.write_bytes(pack.read_bytes()[:-3])
    assert FactsCache(tmp_path, "v1").get(key) is None


def test_the_pack_of_an_older_version_is_removed(tmp_path: Path) -> None:
    (tmp_path / "facts.json").write_text("{}")
    key = facts_key("h", "a.py", "a", False)
    FactsCache(tmp_path, "v1").save({key: _facts()})
    assert not (tmp_path / "facts.json").exists()


def test_the_key_depends_on_module_and_path() -> None:
    assert facts_key("h", "a.py", "a", False) != facts_key("h", "b/a.py", "b.a", False)


def test_directory_cache_round_trip_and_stamp(tmp_path: Path) -> None:
    DirectoryCache(tmp_path, "s1").put("steps", "ruff-123", {"x": [1, 2]})
    assert DirectoryCache(tmp_path, "s1").get("steps", "ruff-123") == {"x": [1, 2]}
    assert DirectoryCache(tmp_path, "s2").get("steps", "ruff-123") is None
    assert DirectoryCache(tmp_path, "s1").get("steps", "other") is None


def test_directory_cache_ignores_a_garbled_entry(tmp_path: Path) -> None:
    cache = DirectoryCache(tmp_path, "s1")
    cache.put("steps", "k", 1)
    [entry] = list((tmp_path / "kv").rglob("*.json"))
    entry.write_text("{")
    assert cache.get("steps", "k") is None


def test_write_atomic_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.txt"
    write_atomic(target, "hello")
    assert target.read_text() == "hello"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_an_entry_written_under_another_secret_is_a_miss(tmp_path: Path) -> None:
    DirectoryCache(tmp_path, "s1", CacheAuth(b"one secret")).put("steps", "k", {"x": 1})
    assert DirectoryCache(tmp_path, "s1", CacheAuth(b"one secret")).get("steps", "k") == {"x": 1}
    assert DirectoryCache(tmp_path, "s1", CacheAuth(b"another")).get("steps", "k") is None


def test_an_entry_moved_to_another_key_is_a_miss(tmp_path: Path) -> None:
    cache = DirectoryCache(tmp_path, "s1", CacheAuth(b"one secret"))
    cache.put("steps", "purity-1", {"status": "failed"})
    cache.put("steps", "purity-2", {"status": "passed"})
    entries = {p.name: p for p in (tmp_path / "kv" / "steps").rglob("*.json")}
    entries["purity-1.json"].write_bytes(entries["purity-2.json"].read_bytes())
    assert cache.get("steps", "purity-1") is None
    assert cache.get("steps", "purity-2") == {"status": "passed"}


def test_without_a_secret_nothing_is_written_or_trusted(tmp_path: Path) -> None:
    keyless = CacheAuth(None, "no secret")
    DirectoryCache(tmp_path, "s1", keyless).put("steps", "k", 1)
    key = facts_key("h", "a.py", "a", False)
    FactsCache(tmp_path, "v1", keyless).save({key: _facts()})
    assert not any(tmp_path.rglob("*"))
    DirectoryCache(tmp_path, "s1", CacheAuth(b"s")).put("steps", "k", 1)
    assert DirectoryCache(tmp_path, "s1", keyless).get("steps", "k") is None


def test_a_pack_written_under_another_secret_is_ignored(tmp_path: Path) -> None:
    key = facts_key("h", "a.py", "a", False)
    FactsCache(tmp_path, "v1", CacheAuth(b"one secret")).save({key: _facts()})
    assert FactsCache(tmp_path, "v1", CacheAuth(b"one secret")).get(key) == _facts()
    assert FactsCache(tmp_path, "v1", CacheAuth(b"another")).get(key) is None


def test_tags_frame_their_parts() -> None:
    auth = CacheAuth(b"k")
    assert auth.tag("d", b"ab", b"c") != auth.tag("d", b"a", b"bc")
    assert auth.verify(auth.tag("d", b"x"), "d", b"x")
    assert not auth.verify(auth.tag("d", b"x")[:-1], "d", b"x")
    assert not CacheAuth(None).verify(auth.tag("d", b"x"), "d", b"x")
