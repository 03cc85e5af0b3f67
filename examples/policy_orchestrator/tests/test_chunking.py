"""Semantic chunking regression cases: sections, paragraphs, long paragraphs, offsets, ids."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest import PLANS

from policy_orchestrator.core.chunking import PREAMBLE_TITLE, chunk_plan, split_long


def test_markdown_and_numbered_headings_open_sections() -> None:
    text = "Intro line.\n\n# Health\nClinics are few.\n\n2. Water Supply\nWells run dry.\n"
    chunks = chunk_plan(text)
    assert [(c.id, c.section_title, c.text) for c in chunks] == [
        ("s00.p01.c01", PREAMBLE_TITLE, "Intro line."),
        ("s01.p01.c01", "Health", "Clinics are few."),
        ("s02.p01.c01", "2. Water Supply", "Wells run dry."),
    ]


def test_numbered_sentence_is_a_list_item_not_a_heading() -> None:
    chunks = chunk_plan("# Targets\n1. Build two clinics by 2027.\n2. Hire nurses.\n")
    assert len(chunks) == 1
    assert chunks[0].section_title == "Targets"
    assert chunks[0].text == "1. Build two clinics by 2027.\n2. Hire nurses."


def test_overlong_line_is_not_a_heading() -> None:
    line = "1. " + "Word " * 30
    assert chunk_plan(line)[0].section_title == PREAMBLE_TITLE


def test_paragraphs_are_separated_by_blank_lines_and_numbered_per_section() -> None:
    text = "# A\none\n\n   \ntwo\n# B\nthree\n"
    assert [c.id for c in chunk_plan(text)] == ["s01.p01.c01", "s01.p02.c01", "s02.p01.c01"]


def test_long_paragraph_is_split_at_sentence_ends() -> None:
    text = "First sentence here. Second sentence here. Third sentence here."
    chunks = chunk_plan(text, max_chars=45)
    assert [c.text for c in chunks] == [
        "First sentence here. Second sentence here.",
        "Third sentence here.",
    ]
    assert [c.id for c in chunks] == ["s00.p01.c01", "s00.p01.c02"]


def test_sentence_longer_than_limit_stays_whole() -> None:
    text = "An unusually long sentence without any break at all. Short."
    assert [c.text for c in chunk_plan(text, max_chars=10)] == [
        "An unusually long sentence without any break at all.",
        "Short.",
    ]


def test_split_long_keeps_short_spans() -> None:
    assert split_long("abc", 0, 3, 10) == [(0, 3)]


@pytest.mark.parametrize(
    "text",
    ["", "\n\n  \n", "# Only a heading\n"],
)
def test_texts_without_paragraphs_have_no_chunks(text: str) -> None:
    assert chunk_plan(text) == ()


def test_windows_line_endings_keep_offsets_exact() -> None:
    text = "# Title\r\nLine one.\r\nLine two.\r\n\r\nNext.\r\n"
    for chunk in chunk_plan(text):
        assert text[chunk.start : chunk.end] == chunk.text
    assert [c.id for c in chunk_plan(text)] == ["s01.p01.c01", "s01.p02.c01"]


def test_invalid_limit_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        chunk_plan("text", max_chars=0)


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.stem)
def test_sample_plans_offsets_ids_and_order(plan: Path) -> None:
    text = plan.read_text(encoding="utf-8")
    chunks = chunk_plan(text)
    ids = [c.id for c in chunks]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip()
        assert len(chunk.text) <= 400 or ". " not in chunk.text
    # Chunks are in reading order, never overlap, and chunking is deterministic.
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))
    assert chunk_plan(text) == chunks


def test_riverside_structure_regression() -> None:
    text = next(p for p in PLANS if p.stem == "riverside").read_text(encoding="utf-8")
    sections = {(c.section_id, c.section_title) for c in chunk_plan(text)}
    assert sorted(sections) == [
        ("s00", PREAMBLE_TITLE),
        ("s02", "Health"),
        ("s03", "Education"),
        ("s04", "Water and environment"),
        ("s05", "2. Targets"),
        ("s06", "3. Financing"),
        ("s07", "4. Governance"),
    ]
