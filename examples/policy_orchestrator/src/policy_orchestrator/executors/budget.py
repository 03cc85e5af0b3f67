"""Budget questions: an amount of money for the topic, its funding source and its period."""

from __future__ import annotations

from collections.abc import Sequence

from policy_orchestrator.core.contracts import Answer, Chunk, Question
from policy_orchestrator.core.figures import (
    Money,
    money_amounts,
    names_funding_source,
    names_period,
)
from policy_orchestrator.core.matching import Sentence, evidence, topic_sentences
from policy_orchestrator.core.scoring import ratio

COMPONENTS = 3


def _score(sentence: Sentence, amounts: list[Money]) -> int:
    if not amounts:
        return 0
    return 1 + names_funding_source(sentence.text) + names_period(sentence.text)


def answer(question: Question, chunks: Sequence[Chunk]) -> Answer:
    best: tuple[Sentence, list[Money], int] | None = None
    for sentence in topic_sentences(chunks, question.keywords):
        amounts = money_amounts(sentence.text)
        points = _score(sentence, amounts)
        if points and (best is None or points > best[2]):
            best = (sentence, amounts, points)
    if best is None:
        return Answer(question.id, question.modality, 0.0, (), ("no budget figure found",))
    sentence, amounts, points = best
    figures = "; ".join(f"{m.currency} {m.amount:,.0f}" for m in amounts)
    return Answer(
        question_id=question.id,
        modality=question.modality,
        score=ratio(points, COMPONENTS),
        evidence=(evidence(sentence, sentence.keyword),),
        notes=(f"amounts: {figures}",),
    )
