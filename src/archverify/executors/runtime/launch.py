"""How an external tool is started: always archverify's own copy, never a file of the project.

The one place that turns "run tool X" into a command line. A project file must not be able to
stand in for the tool or for anything the tool imports: ``python -m X`` with the project as the
working directory puts the project first on ``sys.path``, so a ``bandit.py`` there would run
instead of bandit. Every Python tool therefore starts in isolated mode (``-I``: no working
directory or script directory on ``sys.path``, no ``PYTHON*`` variables such as ``PYTHONPATH``,
no user site-packages, so no ``sitecustomize``/``usercustomize`` of the tree either), and a tool
whose work happens in a native program (ruff) is started by the absolute path its distribution
installed.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

# The child-side launcher: imports the tool first, then extends sys.path (see its docstring).
LAUNCHER = Path(__file__).with_name("launcher.py")
# Modules that are only a shim finding and exec'ing a native program: module -> program name.
NATIVE_PROGRAMS: dict[str, str] = {"ruff": "ruff"}
# -I: isolated (implies -E -P -s). -B: -E drops PYTHONDONTWRITEBYTECODE, and no tool may leave
# __pycache__ folders in the user's tree.
ISOLATED_FLAGS: tuple[str, ...] = ("-I", "-B")


class ProgramNotFound(LookupError):
    """The native program of a tool is not installed in archverify's environment."""


def tool_command(
    module: str,
    args: Sequence[str],
    *,
    sys_path: Sequence[str] = (),
    preload: Sequence[str] = (),
    append_path: Sequence[str] = (),
) -> list[str]:
    """The command line that runs ``module`` (as ``python -m module`` would) with ``args``.

    ``sys_path`` are folders the tool legitimately needs to import from (the project under test
    for pytest): they are put first on ``sys.path`` only after ``module`` and every ``preload``
    module are imported from archverify's environment, so they can provide the code under test
    but not the tool. ``append_path`` folders go last on ``sys.path``, after archverify's own
    site-packages, at the same moment: what a tool searches there (mypy's installed packages)
    they provide, but they cannot shadow anything installed. Raises ``ProgramNotFound`` for a
    native program that is not installed.
    """
    program = NATIVE_PROGRAMS.get(module)
    if program is not None:
        return [native_program(module, program), *args]
    if not sys_path and not preload and not append_path:
        return [sys.executable, *ISOLATED_FLAGS, "-m", module, *args]
    options = [
        *(f"--path={p}" for p in sys_path),
        *(f"--append-path={p}" for p in append_path),
        *(f"--preload={m}" for m in preload),
    ]
    return [sys.executable, *ISOLATED_FLAGS, str(LAUNCHER), *options, "--", module, *args]


def as_started(argv: Sequence[str]) -> list[str]:
    """A command line as a person would have typed it: a launcher command (see
    ``tool_command``) reads ``python -m MODULE ARGS``, without the launcher's own options;
    any other command is returned as it is."""
    for index, arg in enumerate(argv[:6]):
        if Path(arg).name == LAUNCHER.name and "--" in argv[index:]:
            split = argv.index("--", index)
            return [argv[0], "-m", *argv[split + 1 :]]
    return list(argv)


def native_program(distribution: str, name: str) -> str:
    """The absolute path of the program ``name`` that ``distribution`` installed.

    Read from the distribution's own record of its files (what ``pip`` installed, for this
    interpreter), falling back to this interpreter's scripts folder. ``PATH`` is never searched:
    it may hold another copy, or the project's.
    """
    from importlib import metadata  # ~30 ms to import: only when a tool is started

    candidates: list[Path] = []
    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name in (name, f"{name}.exe") and file.parent.name in ("bin", "Scripts"):
            candidates.append(Path(str(file.locate())))
    scripts = sysconfig.get_path("scripts")
    if scripts:
        candidates += [Path(scripts) / name, Path(scripts) / f"{name}.exe"]
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_file() and os.access(resolved, os.X_OK):
            return str(resolved)
    raise ProgramNotFound(f"{name} is not installed: pip install {distribution}")
