"""What git says of a checkout: its HEAD commit (the identity of a sharded run's partials)."""

from __future__ import annotations

import subprocess  # nosec B404 - git rev-parse with fixed arguments, no shell
from pathlib import Path


def git_head(root: Path) -> str | None:
    """The HEAD commit of the checkout at ``root``; None outside git or without git."""
    try:
        run = subprocess.run(  # nosec B603 B607 - fixed arguments, git found on PATH
            ["git", "rev-parse", "--verify", "-q", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    head = run.stdout.strip()
    return head if run.returncode == 0 and head else None
