"""Evidence matching and figure extraction on single sentences."""

from __future__ import annotations

import pytest

from policy_orchestrator.core.chunking import chunk_plan
from policy_orchestrator.core.figures import (
    has_baseline,
    has_target_figure,
    money_amounts,
    names_funding_source,
    names_period,
    percentages,
    target_year,
)
from policy_orchestrator.core.matching import keyword_span, topic_sentences


@pytest.mark.parametrize(
    ("text", "keyword", "span"),
    [
        ("Six clinics opened.", "clinic*", (4, 11)),
        ("Six clinics opened.", "clinic", None),
        ("Health workers", "HEALTH WORKERS", (0, 14)),
        ("healthcare", "health", None),
        ("a (b) c", "(b)", (2, 5)),
        ("rate is 5.5", "5.5", (8, 11)),
    ],
)
def test_keyword_span(text: str, keyword: str, span: tuple[int, int] | None) -> None:
    assert keyword_span(text, keyword) == span


def test_keywords_are_not_regular_expressions() -> None:
    assert keyword_span("aaaa", "a+") is None
    assert keyword_span("x a+ y", "a+") == (2, 4)


def test_topic_sentences_have_plan_offsets() -> None:
    text = "# S\nNothing here. Vaccination rises. Done.\n"
    [sentence] = list(topic_sentences(chunk_plan(text), ["vaccination"]))
    assert sentence.text == "Vaccination rises."
    assert text[sentence.start : sentence.end] == "Vaccination rises."
    assert sentence.keyword == "vaccination"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("from 72 % to 95 % by 2028", [72.0, 95.0]),
        ("reach 12.5 percent", [12.5]),
        ("reach 1,200 per cent", [1200.0]),
        ("no figure", []),
    ],
)
def test_percentages(sentence: str, expected: list[float]) -> None:
    assert percentages(sentence) == expected


def test_target_year_takes_latest_deadline() -> None:
    assert target_year("50 % by 2026 and 80 % by 2030") == 2030
    assert target_year("adopted 2024") is None


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("reach 70 nurses", True),
        ("reach 45 %", True),
        ("in 2027", False),
        ("more nurses", False),
    ],
)
def test_target_figure(sentence: str, expected: bool) -> None:
    assert has_target_figure(sentence) is expected


def test_baseline() -> None:
    assert has_baseline("from a baseline of 3")
    assert has_baseline("from 64 % today")
    assert not has_baseline("from the council")


@pytest.mark.parametrize(
    ("sentence", "amounts"),
    [
        ("costs USD 3.2 million", [(3_200_000.0, "USD")]),
        ("costs $1,800,000 and €2m", [(1_800_000.0, "USD"), (2_000_000.0, "EUR")]),
        ("about 500 thousand euros", [(500_000.0, "EUR")]),
        ("£40k per year", [(40_000.0, "GBP")]),
        ("40 % of 2025", []),
        ("$5 more", [(5.0, "USD")]),
    ],
)
def test_money_amounts(sentence: str, amounts: list[tuple[float, str]]) -> None:
    assert [(m.amount, m.currency) for m in money_amounts(sentence)] == amounts


def test_funding_and_period() -> None:
    assert names_funding_source("financed by a loan")
    assert not names_funding_source("costs a lot")
    assert (
        names_period("annually") and names_period("2025-2028") and names_period("over four years")
    )
    assert not names_period("soon")
