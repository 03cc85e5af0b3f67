"""import-linter's own ``lint-imports``, the reference our contract verdicts are checked against."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def run_lint_imports(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``lint-imports --no-cache ARGS`` in ``root``, which alone is on its ``PYTHONPATH``."""
    return subprocess.run(  # noqa: S603 - a fixed executable of the dev venv
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def option_lines(options: Mapping[str, object]) -> list[str]:
    """A contract's options as lines of an ``.importlinter`` file: a list gets a value a line."""
    lines: list[str] = []
    for key, value in options.items():
        if isinstance(value, list):
            lines.append(f"{key} =" + "".join(f"\n    {item}" for item in value))
        else:
            lines.append(f"{key} = {value}")
    return lines
