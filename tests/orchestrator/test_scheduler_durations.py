"""The critical path first: tool steps start longest first by the durations of earlier runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archverify.core.config import Config
from archverify.core.findings import StepOutcome, StepStatus
from archverify.core.project import Project
from archverify.executors.base import KeyValueCache, StepContext
from archverify.orchestrator import durations
from archverify.orchestrator.cache.kv import DirectoryCache
from archverify.orchestrator.scheduler import SchedulerOptions, run_steps
from tests.helpers.factories import MemoryCache

ROOT = Path("/x")
# The catalogue's priorities: tests, mypy, bandit, imports, ruff (longest first by guess).
TOOLS = ["ruff", "mypy", "bandit"]
CATALOGUE_ORDER = ["mypy", "bandit", "ruff"]


class OrderedStep:
    """A tool step that notes when it starts; never replayed (no cache key)."""

    def __init__(self, step_id: str, started: list[str]) -> None:
        self.id = step_id
        self.started = started

    def run(self, context: StepContext) -> StepOutcome:
        self.started.append(self.id)
        return StepOutcome(self.id, StepStatus.PASSED, [])


def _context(cache: KeyValueCache) -> StepContext:
    project = Project(root=str(ROOT), packages=(), files=())
    return StepContext(root=ROOT, config=Config(root=str(ROOT)), project=project, cache=cache)


def start_order(cache: KeyValueCache, ids: list[str] = TOOLS) -> list[str]:
    started: list[str] = []
    # One thread: the steps start one after another in the order they were handed to the pool.
    run_steps([OrderedStep(i, started) for i in ids], _context(cache), SchedulerOptions(jobs=1))
    return started


def with_record(value: Any) -> MemoryCache:
    cache = MemoryCache()
    cache.put(durations.NAMESPACE, durations.record_key(ROOT), value)
    return cache


def test_without_a_record_the_catalogue_orders_the_start() -> None:
    assert start_order(MemoryCache()) == CATALOGUE_ORDER


def test_recorded_durations_order_the_start_longest_first() -> None:
    cache = with_record({"ruff": 30.0, "mypy": 2.5, "bandit": 11})
    assert start_order(cache) == ["ruff", "bandit", "mypy"]


def test_a_step_without_a_record_falls_back_to_the_catalogue_for_all() -> None:
    assert start_order(with_record({"ruff": 30.0, "bandit": 11.0})) == CATALOGUE_ORDER


@pytest.mark.parametrize(
    "value",
    [
        "not a record",
        ["ruff", 30.0],
        {"ruff": "30", "mypy": 1.0, "bandit": 2.0},
        {"ruff": float("nan"), "mypy": 1.0, "bandit": 2.0},
        {"ruff": -5.0, "mypy": 1.0, "bandit": 2.0},
        {"ruff": 1e300, "mypy": 1.0, "bandit": 2.0},
        {"ruff": True, "mypy": 1.0, "bandit": 2.0},
        {"ruff": 30.0, "mypy": 1.0, "bandit": 2.0, "../../etc": 99.0},
    ],
)
def test_a_corrupt_record_is_ignored(value: Any) -> None:
    assert start_order(with_record(value)) == CATALOGUE_ORDER


def test_a_run_records_what_ran_and_the_next_run_follows_it() -> None:
    cache = MemoryCache()
    start_order(cache)
    kept = cache.get(durations.NAMESPACE, durations.record_key(ROOT))
    assert isinstance(kept, dict)
    assert set(kept) == set(TOOLS)
    assert all(isinstance(v, float) and v >= 0 for v in kept.values())
    # A replayed outcome's milliseconds are not recorded: the earlier duration stays.
    replayed = StepOutcome("ruff", StepStatus.PASSED, [], cached=True, duration_s=0.001)
    ran = StepOutcome("mypy", StepStatus.PASSED, [], duration_s=9.0)
    durations.record(cache, ROOT, [replayed, ran], {"ruff": 40.0, "bandit": 1.0})
    assert cache.get(durations.NAMESPACE, durations.record_key(ROOT)) == {
        "ruff": 40.0,
        "mypy": 9.0,
        "bandit": 1.0,
    }
    assert start_order(with_record({"ruff": 40.0, "mypy": 9.0, "bandit": 1.0})) == [
        "ruff",
        "mypy",
        "bandit",
    ]


def test_a_record_the_repository_ships_in_the_cache_folder_is_not_read(tmp_path: Path) -> None:
    cache = DirectoryCache(tmp_path, "stamp")
    cache.put(durations.NAMESPACE, durations.record_key(ROOT), {"ruff": 1.0})
    [entry] = (tmp_path / "kv" / durations.NAMESPACE).rglob("*.json")
    assert durations.recorded(cache, ROOT) == {"ruff": 1.0}
    # A forged entry: the body rewritten, its tag kept (the secret is not the repository's).
    tag, _, body = entry.read_bytes().partition(b"\n")
    forged = json.loads(body)
    forged["value"] = {"ruff": 99.0, "mypy": 0.0, "bandit": 0.0}
    entry.write_bytes(tag + b"\n" + json.dumps(forged).encode())
    assert durations.recorded(cache, ROOT) == {}
    assert start_order(cache) == CATALOGUE_ORDER
