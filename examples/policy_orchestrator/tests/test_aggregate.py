"""Aggregation of answers into group and overall scores, and the renderers."""

from __future__ import annotations

import json

import pytest

from policy_orchestrator.core.contracts import Answer, Question, Questionnaire
from policy_orchestrator.core.scoring import band, ratio, weighted_mean
from policy_orchestrator.processors.aggregate import build_report
from policy_orchestrator.processors.render import to_json, to_markdown

QUESTIONS = (
    Question("A", "Text A", "diagnosis", "health", "presence", ("x",), 1.0),
    Question("B", "Text B", "diagnosis", "water", "presence", ("x",), 3.0),
    Question("C", "Text C", "targets", "health", "budget", ("x",), 1.0),
)
ANSWERS = (
    Answer("A", "presence", 1.0, ()),
    Answer("B", "presence", 0.0, ()),
    Answer("C", "budget", 0.5, ()),
)


def test_groups_are_weighted_and_overall_is_mean_of_dimensions() -> None:
    report = build_report("plan", "Q", QUESTIONS, ANSWERS)
    assert [(d.name, d.score, d.questions) for d in report.dimensions] == [
        ("diagnosis", 0.25, 2),
        ("targets", 0.5, 1),
    ]
    assert [(a.name, a.score) for a in report.policy_areas] == [("health", 0.75), ("water", 0.0)]
    assert report.overall == 0.375
    assert report.band == "weak"


def test_answers_must_match_questions() -> None:
    with pytest.raises(ValueError):
        build_report("plan", "Q", QUESTIONS, ANSWERS[:2])


@pytest.mark.parametrize(
    ("score", "name"),
    [(1.0, "strong"), (0.75, "strong"), (0.5, "adequate"), (0.3, "weak"), (0.1, "absent")],
)
def test_bands(score: float, name: str) -> None:
    assert band(score) == name


def test_scoring_edge_cases() -> None:
    assert ratio(1, 0) == 0.0
    assert ratio(1, 3) == 0.3333
    assert weighted_mean([]) == 0.0


def test_renderers() -> None:
    report = build_report("plan", "Q", QUESTIONS, ANSWERS)
    assert json.loads(to_json(report))["overall"] == 0.375
    markdown = to_markdown(report, Questionnaire("Q", 1, QUESTIONS))
    assert markdown.startswith("# plan: Q\n")
    assert "| diagnosis | 0.25 | weak | 2 |" in markdown
    assert "### B: Text B" in markdown
