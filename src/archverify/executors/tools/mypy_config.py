"""Which mypy configuration file a run uses, and the settings in it that run code or write."""

from __future__ import annotations

import configparser
import os
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# mypy's own search order in each folder (mypy.defaults CONFIG_NAMES + SHARED_CONFIG_NAMES).
CONFIG_NAMES: tuple[str, ...] = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")
SHARED_NAMES: frozenset[str] = frozenset({"pyproject.toml", "setup.cfg"})
# Settings with which mypy imports or runs something, or writes outside its cache folder.
CODE_SETTINGS: dict[str, str] = {
    "plugins": "plugins, which mypy imports and runs",
    "python_executable": "a python_executable, which mypy runs",
    "install_types": "install_types, which makes mypy run pip",
    "junit_xml": "junit_xml, a file mypy writes",
}
REPORT_SUFFIX = "_report"


class UnreadableConfig(ValueError):
    """A mypy configuration file that cannot be parsed (mypy would skip it silently)."""


def user_config_files() -> list[Path]:
    """mypy's per-user configuration files, in its order (mypy.defaults USER_CONFIG_FILES)."""
    files = ["~/.config/mypy/config", "~/.mypy.ini"]
    if os.environ.get("XDG_CONFIG_HOME"):
        files.insert(0, os.path.join(os.environ["XDG_CONFIG_HOME"], "mypy", "config"))
    return [Path(os.path.expanduser(f)) for f in files]


def config_file_argument(args: Sequence[str]) -> str | None:
    """The value of the last ``--config-file`` in ``args`` ("" means none), None if absent."""
    found: str | None = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--config-file" and index + 1 < len(args):
            found = args[index + 1]
        elif arg.startswith("--config-file="):
            found = arg.split("=", 1)[1]
    return found


def find_config(root: Path, args: Sequence[str]) -> Path | None:
    """The file mypy started in ``root`` with ``args`` would read, None for no configuration.

    mypy looks in the working directory, then in its parents up to a repository's top (a
    folder holding ``.git`` or ``.hg``), then in the user's configuration files. Raises
    ``UnreadableConfig`` for a candidate it cannot parse.
    """
    given = config_file_argument(args)
    if given is not None:
        return (root / given) if given else None
    folder = root.resolve()
    while True:
        for name in CONFIG_NAMES:
            if _is_mypy_config(folder / name):
                return folder / name
        if any((folder / vcs).exists() for vcs in (".git", ".hg")) or folder.parent == folder:
            break
        folder = folder.parent
    return next((f for f in user_config_files() if _is_mypy_config(f)), None)


def code_settings(config: Path) -> list[str]:
    """What ``config`` names that would make mypy run code or write files, as phrases."""
    section = {key.replace("-", "_"): value for key, value in _mypy_section(config).items()}
    found = [phrase for key, phrase in CODE_SETTINGS.items() if _is_set(section.get(key))]
    reports = sorted(k for k in section if k.endswith(REPORT_SUFFIX) and _is_set(section[k]))
    found += [f"{key}, a report mypy writes" for key in reports]
    return found


def _is_set(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no", "off")
    return bool(value)


def _is_mypy_config(path: Path) -> bool:
    """mypy takes a shared file (pyproject.toml, setup.cfg) only when it has a mypy section."""
    if not path.is_file():
        return False
    if path.name not in SHARED_NAMES:
        return True
    if path.suffix == ".toml":
        return "mypy" in _load_toml(path).get("tool", {})
    return _load_ini(path).has_section("mypy")


def _mypy_section(path: Path) -> dict[str, Any]:
    if path.suffix == ".toml":
        table = _load_toml(path).get("tool", {}).get("mypy", {})
        return dict(table) if isinstance(table, dict) else {}
    parser = _load_ini(path)
    return dict(parser["mypy"]) if parser.has_section("mypy") else {}


# The parsers' own messages quote the file (configparser the offending line, with the whole of
# a NUL-separated ``/proc/self/environ``), and ``--config-file`` may name any file, not only
# the project's: a message says what failed and where, never what the file holds.


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError:
        raise UnreadableConfig(f"{path} cannot be parsed as TOML") from None


def _load_ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(_read_text(path), source=str(path))
    except configparser.Error:
        raise UnreadableConfig(f"{path} cannot be parsed as INI") from None
    return parser


def _read_text(path: Path) -> str:
    # Only a regular file: a FIFO or a device named by --config-file would block the run.
    if not path.is_file():
        raise UnreadableConfig(f"{path} is not a regular file")
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError:
        raise UnreadableConfig(f"{path} is not valid UTF-8") from None
    except OSError as exc:
        raise UnreadableConfig(f"{path} cannot be read ({exc.strerror or 'error'})") from None
