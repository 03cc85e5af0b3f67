"""Line numbers of TOML keys, found by scanning the text (``tomllib`` keeps none).

Best effort: table headers, array-of-tables elements and (dotted) keys are found; a key written
inside an inline table falls back to the line of the nearest enclosing key or table.
"""

from __future__ import annotations

from archverify.core.config.errors import KeyPart, KeyPath


def _split_dotted(text: str) -> list[str] | None:
    """``a."b.c" . d`` -> ``["a", "b.c", "d"]``; None when it is not a key."""
    parts: list[str] = []
    current = ""
    quote = ""
    pending = False  # a quoted part was just closed; only a dot or spaces may follow
    for char in text:
        if quote:
            if char == quote:
                quote = ""
                pending = True
            else:
                current += char
        elif char in "\"'":
            if current.strip():
                return None
            quote = char
            current = ""
        elif char == ".":
            parts.append(current.strip())
            current = ""
            pending = False
        elif pending and not char.isspace():
            return None
        else:
            current += char
    if quote:
        return None
    parts.append(current.strip())
    if any(not part for part in parts):
        return None
    return parts


def _find_outside_strings(text: str, target: str) -> int:
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            return -1
        elif char == target:
            return index
    return -1


def _bracket_delta(text: str) -> tuple[int, str]:
    """Net open brackets in ``text`` and the multi-line string delimiter left open, if any."""
    depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        triple = text[index : index + 3]
        if triple in ('"""', "'''"):
            end = text.find(triple, index + 3)
            if end < 0:
                return depth, triple
            index = end + 3
            continue
        if char in "\"'":
            end = index + 1
            while end < len(text) and text[end] != char:
                end += 2 if char == '"' and text[end] == "\\" else 1
            index = end + 1
            continue
        if char == "#":
            break
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        index += 1
    return depth, ""


class TomlLocator:
    """Where each table and key of one TOML text is declared."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._where: dict[KeyPath, int] = {}
        self._ends: dict[KeyPath, int] = {}
        self._scan()

    def _record(self, path: KeyPath, line: int) -> None:
        for size in range(1, len(path) + 1):
            self._where.setdefault(path[:size], line)

    def _scan(self) -> None:
        arrays: dict[tuple[str, ...], int] = {}
        table: KeyPath = ()
        depth = 0
        open_string = ""
        open_key: KeyPath | None = None
        for number, raw in enumerate(self._lines, start=1):
            if open_string:
                end = raw.find(open_string)
                if end < 0:
                    continue
                raw = raw[end + 3 :]
                open_string = ""
                if depth > 0:
                    delta, open_string = _bracket_delta(raw)
                    depth += delta
            elif depth > 0:
                delta, open_string = _bracket_delta(raw)
                depth += delta
            else:
                stripped = raw.strip()
                if not stripped or stripped.startswith("#"):
                    continue
                if stripped.startswith("["):
                    if table:
                        self._ends.setdefault(table, number - 1)
                    table = self._header(stripped, arrays, number) or table
                    continue
                equals = _find_outside_strings(stripped, "=")
                names = _split_dotted(stripped[:equals]) if equals > 0 else None
                if names is None:
                    continue
                open_key = table + tuple(names)
                self._record(open_key, number)
                delta, open_string = _bracket_delta(stripped[equals + 1 :])
                depth = max(delta, 0)
            if open_key is not None and depth <= 0 and not open_string:
                self._ends.setdefault(open_key, number)
                open_key = None
                depth = 0
        if table:
            self._ends.setdefault(table, len(self._lines))

    def _header(self, text: str, arrays: dict[tuple[str, ...], int], number: int) -> KeyPath | None:
        is_array = text.startswith("[[")
        close = text.find("]]" if is_array else "]", 2 if is_array else 1)
        if close < 0:
            return None
        names = _split_dotted(text[2 if is_array else 1 : close])
        if names is None:
            return None
        path: list[KeyPart] = []
        for size, name in enumerate(names, start=1):
            path.append(name)
            prefix = tuple(names[:size])
            if size == len(names) and is_array:
                arrays[prefix] = arrays.get(prefix, -1) + 1
                path.append(arrays[prefix])
            elif prefix in arrays:
                path.append(arrays[prefix])
        full = tuple(path)
        self._record(full, number)
        return full

    def line_of(self, path: KeyPath) -> int:
        """The line declaring ``path``, else its nearest declared ancestor; 0 when none."""
        for size in range(len(path), 0, -1):
            found = self._where.get(path[:size])
            if found is not None:
                return found
        return 0

    def line_of_value(self, path: KeyPath, value: str) -> int:
        """The line inside ``path``'s value that holds the string ``value`` (a list item)."""
        start = self.line_of(path)
        end = self._ends.get(path, start)
        if path in self._where:
            for number in range(start, end + 1):
                line = self._lines[number - 1]
                if f'"{value}"' in line or f"'{value}'" in line:
                    return number
        return start
