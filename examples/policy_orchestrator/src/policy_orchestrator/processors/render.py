"""Report renderers: the report as JSON text and as Markdown text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from policy_orchestrator.core.contracts import GroupScore, Questionnaire, Report


def to_json(report: Report) -> str:
    # Field order follows the dataclasses, so the text is stable and diffable.
    return json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n"


def _table(title: str, groups: Sequence[GroupScore]) -> list[str]:
    lines = [f"## {title}", "", f"| {title[:-1]} | Score | Band | Questions |", "|---|---|---|---|"]
    lines += [f"| {g.name} | {g.score:.2f} | {g.band} | {g.questions} |" for g in groups]
    return [*lines, ""]


def to_markdown(report: Report, questionnaire: Questionnaire) -> str:
    texts = {q.id: q.text for q in questionnaire.questions}
    lines = [
        f"# {report.plan}: {report.questionnaire}",
        "",
        f"Overall score **{report.overall:.2f}** ({report.band}).",
        "",
        *_table("Dimensions", report.dimensions),
        *_table("Policy areas", report.policy_areas),
        "## Answers",
        "",
    ]
    for answer in report.answers:
        lines += [f"### {answer.question_id}: {texts.get(answer.question_id, '')}", ""]
        lines += [f"Score {answer.score:.2f} ({answer.modality}). " + "; ".join(answer.notes), ""]
        lines += [f"- [{e.chunk_id}, {e.section_title}] {e.excerpt}" for e in answer.evidence]
        lines += [""] if answer.evidence else []
    return "\n".join(lines).rstrip("\n") + "\n"
