"""mypy at its own fastest: incremental through its cache, and dmypy kept for interactive runs."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from archverify.core.config import ToolConfig
from archverify.core.findings import StepOutcome, StepStatus
from archverify.executors.base import StepContext
from archverify.executors.tools import mypy_daemon
from archverify.executors.tools.mypy import MypyStep
from archverify.orchestrator.scheduler import SchedulerOptions, run_steps
from tests.helpers.factories import MemoryCache
from tests.helpers.tool_project import make_context, write_files

FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": 'def double(x: int) -> int:\n    return 2 * x\n\n\nVALUE = double("two")\n',
    "pkg/b.py": "from pkg.a import double\n\nY: str = double(1)\nZ: list[int] = [1]\n",
    "pkg/c.py": "def f(xs: list[float]) -> None: ...\n\n\nf([1])\nf(list[int]())\n",
    "pkg/d.py": "import json\n\nN: int = json.dumps(1)\n",
}


def _context(root: Path, cache_dir: Path, kv: MemoryCache, daemon: bool) -> StepContext:
    tools = {"mypy": ToolConfig(options={"daemon": daemon})}
    return make_context(root, cache_dir=cache_dir, tools=tools, cache=kv)


def _run(context: StepContext) -> StepOutcome:
    # Through the scheduler: what a step leaves running is swept and named (process/leftover).
    [outcome] = run_steps([MypyStep()], context, SchedulerOptions(use_cache=False))
    return outcome


def _dmypy_processes(root: Path) -> list[int]:
    """Live processes whose command line runs dmypy with ``root`` as their working folder."""
    found: list[int] = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            command = Path(f"/proc/{name}/cmdline").read_bytes()
            cwd = os.readlink(f"/proc/{name}/cwd")
            state = Path(f"/proc/{name}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if b"dmypy" in command and Path(cwd) == root and state != b"Z":
            found.append(int(name))
    return found


def cache_entries(folder: Path) -> dict[str, float]:
    """mypy's cache entries of the project's modules (``pkg/a.meta...``) by their write time:
    in its SQLite files (mypy >= 2) or as JSON files (older mypy, ``--no-sqlite-cache``)."""
    entries: dict[str, float] = {}
    for db in folder.rglob("cache*.db"):
        with closing(sqlite3.connect(db)) as connection:
            for path, mtime in connection.execute("SELECT path, mtime FROM files2"):
                entries[str(path)] = float(mtime)
    for file in folder.rglob("*.json"):
        entries[file.relative_to(file.parents[1]).as_posix()] = file.stat().st_mtime
    return {path: mtime for path, mtime in entries.items() if path.startswith("pkg/")}


def metas(folder: Path) -> dict[str, float]:
    """Module name -> when mypy last wrote its cache entry."""
    entries = cache_entries(folder)
    return {p.split("/")[1].split(".")[0]: t for p, t in entries.items() if ".meta." in p}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("CI", raising=False)
    root = tmp_path / "project"
    write_files(root, FILES)
    yield root
    for pid in _dmypy_processes(root):  # a failed test must not leave its daemon behind
        os.kill(pid, 9)


def test_the_daemon_finds_what_plain_mypy_finds_is_kept_and_stops(
    project: Path, tmp_path: Path
) -> None:
    cache_dir, kv = tmp_path / "cache", MemoryCache()
    cache_dir.mkdir()
    plain = _run(_context(project, cache_dir, kv, daemon=False))
    assert plain.status is StepStatus.FAILED, plain.message
    assert plain.stats["daemon"] == "off"
    assert len(plain.findings) >= 4
    first = _run(_context(project, cache_dir, kv, daemon=True))
    assert first.stats["daemon"] == "started", first.message
    assert first.findings == plain.findings  # a process/leftover would be among them
    [pid] = _dmypy_processes(project)
    status = json.loads(mypy_daemon.status_file(cache_dir).read_text())
    assert status["pid"] == pid
    # An edit: the kept daemon answers, and agrees with plain mypy on the new tree.
    (project / "pkg" / "d.py").write_text("import json\n\nN: str = json.dumps(2)\n")
    again = _run(_context(project, cache_dir, kv, daemon=True))
    assert again.stats["daemon"] == "reused"
    assert again.findings == _run(_context(project, cache_dir, kv, daemon=False)).findings
    assert _dmypy_processes(project) == [pid]
    # Other flags: that daemon is stopped and one for them started.
    strict = make_context(
        project,
        cache_dir=cache_dir,
        cache=kv,
        tools={"mypy": ToolConfig(args=("--strict",), options={"daemon": True})},
    )
    assert _run(strict).stats["daemon"] == "started"
    [other] = _dmypy_processes(project)
    assert other != pid
    mypy_daemon.stop("mypy.dmypy", cache_dir, kv, mypy_daemon.Launch(project, 30.0))
    assert _dmypy_processes(project) == []
    assert not mypy_daemon.status_file(cache_dir).exists()


def test_a_status_file_archverify_did_not_write_is_not_used(project: Path, tmp_path: Path) -> None:
    cache_dir, kv = tmp_path / "cache", MemoryCache()
    (cache_dir / "mypy-daemon").mkdir(parents=True)
    # What a repository could ship: a status file naming some process and socket.
    forged = {"pid": os.getpid(), "connection_name": str(tmp_path / "evil.sock")}
    mypy_daemon.status_file(cache_dir).write_text(json.dumps(forged))
    outcome = _run(_context(project, cache_dir, kv, daemon=True))
    assert outcome.stats["daemon"] == "started"
    assert json.loads(mypy_daemon.status_file(cache_dir).read_text())["pid"] != os.getpid()
    mypy_daemon.stop("mypy.dmypy", cache_dir, kv, mypy_daemon.Launch(project, 30.0))
    assert _dmypy_processes(project) == []


def test_ci_and_no_cache_folder_turn_the_daemon_off(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    assert _run(_context(project, tmp_path, MemoryCache(), daemon=True)).stats["daemon"] == "off"
    monkeypatch.delenv("CI")
    tools = {"mypy": ToolConfig(options={"daemon": True})}
    outcome = _run(make_context(project, tools=tools))  # no cache folder (--no-cache)
    assert outcome.stats["daemon"] == "off"
    assert _dmypy_processes(project) == []


def test_plain_mypy_is_incremental_through_its_cache(project: Path, tmp_path: Path) -> None:
    cache_dir, kv = tmp_path / "cache", MemoryCache()
    cache_dir.mkdir()
    first = _run(_context(project, cache_dir, kv, daemon=False))
    before = metas(cache_dir / "mypy")
    assert set(before) >= {"a", "b", "c", "d"}
    # A leaf module edited: only its own cache entry is written again, the others are reused.
    # Its time moves on by a second: mypy trusts a cache entry whose file has the same size and
    # the same whole-second mtime (a same-size edit within the second is mypy's blind spot,
    # documented in rule_docs/mypy.md), which made this test depend on the clock.
    leaf = project / "pkg" / "d.py"
    then = leaf.stat().st_mtime_ns + 1_000_000_000
    leaf.write_text("import json\n\nN: str = json.dumps(1)\n")
    os.utime(leaf, ns=(then, then))
    second = _run(_context(project, cache_dir, kv, daemon=False))
    after = metas(cache_dir / "mypy")
    assert {m for m in before if after[m] != before[m]} == {"d"}
    assert [f for f in second.findings if f.path == "pkg/d.py"] == []
    assert len(second.findings) == len(first.findings) - 1
    assert not (project / ".mypy_cache").exists()


def _edit_keeping_size_and_mtime(file: Path, text: str) -> None:
    """What mypy cannot see: a same-size edit within the second of its check, or one whose
    mtime was put back (``touch -r``, ``tar``, ``rsync -t``); only the ctime moves."""
    before = file.stat()
    assert len(text.encode()) == before.st_size
    file.write_text(text)
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.mark.parametrize("daemon", [False, True], ids=["plain", "daemon"])
def test_an_edit_mypy_would_not_see_is_checked_again(
    project: Path, tmp_path: Path, daemon: bool
) -> None:
    cache_dir, kv = tmp_path / "cache", MemoryCache()
    cache_dir.mkdir()
    first = _run(_context(project, cache_dir, kv, daemon=daemon))
    assert [f.rule for f in first.findings if f.path == "pkg/d.py"] == ["mypy/assignment"]
    _edit_keeping_size_and_mtime(
        project / "pkg" / "d.py", "import json\n\nN: str = json.dumps(1)\n"
    )
    second = _run(_context(project, cache_dir, kv, daemon=daemon))
    assert [f for f in second.findings if f.path == "pkg/d.py"] == []
    assert second.findings == _run(make_context(project)).findings  # = a cold check (no cache)
    # Back, the same way: the error must come back too.
    _edit_keeping_size_and_mtime(project / "pkg" / "d.py", FILES["pkg/d.py"])
    third = _run(_context(project, cache_dir, kv, daemon=daemon))
    assert third.findings == first.findings
    if daemon:
        mypy_daemon.stop("mypy.dmypy", cache_dir, kv, mypy_daemon.Launch(project, 30.0))


def test_an_edited_mypy_configuration_is_not_answered_by_the_old_daemon(
    project: Path, tmp_path: Path
) -> None:
    # dmypy reads the configuration file when it starts, never again: a daemon kept across an
    # edit of [tool.mypy] would check with the old options and pass what plain mypy fails.
    cache_dir, kv = tmp_path / "cache", MemoryCache()
    cache_dir.mkdir()
    (project / "pkg" / "e.py").write_text("def untyped(x):\n    return x\n")
    (project / "pyproject.toml").write_text("[tool.mypy]\ndisallow_untyped_defs = false\n")
    first = _run(_context(project, cache_dir, kv, daemon=True))
    assert first.stats["daemon"] == "started", first.message
    assert not [f for f in first.findings if f.path == "pkg/e.py"]
    (project / "pyproject.toml").write_text("[tool.mypy]\ndisallow_untyped_defs = true\n")
    again = _run(_context(project, cache_dir, kv, daemon=True))
    assert again.stats["daemon"] == "started"
    assert [f for f in again.findings if f.path == "pkg/e.py"]
    assert again.findings == _run(_context(project, cache_dir, kv, daemon=False)).findings
    mypy_daemon.stop("mypy.dmypy", cache_dir, kv, mypy_daemon.Launch(project, 30.0))
    assert _dmypy_processes(project) == []


PLUGIN = (
    "from mypy.plugin import Plugin\n\n\n"
    "def plugin(version: str) -> type[Plugin]:\n"
    "    return Plugin\n"
)


def test_no_daemon_keeps_the_projects_plugin_running(project: Path, tmp_path: Path) -> None:
    # A plugin is the project's code: in a kept daemon it would outlive the run.
    write_files(project, {"pkg/plugin.py": PLUGIN, "mypy.ini": "[mypy]\nplugins = pkg/plugin.py\n"})
    cache_dir, kv = tmp_path / "cache", MemoryCache()
    cache_dir.mkdir()
    outcome = _run(_context(project, cache_dir, kv, daemon=True))
    assert outcome.status is StepStatus.FAILED, outcome.message
    assert outcome.stats["daemon"] == "off"
    assert _dmypy_processes(project) == []
    assert not mypy_daemon.status_file(cache_dir).exists()


def test_no_daemon_under_untrusted(project: Path, tmp_path: Path) -> None:
    # The repository's own configuration asks for the daemon: --untrusted keeps no process.
    cache_dir, kv = tmp_path / "cache", MemoryCache()
    cache_dir.mkdir()
    tools = {"mypy": ToolConfig(options={"daemon": True})}
    context = make_context(
        project, cache_dir=cache_dir, tools=tools, cache=kv, options={"untrusted": True}
    )
    outcome = _run(context)
    assert outcome.stats["daemon"] == "off", outcome.message
    assert _dmypy_processes(project) == []
