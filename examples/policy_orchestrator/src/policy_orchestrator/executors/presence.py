"""Presence questions: how many of the question's key terms does the plan mention?"""

from __future__ import annotations

from collections.abc import Sequence

from policy_orchestrator.core.contracts import Answer, Chunk, Question
from policy_orchestrator.core.matching import Sentence, evidence, topic_sentences
from policy_orchestrator.core.scoring import ratio


def answer(question: Question, chunks: Sequence[Chunk]) -> Answer:
    # Each term's first mention; terms first mentioned in the same sentence share one evidence.
    by_sentence: dict[tuple[int, int], tuple[Sentence, list[str]]] = {}
    missing: list[str] = []
    for keyword in question.keywords:
        first = next(topic_sentences(chunks, (keyword,)), None)
        if first is None:
            missing.append(keyword)
        else:
            by_sentence.setdefault((first.start, first.end), (first, []))[1].append(keyword)
    found = len(question.keywords) - len(missing)
    notes = [f"{found} of {len(question.keywords)} terms found"]
    if missing:
        notes.append("missing: " + ", ".join(missing))
    return Answer(
        question_id=question.id,
        modality=question.modality,
        score=ratio(found, len(question.keywords)),
        evidence=tuple(evidence(s, ", ".join(terms)) for s, terms in by_sentence.values()),
        notes=tuple(notes),
    )
