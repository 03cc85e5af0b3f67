"""The configuration error and the dotted key paths it names."""

from __future__ import annotations

import re

# A key path step: a table or key name, or the index of an array-of-tables element.
KeyPart = str | int
KeyPath = tuple[KeyPart, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_PATH_PART = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


class ConfigError(Exception):
    """A configuration that cannot be used; ``str()`` gives ``path:line: message``.

    ``line`` is 1-based, 0 when unknown; ``path`` is the configuration file as shown to the user
    (relative to the verified root when it lies inside it).
    """

    def __init__(self, message: str, path: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        if not self.path:
            return self.message
        return f"{self.path}:{self.line}: {self.message}"


def format_key(path: KeyPath) -> str:
    """``("tool", "archverify", "x", 0, "name")`` -> ``tool.archverify.x[0].name``.

    Keys that are not bare TOML keys are quoted.
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
            text += f".{name}" if text else name
    return text


def parse_key(text: str) -> KeyPath:
    """The inverse of :func:`format_key` for bare keys (as callers write them)."""
    parts: list[KeyPart] = []
    # Trailing words ("contracts[0] (layers)") are a label for people, not part of the key.
    text = text.split(" ", 1)[0]
    for match in _PATH_PART.finditer(text):
        index, name = match.groups()
        parts.append(int(index) if index is not None else name.strip().strip('"'))
    return tuple(parts)
