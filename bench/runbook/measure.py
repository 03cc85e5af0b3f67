"""Runs one command and measures its wall time and peak memory (one process and whole tree)."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
# How often the process tree's memory is summed. Short-lived workers between two samples are
# missed, so the tree figure is a lower bound; the single-process figure is exact.
SAMPLE_INTERVAL_S = 0.05


@dataclass(frozen=True)
class Sample:
    """One timed run.

    ``max_rss_mb`` is the largest resident set of any one process of the tree (the kernel's
    ``wait4`` figure: exact). ``tree_rss_mb`` is the largest sum over the live process tree
    seen by sampling ``/proc`` every ``SAMPLE_INTERVAL_S`` (approximate, a lower bound).
    """

    wall_s: float
    max_rss_mb: float
    tree_rss_mb: float
    returncode: int
    stderr_tail: str = ""
    timed_out: bool = False
    # CPU of the whole tree (user + system, reaped children included): steadier than the wall
    # time on a shared machine; the 1-minute load average when the run started.
    cpu_s: float = 0.0
    load_1m: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue  # the process ended while we looked
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * _PAGE_KB
    except (OSError, ValueError, IndexError):
        return 0


def tree_rss_kb(root: int) -> int:
    """The summed resident memory of ``root`` and all its live descendants, in KiB."""
    children = _children_map()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_kb(pid)
        todo.extend(children.get(pid, ()))
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int, deadline: float | None) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.deadline = deadline
        self.peak_kb = 0
        self.timed_out = False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))
            if self.deadline is not None and time.perf_counter() > self.deadline:
                self.timed_out = True
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except OSError:
                    pass  # already gone
                return
            self.done.wait(SAMPLE_INTERVAL_S)


def run_measured(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    stdout_path: Path | None = None,
    timeout_s: float | None = None,
) -> Sample:
    """Run ``command`` to completion; stdout goes to ``stdout_path`` (or is dropped).

    Past ``timeout_s`` the whole process group is killed and the sample says so.
    """
    with tempfile.TemporaryFile() as err, open(stdout_path or os.devnull, "wb") as out:
        load = os.getloadavg()[0]
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), stdout=out, stderr=err, start_new_session=True
        )
        sampler = _TreeSampler(proc.pid, started + timeout_s if timeout_s else None)
        sampler.start()
        # wait4 instead of Popen.wait: it hands back the child's rusage (peak RSS of the tree's
        # largest process, including reaped grandchildren).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
    return Sample(
        wall_s=wall,
        max_rss_mb=usage.ru_maxrss / 1024,
        tree_rss_mb=max(sampler.peak_kb, usage.ru_maxrss) / 1024,
        returncode=proc.returncode,
        stderr_tail=tail if proc.returncode not in (0, 1) else "",
        timed_out=sampler.timed_out,
        cpu_s=usage.ru_utime + usage.ru_stime,
        load_1m=load,
    )


@dataclass(frozen=True)
class Figure:
    """The median of several samples, and the samples themselves."""

    samples: tuple[Sample, ...]

    @property
    def median_s(self) -> float:
        return statistics.median(s.wall_s for s in self.samples)

    @property
    def median_cpu_s(self) -> float:
        return statistics.median(s.cpu_s for s in self.samples)

    @property
    def loads(self) -> str:
        """The load average at the start of each run, as shown beside a figure."""
        return "/".join(f"{s.load_1m:.1f}" for s in self.samples)

    @property
    def max_rss_mb(self) -> float:
        return max(s.max_rss_mb for s in self.samples)

    @property
    def tree_rss_mb(self) -> float:
        return max(s.tree_rss_mb for s in self.samples)

    def as_json(self) -> dict[str, Any]:
        return {
            "median_s": round(self.median_s, 3),
            "median_cpu_s": round(self.median_cpu_s, 3),
            "max_rss_mb": round(self.max_rss_mb, 1),
            "tree_rss_mb": round(self.tree_rss_mb, 1),
            "runs": [s.as_json() for s in self.samples],
        }


def repeat(runs: int, once: Callable[[int], Sample]) -> Figure:
    """``once(i)`` for i in 0..runs-1 (at least one run)."""
    return Figure(tuple(once(i) for i in range(max(runs, 1))))
