"""Which coverage.py configuration a run in the root reads, and whether it says what to measure."""

from __future__ import annotations

import configparser
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# coverage.py's own search order in the working directory (coverage/config.py
# config_files_to_try); the first file that has coverage settings is the only one read.
# (file name, its section prefix for [run]: "" for coverage's own files, which also accept
# "coverage:"; None for TOML, read as [tool.coverage.run].)
CANDIDATES: tuple[tuple[str, str | None], ...] = (
    (".coveragerc", ""),
    (".coveragerc.toml", None),
    ("setup.cfg", "coverage:"),
    ("tox.ini", "coverage:"),
    ("pyproject.toml", None),
)
# The [run] settings that choose what is measured; ``--source`` would override each of them
# (coverage warns "--include is ignored because --source is set" and measures something else).
SCOPE_SETTINGS: tuple[str, ...] = ("source", "source_pkgs", "source_dirs", "include")


def measured_scope(root: Path) -> str | None:
    """``"<file> [run] <setting>"`` when the coverage configuration coverage.py reads in ``root``
    chooses what to measure, None when it does not (or there is no such configuration).

    ``COVERAGE_RCFILE`` names the one file read, as it does for coverage.py. A file that cannot
    be parsed counts as no configuration: coverage.py itself then fails with its own message.
    """
    named = os.environ.get("COVERAGE_RCFILE")
    if named:
        path = root / named
        prefix = None if path.suffix == ".toml" else ""
        sections = _sections(path, prefix)
        return _scope(named, sections) if sections is not None else None
    for name, prefix in CANDIDATES:
        sections = _sections(root / name, prefix)
        if sections is not None:
            return _scope(name, sections)
    return None


def _scope(name: str, sections: Mapping[str, Mapping[str, Any]]) -> str | None:
    run = sections.get("run", {})
    chosen = [key for key in SCOPE_SETTINGS if run.get(key)]
    return f"{name} [run] {', '.join(chosen)}" if chosen else None


def _sections(path: Path, prefix: str | None) -> dict[str, Mapping[str, Any]] | None:
    """The coverage sections of one file by their short name ("run", "report"), or None when
    the file is missing, unreadable or has no coverage settings."""
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if prefix is None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return None
        coverage = data.get("tool", {}).get("coverage")
        if not isinstance(coverage, dict) or not coverage:
            return None
        return {k: v for k, v in coverage.items() if isinstance(v, dict)}
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error:
        return None
    prefixes = ("coverage:", "") if prefix == "" else (prefix,)
    found: dict[str, Mapping[str, Any]] = {}
    for section in parser.sections():
        for start in prefixes:
            if section.startswith(start) and section[len(start) :]:
                found.setdefault(section[len(start) :], dict(parser.items(section)))
                break
    # coverage.py's own file is read even without a section; the shared ones only with one.
    return found if found or prefix == "" else None
