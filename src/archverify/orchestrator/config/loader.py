"""Finds, reads and validates the configuration: ``--config``, archverify.toml or pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from archverify.core.config import STEP_ORDER, Config
from archverify.core.config.errors import ConfigError, KeyPath, format_key, parse_key
from archverify.core.config.fields import FieldReader, type_name
from archverify.core.config.locate import TomlLocator
from archverify.core.config.schema import OutsideRoot, build_config
from archverify.orchestrator.config.importlinter import load_importlinter_contracts

__all__ = [
    "ConfigError",
    "config_error",
    "display_path",
    "key_base",
    "layout_note",
    "load_config",
    "unread_importlinter_file",
]

ARCHVERIFY_TOML = "archverify.toml"
PYPROJECT_TOML = "pyproject.toml"
PYPROJECT_BASE: KeyPath = ("tool", "archverify")
# Without a configuration only the checks that need no rules run.
NO_CONFIG_STEPS: tuple[str, ...] = ("compile", "cycles")

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")


def load_config(root: Path, config_file: Path | None = None) -> Config:
    """The validated configuration for ``root``; raises ``ConfigError`` (exit 2) on bad input.

    ``config_file`` (``--config``) may have either layout: a ``[tool.archverify]`` table (or any
    pyproject table) makes it pyproject-style, otherwise its keys sit at the top level as in
    archverify.toml (``config_table`` says which was read). Otherwise ROOT/archverify.toml wins
    over ROOT/pyproject.toml ``[tool.archverify]``; with neither, ``has_rules`` is False and
    only compile and cycles run.
    """
    root = root.resolve()
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError("configuration file not found", display_path(root, config_file))
        config = _load_file(root, config_file, required=True, either_layout=True)
    elif (root / ARCHVERIFY_TOML).is_file():
        config = _load_file(root, root / ARCHVERIFY_TOML, required=True)
    elif (root / PYPROJECT_TOML).is_file():
        config = _load_file(root, root / PYPROJECT_TOML, required=False)
    else:
        config = _no_config(root)
    return with_importlinter_contracts(root, config)


def with_importlinter_contracts(root: Path, config: Config) -> Config:
    """Add the contracts of an import-linter configuration, read as it is.

    ``contracts_file`` names one explicitly and its contracts join any in ``[tool.archverify]``;
    otherwise import-linter's own files (setup.cfg, .importlinter, pyproject) are read only when
    ``[tool.archverify]`` states no contracts, so a project never gets the same rules twice.
    """
    if config.contracts and not config.contracts_file:
        return config
    found = load_importlinter_contracts(root, config.contracts_file)
    if found is None or not found.contracts:
        return config
    steps = config.steps
    if not config.has_rules and "contracts" not in steps:
        # No archverify config: the contracts import-linter states are rules to check.
        steps = tuple(s for s in STEP_ORDER if s in steps or s == "contracts")
    return replace(
        config,
        contracts=config.contracts + found.contracts,
        packages=config.packages or found.root_packages,
        steps=steps,
        has_rules=True,
    )


def unread_importlinter_file(root: Path, config: Config) -> str:
    """The import-linter file that holds contracts archverify does not check, or "".

    That happens when ``[tool.archverify]`` states its own contracts and names no
    ``contracts_file``: the run must say so rather than ignore the file silently.
    """
    if not config.contracts or config.contracts_file:
        return ""
    try:
        found = load_importlinter_contracts(root)
    except ConfigError as error:
        return error.path  # broken as well as unread: still worth the note
    return found.file if found is not None else ""


def display_path(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` with forward slashes when inside it, else as absolute."""
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return str(absolute)


def key_base(config_file: str) -> KeyPath:
    """Where the archverify keys sit in a file found by its name: under ``tool.archverify`` in
    pyproject.toml, at the top level elsewhere (``--config`` decides from the content)."""
    return PYPROJECT_BASE if Path(config_file).name == PYPROJECT_TOML else ()


