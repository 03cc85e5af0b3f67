"""Executors: one per modality, each a pure (question, chunks) -> Answer."""

from __future__ import annotations

from policy_orchestrator.core.chunking import chunk_plan
from policy_orchestrator.core.contracts import MODALITIES, Modality, Question
from policy_orchestrator.executors import EXECUTORS, answer_all, budget, numeric_target, presence


def question(modality: Modality, *keywords: str) -> Question:
    return Question("Q1", "?", "dim", "area", modality, keywords)


def test_every_modality_has_an_executor() -> None:
    assert tuple(EXECUTORS) == MODALITIES


def test_presence_scores_share_of_terms_and_merges_evidence() -> None:
    chunks = chunk_plan("# H\nClinics and nurses exist. Doctors too.\n")
    got = presence.answer(question("presence", "clinic*", "nurses", "doctors", "dentists"), chunks)
    assert got.score == 0.75
    assert [e.matched for e in got.evidence] == ["clinic*, nurses", "doctors"]
    assert got.evidence[0].excerpt == "Clinics and nurses exist."
    assert got.notes == ("3 of 4 terms found", "missing: dentists")


def test_presence_finds_nothing_in_empty_plan() -> None:
    got = presence.answer(question("presence", "clinic"), ())
    assert (got.score, got.evidence) == (0.0, ())


def test_numeric_target_prefers_the_most_complete_sentence() -> None:
    text = "Vaccination matters. Vaccination will reach 90 %. Vaccination rises from 70 % to 90 % by 2028."
    got = numeric_target.answer(question("numeric_target", "vaccination"), chunk_plan(text))
    assert got.score == 1.0
    assert got.evidence[0].excerpt.endswith("by 2028.")
    assert got.notes == ("target states: figure, baseline, deadline 2028",)


def test_numeric_target_without_figures_scores_zero() -> None:
    got = numeric_target.answer(
        question("numeric_target", "vaccination"), chunk_plan("Vaccination matters.")
    )
    assert (got.score, got.evidence) == (0.0, ())


def test_budget_needs_an_amount_and_rewards_source_and_period() -> None:
    text = "Schools matter. Schools get USD 2 million. Schools get $3m annually, funded by a grant."
    got = budget.answer(question("budget", "school*"), chunk_plan(text))
    assert got.score == 1.0
    assert got.notes == ("amounts: USD 3,000,000",)
    partial = budget.answer(question("budget", "school*"), chunk_plan("Schools get USD 2 million."))
    assert partial.score == 0.3333


def test_budget_without_amount_scores_zero() -> None:
    got = budget.answer(question("budget", "school*"), chunk_plan("Schools are funded annually."))
    assert (got.score, got.notes) == (0.0, ("no budget figure found",))


def test_answer_all_keeps_questionnaire_order() -> None:
    qs = [question("budget", "x"), question("presence", "x")]
    assert [a.modality for a in answer_all(qs, ())] == ["budget", "presence"]
