"""Every process a run starts is accounted for, and a test session that changes the tree is seen.

Each test builds a small project whose tests start something that escapes the process group
(a new session, a double-fork daemon, a server thread in a daemon), runs the real CLI with
``--steps tests``, and proves the warning is reported and nothing carrying the run's marker is
alive afterwards; the signal tests stop archverify in the middle of a slow test.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.cli import (
    CliRun,
    archverify_command,
    assert_no_leftover_processes,
    marked_environment,
    processes_with_marker,
    run_cli,
)
from tests.helpers.tree import tree_digest, write_tree

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="process accounting reads /proc"
)

CONFIG = """\
[tool.archverify]
packages = ["app"]
"""

BASE = {
    "pyproject.toml": CONFIG,
    "app/__init__.py": "VALUE = 1\n",
    "data/important.txt": "do not lose me\n",
}

NEW_SESSION_SLEEP = """\
import subprocess


def test_starts_a_sleeper():
    subprocess.Popen(["sleep", "61"], start_new_session=True)
"""

DOUBLE_FORK_DAEMON = """\
import os
import time


def test_starts_a_daemon():
    first = os.fork()
    if first == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(62)
        os._exit(0)
    os.waitpid(first, 0)
"""

# The server runs in a thread of a forked, detached process, started by the conftest.
SERVER_CONFTEST = """\
import os
import socketserver
import threading
import time


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(self.request.recv(64))


def pytest_sessionstart(session):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            time.sleep(63)
        os._exit(0)
"""

PASSING_TEST = """\
import app


def test_value():
    assert app.VALUE == 1
"""

DELETES_A_FILE = """\
from pathlib import Path


def test_cleans_up_too_much():
    Path("data/important.txt").unlink()
"""

# Tells the harness it is running (a file outside the tree), then sleeps, with a grandchild in
# a session of its own and one in its group.
SLOW_TEST = """\
import os
import subprocess
import time
from pathlib import Path


def test_slow():
    subprocess.Popen(["sleep", "64"], start_new_session=True)
    subprocess.Popen(["sleep", "65"])
    Path(os.environ["SLOW_TEST_STARTED"]).write_text("started")
    time.sleep(30)
"""


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_tree(tmp_path / "project", {**BASE, **files})


def _run_tests_step(root: Path) -> CliRun:
    return run_cli(
        ["run", str(root), "--steps", "tests", "--format", "json", "--no-baseline"],
        cwd=root,
        timeout_s=120,
    )


def _findings(run: CliRun, rule: str) -> list[dict[str, object]]:
    return [f for f in run.json()["findings"] if f["rule"] == rule]


@pytest.mark.parametrize(
    ("files", "command", "path"),
    [
        ({"tests/test_sleeper.py": NEW_SESSION_SLEEP}, "sleep 61", "tests/test_sleeper.py"),
        # A fork keeps the environment it started with: found by when it started.
        ({"tests/test_daemon.py": DOUBLE_FORK_DAEMON}, "-m pytest", "tests/test_daemon.py"),
        (
            {"tests/conftest.py": SERVER_CONFTEST, "tests/test_ok.py": PASSING_TEST},
            "-m pytest",
            "",
        ),
    ],
    ids=["new-session", "double-fork-daemon", "server-in-daemon"],
)
def test_a_process_a_test_leaves_running_is_reported_and_ended(
    tmp_path: Path, files: dict[str, str], command: str, path: str
) -> None:
    root = _project(tmp_path, files)
    before = tree_digest(root)
    run = _run_tests_step(root)
    assert run.returncode == 0, run.stderr
    leftovers = _findings(run, "tests/leftover-process")
    assert len(leftovers) == 1, run.stdout
    assert leftovers[0]["severity"] == "warning"
    assert command in str(leftovers[0]["message"])
    assert leftovers[0]["path"] == path
    expected = f"started by {path}::" if path else "started outside any test"
    assert expected in str(leftovers[0]["message"])
    # The generic sweep after the step found nothing more: the step accounted for it.
    assert _findings(run, "process/leftover") == []
    assert tree_digest(root) == before
    assert_no_leftover_processes(run)


def test_a_clean_test_session_leaves_no_warning_and_no_file(tmp_path: Path) -> None:
    root = _project(tmp_path, {"tests/test_ok.py": PASSING_TEST})
    before = tree_digest(root)
    # Bytecode writing allowed for the run: archverify itself must keep pytest from writing.
    run = run_cli(
        ["run", str(root), "--steps", "tests", "--format", "json", "--no-cache"],
        cwd=root,
        env={"PYTHONDONTWRITEBYTECODE": ""},
        timeout_s=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.rules() == []
    assert tree_digest(root, skip=()) == before
    assert_no_leftover_processes(run)


def test_a_test_deleting_a_project_file_is_a_changed_tree_warning(tmp_path: Path) -> None:
    root = _project(tmp_path, {"tests/test_cleanup.py": DELETES_A_FILE})
    run = _run_tests_step(root)
    assert run.returncode == 0, run.stderr
    changed = _findings(run, "tests/changed-tree")
    assert len(changed) == 1, run.stdout
    assert "deleted data/important.txt" in str(changed[0]["message"])
    assert changed[0]["extra"] == {"created": [], "deleted": ["data/important.txt"], "changed": []}
    assert_no_leftover_processes(run)


def _start_slow_run(tmp_path: Path) -> tuple[subprocess.Popen[bytes], str, Path, Path]:
    root = _project(tmp_path, {"tests/test_slow.py": SLOW_TEST})
    started = tmp_path / "slow-test-started"
    report = tmp_path / "report.json"
    args = ["run", str(root), "--steps", "tests", "--format", f"json={report}", "--no-cache"]
    process, marker = _start_until(
        root, args, started, output=subprocess.PIPE, never="the slow test never started"
    )
    return process, marker, report, root


def _start_until(
    root: Path, args: list[str], started: Path, *, output: int, never: str, ended: str = ""
) -> tuple[subprocess.Popen[bytes], str]:
    """The real CLI started in ``root`` and its marker, once it has made ``started`` (in 60 s).

    ``never`` is the failure when it takes longer, ``ended`` the one when it ends first (its
    output when empty).
    """
    env, marker = marked_environment({"SLOW_TEST_STARTED": str(started)})
    process = subprocess.Popen(
        archverify_command(*args), cwd=root, env=env, stdout=output, stderr=output
    )
    deadline = time.monotonic() + 60
    while not started.exists():
        assert process.poll() is None, ended or process.communicate()
        assert time.monotonic() < deadline, never
        time.sleep(0.05)
    return process, marker


def _assert_nothing_alive(marker: str, within_s: float) -> None:
    run = CliRun(returncode=0, stdout="", stderr="", marker=marker)
    assert_no_leftover_processes(run, grace_s=within_s)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_stop_a_run_like_ctrl_c(
    tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    process, marker, report, _ = _start_slow_run(tmp_path)
    assert len(processes_with_marker(marker)) >= 4  # archverify, watchdog, coverage, sleepers
    started = time.monotonic()
    process.send_signal(signum)
    _, err = process.communicate(timeout=20)
    assert process.returncode == code, err
    assert time.monotonic() - started < 10
    assert f"stopped by {signum.name}".encode() in err
    assert b"Traceback" not in err
    assert not report.exists()
    _assert_nothing_alive(marker, within_s=3.0)


def test_kill_9_of_archverify_leaves_nothing_running(tmp_path: Path) -> None:
    process, marker, report, _ = _start_slow_run(tmp_path)
    process.kill()
    process.communicate(timeout=10)
    # The parent-death signal ends coverage/pytest; the watchdog ends the sleepers that had
    # left its group and session.
    _assert_nothing_alive(marker, within_s=5.0)
    assert not report.exists()


def test_the_leftover_and_changed_tree_rules_are_documented() -> None:
    from archverify.processors.rule_docs import rule_docs

    docs = rule_docs()
    for rule in ("process/leftover", "tests/leftover-process", "tests/changed-tree"):
        assert rule in docs, rule


DROPS_THE_TAG = """\
import subprocess


