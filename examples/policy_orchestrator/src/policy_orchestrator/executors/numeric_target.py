"""Numeric target questions: a measurable target, with a baseline and a deadline."""

from __future__ import annotations

from collections.abc import Sequence

from policy_orchestrator.core.contracts import Answer, Chunk, Question
from policy_orchestrator.core.figures import has_baseline, has_target_figure, target_year
from policy_orchestrator.core.matching import Sentence, evidence, topic_sentences
from policy_orchestrator.core.scoring import ratio

COMPONENTS = 3


def _components(sentence: Sentence) -> list[str]:
    text = sentence.text
    parts = []
    if has_target_figure(text):
        parts.append("figure")
    if has_baseline(text):
        parts.append("baseline")
    year = target_year(text)
    if year is not None:
        parts.append(f"deadline {year}")
    return parts


def answer(question: Question, chunks: Sequence[Chunk]) -> Answer:
    best: tuple[Sentence, list[str]] | None = None
    for sentence in topic_sentences(chunks, question.keywords):
        parts = _components(sentence)
        # The earliest sentence wins a tie: a plan states its targets before restating them.
        if best is None or len(parts) > len(best[1]):
            best = (sentence, parts)
    if best is None or not best[1]:
        return Answer(question.id, question.modality, 0.0, (), ("no measurable target found",))
    sentence, parts = best
    return Answer(
        question_id=question.id,
        modality=question.modality,
        score=ratio(len(parts), COMPONENTS),
        evidence=(evidence(sentence, sentence.keyword),),
        notes=("target states: " + ", ".join(parts),),
    )
