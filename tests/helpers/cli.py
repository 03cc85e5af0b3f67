"""The real CLI in a child process: its command line, one run, its leftovers, a pid's liveness.

Every test that runs ``python -m archverify`` as a separate process builds it here; what differs
between tests (the environment, the folder, the timeout) is passed in, never assumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER_VARIABLE = "ARCHVERIFY_SECURITY_TEST_MARK"


def archverify_command(*args: str) -> list[str]:
    """The command line of ``python -m archverify ARGS`` with this interpreter."""
    return [sys.executable, "-m", "archverify", *args]


def run_archverify(
    args: Iterable[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout_s: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m archverify ARGS`` with exactly ``env`` (nothing added), output captured."""
    return subprocess.run(
        archverify_command(*args),
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


@dataclass
class CliRun:
    """A finished run of the real CLI."""

    returncode: int
    stdout: str
    stderr: str
    marker: str

    def json(self) -> dict[str, Any]:
        """The JSON report on stdout (the run must have used ``--format json``)."""
        report: dict[str, Any] = json.loads(self.stdout)
        return report

    def rules(self) -> list[tuple[str, str, int | None]]:
        """(rule, path, line) of every finding in the JSON report."""
        return [(f["rule"], f["path"], f.get("line")) for f in self.json()["findings"]]

    def step(self, step_id: str) -> dict[str, Any]:
        """The JSON report's entry of step ``step_id`` (exactly one)."""
        steps: list[dict[str, Any]] = [s for s in self.json()["steps"] if s["id"] == step_id]
        [step] = steps
        return step


def marked_environment(
    env: Mapping[str, str] | None = None, marker: str | None = None
) -> tuple[dict[str, str], str]:
    """This process's environment with ``env`` over it and a marker (fresh unless given: the
    imports step's replay keys hold the whole environment), and that marker."""
    marker = marker or uuid.uuid4().hex
    return {**os.environ, **(env or {}), MARKER_VARIABLE: marker}, marker


def run_cli(
    args: Iterable[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 300,
    marker: str | None = None,
) -> CliRun:
    """``python -m archverify ARGS`` in ``cwd`` with a marker in its environment (unique
    unless given: runs that should replay each other's imports share one)."""
    child_env, marker = marked_environment(env, marker)
    result = run_archverify(args, cwd=cwd, env=child_env, timeout_s=timeout_s)
    return CliRun(result.returncode, result.stdout, result.stderr, marker)


def start_cli(
    args: Iterable[str], *, cwd: Path, marker: str | None = None
) -> tuple[subprocess.Popen[str], str]:
    """``run_cli`` started, not waited for: the child and its marker (``finish_cli`` ends it);
    the same ``marker`` as an earlier run's lets the imports step replay that run's verdicts."""
    child_env, marker = marked_environment(marker=marker)
    child = subprocess.Popen(
        archverify_command(*args),
        cwd=cwd,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return child, marker


def finish_cli(child: subprocess.Popen[str], marker: str, *, timeout_s: float = 300) -> CliRun:
    """Wait for a child of ``start_cli`` and return its run."""
    stdout, stderr = child.communicate(timeout=timeout_s)
    return CliRun(child.returncode, stdout, stderr, marker)


def processes_with_marker(marker: str) -> list[int]:
    """The pids of live processes whose environment carries ``marker`` (zombies excluded)."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            if "\nState:\tZ" in status:
                continue
            if needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def assert_no_leftover_processes(run: CliRun, *, grace_s: float = 2.0) -> None:
    """Fail when a process started by ``run`` is still alive after ``grace_s`` seconds."""
    deadline = time.monotonic() + grace_s
    alive = processes_with_marker(run.marker)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = processes_with_marker(run.marker)
    for pid in alive:
        # Do not leave them to the next test either.
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    assert not alive, f"processes left running by the run: {alive}"


def is_alive(pid: int) -> bool:
    """Whether process ``pid`` runs: a zombie (Z) or a dying one (X) still has a /proc entry."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in (b"Z", b"X")


def run_step(root: Path, step: str, marker: str, *extra: str) -> dict[str, Any]:
    """``run ROOT --steps STEP --format json`` in ``root``: the step's JSON, once no process
    of the run is left. Runs sharing ``marker`` and ``root`` share the environment (an import
    verdict's key holds the whole of it), so they can replay each other.

    The marker is ``marker`` made unique to ``root``: the leftover check looks for the marker
    in every process of the machine, and a name alone is shared by every concurrent run of
    the same test (another checkout's suite), whose live processes it would take for this
    run's leftovers, and kill."""
    args = ["run", str(root), "--steps", step, *extra, "--format", "json"]
    unique = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    run = run_cli(args, cwd=root, marker=f"{marker}-{unique}")
    assert run.returncode in (0, 1), run.stderr
    assert_no_leftover_processes(run)
    found: dict[str, Any] = next(s for s in run.json()["steps"] if s["id"] == step)
    return found