def layout_note(config: Config) -> str:
    """Which layout of ``--config``'s file was read, in words."""
    if config.config_table:
        return f"{config.config_file}: read its [{format_key(config.config_table)}] table"
    return f"{config.config_file}: read its top-level keys (the archverify.toml layout)"


def config_error(config: Config, key: str, message: str, value: str | None = None) -> ConfigError:
    """An error about ``key`` (relative to the archverify table: ``purity.packages``,
    ``contracts[0] (name)``) at its line in ``config``'s file, or the line holding ``value``.
    """
    base = config.config_table or key_base(config.config_file)
    path = base + parse_key(key)
    locator = _locator_for(config)
    line = locator.line_of_value(path, value) if value is not None else locator.line_of(path)
    shown = f"{format_key(base)}.{key}" if base else key
    return ConfigError(f"{shown}: {message}", config.config_file, line)


def _locator_for(config: Config) -> TomlLocator:
    if not config.config_file:
        return TomlLocator("")
    try:
        raw = (Path(config.root) / config.config_file).read_bytes()
    except OSError:
        return TomlLocator("")
    return TomlLocator(raw.decode("utf-8-sig", errors="replace"))


def _no_config(root: Path) -> Config:
    config = build_config({}, FieldReader("", TomlLocator(""), ()), str(root), "", _outside(root))
    return replace(config, steps=NO_CONFIG_STEPS, has_rules=False)


def _load_file(root: Path, path: Path, *, required: bool, either_layout: bool = False) -> Config:
    shown = display_path(root, path)
    text = _read_text(path, shown)
    data = _parse(text, shown)
    base = key_base(shown)
    if either_layout and not base and _pyproject_style(data):
        base = PYPROJECT_BASE
    table: Any = data
    for index, key in enumerate(base):
        if not isinstance(table, dict):
            break
        if key not in table:
            if required:
                raise ConfigError("no [tool.archverify] table in this file", shown, 0)
            return _no_config(root)
        table = table[key]
        if not isinstance(table, dict):
            reader = FieldReader(shown, TomlLocator(text), ())
            raise reader.error(base[: index + 1], f"must be a table, got {type_name(table)}")
    reader = FieldReader(shown, TomlLocator(text), base)
    config = build_config(table, reader, str(root), shown, _outside(root))
    return replace(config, config_table=tuple(str(key) for key in base))


def _pyproject_style(data: dict[str, Any]) -> bool:
    """A pyproject's tables (``tool``, ``project``, ``build-system``) are no archverify keys:
    such a file holds archverify's under ``[tool.archverify]``, or holds none."""
    return any(key in data for key in ("tool", "project", "build-system"))


def _outside(root: Path) -> OutsideRoot:
    """Where a path written relative to ``root`` lands, links followed, if outside ``root``."""
    resolved_root = root.resolve()

    def outside(relative: str) -> str | None:
        target = (root / relative).resolve()
        return None if target.is_relative_to(resolved_root) else str(target)

    return outside


def _read_text(path: Path, shown: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read the file: {error.strerror or error}", shown) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        byte = raw[error.start]
        raise ConfigError(
            f"not valid UTF-8 (byte 0x{byte:02x} at column {column}); TOML files must be UTF-8",
            shown,
            line,
        ) from None


def _parse(text: str, shown: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # Python 3.14 carries msg/lineno/colno; older versions only put them in the text.
        message = str(getattr(error, "msg", None) or error)
        line = int(getattr(error, "lineno", 0) or 0)
        column = int(getattr(error, "colno", 0) or 0)
        found = _TOML_POSITION.search(message)
        if found:
            line, column = int(found.group(1)), int(found.group(2))
            message = message[: found.start()]
        elif _TOML_AT_END.search(message):
            line = max(len(text.splitlines()), 1)
            message = _TOML_AT_END.sub("", message) + " at the end of the file"
        where = f" (column {column})" if column else ""
        raise ConfigError(f"invalid TOML: {message}{where}", shown, line) from None
