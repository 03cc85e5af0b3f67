"""``--untrusted``: which steps would execute code of the project, and why they are left out.

With ``--untrusted`` archverify runs only the steps that read the project without executing
any of it: compile, purity, contracts, ruff, boundaries, snapshots, cycles and bandit parse or
lint the sources, and their tools come from archverify's environment (ruff is a native program
without plugins; bandit loads plugins only from entry points of installed distributions, and
the project's folders are never on its ``sys.path``). mypy runs unless the project's mypy
configuration or its ``args`` make it import or run something (plugins, a python_executable,
``--python-executable``, install_types) or write files (reports); the file it was judged by is
then the one mypy is given. No folder is added to mypy's ``sys.path`` (the user's
``PYTHONPATH`` is left out): mypy imports optional modules of its own (``orjson``) from it, so
a folder of the tree there would run the project's code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from archverify.core.config import Config
from archverify.core.steps import STEPS
from archverify.core.tool_args import names_option
from archverify.executors.tools.mypy_config import UnreadableConfig, code_settings, find_config

# Steps that execute the project by design, and why (the catalogue's ``runs_project_code``).
RUNS_PROJECT_CODE: dict[str, str] = {
    spec.id: spec.runs_project_code for spec in STEPS if spec.runs_project_code
}
MYPY = "mypy"
# mypy runs this program to find its search path (any abbreviation argparse accepts).
PYTHON_EXECUTABLE = "--python-executable"


def left_out_reason(step: str, root: Path, config: Config) -> str | None:
    """Why ``step`` must not run on code that is not trusted, or None when it may."""
    if step in RUNS_PROJECT_CODE:
        return RUNS_PROJECT_CODE[step]
    if step == MYPY:
        return _mypy_reason(root, config.tool(MYPY).args)
    return None


def _mypy_reason(root: Path, args: Sequence[str]) -> str | None:
    executable = names_option(args, PYTHON_EXECUTABLE, abbreviations=True)
    if executable is not None:
        return f"its args name {executable!r}, a program mypy runs"
    try:
        found = find_config(root, args)
        settings = code_settings(found) if found is not None else []
    except UnreadableConfig as exc:
        # The message names the file and what failed, never its content.
        return f"its configuration cannot be read to rule out plugins ({exc})"
    if not settings or found is None:
        return None
    return f"its configuration {_shown(found, root)} names {'; '.join(settings)}"


def pinned_mypy_config(root: Path, args: Sequence[str]) -> list[str]:
    """``--config-file`` naming exactly the file ``--untrusted`` judged (empty: no file)."""
    found = find_config(root, args)
    return [f"--config-file={found if found is not None else ''}"]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
