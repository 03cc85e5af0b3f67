"""Every process a run starts is accounted for: tagged, swept at the end of its step, and killed
even when archverify itself is killed.

The steps run the project's code (its tests, its imports), and that code may start processes
that leave the process group or the session (``setsid``, a double-fork daemon, a server
thread in a forked child). A process group kill does not reach those. So:

- every child archverify starts carries ``ARCHVERIFY_RUN=<run id>.<step>`` in its environment
  (``child_env``); its own children inherit it, whatever session or group they move to;
- at the end of each step, ``sweep_step`` finds the live processes carrying that step's tag
  (``/proc/<pid>/environ``) and kills them; at the end of the run, ``sweep_run`` does the same
  for the whole run, plus, when archverify is a child subreaper (the command line), every
  process re-parented to it;
- the direct children get ``PR_SET_PDEATHSIG=SIGKILL`` (``preexec``), and a tiny watchdog
  process (``Supervisor``) that outlives a ``kill -9`` of archverify kills what carries the
  run's tag as soon as archverify's end of its pipe closes.

What is not covered: a process that replaces its environment (``execve`` with a new one, as
``env -i`` does) loses the tag; while archverify lives it is still swept as a re-parented orphan
of the subreaper at the end of the run, but not after a ``kill -9`` of archverify. Everything
here is Linux (``/proc``, ``prctl``); elsewhere it degrades to the process group kill.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import os
import secrets
import signal

# The watchdog is our own script in a fresh interpreter.
import subprocess  # nosec B404
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from archverify.executors.runtime.launch import as_started

TAG_VARIABLE = "ARCHVERIFY_RUN"
# The name of the variable holding the cache secret (``orchestrator.cache.auth``): only
# archverify's own process needs it, and a child that had it (the project's tests, a module
# imported by the imports step, a tool's plugin) could tag forged cache entries with it.
CACHE_SECRET_VARIABLE = "ARCHVERIFY_CACHE_SECRET"  # nosec B105
# Never passed to a child: the secret, and PYTEST_CURRENT_TEST (when archverify itself runs
# under pytest it names the outer test, and a leftover of the tests step would be blamed on it).
WITHHELD_VARIABLES = frozenset({CACHE_SECRET_VARIABLE, "PYTEST_CURRENT_TEST"})
# One id per archverify process: concurrent runs on one machine never sweep each other's.
RUN_ID = secrets.token_hex(8)
# Outside any step (the CLI before the scheduler starts, say).
NO_STEP = "-"
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
# Freezing, then rescanning, catches a process that forks while being swept; bounded rounds
# so that a fork bomb cannot keep the sweep going forever.
_SWEEP_ROUNDS = 20
_COMMAND_LIMIT = 300
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

_step: contextvars.ContextVar[str] = contextvars.ContextVar("archverify_step", default=NO_STEP)
_state = {"subreaper": False, "stopping": False}
# When the current run's steps began, in seconds since boot (the clock of /proc/<pid>/stat):
# a process started before cannot be this run's (a test suite runs many runs in one process).
_run_started = [0.0]
# /proc's start times are in clock ticks: allow one tick and a little.
_START_SLACK_S = 0.05


class Stopping(RuntimeError):
    """The run is being stopped (Ctrl-C, SIGTERM): no new child may start."""


@dataclass(frozen=True)
class Leftover:
    """A process still alive when its step (or the run) ended; it has been killed since."""

    pid: int
    command: str
    # The step tag it carried ("" when it carried none: a re-parented orphan).
    tag: str
    # PYTEST_CURRENT_TEST of its environment (its phase left out): the test that was running
    # when it was started by exec.
    test: str = ""
    # When it started, in seconds since boot (0 when unknown).
    started: float = 0.0

    @property
    def step(self) -> str:
        """The step whose tag it carried, or ""."""
        return self.tag.partition(".")[2]


def step_tag(step: str | None = None) -> str:
    """``<run id>.<step>``: the tag of ``step``, or of the step the calling thread runs."""
    return f"{RUN_ID}.{step if step is not None else _step.get()}"


def current_step() -> str:
    """The step the calling thread runs (``NO_STEP`` outside any)."""
    return _step.get()


def enter_step(step: str) -> None:
    """Make the calling thread part of ``step`` for good: the ``initializer`` of a thread pool
    a step starts (``initargs=(current_step(),)``), since a new thread starts outside any step."""
    _step.set(step)


@contextlib.contextmanager
def step_scope(step: str) -> Iterator[None]:
    """Children started by this thread inside the block carry ``step``'s tag."""
    token = _step.set(step)
    try:
        yield
    finally:
        _step.reset(token)


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child: ours without what is withheld (``WITHHELD_VARIABLES``: the cache
    secret, ``PYTEST_CURRENT_TEST``), ``extra`` on top, and the current step's tag."""
    if _state["stopping"]:
        # A step's thread still running after an interrupt must not start what nobody ends.
        raise Stopping("archverify is stopping: no new process is started")
    env = {**_inherited(), **(extra or {}), TAG_VARIABLE: _chained(step_tag())}
    for name in WITHHELD_VARIABLES:
        env.pop(name, None)
    return env


