"""The mypy step through dmypy: a daemon kept between interactive runs, warm in memory.

Why kept: dmypy's worth is the state it holds between checks. A daemon that ended with each
run would start cold every time (it writes no cache of its own in fine-grained mode), so it
would only add its start to plain mypy's incremental run (measured in
``docs/internal/performance.md``). So the daemon outlives the run, which archverify otherwise
never allows (``executors.runtime.children``), under these terms:

- its status file is ``<cache folder>/mypy-daemon/status.json``; the daemon it names is used
  only when an authenticated record (``KeyValueCache``, under a secret the repository cannot
  ship or read) says archverify started that process (its pid and start time) on that socket
  with these flags, this mypy and this environment. A status file the repository ships, or one
  left by a daemon with other flags, is never connected to: that daemon is stopped (when the
  record says it is ours) and a new one started;
- it stops by itself after ``IDLE_TIMEOUT_S`` without a request (dmypy's ``--timeout``), and
  ``python -m mypy.dmypy --status-file <cache folder>/mypy-daemon/status.json stop`` stops it
  at once; ``--no-cache`` and a set ``CI`` never start one;
- one run at a time talks to it (``mypy-daemon.lock``); a run that finds the lock held runs
  plain mypy instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal

# Started by argument list, no shell; the daemon must outlive the run, so not run_tool.
import subprocess  # nosec B404
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archverify.core.tool_args import path_arguments
from archverify.executors.base import KeyValueCache
from archverify.executors.runtime.children import keep, kept_env
from archverify.executors.runtime.launch import tool_command
from archverify.executors.runtime.process import ToolFailure, ToolRun, error_line, run_checked
from archverify.executors.tools.cache import exclusive_lock

NAMESPACE = "mypy-daemon"
FOLDER = "mypy-daemon"
# A daemon nobody asked anything for this long ends by itself.
IDLE_TIMEOUT_S = 1800
# Seconds ``dmypy start`` may take to have the daemon listening (it checks nothing yet).
_START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Launch:
    """Where and how the mypy processes run (the plain and the daemon paths alike)."""

    cwd: Path
    timeout_s: float
    env: Mapping[str, str] = field(default_factory=dict)
    append_path: Sequence[str] = ()

    def keywords(self) -> dict[str, Any]:
        return {
            "cwd": self.cwd,
            "timeout_s": self.timeout_s,
            "env": dict(self.env),
            "append_path": list(self.append_path),
        }


@dataclass(frozen=True)
class DaemonRun:
    """A check's output and whether the daemon was ``started`` or ``reused`` for it."""

    run: ToolRun
    daemon: str


def status_file(cache_dir: Path) -> Path:
    return cache_dir / FOLDER / "status.json"


def check(
    module: str,
    flags: Sequence[str],
    targets: Sequence[str],
    launch: Launch,
    *,
    cache_dir: Path,
    cache: KeyValueCache,
    identity: str,
    restart: bool = False,
) -> DaemonRun | None:
    """``dmypy check`` of ``targets`` on our daemon for ``flags`` (started when there is none
    we can trust); None when another run holds the daemon (run plain mypy instead).

    ``identity`` names what else the daemon's verdicts depend on (mypy's version, the
    interpreter and installed distributions, ``MYPYPATH``): a change starts a new daemon.
    ``restart`` starts a new one anyway (a file changed in a way the daemon cannot see).
    """
    folder = cache_dir / FOLDER
    with exclusive_lock(cache_dir / f"{FOLDER}.lock") as held:
        if not held or folder.is_symlink():
            return None
        # The folder by its absolute path: a daemon checks the files of the checkout it was
        # started in, and the cache re-roots its record in a copy of the cache (docs/ci.md).
        place = str(cache_dir.resolve())
        wanted = _digest(
            [module, list(flags), identity, dict(launch.env), list(launch.append_path), place]
        )
        status = status_file(cache_dir)
        record = cache.get(NAMESPACE, _record_key(cache_dir))
        how = "reused"
        if restart or not _trusted(record, status, wanted):
            _retire(module, record, status, launch)
            _start(module, flags, launch, folder, status, cache, _record_key(cache_dir), wanted)
            how = "started"
        run = _check(module, status, targets, launch)
        if how == "reused" and _daemon_gone(run):
            # It died between runs (killed, or ended when idle): once more with a new one.
            _retire(module, record, status, launch)
            _start(module, flags, launch, folder, status, cache, _record_key(cache_dir), wanted)
            run, how = _check(module, status, targets, launch), "started"
        return DaemonRun(run, how)


