"""Scratch folders: removed by their owner at its exit, swept only when surely ours and dead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from archverify.executors.runtime import scratch

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/ns/pid").exists(), reason="the owner check needs Linux's /proc"
)


def _dead_pid() -> int:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(ended.stdout)


def test_remove_all_removes_what_the_process_still_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    kept, left = scratch.make("tests"), scratch.make("imports")
    (left / "bytecode").mkdir()
    assert json.loads((left / scratch.MARKER).read_text())["pid"] == os.getpid()
    scratch.remove(kept)
    assert not kept.exists()
    scratch.remove_all()
    assert not left.exists()


def test_the_sweep_removes_a_dead_owners_folder_and_nothing_it_cannot_prove_ours(
    tmp_path: Path,
) -> None:
    owner = scratch._owner(os.getpid())
    dead = tmp_path / "archverify-imports-dead"
    dead.mkdir()
    (dead / scratch.MARKER).write_text(json.dumps({**owner, "pid": _dead_pid()}))
    alive = tmp_path / "archverify-imports-alive"
    alive.mkdir()
    (alive / scratch.MARKER).write_text(json.dumps(owner))
    # A link named like ours, to a folder with a dead owner's marker: never followed.
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / scratch.MARKER).write_text(json.dumps({**owner, "pid": _dead_pid()}))
    (tmp_path / "archverify-imports-link").symlink_to(target)
    # A marker that is not a file, and one that is not JSON.
    odd = tmp_path / "archverify-tests-odd"
    (odd / scratch.MARKER).mkdir(parents=True)
    garbled = tmp_path / "archverify-tests-garbled"
    garbled.mkdir()
    (garbled / scratch.MARKER).write_text("{")
    assert scratch.sweep_stale(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "archverify-imports-alive",
        "archverify-imports-link",
        "archverify-tests-garbled",
        "archverify-tests-odd",
        "elsewhere",
    ]
    assert (target / scratch.MARKER).exists()