def _inherited() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in WITHHELD_VARIABLES}


def _chained(tag: str) -> str:
    """Our tag after those of the archverify runs above us (archverify's tests step running a
    test suite that runs archverify): each run's sweep still finds what the inner ones started.
    """
    inherited = os.environ.get(TAG_VARIABLE, "").split()
    return " ".join([*inherited, tag])


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        # glibc's soname first: ``ctypes.util`` costs ~30 ms to import and asks ``ldconfig``.
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        pass
    from ctypes import util

    try:
        return ctypes.CDLL(util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _libc()


def parent_death_preexec() -> Callable[[], None] | None:
    """A ``preexec_fn`` giving the child ``SIGKILL`` when the thread that started it dies.

    None where ``prctl`` does not exist. The function only calls two system calls resolved
    beforehand (no import, no allocation worth the name), which is what makes a ``preexec_fn``
    tolerable in a threaded parent. When the parent died between ``fork`` and ``prctl`` the
    signal would never come: the child then exits at once.
    """
    if _LIBC is None:
        return None
    prctl = _LIBC.prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def become_subreaper() -> bool:
    """Make this process the child subreaper of everything it starts (Linux 3.4+).

    Orphans of our children (a double-fork daemon) are then re-parented to us instead of init,
    so that ``sweep_run`` sees them even when they dropped the tag. Only the command line does
    this: a library caller's process may have children of its own. Returns whether it worked.
    """
    if _LIBC is None:
        return False
    if _LIBC.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0:
        _state["subreaper"] = True
    return _state["subreaper"]


@dataclass
class _Process:
    pid: int
    ppid: int
    tag: str | None  # None: no tag of this run (another run's, or none at all)
    test: str = ""
    started: float = 0.0


def _scan() -> list[_Process]:
    """Live (not zombie) processes we may inspect, with their parent and our run's tag."""
    found: list[_Process] = []
    variable = f"{TAG_VARIABLE}=".encode()
    ours = f"{RUN_ID}."
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    own = os.getpid()
    for name in entries:
        if not name.isdigit() or int(name) == own:
            continue
        base = f"/proc/{name}"
        try:
            with open(f"{base}/stat", "rb") as handle:
                stat = handle.read()
            # "pid (comm) S ppid ...": comm may hold spaces and parentheses.
            fields = stat[stat.rindex(b")") + 2 :].split()
            if fields[0] in (b"Z", b"X"):
                continue
            ppid = int(fields[1])
            started = int(fields[19]) / _CLOCK_TICKS
            with open(f"{base}/environ", "rb") as handle:
                environ = handle.read()
        except (OSError, ValueError, IndexError):
            continue
        tag: str | None = None
        test = ""
        for item in environ.split(b"\0"):
            if item.startswith(variable):
                chain = item[len(variable) :].decode("utf-8", "replace").split()
                tag = next((t for t in reversed(chain) if t.startswith(ours)), None)
            elif item.startswith(b"PYTEST_CURRENT_TEST="):
                # "tests/test_x.py::test_y (call)"
                value = item.partition(b"=")[2].decode("utf-8", "replace")
                test = value.rpartition(" (")[0] or value
        found.append(_Process(int(name), ppid, tag, test, started))
    return found


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        return "?"
    argv = [part.decode("utf-8", "replace") for part in raw.rstrip(b"\0").split(b"\0")]
    return " ".join(as_started(argv))[:_COMMAND_LIMIT] or "?"


def _sweep(matches: Callable[[_Process], bool], exempt: frozenset[int]) -> list[Leftover]:
    """Stop every matching process (rescanning for what they forked meanwhile), then kill them
    all and reap the ones that are our children."""
    stopped: dict[int, Leftover] = {}
    ours: set[int] = set()
    for _ in range(_SWEEP_ROUNDS):
        fresh = [p for p in _scan() if p.pid not in stopped and p.pid not in exempt and matches(p)]
        if not fresh:
            break
        for process in fresh:
            command = _command(process.pid)
            try:
                os.kill(process.pid, signal.SIGSTOP)
            except OSError:
                continue
            stopped[process.pid] = Leftover(
                process.pid, command, process.tag or "", process.test, process.started
            )
            if process.ppid == os.getpid():
                ours.add(process.pid)
    for pid in stopped:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    _reap(ours)
    return sorted(stopped.values(), key=lambda leftover: leftover.pid)


def _reap(pids: set[int], timeout_s: float = 2.0) -> None:
    """Collect the exit status of killed children of ours, so that no zombie stays."""
    deadline = time.monotonic() + timeout_s
    pending = set(pids)
    while pending:
        for pid in list(pending):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                pending.discard(pid)
        if not pending or time.monotonic() >= deadline:
            return
        time.sleep(0.01)


def sweep_step(step: str | None = None) -> list[Leftover]:
    """Kill every live process carrying the tag of ``step`` (default: the current step).

    Call it when the step's own children have ended: whatever still carries the tag escaped.
    """
    if not _have_proc():
        return []
    tag = step_tag(step)
    return _sweep(lambda p: p.tag == tag and _of_this_run(p), _exempt())


def _of_this_run(process: _Process) -> bool:
    """False for a process started before the current run's steps began: it cannot be this
    run's, though it may carry the same tag (an earlier run in the same process, as in a test
    suite, whose leftover was still dying)."""
    return not (process.started and process.started < _run_started[0] - _START_SLACK_S)


def sweep_run() -> list[Leftover]:
    """Kill every live process of this run: any step's tag, and, when we are a subreaper,
    every child of ours without it (an orphan that dropped the tag and was re-parented to us;
    our own children are all tagged, the watchdog aside)."""
    if not _have_proc():
        return []
    own = os.getpid()

    def matches(process: _Process) -> bool:
        if not _of_this_run(process):
            return False
        if process.tag is not None:
            return True
        return _state["subreaper"] and process.ppid == own

    killed = _sweep(matches, _exempt())
    if _state["subreaper"]:
        # Orphans that ended by themselves during the run were re-parented to us: collect them.
        _reap(_zombie_children() - _exempt(), timeout_s=0)
    return killed


def _zombie_children() -> set[int]:
    own = os.getpid()
    found: set[int] = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == b"Z" and fields[1] == str(own).encode():
            found.add(int(name))
    return found


def _have_proc() -> bool:
    return os.path.isdir("/proc/self")


_SUPERVISORS: set[int] = set()
# Processes started on purpose to outlive the run (the mypy daemon, executors/tools/mypy_daemon).
_KEPT: set[int] = set()


def _exempt() -> frozenset[int]:
    return frozenset(_SUPERVISORS | _KEPT)


def keep(pid: int) -> None:
    """Never sweep ``pid``: a process started to outlive the run (it carries no tag of this run,
    ``kept_env``), which would otherwise be killed as an orphan re-parented to us."""
    _KEPT.add(pid)


def kept_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``child_env`` without this run's tag: for a process meant to outlive the run. The tags
    of the runs above us stay (an archverify whose tests run archverify still sweeps it)."""
    env = child_env(extra)
    inherited = os.environ.get(TAG_VARIABLE, "")
    if inherited:
        env[TAG_VARIABLE] = inherited
    else:
        env.pop(TAG_VARIABLE, None)
    return env


# Run as `python -I -S -c WATCHDOG RUN_ID`: waits for EOF on stdin (archverify ended, by a normal
# exit or by kill -9), then kills every process carrying the run's tag. Self-contained: it must
# not import archverify, whose code may be the one that died.
_WATCHDOG = r"""
import os, signal, sys
variable, ours = b"ARCHVERIFY_RUN=", (sys.argv[1] + ".").encode()
try:
    while os.read(0, 4096):
        pass
except OSError:
    pass
killed = set()
for _ in range(20):
    fresh = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid() or int(name) in killed:
            continue
        try:
            with open("/proc/%s/environ" % name, "rb") as f:
                env = f.read()
        except OSError:
            continue
        if any(
            tag.startswith(ours)
            for item in env.split(b"\0") if item.startswith(variable)
            for tag in item[len(variable):].split()
        ):
            fresh.append(int(name))
    if not fresh:
        break
    for pid in fresh:
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            pass
        killed.add(pid)
for pid in killed:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
"""


class Supervisor:
    """The watchdog of one run: started before the first step, released after the last.

    It is the one process of the run that does not carry the tag, lives in a session of its own
    (a terminal's hangup or Ctrl-C goes to archverify, which cleans up itself) and holds no
    file of the project open.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not _have_proc() or self._proc is not None:
            return
        env = {k: v for k, v in _inherited().items() if k != TAG_VARIABLE}
        try:
            # Argument list, no shell: our own script.
            self._proc = subprocess.Popen(  # nosec B603
                [sys.executable, "-I", "-S", "-c", _WATCHDOG, RUN_ID],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/",
                env=env,
                start_new_session=True,
            )
        except OSError:
            self._proc = None
            return
        _SUPERVISORS.add(self._proc.pid)

    def stop(self) -> None:
        """Close its pipe (it then sweeps, finding nothing left) and reap it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        _SUPERVISORS.discard(proc.pid)


@contextlib.contextmanager
def supervised_run() -> Iterator[list[Leftover]]:
    """The steps of one run: a watchdog for ``kill -9``, and the run's sweep when they end.

    The list it yields receives what the final sweep killed (when the block ends normally).
    """
    _state["stopping"] = False
    _run_started[0] = _boot_seconds()
    supervisor = Supervisor()
    supervisor.start()
    leftovers: list[Leftover] = []
    try:
        yield leftovers
    except BaseException:
        # Interrupted: steps' threads may still be winding down. Nothing new starts, what runs
        # is ended, and the watchdog stays until this process exits, to end anything missed.
        _state["stopping"] = True
        sweep_run()
        raise
    leftovers.extend(sweep_run())
    supervisor.stop()


def _boot_seconds() -> float:
    """Now, in seconds since boot (0 where the clock is missing: then nothing is excluded)."""
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(clock) if clock is not None else 0.0


def describe(leftover: Leftover) -> str:
    """``sleep 60``: the command line, for a message. The pid goes to ``extra`` only: a message
    stays the same from run to run, so that a baseline can accept it."""
    return leftover.command


def node_file(test: str, root: Path) -> str:
    """The file of a pytest node id (``tests/test_x.py::test_y``) when it is one below ``root``;
    ""."""
    node = test.partition("::")[0]
    return node if node and (root / node).is_file() else ""
