"""Data contracts shared by every layer: questions, chunks, evidence, answers and reports.

These frozen dataclasses are the application's public API; their fields are snapshotted by
archverify (``contracts.snapshot.json``) and by ``tests/test_contracts.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Modality = Literal["presence", "numeric_target", "budget"]
MODALITIES: tuple[Modality, ...] = ("presence", "numeric_target", "budget")


@dataclass(frozen=True)
class Question:
    """One questionnaire item. ``keywords`` are phrases; a trailing ``*`` matches any ending."""

    id: str
    text: str
    dimension: str
    policy_area: str
    modality: Modality
    keywords: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Questionnaire:
    title: str
    version: int
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Chunk:
    """A paragraph (or part of a long one) of the plan; ``text == plan[start:end]``."""

    id: str
    section_id: str
    section_title: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Evidence:
    """Where an answer was found: the sentence ``excerpt`` at plan offsets ``start:end``.

    ``matched`` names the keyword(s) found there, comma-separated.
    """

    chunk_id: str
    section_title: str
    start: int
    end: int
    excerpt: str
    matched: str


@dataclass(frozen=True)
class Answer:
    question_id: str
    modality: Modality
    score: float
    evidence: tuple[Evidence, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupScore:
    """The weighted mean score of the answers in one dimension or policy area."""

    name: str
    score: float
    band: str
    questions: int


@dataclass(frozen=True)
class Report:
    plan: str
    questionnaire: str
    overall: float
    band: str
    dimensions: tuple[GroupScore, ...]
    policy_areas: tuple[GroupScore, ...]
    answers: tuple[Answer, ...]
