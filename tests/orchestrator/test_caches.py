"""The facts pack and the key-value cache: hits, misses, and never trusting a bad file."""

from __future__ import annotations

from pathlib import Path

from archverify.core.facts import FileFacts, ImportFact
from archverify.orchestrator.facts_cache import PACK_NAME, FactsCache, facts_key
from archverify.orchestrator.kv_cache import DirectoryCache
from archverify.orchestrator.outputs import write_atomic


def _facts(module: str = "a") -> FileFacts:
    return FileFacts(path=f"{module}.py", module=module, is_package=False, content_hash="h",
                     imports=(ImportFact(module="json", line=1, column=1),))


def test_facts_round_trip_through_the_pack(tmp_path: Path) -> None:
    key = facts_key("h", "a.py", "a", False)
    cache = FactsCache(tmp_path, "v1")
    assert cache.get(key) is None
    cache.save({key: _facts()})
    assert FactsCache(tmp_path, "v1").get(key) == _facts()


def test_a_pack_from_another_version_is_ignored(tmp_path: Path) -> None:
    key = facts_key("h", "a.py", "a", False)
    FactsCache(tmp_path, "v1").save({key: _facts()})
    assert FactsCache(tmp_path, "v2").get(key) is None


def test_a_corrupted_pack_is_ignored_and_rewritten(tmp_path: Path) -> None:
    (tmp_path / PACK_NAME).write_bytes(b"\x00{not json")
    key = facts_key("h", "a.py", "a", False)
    cache = FactsCache(tmp_path, "v1")
    assert cache.get(key) is None
    cache.save({key: _facts()})
    assert FactsCache(tmp_path, "v1").get(key) == _facts()


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
