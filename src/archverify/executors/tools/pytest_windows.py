"""A pytest plugin the tests step loads (``-p archverify.executors.tools.pytest_windows``):
when each test ran, so that a process the session left running can be traced to the test that
started it.

A process started by ``exec`` carries ``PYTEST_CURRENT_TEST`` in its environment, but one made by
a plain ``os.fork()`` keeps the environment the interpreter started with; its start time, though,
is in ``/proc/<pid>/stat``, on the same clock as the times written here (``CLOCK_BOOTTIME``).
One JSON line per test: ``{"test": nodeid, "start": s, "end": s}``, appended to the file named
by ``ARCHVERIFY_TEST_WINDOWS``. Nothing is written when the variable is not set.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

WINDOWS_VARIABLE = "ARCHVERIFY_TEST_WINDOWS"
_started: dict[str, float] = {}


def now() -> float:
    """Seconds since boot: the clock of a process's start time in ``/proc/<pid>/stat``."""
    clock = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)
    return time.clock_gettime(clock)


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _started[nodeid] = now()


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    target = os.environ.get(WINDOWS_VARIABLE)
    start = _started.pop(nodeid, None)
    if not target or start is None:
        return
    line = json.dumps({"test": nodeid, "start": start, "end": now()})
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        pass  # attribution is a courtesy; never fail the project's tests for it


def read_windows(path: str) -> list[tuple[str, float, float]]:
    """(test, start, end) of every test the plugin saw, in the order they ran."""
    windows: list[tuple[str, float, float]] = []
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.readlines()
    except OSError:
        return windows
    for line in lines:
        try:
            item = json.loads(line)
            windows.append((str(item["test"]), float(item["start"]), float(item["end"])))
        except (ValueError, KeyError, TypeError):
            continue
    return windows


def running_at(windows: list[tuple[str, float, float]], moment: float) -> str:
    """The test that was running at ``moment``; "" when none was. ``/proc`` start times are
    coarse (10 ms ticks): a moment no window holds is matched with one tick of slack."""
    tick = 1.0 / (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)
    for slack in (0.0, tick):
        for test, start, end in windows:
            if start - slack <= moment <= end + slack:
                return test
    return ""
