"""Run the selected steps: replay unchanged ones from the cache, the rest concurrently.

Static steps (they only read facts and take milliseconds) run in the main thread while the
tool steps, which mostly wait on child processes, run in a thread pool of ``--jobs`` threads.
The steps that run the project's code (imports, tests) start only once every other step has
finished, and never at the same time as each other: code that runs can rewrite a file while a
tool reads it and put it back after (a conftest that hides a B602 from bandit), so the tools
and the static steps must have read the tree before any of the project's code runs.
The tool steps start longest first, by the durations earlier runs recorded
(``orchestrator.durations``) or else the catalogue's priorities. ``--fail-fast`` runs the steps
one by one in the runbook's order, those two last.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from archverify.core.config import STATIC_STEPS
from archverify.core.facts import FACTS_SCHEMA
from archverify.core.findings import Finding, Rule, Severity, StepOutcome, StepStatus, status_for
from archverify.core.steps import STEPS
from archverify.executors.base import KeyValueCache, Step, StepContext, failed_to_run, skipped
from archverify.executors.runtime.children import (
    Leftover,
    describe,
    step_scope,
    supervised_run,
    sweep_step,
)
from archverify.orchestrator import durations

# A process a step left running; the finding belongs to that step, whatever the step.
LEFTOVER = Rule(
    "process/leftover",
    Severity.WARNING,
    "end every process the step's code starts (a daemon, a server) before it returns",
)

# Called with (step id, "waiting" | "running" | "done", outcome or None) for the progress
# display: "waiting" when a tool step is queued in the thread pool; an outcome only with "done".
ProgressCallback = Callable[[str, str, StepOutcome | None], None]

# The steps that run the project's own code take turns: what one of them does to the tree
# (tests/changed-tree, imports/changed-tree) must not be blamed on the other, and neither
# should slow the other into a timeout.
PROJECT_CODE_STEPS = frozenset(spec.id for spec in STEPS if spec.runs_project_code)
_PROJECT_CODE = threading.Lock()


@dataclass
class SchedulerOptions:
    jobs: int = 1
    fail_fast: bool = False
    debug: bool = False
    use_cache: bool = True
    # Steps forced this run (``--rerun``): their stored result is not replayed, a fresh one stored.
    rerun: frozenset[str] = frozenset()


def _ignore(step_id: str, state: str, outcome: StepOutcome | None) -> None:
    return None


def run_steps(
    steps: Sequence[Step],
    context: StepContext,
    options: SchedulerOptions,
    on_progress: ProgressCallback = _ignore,
) -> list[StepOutcome]:
    """Outcomes in the order of ``steps`` (which the caller gives in the runbook's order).

    Every process a step started is gone when the step's outcome is reported (a warning names
    each one that was still alive), and every process of the run when this returns or raises.
    """
    before = durations.recorded(context.cache, context.root) if options.use_cache else {}
    with supervised_run() as leftovers:
        outcomes = _run_steps(steps, context, options, on_progress, before)
    _attribute(leftovers, outcomes)
    if options.use_cache:
        durations.record(context.cache, context.root, outcomes, before)
    return outcomes


def _run_steps(
    steps: Sequence[Step],
    context: StepContext,
    options: SchedulerOptions,
    on_progress: ProgressCallback,
    recorded: dict[str, float],
) -> list[StepOutcome]:
    # Every static step is keyed by the same fingerprint of all facts: compute it once.
    fingerprint = functools.cache(lambda: static_fingerprint(context))
    if options.fail_fast:
        return _run_in_order(steps, context, options, on_progress, fingerprint)
    outcomes: dict[str, StepOutcome] = {}
    static = [s for s in steps if s.id in STATIC_STEPS]
    # Longest first, so that the slowest tool starts at once and the others fill in beside it:
    # by the durations of earlier runs, else by the catalogue's priority.
    by_id = {s.id: s for s in steps if s.id not in STATIC_STEPS}
    tools = [by_id[i] for i in durations.start_order(list(by_id), recorded)]
    pool = ThreadPoolExecutor(max_workers=max(1, options.jobs), thread_name_prefix="step")
    futures: dict[str, Future[StepOutcome]] = {}
    readers_done = threading.Event()
    readers: list[Future[StepOutcome]] = []

    def after_readers(step: Step) -> StepOutcome:
        # Submitted after every reading tool step, so those hold threads first: no deadlock.
        readers_done.wait()
        concurrent.futures.wait(readers)
        return _run_one(step, context, options, on_progress, fingerprint)

    try:
        for step in sorted(tools, key=lambda s: s.id in PROJECT_CODE_STEPS):
            on_progress(step.id, "waiting", None)
            if step.id in PROJECT_CODE_STEPS:
                futures[step.id] = pool.submit(after_readers, step)
            else:
                futures[step.id] = pool.submit(
                    _run_one, step, context, options, on_progress, fingerprint
                )
                readers.append(futures[step.id])
        for step in static:
            outcomes[step.id] = _run_one(step, context, options, on_progress, fingerprint)
        readers_done.set()
        for step_id, future in futures.items():
            outcomes[step_id] = future.result()
    except BaseException:
        readers_done.set()
        for future in futures.values():
            future.cancel()
        _stop_children()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [outcomes[s.id] for s in steps]


def _run_in_order(
    steps: Sequence[Step],
    context: StepContext,
    options: SchedulerOptions,
    on_progress: ProgressCallback,
    fingerprint: Callable[[], str],
) -> list[StepOutcome]:
    outcomes: list[StepOutcome] = []
    stopped_by = ""
    # The project's code runs after every step that reads the tree (see the module docstring).
    for step in sorted(steps, key=lambda s: s.id in PROJECT_CODE_STEPS):
        if stopped_by:
            message = f"not run: --fail-fast stopped after {stopped_by}"
            outcomes.append(skipped(step.id, message))
            on_progress(step.id, "done", outcomes[-1])
            continue
        outcome = _run_one(step, context, options, on_progress, fingerprint)
        outcomes.append(outcome)
        if outcome.status in (StepStatus.FAILED, StepStatus.ERROR):
            stopped_by = step.id
    order = {step.id: index for index, step in enumerate(steps)}
    return sorted(outcomes, key=lambda outcome: order[outcome.step])


def _run_one(
    step: Step,
    context: StepContext,
    options: SchedulerOptions,
    on_progress: ProgressCallback,
    fingerprint: Callable[[], str],
) -> StepOutcome:
    key = _cache_key(step, context, fingerprint) if options.use_cache else None
    forced = step.id in options.rerun
    outcome = _replay(context.cache, step.id, key) if key and not forced else None
    if outcome is not None:
        on_progress(step.id, "running", None)
        started = time.perf_counter()
    else:
        with _PROJECT_CODE if step.id in PROJECT_CODE_STEPS else contextlib.nullcontext():
            on_progress(step.id, "running", None)
            started = time.perf_counter()
            outcome = _execute(step, context, options)
        if key and outcome.status in (StepStatus.PASSED, StepStatus.FAILED):
            context.cache.put("steps", key, _stored(outcome))
    outcome.duration_s = time.perf_counter() - started
    on_progress(step.id, "done", outcome)
    return outcome


def _execute(step: Step, context: StepContext, options: SchedulerOptions) -> StepOutcome:
    """Run ``step``; then end what it left running (a warning each)."""
    with step_scope(step.id):
        try:
            outcome = step.run(context)
        except Exception as error:  # a bug in a step must not take the other steps down
            detail = traceback.format_exc() if options.debug else ""
            hint = "" if options.debug else " (run with --debug for the traceback)"
            message = f"internal error: {type(error).__name__}: {error}{hint}"
            outcome = failed_to_run(step.id, message)
            if detail:
                outcome.stats["traceback"] = detail
        _add_leftovers(outcome, sweep_step(step.id))
    return outcome


def _cache_key(step: Step, context: StepContext, fingerprint: Callable[[], str]) -> str | None:
    own = getattr(step, "cache_key", None)
    if callable(own):
        try:
            value = own(context)
        except Exception:
            return None
        return f"{step.id}-{value}" if isinstance(value, str) else None
    if step.id not in STATIC_STEPS:
        return None
    return f"{step.id}-{fingerprint()}{_read_files_digest(step, context)}"


def _read_files_digest(step: Step, context: StepContext) -> str:
    """A static step that also reads files besides the verified ones (the snapshot file) names
    them with ``read_files(context)``: their bytes join its key, so an edit is never stale."""
    named = getattr(step, "read_files", None)
    if not callable(named):
        return ""
    digest = hashlib.sha256()
    for relative in named(context):
        digest.update(str(relative).encode() + b"\0")
        try:
            digest.update((context.root / relative).read_bytes())
        except OSError as error:
            digest.update(f"<{type(error).__name__}>".encode())
        digest.update(b"\0")
    return f"-{digest.hexdigest()}"


def static_fingerprint(context: StepContext) -> str:
    """Everything a static step reads: every file's content and relative name, and the
    configuration (without the root's absolute path: a copy of the tree has the same key)."""
    digest = hashlib.sha256(f"facts-{FACTS_SCHEMA}\n{context.config_text()}\n".encode())
    for facts in context.project.iter_facts():
        digest.update(f"{facts.path}\0{facts.module}\0{facts.content_hash}\n".encode())
    return digest.hexdigest()


def _stored(outcome: StepOutcome) -> dict[str, object]:
    return {
        "status": outcome.status.value,
        "message": outcome.message,
        "stats": outcome.stats,
        "findings": [f.to_dict() for f in outcome.findings],
    }


def _replay(cache: KeyValueCache, step_id: str, key: str) -> StepOutcome | None:
    stored = cache.get("steps", key)
    if not isinstance(stored, dict):
        return None
    try:
        findings = [Finding.from_dict(f) for f in stored["findings"]]
        status = StepStatus(stored["status"])
        stats = dict(stored.get("stats", {}))
        message = str(stored.get("message", ""))
    except (KeyError, TypeError, ValueError):
        return None
    if status is not status_for(findings) and status is not StepStatus.SKIPPED:
        return None  # an entry that contradicts itself is not trusted
    return StepOutcome(step_id, status, findings, message=message, cached=True, stats=stats)


def _add_leftovers(outcome: StepOutcome, leftovers: Sequence[Leftover], note: str = "") -> None:
    """One ``process/leftover`` warning per process the step left running (now killed)."""
    if not leftovers:
        return
    outcome.findings = sorted(
        [*outcome.findings, *(_leftover_finding(outcome.step, p, note) for p in leftovers)],
        key=Finding.sort_key,
    )


def _leftover_finding(step_id: str, leftover: Leftover, note: str) -> Finding:
    return LEFTOVER.at(
        "",
        0,
        0,
        f"a process started during the {step_id} step was still running when it "
        f"ended{note} and was killed: {describe(leftover)}",
        step=step_id,
        extra={"pid": leftover.pid, "command": leftover.command},
    )


def _attribute(leftovers: Sequence[Leftover], outcomes: Sequence[StepOutcome]) -> None:
    """What the run's final sweep killed: on the step whose tag it carried; anything else (an
    orphan that dropped the tag) on the last step that ran a tool (the only ones that start
    processes), naming the steps it may come from."""
    ran = [o for o in outcomes if o.step not in STATIC_STEPS and not o.cached]
    by_step = {o.step: o for o in ran}
    for leftover in leftovers:
        outcome = by_step.get(leftover.step)
        note = ""
        if outcome is None and ran:
            outcome = ran[-1]
            names = ", ".join(o.step for o in ran)
            note = f" (not traced to one step: started by one of {names})"
        if outcome is not None:
            _add_leftovers(outcome, [leftover], note)


def _stop_children() -> None:
    try:
        from archverify.executors.runtime.process import terminate_all
    except ImportError:
        return
    terminate_all()