def stop(module: str, cache_dir: Path, cache: KeyValueCache, launch: Launch) -> None:
    """Stop the daemon the record names (tests, and a user's ``dmypy stop`` does the same)."""
    _retire(module, cache.get(NAMESPACE, _record_key(cache_dir)), status_file(cache_dir), launch)


def _record_key(cache_dir: Path) -> str:
    """The daemon's record, one per cache folder by its absolute path as a digest: the cache
    re-roots paths in keys, and a copy of the cache in another checkout must not find (and
    stop) the daemon of the first."""
    return "daemon-" + _digest(str(cache_dir.resolve()))


def _check(module: str, status: Path, targets: Sequence[str], launch: Launch) -> ToolRun:
    args = ["--status-file", str(status), "check", "--", *path_arguments(targets)]
    return run_checked(module, args, ok_codes=(0, 1, 2), preload=(module,), **launch.keywords())


def _daemon_gone(run: ToolRun) -> bool:
    text = run.stdout + run.stderr
    return run.returncode == 2 and any(
        phrase in text for phrase in ("Daemon has died", "No status file", "Daemon is stuck")
    )


def _start(
    module: str,
    flags: Sequence[str],
    launch: Launch,
    folder: Path,
    status: Path,
    cache: KeyValueCache,
    key: str,
    wanted: str,
) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        status.unlink(missing_ok=True)
    except OSError as exc:
        raise ToolFailure(f"cannot prepare the mypy daemon's folder {folder}: {exc}") from exc
    args = [
        *("--status-file", str(status), "start", "--timeout", str(IDLE_TIMEOUT_S), "--"),
        *flags,
        *("--cache-dir", str(folder / "cache")),
    ]
    command = tool_command(module, args, preload=(module,), append_path=launch.append_path)
    env = kept_env({**launch.env, "PYTHONDONTWRITEBYTECODE": "1"})
    with tempfile.TemporaryFile() as out:
        try:
            # The client returns once the daemon listens; the daemon, forked twice, stays.
            proc = subprocess.run(  # nosec B603
                command,
                cwd=launch.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                timeout=_START_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolFailure(f"dmypy could not start: {exc}") from exc
        out.seek(0)
        said = out.read().decode("utf-8", errors="replace")
    found = _read_status(status)
    if proc.returncode != 0 or found is None:
        raise ToolFailure(f"dmypy could not start (exit {proc.returncode}): {error_line(said)}")
    pid, connection = found
    keep(pid)
    cache.put(
        NAMESPACE,
        key,
        {"pid": pid, "connection": connection, "started": _start_time(pid), "wanted": wanted},
    )


def _trusted(record: Any, status: Path, wanted: str) -> bool:
    """The status file names the daemon our record says we started, with these flags, alive."""
    if not isinstance(record, dict) or record.get("wanted") != wanted:
        return False
    found = _read_status(status)
    if found is None or found != (record.get("pid"), record.get("connection")):
        return False
    return _is_our_process(record)


def _is_our_process(record: Any) -> bool:
    pid = record.get("pid") if isinstance(record, dict) else None
    return isinstance(pid, int) and pid > 0 and _start_time(pid) == record.get("started")


def _retire(module: str, record: Any, status: Path, launch: Launch) -> None:
    """End the daemon our record names, if it still runs; forget any status file."""
    if _is_our_process(record):
        found = _read_status(status)
        stopped = False
        if found is not None and found == (record.get("pid"), record.get("connection")):
            args = ["--status-file", str(status), "stop"]
            keywords = {**launch.keywords(), "timeout_s": 30.0}
            with contextlib.suppress(ToolFailure):
                stopped = run_checked(module, args, ok_codes=(0,), **keywords).returncode == 0
        if not stopped and _is_our_process(record):
            with contextlib.suppress(OSError):
                os.kill(int(record["pid"]), signal.SIGKILL)
    with contextlib.suppress(OSError):
        status.unlink(missing_ok=True)


def _read_status(status: Path) -> tuple[int, str] | None:
    try:
        if status.is_symlink() or not status.is_file():
            return None
        data = json.loads(status.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid, connection = data.get("pid"), data.get("connection_name")
    if not isinstance(pid, int) or isinstance(pid, bool) or not isinstance(connection, str):
        return None
    return pid, connection


def _start_time(pid: int) -> str:
    """When ``pid`` started, in clock ticks since boot ("" when it does not run): with the pid,
    it names one process, whatever pid reuse does later."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    if fields[0] in (b"Z", b"X"):
        return ""
    return fields[19].decode() if len(fields) > 19 else ""


def _digest(material: Any) -> str:
    text = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
