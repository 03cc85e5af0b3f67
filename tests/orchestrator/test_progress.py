"""The live progress block: one line per step, redrawn in place on stderr."""

from __future__ import annotations

import io
import re

from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.orchestrator.progress import LiveProgress


def _last_frame(text: str, steps: int) -> list[str]:
    drawn = [line for line in text.split("\n") if "\033[2K" in line]
    return [re.sub(r"\033\[\d*[A-Za-z]", "", line) for line in drawn[-steps:]]


def test_each_step_shows_its_state_and_the_block_is_redrawn_in_place() -> None:
    stream = io.StringIO()
    bad = Finding("purity", "purity/io-call", Severity.ERROR, "a.py", 1, 1, "x")
    with LiveProgress(stream, ["compile", "purity", "mypy"]) as progress:
        progress.update("compile", "running", None)
        progress.update("compile", "done", StepOutcome("compile", StepStatus.PASSED))
        progress.update("purity", "done", StepOutcome("purity", StepStatus.FAILED, [bad]))
        progress.update("mypy", "running", None)
    text = stream.getvalue()
    assert "\033[3F" in text  # cursor back up over the three lines before each redraw
    frame = _last_frame(text, 3)
    assert frame[0].split() == ["compile", "passed"]
    assert frame[1].split()[:3] == ["purity", "failed:", "1"]
    assert frame[2].split()[:2] == ["mypy", "running"]


def test_a_cached_step_says_so() -> None:
    stream = io.StringIO()
    with LiveProgress(stream, ["ruff"]) as progress:
        progress.update("ruff", "done", StepOutcome("ruff", StepStatus.PASSED, cached=True))
    assert _last_frame(stream.getvalue(), 1)[0].split() == ["ruff", "passed", "(cached)"]
