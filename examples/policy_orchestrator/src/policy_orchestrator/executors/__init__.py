"""One executor per question modality: a pure function ``(question, chunks) -> Answer``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from policy_orchestrator.core.contracts import Answer, Chunk, Modality, Question
from policy_orchestrator.executors import budget, numeric_target, presence

Executor = Callable[[Question, Sequence[Chunk]], Answer]

EXECUTORS: Mapping[Modality, Executor] = {
    "presence": presence.answer,
    "numeric_target": numeric_target.answer,
    "budget": budget.answer,
}


def answer_all(questions: Sequence[Question], chunks: Sequence[Chunk]) -> tuple[Answer, ...]:
    """Answer every question with the executor of its modality, in questionnaire order."""
    return tuple(EXECUTORS[question.modality](question, chunks) for question in questions)
