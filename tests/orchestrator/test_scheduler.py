"""The scheduler: order, concurrency, replay from the cache, fail-fast and crashing steps."""

from __future__ import annotations

import threading
from pathlib import Path

from archverify.core.config import Config
from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus, status_for
from archverify.core.project import Project
from archverify.executors.base import StepContext
from archverify.orchestrator.scheduler import SchedulerOptions, run_steps
from tests.helpers.factories import MemoryCache


class FakeStep:
    def __init__(self, step_id: str, errors: int = 0, crash: bool = False) -> None:
        self.id = step_id
        self.errors = errors
        self.crash = crash
        self.calls = 0
        self.threads: list[str] = []

    def run(self, context: StepContext) -> StepOutcome:
        self.calls += 1
        self.threads.append(threading.current_thread().name)
        if self.crash:
            raise ZeroDivisionError("boom")
        findings = [
            Finding(self.id, f"{self.id}/x", Severity.ERROR, "a.py", i + 1, 1, "bad")
            for i in range(self.errors)
        ]
        return StepOutcome(self.id, status_for(findings), findings)

    def cache_key(self, context: StepContext) -> str | None:
        return "k1"


def _context(cache: MemoryCache | None = None) -> StepContext:
    project = Project(root="/x", packages=(), files=())
    return StepContext(
        root=Path("/x"), config=Config(root="/x"), project=project, cache=cache or MemoryCache()
    )


def test_outcomes_come_back_in_the_given_order() -> None:
    steps = [FakeStep("compile"), FakeStep("ruff"), FakeStep("mypy", errors=2), FakeStep("cycles")]
    outcomes = run_steps(steps, _context(), SchedulerOptions(jobs=2))
    assert [o.step for o in outcomes] == ["compile", "ruff", "mypy", "cycles"]
    assert outcomes[2].status is StepStatus.FAILED
    assert len(outcomes[2].findings) == 2


def test_tool_steps_run_in_the_pool_and_static_steps_in_the_caller() -> None:
    static, tool = FakeStep("purity"), FakeStep("bandit")
    run_steps([static, tool], _context(), SchedulerOptions(jobs=2))
    assert static.threads == [threading.current_thread().name]
    assert tool.threads[0].startswith("step")


def test_second_run_replays_from_the_cache() -> None:
    cache = MemoryCache()
    first = FakeStep("ruff", errors=1)
    run_steps([first], _context(cache), SchedulerOptions())
    second = FakeStep("ruff", errors=1)
    [outcome] = run_steps([second], _context(cache), SchedulerOptions())
    assert second.calls == 0
    assert outcome.cached
    assert outcome.findings == first.run(_context()).findings


def test_no_cache_runs_again() -> None:
    cache = MemoryCache()
    run_steps([FakeStep("ruff")], _context(cache), SchedulerOptions())
    again = FakeStep("ruff")
    run_steps([again], _context(cache), SchedulerOptions(use_cache=False))
    assert again.calls == 1


def test_a_corrupted_cache_entry_is_not_trusted() -> None:
    cache = MemoryCache()
    run_steps([FakeStep("ruff", errors=1)], _context(cache), SchedulerOptions())
    for key in cache.entries:
        cache.entries[key] = {"status": "passed", "findings": "garbage"}
    again = FakeStep("ruff", errors=1)
    [outcome] = run_steps([again], _context(cache), SchedulerOptions())
    assert again.calls == 1 and not outcome.cached and outcome.status is StepStatus.FAILED


def test_a_crashing_step_is_an_error_and_the_others_go_on() -> None:
    steps = [FakeStep("compile", crash=True), FakeStep("ruff", crash=True), FakeStep("cycles")]
    outcomes = run_steps(steps, _context(), SchedulerOptions(jobs=2))
    assert [o.status for o in outcomes] == [StepStatus.ERROR, StepStatus.ERROR, StepStatus.PASSED]
    assert "ZeroDivisionError: boom" in outcomes[0].message
    assert "--debug" in outcomes[0].message


def test_fail_fast_stops_after_the_first_failed_step() -> None:
    steps = [FakeStep("compile"), FakeStep("purity", errors=1), FakeStep("contracts")]
    outcomes = run_steps(steps, _context(), SchedulerOptions(fail_fast=True))
    assert [o.status for o in outcomes] == [
        StepStatus.PASSED,
        StepStatus.FAILED,
        StepStatus.SKIPPED,
    ]
    assert steps[2].calls == 0
    assert "purity" in outcomes[2].message
