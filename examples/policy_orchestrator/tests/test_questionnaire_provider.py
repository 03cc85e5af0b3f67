"""Loading and validating questionnaires: every mistake is an error naming file and place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from policy_orchestrator.orchestrator.questionnaire_provider import (
    QuestionnaireError,
    QuestionnaireProvider,
    parse_questionnaire,
)

VALID_QUESTION: dict[str, Any] = {
    "id": "Q1",
    "text": "Is it there?",
    "dimension": "d",
    "policy_area": "a",
    "modality": "presence",
    "keywords": ["x"],
}


def document(**question: Any) -> str:
    return json.dumps({"title": "T", "version": 1, "questions": [{**VALID_QUESTION, **question}]})


def test_sample_questionnaire_is_valid(questionnaire_path: Path) -> None:
    questionnaire = QuestionnaireProvider().load(questionnaire_path)
    assert len(questionnaire.questions) >= 20
    assert len({q.dimension for q in questionnaire.questions}) >= 3
    assert {q.modality for q in questionnaire.questions} == {"presence", "numeric_target", "budget"}


def test_valid_question_is_parsed() -> None:
    [question] = parse_questionnaire(document(weight=2), "q.json").questions
    assert question.keywords == ("x",)
    assert question.weight == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"title": ', "q.json:1:11: invalid JSON"),
        ("[]", "q.json: $: expected an object"),
        ('{"title": "T", "version": 1}', "q.json: $: missing 'questions'"),
        ('{"title": "T", "version": 1, "questions": []}', "$.questions: must not be empty"),
        ('{"title": "T", "version": 1, "questions": [3]}', "$.questions[0]: expected an object"),
        (document(modality="guess"), "$.questions[0].modality: expected one of"),
        (document(keywords=[]), "$.questions[0].keywords: expected a non-empty list"),
        (document(keywords=["*"]), "$.questions[0].keywords"),
        (document(keywords="x"), "$.questions[0].keywords: expected list"),
        (document(weight=0), "$.questions[0].weight: expected a positive number"),
        (document(weight=True), "$.questions[0].weight"),
        (document(id="  "), "$.questions[0].id: must not be empty"),
        (document(text=None), "$.questions[0].text: expected str"),
        (document().replace('"version": 1', '"version": "1"'), "$.version: expected int"),
    ],
)
def test_invalid_documents_are_reported(text: str, message: str) -> None:
    with pytest.raises(QuestionnaireError) as caught:
        parse_questionnaire(text, "q.json")
    assert message in str(caught.value)
    assert str(caught.value).startswith("q.json")


def test_duplicate_ids_are_reported() -> None:
    data = json.loads(document())
    data["questions"].append(dict(VALID_QUESTION))
    with pytest.raises(QuestionnaireError, match=r"questions\[1\]\.id: duplicate 'Q1'"):
        parse_questionnaire(json.dumps(data), "q.json")


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(QuestionnaireError, match="missing.json: cannot read"):
        QuestionnaireProvider().load(missing)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(QuestionnaireError, match="binary.json: cannot read"):
        QuestionnaireProvider().load(binary)
