"""Source bytes to text: PEP 263 decoding, line counting, columns and suppression comments."""

from __future__ import annotations

import io
import re
import tokenize

from archverify.core.facts import CompileError, Suppression

# PEP 263: the cookie is a comment on line 1 or 2 matching this expression.
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_SUPPRESSION = re.compile(r"#\s*archverify:\s*ignore\[([^\]]*)\]\s*(.*)")


def count_lines(source: bytes) -> int:
    """Lines as the tokenizer sees them: ``\\n``, ``\\r\\n`` and a lone ``\\r`` end a line."""
    if not source:
        return 0
    ends = source.count(b"\n") + source.count(b"\r") - source.count(b"\r\n")
    return ends if source.endswith((b"\n", b"\r")) else ends + 1


def _position(source: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset."""
    line_start = source.rfind(b"\n", 0, offset) + 1
    return source.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _cookie_line(source: bytes) -> int:
    for number, line in enumerate(source.splitlines()[:2], start=1):
        if _COOKIE.match(line):
            return number
    return 1


def decode_source(source: bytes) -> tuple[str, str] | CompileError:
    """The text and encoding of a module, or a ``decode`` error at the first bad byte.

    ``tokenize.detect_encoding`` applies PEP 263 and the UTF-8 BOM rules exactly as the
    interpreter does; it reads from memory here, never from disk.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError as exc:
        message = str(exc.msg or exc)
        if message.startswith("invalid or missing"):
            # No usable cookie and the first lines are not UTF-8: point at the bad byte.
            try:
                source.decode("utf-8")
            except UnicodeDecodeError as bad:
                line, column = _position(source, bad.start)
                return CompileError("decode", line, column, f"{message}: {bad.reason}")
        return CompileError("decode", _cookie_line(source), 1, message)
    try:
        return source.decode(encoding), encoding
    except UnicodeDecodeError as bad:
        line, column = _position(source, bad.start)
        # A UTF-8 BOM is not part of the text the user sees, so do not count it as a column.
        if encoding == "utf-8-sig" and line == 1:
            column = max(1, column - 3)
        return CompileError("decode", line, column, f"cannot decode as {encoding}: {bad.reason}")
    except (LookupError, ValueError) as exc:  # a cookie naming a codec that is not text
        return CompileError("decode", _cookie_line(source), 1, f"cannot decode: {exc}")


class CharColumns:
    """Converts the AST's UTF-8 byte offsets into 1-based character columns."""

    def __init__(self, text: str) -> None:
        self.is_ascii = text.isascii()  # then a byte offset is the column, less one
        self._text = text
        self._lines: list[bytes] | None = None

    def column(self, line: int, byte_offset: int) -> int:
        if self.is_ascii or byte_offset <= 0:
            return byte_offset + 1
        if self._lines is None:
            # The parser counts lines like this too: only \r\n, \r and \n end a line.
            self._lines = [
                part.encode("utf-8", "surrogatepass")
                for part in self._text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            ]
        if not 0 < line <= len(self._lines):
            return byte_offset + 1
        prefix = self._lines[line - 1][:byte_offset]
        return len(prefix.decode("utf-8", "ignore")) + 1


def find_suppressions(source: bytes, text: str) -> tuple[Suppression, ...]:
    """``# archverify: ignore[rule, ...] reason`` comments; text inside strings never counts."""
    if b"archverify:" not in source:
        return ()
    found: list[Suppression] = []
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    try:
        for token in tokens:
            if token.type != tokenize.COMMENT:
                continue
            match = _SUPPRESSION.search(token.string)
            if match is None:
                continue
            rules = tuple(r.strip() for r in match.group(1).split(",") if r.strip())
            found.append(Suppression(token.start[0], rules, match.group(2).strip()))
    except (tokenize.TokenError, SyntaxError):
        # The tokenizer gives up on some files the parser accepted; keep what it saw.
        pass
    return tuple(found)
