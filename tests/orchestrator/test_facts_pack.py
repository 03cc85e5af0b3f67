"""The compact facts form, the facts pack on disk, and parse_files through the pool."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
from pathlib import Path

import pytest

from archverify.core.extract import extract_facts
from archverify.core.facts import FACTS_SCHEMA, FileFacts
from archverify.core.facts_pack import PackedFacts, decode, encode
from archverify.core.project import SourceFile
from archverify.orchestrator.cache import facts as facts_cache
from archverify.orchestrator.cache.auth import CacheAuth
from archverify.orchestrator.cache.facts import PACK_NAME, FactsCache, cache_stamp, facts_key
from archverify.orchestrator.parsing import parse_files

SOURCE = b'''\
"""A module with a bit of every fact."""
from __future__ import annotations
import os, json as j
from typing import TYPE_CHECKING
from . import sibling
from .. import beyond
if TYPE_CHECKING:
    import typing_only
try:
    import optional
except ImportError:
    optional = None
def load(path: str = "x") -> dict:
    import lazy
    return j.load(open(path))  # archverify: ignore[purity/io-call] reading is the point
class Thing:
    """Caf\xc3\xa9."""
    def method(self) -> None:
        os.getcwd()
        __import__("dyn")
if __name__ == "__main__":
    load()
def settings() -> str:
    import functools, pandas
    functools.partial(open)
    pandas.DataFrame().to_csv()
    return os.environ["HOME"]
'''


def _facts(source: bytes = SOURCE, module: str = "pkg.mod") -> FileFacts:
    return extract_facts(source, module.replace(".", "/") + ".py", module, False)


def _decoded(facts: FileFacts) -> PackedFacts:
    entry, segments = encode(facts)
    return decode(json.loads(json.dumps(entry)), segments)


def test_every_field_survives_the_round_trip() -> None:
    original = _facts()
    assert original.imports and original.calls and original.main_blocks
    assert original.definitions and original.suppressions and original.api
    assert original.extra.get("unresolved_relative") == [6]
    assert any(i.type_checking for i in original.imports)
    assert any(i.guarded for i in original.imports)
    assert any(i.in_function for i in original.imports)
    assert any(i.dynamic for i in original.imports)
    assert original.environment and any(c.partial for c in original.calls)
    assert any(c.writes_nothing for c in original.calls)
    packed = _decoded(original)
    assert packed == original and original == packed
    assert packed.to_dict() == original.to_dict()
    assert packed.environment == original.environment
    assert FileFacts.from_dict(original.to_dict()) == original


def test_compile_errors_and_unicode_survive_the_round_trip() -> None:
    broken = _facts("x = 'é'\ndef f(:\n".encode())
    assert broken.compile_error is not None
    assert _decoded(broken) == broken
    named = _facts("def café(): pass\ncafé()\n".encode())
    assert _decoded(named).calls == named.calls


def test_a_field_is_decoded_only_when_read() -> None:
    packed = _decoded(_facts())
    assert "calls" not in vars(packed)
    assert packed.imports == _facts().imports
    assert "imports" in vars(packed) and "calls" not in vars(packed)


def test_packed_facts_behave_like_plain_facts() -> None:
    original = _facts()
    packed = _decoded(original)
    assert repr(packed) == repr(original)
    copied = pickle.loads(pickle.dumps(packed))
    assert type(copied) is FileFacts and copied == original
    changed = dataclasses.replace(packed, lines=1)
    assert changed.lines == 1 and changed.calls == original.calls
    assert packed != dataclasses.replace(original, calls=())
    assert PackedFacts.calls == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        packed.path = "x"  # type: ignore[misc]


def test_re_encoding_packed_facts_reuses_their_segments() -> None:
    packed = _decoded(_facts())
    assert encode(packed) == encode(_facts())


@pytest.mark.parametrize(
    "entry",
    [
        [],
        ["a.py", "a", False, "h", 1, "utf-8", None, {}, 0, [2, 2]],
        ["a.py", "a", False, "h", 1, "utf-8", None, {}, 0, [2, 2, 2, 2, 2, 99]],
        ["a.py", 7, False, "h", 1, "utf-8", None, {}, 0, [2, 2, 2, 2, 2, 2]],
        ["a.py", "a", False, "h", 1, "utf-8", None, {}, -1, [2, 2, 2, 2, 2, 2]],
    ],
)
def test_a_malformed_entry_is_refused(entry: list[object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        decode(entry, b"[][][][][][]")


def _key(facts: FileFacts) -> str:
    return facts_key(facts.content_hash, facts.path, facts.module, facts.is_package)


def test_pack_round_trip_and_no_rewrite_when_nothing_changed(tmp_path: Path) -> None:
    first, second = _facts(), _facts(b"import os\n", "pkg.other")
    FactsCache(tmp_path, "v1").save({_key(first): first, _key(second): second})
    cache = FactsCache(tmp_path, "v1")
    cached_first, cached_second = cache.get(_key(first)), cache.get(_key(second))
    assert cached_first == first and cached_second == second
    assert cached_first is not None and cached_second is not None
    before = os.stat(tmp_path / PACK_NAME).st_ino
    cache.save({_key(first): cached_first, _key(second): cached_second})
    assert os.stat(tmp_path / PACK_NAME).st_ino == before
    cache.save({_key(first): cached_first})  # a file went away: the pack shrinks
    smaller = FactsCache(tmp_path, "v1")
    assert smaller.get(_key(first)) == first and smaller.get(_key(second)) is None


def test_a_pack_of_the_previous_facts_schema_is_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A warm cache must not serve facts extracted by the code before a schema bump: the
    # schema is part of the pack's stamp.
    facts = _facts()
    monkeypatch.setattr(facts_cache, "FACTS_SCHEMA", FACTS_SCHEMA - 1)
    previous = cache_stamp()
    FactsCache(tmp_path, previous).save({_key(facts): facts})
    assert FactsCache(tmp_path, previous).get(_key(facts)) == facts
    monkeypatch.undo()
    assert cache_stamp() != previous
    assert FactsCache(tmp_path, cache_stamp()).get(_key(facts)) is None


def test_a_pack_from_another_version_is_ignored(tmp_path: Path) -> None:
    facts = _facts()
    FactsCache(tmp_path, "v1").save({_key(facts): facts})
    assert FactsCache(tmp_path, "v2").get(_key(facts)) is None
    assert not FactsCache(tmp_path, "v2").has_entries()


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "old-json"])
def test_a_damaged_pack_is_ignored_and_rewritten(tmp_path: Path, damage: str) -> None:
    facts = _facts()
    FactsCache(tmp_path, "v1").save({_key(facts): facts})
    pack = tmp_path / PACK_NAME
    data = pack.read_bytes()
    if damage == "truncate":
        pack.write_bytes(data[:-10])
    elif damage == "flip":
        middle = len(data) // 2
        pack.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])
    elif damage == "garbage":
        pack.write_bytes(b"\x00{not json\n\n")
    else:
        pack.write_text('{"stamp": "v1", "entries": {"k": {"path": 1}}}')
    cache = FactsCache(tmp_path, "v1")
    assert cache.get(_key(facts)) is None
    cache.save({_key(facts): facts})
    assert FactsCache(tmp_path, "v1").get(_key(facts)) == facts


def test_the_pack_index_keeps_the_entry_layout_of_the_stored_format(tmp_path: Path) -> None:
    # The index is a JSON list per file in this order (``facts-pack-3``); the second file's
    # segments start where the first file's end.
    first, second = _facts(), _facts(b"import os\n", "pkg.other")
    FactsCache(tmp_path, "v1").save({"a": first, "b": second})
    index = json.loads((tmp_path / PACK_NAME).read_bytes().split(b"\n")[1])
    path, module, is_package, content_hash, lines, encoding, error, extra, start, lengths = index[
        "a"
    ]
    assert (path, module, is_package, content_hash) == (
        "pkg/mod.py",
        "pkg.mod",
        False,
        first.content_hash,
    )
    assert (lines, encoding, error, extra) == (first.lines, "utf-8", None, first.extra)
    # One segment per bulky field: six before the environment reads (facts schema 4).
    assert start == 0 and len(lengths) == 7
    assert index["b"][1] == "pkg.other" and index["b"][8] == sum(lengths)


def test_a_malformed_entry_in_an_intact_pack_is_a_miss(tmp_path: Path) -> None:
    body = json.dumps({"k": {"path": 1}, "j": ["a.py"]}).encode() + b"\n{}\n"
    auth = CacheAuth(b"a test secret")
    tag = auth.tag("archverify-facts-pack-3", b"v1", body)
    head = {"format": "archverify-facts-pack-3", "stamp": "v1", "size": len(body), "hmac": tag}
    (tmp_path / PACK_NAME).write_bytes(json.dumps(head).encode() + b"\n" + body)
    cache = FactsCache(tmp_path, "v1", auth)
    assert cache.has_entries()
    assert cache.get("k") is None and cache.get("j") is None


def _project(root: Path, count: int) -> list[SourceFile]:
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .m0 import f0\n")
    files = [SourceFile("pkg/__init__.py", "pkg", True, ".")]
    for index in range(count):
        body = f"from . import m{(index + 1) % count}\nimport os\ndef f{index}():\n"
        body += "    return os.getcwd()\n" * (index % 7 + 1)
        if index == 3:
            body += "def broken(:\n"
        (package / f"m{index}.py").write_text(body)
        files.append(SourceFile(f"pkg/m{index}.py", f"pkg.m{index}", False, "."))
    files.append(SourceFile("pkg/gone.py", "pkg.gone", False, "."))  # vanished after discovery
    return files


def test_the_pool_and_the_cache_give_the_facts_of_a_serial_parse(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    files = _project(root, 80)
    serial = parse_files(root, files, jobs=1, cache=FactsCache(None, "v1"))
    assert list(serial) == [f.module for f in files]
    assert serial["pkg.m3"].compile_error is not None
    assert serial["pkg.gone"].compile_error is not None
    assert serial["pkg.gone"].compile_error.kind == "read"
    cache_dir = tmp_path / "cache"
    pooled = parse_files(root, files, jobs=2, cache=FactsCache(cache_dir, "v1"))
    assert list(pooled) == list(serial) and pooled == serial
    warm = parse_files(root, files, jobs=2, cache=FactsCache(cache_dir, "v1"))
    assert all(type(f) is PackedFacts for m, f in warm.items() if m != "pkg.gone")
    assert warm == serial
    (root / "pkg" / "m5.py").write_text("import json\n")
    edited = parse_files(root, files, jobs=2, cache=FactsCache(cache_dir, "v1"))
    assert [i.module for i in edited["pkg.m5"].imports] == ["json"]
    assert edited["pkg.m6"] == serial["pkg.m6"]


def test_the_last_file_claiming_a_module_wins_whatever_the_sizes(tmp_path: Path) -> None:
    for folder, text in (("a", "import small\n"), ("b", "import big\n" + "x = 1\n" * 500)):
        (tmp_path / folder / "pkg").mkdir(parents=True)
        (tmp_path / folder / "pkg" / "mod.py").write_text(text)
    files = [SourceFile(f"{folder}/pkg/mod.py", "pkg.mod", False, folder) for folder in "ab"]
    for index in range(60):  # enough files for the pool
        (tmp_path / "a" / "pkg" / f"x{index}.py").write_text("")
        files.append(SourceFile(f"a/pkg/x{index}.py", f"pkg.x{index}", False, "a"))
    found = parse_files(tmp_path, files, jobs=2, cache=FactsCache(None, "v1"))
    assert found["pkg.mod"].path == "b/pkg/mod.py"
    files[0], files[1] = files[1], files[0]
    found = parse_files(tmp_path, files, jobs=2, cache=FactsCache(None, "v1"))
    assert found["pkg.mod"].path == "a/pkg/mod.py"


def _many(count: int = 80) -> dict[str, FileFacts]:
    facts = [
        _facts(f"import os\nX = {index}\n".encode(), f"pkg.m{index}") for index in range(count)
    ]
    return {_key(f): f for f in facts}


def _stats_of(entries: dict[str, FileFacts]) -> facts_cache.StatTable:
    return {f.path: ((1, 2, 3, 4, 5), f.content_hash) for f in entries.values()}


def _reread(tmp_path: Path, auth: CacheAuth | None = None) -> dict[str, FileFacts]:
    """What a later run's cache serves for the current keys, read back from disk."""
    cache = FactsCache(tmp_path, "v1", auth)
    return {key: got for key in _many(81) if (got := cache.get(key)) is not None}


