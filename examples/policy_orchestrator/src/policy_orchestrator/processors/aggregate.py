"""Aggregation of answers into dimension, policy-area and overall scores."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from policy_orchestrator.core.contracts import Answer, GroupScore, Question, Report
from policy_orchestrator.core.scoring import band, weighted_mean


def _groups(
    questions: Sequence[Question], answers: Sequence[Answer], key: Callable[[Question], str]
) -> tuple[GroupScore, ...]:
    """Weighted mean per group, groups in order of first appearance in the questionnaire."""
    members: dict[str, list[tuple[float, float]]] = {}
    for question, answer in zip(questions, answers, strict=True):
        members.setdefault(key(question), []).append((answer.score, question.weight))
    return tuple(
        GroupScore(name, score, band(score), len(pairs))
        for name, pairs in members.items()
        for score in [weighted_mean(pairs)]
    )


def build_report(
    plan: str, title: str, questions: Sequence[Question], answers: Sequence[Answer]
) -> Report:
    """The report of ``answers`` (one per question, same order); overall = mean of dimensions."""
    dimensions = _groups(questions, answers, lambda q: q.dimension)
    overall = weighted_mean((d.score, 1.0) for d in dimensions)
    return Report(
        plan=plan,
        questionnaire=title,
        overall=overall,
        band=band(overall),
        dimensions=dimensions,
        policy_areas=_groups(questions, answers, lambda q: q.policy_area),
        answers=tuple(answers),
    )