def test_starts_an_untagged_orphan():
    subprocess.Popen(["env", "-i", "setsid", "sleep", "73"])
"""


def test_an_orphan_that_dropped_its_environment_is_still_ended(tmp_path: Path) -> None:
    root = _project(tmp_path, {"tests/test_orphan.py": DROPS_THE_TAG})
    run = _run_tests_step(root)
    assert run.returncode == 0, run.stderr
    # Without the tag, only the subreaper's final sweep sees it: on the step, said as an orphan.
    (finding,) = _findings(run, "process/leftover")
    assert "sleep 73" in str(finding["message"])
    assert "not traced to one step" in str(finding["message"])
    # Nothing carries the marker either, but the process itself is gone: check by pid.
    extra = finding["extra"]
    assert isinstance(extra, dict)
    assert not Path(f"/proc/{extra['pid']}/cmdline").exists() or _is_zombie(int(extra["pid"]))
    assert_no_leftover_processes(run)


def _is_zombie(pid: int) -> bool:
    try:
        return b") Z" in Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True


HANGS_AT_IMPORT = """\
import os
import subprocess
import time
from pathlib import Path

subprocess.Popen(["sleep", "74"], start_new_session=True)
Path(os.environ["SLOW_TEST_STARTED"]).write_text("started")
time.sleep(30)
"""


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGKILL, -9), (signal.SIGTERM, 143)])
def test_stopping_archverify_during_the_imports_step_leaves_nothing_running(
    tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    root = _project(
        tmp_path,
        {
            "app/hangs.py": HANGS_AT_IMPORT,
            "pyproject.toml": CONFIG + "\n[tool.archverify.imports]\ntimeout_s = 60\n",
        },
    )
    process, marker = _start_until(
        root,
        ["run", str(root), "--steps", "imports", "--no-cache"],
        tmp_path / "slow-test-started",
        output=subprocess.DEVNULL,
        never="the import never started",
        ended="archverify ended before the import hung",
    )
    process.send_signal(signum)
    assert process.wait(timeout=20) == code
    _assert_nothing_alive(marker, within_s=5.0)


HYPOTHESIS_TEST = """\
from hypothesis import given, strategies as st

import app


@given(st.integers())
def test_any_integer(number):
    assert app.VALUE + number - number == 1
"""


def test_hypothesis_keeps_its_database_in_the_cache_folder(tmp_path: Path) -> None:
    pytest.importorskip("hypothesis")
    root = _project(tmp_path, {"tests/test_property.py": HYPOTHESIS_TEST})
    before = tree_digest(root)
    run = _run_tests_step(root)
    assert run.returncode == 0, run.stderr
    assert run.rules() == []
    assert not (root / ".hypothesis").exists()
    assert tree_digest(root) == before
