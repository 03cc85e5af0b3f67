"""A live line per step on a terminal: waiting, running with elapsed time, passed or failed."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TextIO

from archverify.core.findings import StepOutcome, StepStatus


class LiveProgress:
    """Redraws one block of lines in place on ``stream`` (stderr, so stdout stays clean)."""

    def __init__(self, stream: TextIO, step_ids: Sequence[str]) -> None:
        self._stream = stream
        self._ids = list(step_ids)
        self._state: dict[str, str] = {s: "waiting" for s in self._ids}
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()
        self._drawn = 0
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)

    def __enter__(self) -> LiveProgress:
        self._draw()
        self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._ticker.join(timeout=1)
        self._draw()
        self._stream.write("\n")
        self._stream.flush()

    def update(self, step_id: str, state: str, outcome: StepOutcome | None) -> None:
        with self._lock:
            if state == "running":
                self._started[step_id] = time.monotonic()
                self._state[step_id] = "running"
            elif state == "done" and outcome is not None:
                self._state[step_id] = _done_text(outcome)
        self._draw()

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            lines = []
            width = max(len(s) for s in self._ids) if self._ids else 0
            for step_id in self._ids:
                state = self._state[step_id]
                if state == "running":
                    elapsed = time.monotonic() - self._started.get(step_id, time.monotonic())
                    state = f"running {elapsed:5.1f}s"
                lines.append(f"  {step_id:<{width}}  {state}")
            up = f"\033[{self._drawn}F" if self._drawn else ""
            self._stream.write(up + "".join(f"\033[2K{line}\n" for line in lines))
            self._stream.flush()
            self._drawn = len(lines)


def _done_text(outcome: StepOutcome) -> str:
    cached = " (cached)" if outcome.cached else ""
    if outcome.status is StepStatus.PASSED:
        return f"passed{cached}"
    if outcome.status is StepStatus.FAILED:
        return f"failed: {outcome.errors} error(s){cached}"
    if outcome.status is StepStatus.SKIPPED:
        return "skipped"
    return "error: could not run"
