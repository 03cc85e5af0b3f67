"""Stat-first change detection of the facts pack: an unchanged file is not read again, and no
edit is missed (the rule and its limits: ``orchestrator/cache/facts.py``)."""

from __future__ import annotations

import builtins
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archverify.core.facts import FileFacts
from archverify.core.project import SourceFile
from archverify.orchestrator import parsing
from archverify.orchestrator.cache.auth import CacheAuth
from archverify.orchestrator.cache.facts import (
    RACY_NS,
    FactsCache,
    file_stat,
    recordable,
)
from archverify.orchestrator.parsing import parse_files
from tests.helpers.cli import run_cli
from tests.helpers.tree import write_tree

AUTH = CacheAuth(b"a test secret")
FILES = {
    "app/__init__.py": "",
    "app/a.py": "import os\n",
    "app/b.py": "import json\n",
}
SOURCES = [
    SourceFile("app/__init__.py", "app", True, "."),
    SourceFile("app/a.py", "app.a", False, "."),
    SourceFile("app/b.py", "app.b", False, "."),
]


def _later() -> int:
    """A run's start well after the files were written: every stat is recordable."""
    return time.time_ns() + 10 * RACY_NS


def _parse(root: Path, cache_dir: Path, clock: Callable[[], int] = _later) -> dict[str, FileFacts]:
    cache = FactsCache(cache_dir, "v1", AUTH)
    return parse_files(root, SOURCES, jobs=1, cache=cache, clock=clock)


def _imports(facts: dict[str, FileFacts], module: str) -> list[str]:
    return [fact.module for fact in facts[module].imports]


def _opened_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file parsing opens from now on (it still opens them)."""
    opened: list[str] = []

    def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(parsing, "open", spy, raising=False)
    return opened


def test_an_unchanged_file_is_neither_read_nor_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "p", FILES)
    first = _parse(root, tmp_path / "cache")
    opened = _opened_files(monkeypatch)
    second = _parse(root, tmp_path / "cache")
    assert opened == []
    assert second == first


def test_an_edit_that_keeps_the_size_and_restores_the_mtime_is_seen(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", FILES)
    assert _imports(_parse(root, tmp_path / "cache"), "app.a") == ["os"]
    path = root / "app" / "a.py"
    before = os.stat(path)
    path.write_text("import re\n")  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    assert _imports(_parse(root, tmp_path / "cache"), "app.a") == ["re"]


def test_a_file_changed_in_the_same_second_as_the_run_is_not_trusted(tmp_path: Path) -> None:
    # The run starts now, while the files are fresh: their stats are not recorded, so the next
    # run reads them, whatever their timestamps say.
    root = write_tree(tmp_path / "p", FILES)
    _parse(root, tmp_path / "cache", clock=time.time_ns)
    cache = FactsCache(tmp_path / "cache", "v1", AUTH)
    stat = file_stat(os.stat(root / "app" / "a.py"))
    assert cache.known_hash("app/a.py", stat) is None
    # Once they are old enough, the next run records them.
    _parse(root, tmp_path / "cache")
    recorded = FactsCache(tmp_path / "cache", "v1", AUTH).known_hash("app/a.py", stat)
    assert recorded is not None and len(recorded) == 64


def test_the_racy_rule_judges_mtime_and_ctime() -> None:
    start = 100 * RACY_NS
    old = start - RACY_NS - 1
    assert recordable((1, old, old, 1, 1), start)
    assert not recordable((1, start - RACY_NS, old, 1, 1), start)  # mtime too close
    assert not recordable((1, old, start - 1, 1, 1), start)  # ctime too close
    assert not recordable((1, old, start + RACY_NS, 1, 1), start)  # from the future


def test_a_stat_equal_but_for_one_number_is_a_miss(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", FILES)
    _parse(root, tmp_path / "cache")
    cache = FactsCache(tmp_path / "cache", "v1", AUTH)
    stat = file_stat(os.stat(root / "app" / "a.py"))
    assert cache.known_hash("app/a.py", stat) is not None
    for index in range(5):
        changed = tuple(n + 1 if i == index else n for i, n in enumerate(stat))
        assert cache.known_hash("app/a.py", changed) is None  # type: ignore[arg-type]
    assert cache.known_hash("app/b.py", stat) is None


def test_a_deleted_and_an_added_file_are_noticed(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", FILES)
    _parse(root, tmp_path / "cache")
    (root / "app" / "b.py").unlink()
    write_tree(root, {"app/c.py": "import sys\n"})
    sources = [s for s in SOURCES if s.module != "app.b"] + [
        SourceFile("app/c.py", "app.c", False, ".")
    ]
    cache = FactsCache(tmp_path / "cache", "v1", AUTH)
    facts = parse_files(root, sources, jobs=1, cache=cache, clock=_later)
    assert sorted(facts) == ["app", "app.a", "app.c"]
    assert _imports(facts, "app.c") == ["sys"]


CLI_FILES = {
    "pyproject.toml": """\
[tool.archverify]
packages = ["app"]
steps = ["compile", "contracts"]

[[tool.archverify.contracts]]
name = "low stays low"
type = "forbidden"
source_modules = ["app.low"]
forbidden_modules = ["app.high"]
""",
    "app/__init__.py": "",
    "app/high.py": "",
    "app/base.py": "",
    "app/low.py": "import app.base\n",
    "app/other.py": "import app.high\n",
}


def _rules(root: Path) -> list[tuple[str, str]]:
    run = run_cli(["run", ".", "--format", "json"], cwd=root, timeout_s=120)
    assert run.returncode in (0, 1), run.stderr
    return sorted((f["rule"], f["path"]) for f in run.json()["findings"])


def test_edits_the_stats_do_not_show_are_seen_through_the_cli(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", CLI_FILES)
    time.sleep(RACY_NS / 1e9 + 0.2)  # old enough that the first run records their stats
    assert _rules(root) == []
    low = root / "app" / "low.py"
    before = os.stat(low)
    low.write_text("import app.high\n")  # the same size, the same mtime
    os.utime(low, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(low).st_size == before.st_size
    (root / "app" / "other.py").unlink()
    write_tree(root, {"app/new.py": "def broken(:\n"})
    rules = _rules(root)
    assert ("contracts/forbidden", "app/low.py") in [(r, p) for r, p in rules]
    assert ("compile/syntax-error", "app/new.py") in rules
    assert not any(path == "app/other.py" for _, path in rules)


def test_facts_without_the_api_never_serve_a_run_that_needs_it(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "p", {**FILES, "app/a.py": "def public(x: int) -> int:\n    return x\n"}
    )
    cache_dir = tmp_path / "cache"

    def parse(api: bool) -> dict[str, FileFacts]:
        cache = FactsCache(cache_dir, "v1", AUTH)
        return parse_files(root, SOURCES, jobs=1, cache=cache, clock=_later, api=api)

    assert parse(api=False)["app.a"].api == ()
    with_api = parse(api=True)["app.a"].api
    assert [item["qualname"] for item in with_api] == ["public"]
    # A run that needs no API takes the facts with it rather than parsing again.
    assert parse(api=False)["app.a"].api == with_api