def test_an_edit_writes_a_delta_beside_the_pack_and_a_later_run_reads_both(
    tmp_path: Path,
) -> None:
    everything = _many(81)
    first = dict(list(everything.items())[:80])
    FactsCache(tmp_path, "v1").save(first, _stats_of(first))
    pack = tmp_path / PACK_NAME
    before = (os.stat(pack).st_ino, pack.read_bytes())
    cache = FactsCache(tmp_path, "v1")
    current = {key: got for key in first if (got := cache.get(key)) is not None}
    gone, changed = list(current)[:2]
    del current[gone], current[changed]  # one file removed, one edited (a new entry)
    new_key, new_facts = list(everything.items())[80]
    current[new_key] = new_facts
    cache.save(current, _stats_of(current))
    assert (os.stat(pack).st_ino, pack.read_bytes()) == before  # the pack is not rewritten
    assert (tmp_path / facts_cache.DELTA_NAME).is_file()
    assert _reread(tmp_path) == current
    later = FactsCache(tmp_path, "v1")
    served = {key: got for key in current if (got := later.get(key)) is not None}
    assert later.known_hash(new_facts.path, (1, 2, 3, 4, 5)) == new_facts.content_hash
    assert later.known_hash(first[gone].path, (1, 2, 3, 4, 5)) is None
    delta_before = (tmp_path / facts_cache.DELTA_NAME).read_bytes()
    later.save(served, _stats_of(served))  # nothing changed since: nothing written
    assert (tmp_path / facts_cache.DELTA_NAME).read_bytes() == delta_before


