"""Running an external tool as a child process: own process group, timeout, clean kill."""

from __future__ import annotations

import os
import re
import signal

# Archverify's job is to run the project's own tools.
import subprocess  # nosec B404
import tempfile
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from archverify.executors.runtime.children import child_env, parent_death_preexec
from archverify.executors.runtime.launch import ProgramNotFound, tool_command

_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()


class ToolFailure(RuntimeError):
    """A tool could not do its job; the message says what happened and what to do."""


class ToolMissing(ToolFailure):
    """The program (or the Python module) to run is not installed."""


@dataclass(frozen=True)
class ToolRun:
    """What a finished (or killed) child left behind; output decoded leniently."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float


def run_tool(
    args: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
) -> ToolRun:
    """Run ``args`` in ``cwd`` and wait at most ``timeout_s`` seconds.

    ``env`` adds to (and overrides) the current environment. The child gets its own process
    group so that a timeout or Ctrl-C kills it and every grandchild it started (pytest-xdist
    workers, bandit shards), the current step's tag (what escapes the group is swept by it, see
    ``children``) and SIGKILL when archverify dies. Raises ``ToolMissing`` when the program
    cannot be started.
    """
    # Never leave __pycache__ folders in the user's tree.
    environment = child_env({**(env or {}), "PYTHONDONTWRITEBYTECODE": "1"})
    started = time.monotonic()
    # Files, not pipes: a process that escaped the group (a test's daemon) and still holds the
    # output open must not keep us waiting; we wait for the child itself, and the step's sweep
    # ends the escapee.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc, timed_out = _run_to_end(list(args), cwd, environment, out, err, timeout_s)
        stdout, stderr = _read_back(out), _read_back(err)
    return ToolRun(
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
        duration_s=time.monotonic() - started,
    )


def _run_to_end(
    args: list[str],
    cwd: Path,
    env: Mapping[str, str],
    out: IO[bytes],
    err: IO[bytes],
    timeout_s: float,
) -> tuple[subprocess.Popen[bytes], bool]:
    proc: subprocess.Popen[bytes] | None = None
    timed_out = False
    # One try from the start: a Ctrl-C that lands just after the child started (before the
    # wait) takes its group down too, instead of leaving it to run on.
    try:
        try:
            # Argument list, no shell.
            proc = subprocess.Popen(  # nosec B603
                args,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=parent_death_preexec(),
            )
        except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
            raise ToolMissing(f"cannot start {args[0]!r}: {exc}") from exc
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
            proc.wait()
    except BaseException:
        # KeyboardInterrupt (or anything else): take the whole group down, then re-raise.
        if proc is not None:
            _kill_group(proc)
            proc.wait()
        raise
    finally:
        if proc is not None:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
    return proc, timed_out


def _read_back(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode("utf-8", errors="replace")


def run_module(
    module: str,
    args: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    sys_path: Sequence[str] = (),
    preload: Sequence[str] = (),
    append_path: Sequence[str] = (),
) -> ToolRun:
    """Run the tool ``module`` (as ``python -m module args``) from archverify's environment.

    ``launch.tool_command`` decides how, so that no file of the project can stand in for the
    tool; ``sys_path``, ``preload`` and ``append_path`` are passed on to it. Raises
    ``ToolMissing`` when the tool is not installed.
    """
    try:
        command = tool_command(
            module, args, sys_path=sys_path, preload=preload, append_path=append_path
        )
    except ProgramNotFound as exc:
        raise ToolMissing(str(exc)) from exc
    run = run_tool(command, cwd=cwd, timeout_s=timeout_s, env=env)
    if run.returncode != 0 and reports_missing(run.stderr, module):
        raise ToolMissing(f"{module} is not installed: pip install {module.split('.')[0]}")
    return run


def reports_missing(stderr: str, module: str) -> bool:
    """True when Python's error output says that ``module`` cannot be imported."""
    top = module.split(".")[0]
    return any(
        f"No module named {name}" in stderr for name in (module, top, f"'{module}'", f"'{top}'")
    )


def run_checked(
    module: str,
    args: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float,
    ok_codes: Collection[int],
    env: Mapping[str, str] | None = None,
    sys_path: Sequence[str] = (),
    preload: Sequence[str] = (),
    append_path: Sequence[str] = (),
) -> ToolRun:
    """``run_module``, raising ``ToolFailure`` on a timeout or an exit code not in ``ok_codes``."""
    run = run_module(
        module,
        args,
        cwd=cwd,
        timeout_s=timeout_s,
        env=env,
        sys_path=sys_path,
        preload=preload,
        append_path=append_path,
    )
    name = module.split(".")[0]
    if run.timed_out:
        raise ToolFailure(
            f"{name} timed out after {timeout_s:g} s; raise options.timeout_s in "
            f"[tool.archverify.<step>] or check fewer files"
        )
    if run.returncode not in ok_codes:
        raise ToolFailure(
            f"{name} failed (exit {run.returncode}): {error_line(run.stderr or run.stdout)}"
        )
    return run


def terminate_all() -> None:
    """Kill every live child's process group (the orchestrator calls this on Ctrl-C)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for proc in live:
        _kill_group(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        # The group is already gone, or the leader exited and its pid was reused: kill just it.
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def first_line(text: str, limit: int = 200) -> str:
    """The first non-blank line of a tool's output, for one-line error messages."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return "(no output)"


# "CoverageWarning: --include is ignored", "DeprecationWarning: ...", "warning: ...": what a
# tool says before its real error, never the error.
_WARNING_LINE = re.compile(r"(^|\W)(\w*Warning:|warning:|WARNING)")
# An exception line ("ImportError: ...", "pytest: error: ...", "ERROR: ...", "E   Foo: ...").
_ERROR_LINE = re.compile(
    r"^(E\s+)?[\w.]*(Error|Exception|Exit|Interrupt)\b|\b[Ee][Rr][Rr][Oo][Rr]:|\bFATAL\b"
)


def error_line(text: str, limit: int = 200) -> str:
    """The line of a tool's output that says why it failed: the last line that reads as an
    error, else the last that is not a warning, else the first; warnings (and the source line
    Python prints indented under each) are skipped, since tools print them first."""
    lines: list[str] = []
    in_warning = False
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if _WARNING_LINE.search(raw):
            in_warning = True
            continue
        if in_warning and raw[:1].isspace():
            continue  # the source line under a warning
        in_warning = False
        lines.append(raw.strip())
    errors = [line for line in lines if _ERROR_LINE.search(line)]
    chosen = errors[-1] if errors else lines[-1] if lines else first_line(text, limit)
    return chosen[:limit]


def relative_path(root: Path, reported: str) -> str:
    """A tool's file name as a finding path: relative to ``root``, forward slashes.

    Tools print absolute paths, ``./x.py`` or ``x.py``; files outside the root keep their
    absolute path.
    """
    path = Path(reported)
    if not path.is_absolute():
        path = root / path
    try:
        return Path(os.path.normpath(path)).relative_to(os.path.normpath(root)).as_posix()
    except ValueError:
        return Path(os.path.normpath(path)).as_posix()
