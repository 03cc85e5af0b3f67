"""Contract snapshot: the public dataclasses of core keep their fields, names and types."""

from __future__ import annotations

import dataclasses
from typing import get_args

import pytest

from policy_orchestrator.core import contracts

SNAPSHOT: dict[str, list[tuple[str, str]]] = {
    "Question": [
        ("id", "str"),
        ("text", "str"),
        ("dimension", "str"),
        ("policy_area", "str"),
        ("modality", "Modality"),
        ("keywords", "tuple[str, ...]"),
        ("weight", "float"),
    ],
    "Questionnaire": [("title", "str"), ("version", "int"), ("questions", "tuple[Question, ...]")],
    "Chunk": [
        ("id", "str"),
        ("section_id", "str"),
        ("section_title", "str"),
        ("start", "int"),
        ("end", "int"),
        ("text", "str"),
    ],
    "Evidence": [
        ("chunk_id", "str"),
        ("section_title", "str"),
        ("start", "int"),
        ("end", "int"),
        ("excerpt", "str"),
        ("matched", "str"),
    ],
    "Answer": [
        ("question_id", "str"),
        ("modality", "Modality"),
        ("score", "float"),
        ("evidence", "tuple[Evidence, ...]"),
        ("notes", "tuple[str, ...]"),
    ],
    "GroupScore": [("name", "str"), ("score", "float"), ("band", "str"), ("questions", "int")],
    "Report": [
        ("plan", "str"),
        ("questionnaire", "str"),
        ("overall", "float"),
        ("band", "str"),
        ("dimensions", "tuple[GroupScore, ...]"),
        ("policy_areas", "tuple[GroupScore, ...]"),
        ("answers", "tuple[Answer, ...]"),
    ],
}


def test_every_public_dataclass_is_snapshotted() -> None:
    public = {
        name
        for name, value in vars(contracts).items()
        if dataclasses.is_dataclass(value) and not name.startswith("_")
    }
    assert public == set(SNAPSHOT)


@pytest.mark.parametrize("name", sorted(SNAPSHOT))
def test_fields_match_snapshot(name: str) -> None:
    cls = getattr(contracts, name)
    assert [(f.name, str(f.type)) for f in dataclasses.fields(cls)] == SNAPSHOT[name]
    assert cls.__dataclass_params__.frozen


def test_modalities_match_the_literal_type() -> None:
    assert contracts.MODALITIES == get_args(contracts.Modality)
