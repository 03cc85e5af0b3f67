"""Typed reads of TOML values with errors that name the dotted key, the file and the line."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Mapping
from typing import Any

from archverify.core.config.errors import ConfigError, KeyPath, format_key
from archverify.core.config.locate import TomlLocator

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_WILD_SEGMENT = r"(?:\*\*|[A-Za-z_*][A-Za-z0-9_*]*)"
MODULE_NAME = re.compile(rf"{_IDENTIFIER}(?:\.{_IDENTIFIER})*")
MODULE_PATTERN = re.compile(rf"{_WILD_SEGMENT}(?:\.{_WILD_SEGMENT})*")


def type_name(value: object) -> str:
    """How a TOML value is called in an error message."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _plain(number: float) -> str:
    """``67108864``, not ``6.71089e+07``: bounds are read by people."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


class FieldReader:
    """Reads one configuration document; every error points at the offending key."""

    def __init__(self, file: str, locator: TomlLocator, base: KeyPath) -> None:
        self.file = file
        self.locator = locator
        self.base = base

    def error(self, path: KeyPath, message: str, value: str | None = None) -> ConfigError:
        full = self.base + path
        line = (
            self.locator.line_of_value(full, value)
            if value is not None
            else self.locator.line_of(full)
        )
        return ConfigError(f"{format_key(full)}: {message}", self.file, line)

    def origin(self, path: KeyPath) -> str:
        return f"{self.file}:{self.locator.line_of(self.base + path)}"

    def check_keys(self, table: Mapping[str, Any], allowed: Collection[str], path: KeyPath) -> None:
        for key in table:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, list(allowed), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            known = ", ".join(sorted(allowed))
            raise self.error(path + (key,), f"unknown key ({hint}known keys: {known})")

    def require(self, table: Mapping[str, Any], key: str, path: KeyPath) -> None:
        if key not in table:
            raise self.error(path, f"missing required key {key!r}")

    def table(self, parent: Mapping[str, Any], key: str, path: KeyPath) -> dict[str, Any]:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            raise self.error(path + (key,), f"must be a table, got {type_name(value)}")
        return value

    def tables(self, parent: Mapping[str, Any], key: str, path: KeyPath) -> list[dict[str, Any]]:
        value = parent.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(
                path + (key,), f"must be an array of tables ([[...]]), got {type_name(value)}"
            )
        return value

    def string(self, table: Mapping[str, Any], key: str, path: KeyPath, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.error(path + (key,), f"must be a string, got {type_name(value)}")
        if key in table and not value.strip():
            # "" would silently mean "not set" (no contracts file, the default baseline...).
            raise self.error(path + (key,), "must not be empty (remove the key for the default)")
        return value

    def boolean(self, table: Mapping[str, Any], key: str, path: KeyPath, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.error(path + (key,), f"must be true or false, got {type_name(value)}")
        return value

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        path: KeyPath,
        default: float,
        low: float,
        high: float | None = None,
        low_inclusive: bool = True,
    ) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(path + (key,), f"must be a number, got {type_name(value)}")
        # nan compares false with every bound, so it would pass both checks below and turn a
        # gate off; inf and huge values overflow timers. Only finite numbers are settings.
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(path + (key,), f"must be a finite number, got {value!r}")
        too_low = value < low if low_inclusive else value <= low
        if too_low or (high is not None and value > high):
            low_text, high_text = _plain(low), _plain(high or 0)
            if high is None:
                bound = f"at least {low_text}" if low_inclusive else f"greater than {low_text}"
            elif low_inclusive:
                bound = f"between {low_text} and {high_text}"
            else:
                bound = f"greater than {low_text} and at most {high_text}"
            raise self.error(path + (key,), f"must be {bound}, got {value!r}")
        return value

    def choice(
        self, table: Mapping[str, Any], key: str, path: KeyPath, choices: tuple[str, ...]
    ) -> str:
        value = self.string(table, key, path, choices[0])
        if value not in choices:
            raise self.error(
                path + (key,), f"must be one of {', '.join(choices)}, got {value!r}", value
            )
        return value

    def strings(
        self, table: Mapping[str, Any], key: str, path: KeyPath, *, non_empty: bool = False
    ) -> tuple[str, ...]:
        """A list of strings; ``non_empty`` rejects ``[]`` where it would silently mean nothing."""
        value = table.get(key, [])
        if not isinstance(value, list):
            raise self.error(path + (key,), f"must be a list of strings, got {type_name(value)}")
        for item in value:
            if not isinstance(item, str):
                raise self.error(
                    path + (key,),
                    f"must be a list of strings, got an item of {type_name(item)}",
                )
        if non_empty and key in table and not value:
            raise self.error(path + (key,), "must not be empty (remove the key for the default)")
        return tuple(value)

    def modules(
        self,
        table: Mapping[str, Any],
        key: str,
        path: KeyPath,
        wildcards: bool = True,
        *,
        non_empty: bool = False,
    ) -> tuple[str, ...]:
        """A list of dotted module names (``*`` and ``**`` segments allowed if ``wildcards``)."""
        names = self.strings(table, key, path, non_empty=non_empty)
        shape = MODULE_PATTERN if wildcards else MODULE_NAME
        for name in names:
            if not shape.fullmatch(name):
                raise self.error(
                    path + (key,), f"{name!r} is not a dotted module name (like 'app.core')", name
                )
        return names
