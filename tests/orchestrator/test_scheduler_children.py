"""The scheduler ends what each step left running, and only that step's processes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from archverify.core.config import Config
from archverify.core.findings import StepOutcome, StepStatus
from archverify.core.project import Project
from archverify.executors.base import Step, StepContext
from archverify.executors.runtime import children
from archverify.executors.runtime.process import run_tool
from archverify.orchestrator.scheduler import SchedulerOptions, run_steps
from tests.helpers.cli import is_alive

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# Starts a sleeper in a session of its own and returns at once: the sleeper escapes the group.
ESCAPE = "import subprocess, sys; subprocess.Popen(['sleep', sys.argv[1]], start_new_session=True)"


def _gone(pid: int, within_s: float = 10.0) -> bool:
    """SIGKILL is delivered at once but the process takes a moment to die (longer on a loaded
    machine: the reaper may not be scheduled for seconds)."""
    deadline = time.monotonic() + within_s
    while is_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class EscapingStep:
    """A tool step whose child leaves a sleeper behind."""

    def __init__(self, step_id: str, seconds: str) -> None:
        self.id = step_id
        self.seconds = seconds

    def run(self, context: StepContext) -> StepOutcome:
        run_tool([sys.executable, "-c", ESCAPE, self.seconds], cwd=context.root, timeout_s=30)
        return StepOutcome(self.id, StepStatus.PASSED)


class LongChildStep:
    """A tool step whose child is still legitimately running while another step ends."""

    def __init__(self, step_id: str) -> None:
        self.id = step_id
        self.returncode: int | None = None
        self.ended_at = 0.0

    def run(self, context: StepContext) -> StepOutcome:
        code = "import time; time.sleep(2)"
        self.returncode = run_tool(
            [sys.executable, "-c", code], cwd=context.root, timeout_s=30
        ).returncode
        self.ended_at = time.monotonic()
        return StepOutcome(self.id, StepStatus.PASSED)


def _context(tmp_path: Path) -> StepContext:
    project = Project(root=str(tmp_path), packages=(), files=())
    return StepContext(root=tmp_path, config=Config(root=str(tmp_path)), project=project)


def test_a_process_a_step_leaves_running_is_a_warning_and_is_killed(tmp_path: Path) -> None:
    (outcome,) = run_steps([EscapingStep("bandit", "71")], _context(tmp_path), SchedulerOptions())
    assert outcome.status is StepStatus.PASSED
    assert len(outcome.findings) == 1, [f.message for f in outcome.findings]
    (finding,) = outcome.findings
    assert finding.rule == "process/leftover"
    assert finding.severity.value == "warning"
    assert "sleep 71" in finding.message
    assert _gone(int(finding.extra["pid"]))


def test_a_step_ending_never_kills_a_concurrent_step_s_children(tmp_path: Path) -> None:
    long = LongChildStep("mypy")
    finished: dict[str, float] = {}

    def progress(step_id: str, state: str, outcome: StepOutcome | None) -> None:
        if state == "done":
            finished[step_id] = time.monotonic()

    steps: list[Step] = [long, EscapingStep("ruff", "72")]
    outcomes = run_steps(steps, _context(tmp_path), SchedulerOptions(jobs=2), progress)
    # ruff ended (and was swept) while mypy's child still ran, and that child was left alone.
    assert finished["ruff"] < long.ended_at
    assert long.returncode == 0, "the ruff step's sweep killed the mypy step's child"
    assert [f.rule for f in outcomes[0].findings] == []
    assert [f.rule for f in outcomes[1].findings] == ["process/leftover"]


def test_children_carry_the_step_s_tag(tmp_path: Path) -> None:
    code = f"import os; print(os.environ['{children.TAG_VARIABLE}'])"
    with children.step_scope("ruff"):
        result = run_tool([sys.executable, "-c", code], cwd=tmp_path, timeout_s=30)
    # The last tag is ours (an archverify run above this one may have put its own first).
    assert result.stdout.split()[-1] == f"{children.RUN_ID}.ruff"


def test_a_step_s_own_thread_pool_keeps_the_step_s_tag(tmp_path: Path) -> None:
    # As bandit runs its shards: threads a step starts begin outside any step unless told.
    from concurrent.futures import ThreadPoolExecutor

    code = f"import os; print(os.environ['{children.TAG_VARIABLE}'])"

    def tag() -> str:
        return run_tool([sys.executable, "-c", code], cwd=tmp_path, timeout_s=30).stdout.strip()

    with children.step_scope("bandit"):
        with ThreadPoolExecutor(1, initializer=children.enter_step, initargs=("bandit",)) as pool:
            assert pool.submit(tag).result().split()[-1] == f"{children.RUN_ID}.bandit"


def test_a_run_inside_another_run_s_step_keeps_both_tags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # archverify verifying itself: its tests step runs a suite that runs archverify.
    monkeypatch.setenv(children.TAG_VARIABLE, "0123456789abcdef.tests")
    code = f"import os; print(os.environ['{children.TAG_VARIABLE}'])"
    with children.step_scope("ruff"):
        result = run_tool([sys.executable, "-c", code], cwd=tmp_path, timeout_s=30)
        run_tool([sys.executable, "-c", ESCAPE, "75"], cwd=tmp_path, timeout_s=30)
        (leftover,) = children.sweep_step()
    assert result.stdout.split() == ["0123456789abcdef.tests", f"{children.RUN_ID}.ruff"]
    assert leftover.command == "sleep 75" and leftover.step == "ruff"


class TimedStep:
    def __init__(self, step_id: str) -> None:
        self.id = step_id
        self.span = (0.0, 0.0)

    def run(self, context: StepContext) -> StepOutcome:
        start = time.monotonic()
        time.sleep(0.3)
        self.span = (start, time.monotonic())
        return StepOutcome(self.id, StepStatus.PASSED)


def test_the_steps_that_run_the_project_s_code_take_turns(tmp_path: Path) -> None:
    imports, tests, ruff = TimedStep("imports"), TimedStep("tests"), TimedStep("ruff")
    outcomes = run_steps([ruff, imports, tests], _context(tmp_path), SchedulerOptions(jobs=3))
    first, second = sorted([imports.span, tests.span])
    assert first[1] <= second[0], "imports and tests ran at the same time"
    # Others still run beside them; durations do not count the wait for a turn.
    assert ruff.span[0] < first[1]
    assert all(o.duration_s < 0.6 for o in outcomes)


class InterruptedStep:
    id = "ruff"

    def run(self, context: StepContext) -> StepOutcome:
        raise KeyboardInterrupt


def test_after_an_interrupt_no_child_starts_until_the_next_run(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        run_steps([InterruptedStep()], _context(tmp_path), SchedulerOptions(fail_fast=True))
    # A step's thread that is still winding down cannot start what nobody would end.
    with pytest.raises(children.Stopping):
        run_tool([sys.executable, "-c", "pass"], cwd=tmp_path, timeout_s=30)
    (outcome,) = run_steps([EscapingStep("bandit", "76")], _context(tmp_path), SchedulerOptions())
    assert [f.rule for f in outcome.findings] == ["process/leftover"], [
        f.message for f in outcome.findings
    ]


# Forks a child that keeps stdout open and sleeps, then exits at once: the child escaped.
HOLDS_THE_OUTPUT = """\
import os, sys, time
print("done", flush=True)
if os.fork() == 0:
    os.setsid()
    time.sleep(30)
    os._exit(0)
