"""Whether a tool step ran with the tool's own defaults because the project has no configuration
for it: said in the step's note, since ruff's defaults on a project never written for them (or
mypy's, or bandit's) report what the project never asked about."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from pathlib import Path

from archverify.executors.tools.mypy_config import UnreadableConfig, find_config

# Arguments with which the step's own ``args`` choose the configuration or the rules.
_CHOOSING_ARGS: dict[str, tuple[str, ...]] = {
    "ruff": ("--config", "--select", "--extend-select", "--isolated"),
    "mypy": ("--config-file",),
    "bandit": ("-c", "--configfile", "--ini", "-t", "--tests", "-s", "--skip", "--profile"),
}


def defaults_note(step: str, root: Path, args: Sequence[str]) -> str:
    """``"ran with ruff's defaults: no [tool.ruff], ruff.toml or .ruff.toml"``, or "" when the
    project (or the step's ``args``) configures the tool, or for a step that is not a tool."""
    if step not in _CHOOSING_ARGS:
        return ""
    if any(arg.split("=", 1)[0] in _CHOOSING_ARGS[step] for arg in args):
        return ""
    if step == "ruff":
        missing = "" if _has_ruff_config(root) else "[tool.ruff], ruff.toml or .ruff.toml"
    elif step == "mypy":
        missing = "" if _has_mypy_config(root, args) else "mypy.ini, [tool.mypy] or [mypy]"
    else:
        missing = "" if _has_bandit_config(root) else "[tool.bandit] or .bandit"
    return f"ran with {step}'s defaults: the project has no {missing}" if missing else ""


def _has_ruff_config(root: Path) -> bool:
    """ruff's search: the closest ``ruff.toml``, ``.ruff.toml`` or ``pyproject.toml`` with a
    ``[tool.ruff]`` in the folder or any parent, then the user's own configuration."""
    folder = root.resolve()
    while True:
        if _ruff_config_in(folder):
            return True
        if folder.parent == folder:
            break
        folder = folder.parent
    user = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return _ruff_config_in(Path(user) / "ruff")


def _ruff_config_in(folder: Path) -> bool:
    if (folder / "ruff.toml").is_file() or (folder / ".ruff.toml").is_file():
        return True
    return "ruff" in _toml_tools(folder / "pyproject.toml")


def _has_mypy_config(root: Path, args: Sequence[str]) -> bool:
    try:
        return find_config(root, args) is not None
    except UnreadableConfig:
        return True  # mypy reports that file itself; it is a configuration all the same


def _has_bandit_config(root: Path) -> bool:
    # The step points bandit at these two (bandit.py _config_args); bandit finds no other.
    return (root / ".bandit").is_file() or "bandit" in _toml_tools(root / "pyproject.toml")


def _toml_tools(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        tools = tomllib.loads(path.read_text("utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return tools if isinstance(tools, dict) else {}
