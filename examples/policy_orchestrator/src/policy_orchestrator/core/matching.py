"""Evidence matching: keyword spans, sentences of chunks and the evidence they yield."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from policy_orchestrator.core.chunking import split_long
from policy_orchestrator.core.contracts import Chunk, Evidence


@lru_cache(maxsize=512)
def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A case-insensitive whole-word pattern; a trailing ``*`` allows any word ending.

    Keywords are escaped, never used as regular expressions, so a questionnaire cannot
    inject a slow or invalid pattern.
    """
    stem = keyword.strip()
    wildcard = stem.endswith("*")
    body = re.escape(stem.rstrip("*").strip())
    tail = r"\w*" if wildcard else r"(?!\w)"
    return re.compile(r"(?<!\w)" + body + tail, re.IGNORECASE)


def keyword_span(text: str, keyword: str) -> tuple[int, int] | None:
    match = keyword_pattern(keyword).search(text)
    return None if match is None else match.span()


@dataclass(frozen=True)
class Sentence:
    """A sentence of ``chunk`` at plan offsets ``start:end`` that mentions ``keyword``."""

    chunk: Chunk
    start: int
    end: int
    keyword: str

    @property
    def text(self) -> str:
        return self.chunk.text[self.start - self.chunk.start : self.end - self.chunk.start]


def sentences(chunk: Chunk) -> list[tuple[int, int]]:
    """Plan offsets of the sentences of ``chunk``."""
    # A limit of 1 makes split_long return every sentence on its own.
    spans = split_long(chunk.text, 0, len(chunk.text), 1)
    return [(chunk.start + start, chunk.start + end) for start, end in spans]


def topic_sentences(chunks: Sequence[Chunk], keywords: Sequence[str]) -> Iterator[Sentence]:
    """Sentences mentioning any of ``keywords``, in reading order (first keyword wins)."""
    for chunk in chunks:
        for start, end in sentences(chunk):
            text = chunk.text[start - chunk.start : end - chunk.start]
            for keyword in keywords:
                if keyword_span(text, keyword) is not None:
                    yield Sentence(chunk, start, end, keyword)
                    break


def evidence(sentence: Sentence, matched: str) -> Evidence:
    return Evidence(
        chunk_id=sentence.chunk.id,
        section_title=sentence.chunk.section_title,
        start=sentence.start,
        end=sentence.end,
        excerpt=" ".join(sentence.text.split()),
        matched=matched,
    )