"""


def test_a_child_holding_the_output_open_does_not_keep_a_tool_waiting(tmp_path: Path) -> None:
    with children.step_scope("ruff"):
        result = run_tool([sys.executable, "-c", HOLDS_THE_OUTPUT], cwd=tmp_path, timeout_s=10)
        (leftover,) = children.sweep_step()
    assert result.returncode == 0 and not result.timed_out
    assert result.duration_s < 5
    assert result.stdout == "done\n"
    assert _gone(leftover.pid)


# In a process of its own: becoming a subreaper would change the test process for good.
SUBREAPER_RUN = """\
import os, sys, time
from pathlib import Path
from archverify.core.config import Config
from archverify.core.findings import StepOutcome, StepStatus
from archverify.core.project import Project
from archverify.executors.runtime import children
from archverify.executors.base import StepContext
from archverify.executors.runtime.process import run_tool
from archverify.orchestrator.scheduler import SchedulerOptions, run_steps

# An orphan that ends by itself, and one that drops the tag and stays.
CODE = '''
import os, subprocess, time
if os.fork() == 0:
    if os.fork() == 0:
        time.sleep(0.2)
    os._exit(0)
subprocess.Popen(["env", "-i", "sleep", "77"], start_new_session=True)
'''

class Orphaning:
    id = "bandit"
    def run(self, context):
        run_tool([sys.executable, "-c", CODE], cwd=context.root, timeout_s=30)
        time.sleep(0.5)
        return StepOutcome(self.id, StepStatus.PASSED)

assert children.become_subreaper()
root = Path(sys.argv[1])
context = StepContext(root=root, config=Config(root=str(root)),
                      project=Project(root=str(root), packages=(), files=()))
(outcome,) = run_steps([Orphaning()], context, SchedulerOptions())
print([f.rule for f in outcome.findings], [f.extra["command"] for f in outcome.findings])
print(sorted(children._zombie_children()))
"""


def test_a_subreaper_run_ends_untagged_orphans_and_leaves_no_zombie(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SUBREAPER_RUN, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    findings, zombies = result.stdout.splitlines()
    assert findings == "['process/leftover'] ['sleep 77']"
    assert zombies == "[]"
