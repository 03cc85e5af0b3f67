"""Loads and validates questionnaire JSON; only the orchestrator may obtain the provider."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from archverify.guards import provider

from policy_orchestrator.core.contracts import MODALITIES, Question, Questionnaire

T = TypeVar("T")


class QuestionnaireError(ValueError):
    """The questionnaire cannot be read or is invalid; the message names file and place."""


def _field(data: Mapping[str, Any], key: str, kind: type[T], where: str) -> T:
    if key not in data:
        raise QuestionnaireError(f"{where}: missing {key!r}")
    value = data[key]
    # bool is an int subclass; a weight of ``true`` is a mistake, not 1.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise QuestionnaireError(f"{where}.{key}: expected {kind.__name__}, got {value!r}")
    return value


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = _field(data, key, str, where).strip()
    if not value:
        raise QuestionnaireError(f"{where}.{key}: must not be empty")
    return value


def _question(data: object, where: str) -> Question:
    if not isinstance(data, dict):
        raise QuestionnaireError(f"{where}: expected an object, got {data!r}")
    modality = _text(data, "modality", where)
    if modality not in MODALITIES:
        raise QuestionnaireError(
            f"{where}.modality: expected one of {', '.join(MODALITIES)}, got {modality!r}"
        )
    keywords = _field(data, "keywords", list, where)
    if not keywords or not all(isinstance(k, str) and k.strip("* ") for k in keywords):
        raise QuestionnaireError(f"{where}.keywords: expected a non-empty list of phrases")
    weight = data.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        raise QuestionnaireError(f"{where}.weight: expected a positive number, got {weight!r}")
    return Question(
        id=_text(data, "id", where),
        text=_text(data, "text", where),
        dimension=_text(data, "dimension", where),
        policy_area=_text(data, "policy_area", where),
        modality=next(m for m in MODALITIES if m == modality),
        keywords=tuple(k.strip() for k in keywords),
        weight=float(weight),
    )


def parse_questionnaire(text: str, source: str) -> Questionnaire:
    """Validate questionnaire JSON ``text``; ``source`` names it in error messages."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise QuestionnaireError(
            f"{source}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}"
        ) from None
    if not isinstance(data, dict):
        raise QuestionnaireError(f"{source}: $: expected an object, got {type(data).__name__}")
    top = f"{source}: $"
    items = _field(data, "questions", list, top)
    if not items:
        raise QuestionnaireError(f"{top}.questions: must not be empty")
    questions: list[Question] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{top}.questions[{index}]"
        question = _question(item, where)
        if question.id in seen:
            raise QuestionnaireError(f"{where}.id: duplicate {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    return Questionnaire(
        title=_text(data, "title", top),
        version=_field(data, "version", int, top),
        questions=tuple(questions),
    )


class QuestionnaireProvider:
    """Reads questionnaires from files."""

    def load(self, path: Path) -> Questionnaire:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise QuestionnaireError(f"{path}: cannot read: {error}") from None
        return parse_questionnaire(text, str(path))


@provider(["policy_orchestrator.orchestrator"])
def get_questionnaire_provider() -> QuestionnaireProvider:
    """The questionnaire provider; calling it from outside the orchestrator raises."""
    return QuestionnaireProvider()
