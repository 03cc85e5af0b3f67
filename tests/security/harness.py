"""Hostile repositories for the security tests: build one, run the real CLI, prove what changed.

Every security test follows one shape: build a small repository (and a sibling folder standing for
"outside the tree") in a temp folder, take digests, run ``python -m archverify`` as a separate
process with a unique marker in its environment, then assert the honest verdict, unchanged
digests, and that no process carrying the marker is still alive.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_FOLDER = ".archverify_cache"
# The layered project most attacks are aimed at: purity on app.core, app.edge above it.
LAYERED_CONFIG = """\
[tool.archverify]
source_roots = ["src"]
packages = ["app"]

[tool.archverify.purity]
packages = ["app.core"]

[[tool.archverify.contracts]]
name = "layers"
type = "layers"
layers = ["app.edge", "app.core"]
"""
MARKER_VARIABLE = "ARCHVERIFY_SECURITY_TEST_MARK"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) below ``root`` and return ``root``."""
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def tree_digest(root: Path, *, skip: Iterable[str] = (CACHE_FOLDER,)) -> dict[str, str]:
    """Every entry below ``root`` (links not followed) by content and mode, ``skip`` left out.

    Symlinks are recorded by their target, folders by their mode, files by mode and sha256.
    """
    skipped = set(skip)
    digest: dict[str, str] = {}
    if not root.exists():
        return digest
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir.parts and rel_dir.parts[0] in skipped:
            continue
        dirnames[:] = [d for d in dirnames if not (not rel_dir.parts and d in skipped)]
        for name in [*dirnames, *filenames]:
            if not rel_dir.parts and name in skipped:
                continue
            path = Path(dirpath) / name
            rel = (rel_dir / name).as_posix()
            info = path.lstat()
            mode = oct(stat.S_IMODE(info.st_mode))
            if stat.S_ISLNK(info.st_mode):
                digest[rel] = f"link -> {os.readlink(path)}"
            elif stat.S_ISDIR(info.st_mode):
                digest[rel] = f"dir {mode}"
            else:
                digest[rel] = f"file {mode} {hashlib.sha256(path.read_bytes()).hexdigest()}"
    return digest


@dataclass
class CliRun:
    """A finished run of the real CLI."""

    returncode: int
    stdout: str
    stderr: str
    marker: str

    def json(self) -> dict[str, Any]:
        """The JSON report on stdout (the run must have used ``--format json``)."""
        report: dict[str, Any] = json.loads(self.stdout)
        return report

    def rules(self) -> list[tuple[str, str, int | None]]:
        """(rule, path, line) of every finding in the JSON report."""
        return [(f["rule"], f["path"], f.get("line")) for f in self.json()["findings"]]

    def step(self, step_id: str) -> dict[str, Any]:
        """The JSON report's entry of step ``step_id`` (exactly one)."""
        steps: list[dict[str, Any]] = [s for s in self.json()["steps"] if s["id"] == step_id]
        [step] = steps
        return step


def run_cli(
    args: Iterable[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 300,
) -> CliRun:
    """``python -m archverify ARGS`` in ``cwd`` with a unique marker in its environment."""
    marker = uuid.uuid4().hex
    child_env = {**os.environ, **(env or {}), MARKER_VARIABLE: marker}
    result = subprocess.run(
        [sys.executable, "-m", "archverify", *args],
        cwd=cwd,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    return CliRun(result.returncode, result.stdout, result.stderr, marker)


def processes_with_marker(marker: str) -> list[int]:
    """The pids of live processes whose environment carries ``marker`` (zombies excluded)."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            if "\nState:\tZ" in status:
                continue
            if needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def assert_no_leftover_processes(run: CliRun, *, grace_s: float = 2.0) -> None:
    """Fail when a process started by ``run`` is still alive after ``grace_s`` seconds."""
    deadline = time.monotonic() + grace_s
    alive = processes_with_marker(run.marker)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = processes_with_marker(run.marker)
    for pid in alive:
        # Do not leave them to the next test either.
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    assert not alive, f"processes left running by the run: {alive}"