def test_many_changes_rewrite_the_pack_and_drop_the_delta(tmp_path: Path) -> None:
    first = _many(80)
    FactsCache(tmp_path, "v1").save(first, _stats_of(first))
    cache = FactsCache(tmp_path, "v1")
    small = {key: got for key in list(first)[1:] if (got := cache.get(key)) is not None}
    cache.save(small, _stats_of(small))
    assert (tmp_path / facts_cache.DELTA_NAME).is_file()
    cache = FactsCache(tmp_path, "v1")
    half = {key: got for key in list(first)[40:] if (got := cache.get(key)) is not None}
    cache.save(half, _stats_of(half))
    assert not (tmp_path / facts_cache.DELTA_NAME).exists()
    assert _reread(tmp_path) == half


@pytest.mark.parametrize("damage", ["flip", "truncate", "other-secret", "other-pack"])
def test_a_damaged_forged_or_stale_delta_is_ignored_as_a_whole(tmp_path: Path, damage: str) -> None:
    first = _many(80)
    FactsCache(tmp_path, "v1").save(first, _stats_of(first))
    cache = FactsCache(tmp_path, "v1")
    current = {key: got for key in list(first)[1:] if (got := cache.get(key)) is not None}
    stats = _stats_of(current)
    edited = next(iter(current.values())).path
    stats[edited] = ((9, 9, 9, 9, 9), "a hash the pack never saw")
    cache.save(current, stats)
    delta = tmp_path / facts_cache.DELTA_NAME
    data = delta.read_bytes()
    if damage == "flip":
        delta.write_bytes(data[:-5] + bytes([data[-5] ^ 1]) + data[-4:])
    elif damage == "truncate":
        delta.write_bytes(data[: len(data) // 2])
    elif damage == "other-secret":
        # A delta bound to the right pack, tagged under a secret this runner does not hold.
        forger = FactsCache(tmp_path, "v1", CacheAuth(b"another secret"))
        forger._tag = json.loads((tmp_path / PACK_NAME).read_bytes().split(b"\n")[0])["hmac"]
        forger._buffer = b" " * 1_000_000
        assert forger._write_delta({}, set(), stats)
    else:
        # The pack rewritten by a run that did not know the delta: the delta is not its own.
        pack = FactsCache(tmp_path, "v1")
        pack.load()
        pack._delta_entries, pack._removed = {}, set()
        pack.save(dict(first), {**_stats_of(first), "x.py": ((1, 1, 1, 1, 1), "h")})
        delta.write_bytes(data)
    served = FactsCache(tmp_path, "v1")
    # The pack alone: the removed entry is served again (keyed by content, still true), the
    # delta's stat row is not.
    assert served.get(next(iter(first))) == next(iter(first.values()))
    assert served.known_hash(edited, (9, 9, 9, 9, 9)) is None
