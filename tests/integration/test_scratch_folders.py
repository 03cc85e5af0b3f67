"""A run leaves no scratch folder behind: stopped mid-imports by SIGINT or SIGTERM, it removes
its own; killed (SIGKILL, which no handler sees), the next run sweeps it, and only it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.cli import archverify_command, marked_environment, processes_with_marker
from tests.helpers.tree import write_tree

FILES = {
    "pyproject.toml": (
        '[tool.archverify]\npackages = ["app"]\n\n[tool.archverify.imports]\ntimeout_s = 120\n'
    ),
    "app/__init__.py": "",
    "app/fine.py": "VALUE = 1\n",
    # Keeps the imports step busy until the run is stopped.
    "app/hangs.py": "import time\nwhile True:\n    time.sleep(0.1)\n",
}
IMPORTS = ["run", ".", "--steps", "imports", "--no-cache", "--format", "json"]


def _scratch(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("archverify-"))


def _start(root: Path, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    env, marker = marked_environment({"TMPDIR": str(tmp)})
    child = subprocess.Popen(
        archverify_command(*IMPORTS),
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    return child, marker


def _wait_for_the_server(child: subprocess.Popen[bytes], tmp: Path, marker: str) -> None:
    """Until the imports step has its scratch folder and its server runs (under load this can
    take long: the deadline is generous, the poll short)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        folders = [tmp / name for name in _scratch(tmp) if name.startswith("archverify-imports")]
        if (
            any((f / "server.json").exists() for f in folders)
            and len(processes_with_marker(marker)) > 1
        ):
            return
        time.sleep(0.1)
    child.kill()
    pytest.fail(f"the imports step never started its server: {child.communicate()}")


def _busy_run(tmp_path: Path) -> tuple[Path, subprocess.Popen[bytes], str]:
    """A run in the imports step, its temp folder (``TMPDIR``) its own: that folder, the
    run, its marker."""
    root = write_tree(tmp_path / "project", FILES)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    child, marker = _start(root, tmp)
    _wait_for_the_server(child, tmp, marker)
    return tmp, child, marker


def _gone(marker: str, timeout_s: float = 30) -> list[int]:
    """The run's processes still alive after ``timeout_s`` (killed then, for the next test)."""
    deadline = time.monotonic() + timeout_s
    alive = processes_with_marker(marker)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = processes_with_marker(marker)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return alive


@pytest.mark.parametrize(
    ("number", "group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGTERM, True)],
    ids=["ctrl-c-to-the-group", "sigterm-to-archverify", "sigterm-to-the-group"],
)
def test_a_run_stopped_mid_imports_leaves_no_scratch_and_no_process(
    tmp_path: Path, number: signal.Signals, group: bool
) -> None:
    tmp, child, marker = _busy_run(tmp_path)
    assert _scratch(tmp), "the run made no scratch folder to observe"
    if group:
        os.killpg(child.pid, number)
    else:
        child.send_signal(number)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 128 + number, err
    assert b"Traceback" not in err
    assert _gone(marker) == []
    assert _scratch(tmp) == []


def _marked(tmp: Path, name: str, owner: dict[str, object]) -> Path:
    folder = tmp / name
    (folder / "bytecode").mkdir(parents=True)
    (folder / ".archverify-scratch").write_text(json.dumps(owner), "utf-8")
    return folder


def _owner_of(pid: int) -> dict[str, object]:
    stat = Path(f"/proc/{pid}/stat").read_text("utf-8")
    return {
        "pid": pid,
        "started": int(stat.rpartition(")")[2].split()[19]),
        "host": os.uname().nodename,
        "pid_namespace": os.readlink("/proc/self/ns/pid"),
    }


@pytest.mark.skipif(not Path("/proc/self/ns/pid").exists(), reason="needs Linux's /proc")
def test_the_next_run_sweeps_the_scratch_of_a_killed_run_and_nothing_else(
    tmp_path: Path,
) -> None:
    tmp, child, marker = _busy_run(tmp_path)
    os.killpg(child.pid, signal.SIGKILL)  # no handler runs: its scratch stays
    child.communicate(timeout=60)
    assert _gone(marker) == []
    killed = _scratch(tmp)
    assert killed and all(name.startswith("archverify-imports-") for name in killed)

    # Beside it: a live owner's folder (this test's process), an owner whose pid a later
    # process took (same pid, another start time), folders without a marker or with a
    # marker of another host, and a file: only the dead owners' folders may go.
    mine = _owner_of(os.getpid())
    _marked(tmp, "archverify-imports-live", mine)
    _marked(tmp, "archverify-tests-reused", {**mine, "started": int(str(mine["started"])) - 1})
    _marked(tmp, "archverify-mypy-elsewhere", {**mine, "pid": 1, "host": "another-host"})
    (tmp / "archverify-imports-unmarked" / "bytecode").mkdir(parents=True)
    (tmp / "archverify-notes.txt").write_text("not a folder", "utf-8")
    quiet = {
        **FILES,
        "pyproject.toml": '[tool.archverify]\npackages = ["app"]\n',
    }
    quiet.pop("app/hangs.py")
    other = write_tree(tmp_path / "other", quiet)
    env, _ = marked_environment({"TMPDIR": str(tmp)})
    run = subprocess.run(
        archverify_command(*IMPORTS), cwd=other, env=env, capture_output=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert _scratch(tmp) == [
        "archverify-imports-live",
        "archverify-imports-unmarked",
        "archverify-mypy-elsewhere",
        "archverify-notes.txt",
    ]
