"""Semantic chunking: a plan text into sections and paragraph chunks with stable ids."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policy_orchestrator.core.contracts import Chunk

MAX_CHUNK_CHARS = 400
PREAMBLE_TITLE = "Preamble"

# "# Title", "## Title", "3. Title" or "3.2 Title": short, and not a sentence.
_HEADING = re.compile(r"^(?:#{1,6}\s+(?P<md>\S.*)|(?P<num>\d+(?:\.\d+)*\.?\s+[A-Z].*))$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MAX_HEADING_CHARS = 80


def _heading_title(line: str) -> str | None:
    stripped = line.strip()
    match = _HEADING.match(stripped)
    if match is None or len(stripped) > _MAX_HEADING_CHARS:
        return None
    if match.group("md") is not None:
        return match.group("md").strip()
    # A numbered line ending with a full stop is a list item, not a heading.
    return None if stripped.endswith(".") else stripped


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line
        offset += len(line)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` at sentence ends into spans of at most ``limit`` characters.

    Sentences are packed greedily; a single sentence longer than ``limit`` stays whole, so a
    chunk never cuts a sentence (evidence excerpts are whole sentences).
    """
    if end - start <= limit:
        return [(start, end)]
    cuts = [m.start() for m in _SENTENCE_END.finditer(text, start, end)]
    sentences: list[tuple[int, int]] = []
    begin = start
    for cut in cuts:
        sentences.append(_trimmed(text, begin, cut))
        begin = cut
    sentences.append(_trimmed(text, begin, end))
    spans: list[tuple[int, int]] = []
    for s_start, s_end in sentences:
        if spans and s_end - spans[-1][0] <= limit:
            spans[-1] = (spans[-1][0], s_end)
        else:
            spans.append((s_start, s_end))
    return spans


def _paragraphs(text: str) -> Iterator[tuple[str | None, int, int]]:
    """Yield ``(heading, 0, 0)`` for headings and ``(None, start, end)`` for paragraphs."""
    para_start: int | None = None
    para_end = 0
    for offset, line in _lines(text):
        title = _heading_title(line)
        if title is not None or not line.strip():
            if para_start is not None:
                yield None, para_start, para_end
                para_start = None
            if title is not None:
                yield title, 0, 0
            continue
        if para_start is None:
            para_start = offset
        para_end = offset + len(line)
    if para_start is not None:
        yield None, para_start, para_end


def chunk_plan(text: str, max_chars: int = MAX_CHUNK_CHARS) -> tuple[Chunk, ...]:
    """Chunks of ``text`` in reading order.

    Ids are ``s<section>.p<paragraph>.c<part>`` (``s00`` holds text before the first heading),
    so they depend only on the document's structure and are stable across runs.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    chunks: list[Chunk] = []
    section, title, paragraph = 0, PREAMBLE_TITLE, 0
    for heading, start, end in _paragraphs(text):
        if heading is not None:
            section, title, paragraph = section + 1, heading, 0
            continue
        paragraph += 1
        start, end = _trimmed(text, start, end)
        for part, (c_start, c_end) in enumerate(split_long(text, start, end, max_chars), 1):
            chunks.append(
                Chunk(
                    id=f"s{section:02d}.p{paragraph:02d}.c{part:02d}",
                    section_id=f"s{section:02d}",
                    section_title=title,
                    start=c_start,
                    end=c_end,
                    text=text[c_start:c_end],
                )
            )
    return tuple(chunks)
