"""Command line: ``python -m policy_orchestrator plan.txt --questionnaire q.json --out r.json``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from policy_orchestrator.core.chunking import chunk_plan
from policy_orchestrator.core.contracts import Questionnaire, Report
from policy_orchestrator.executors import answer_all
from policy_orchestrator.orchestrator.questionnaire_provider import (
    QuestionnaireError,
    get_questionnaire_provider,
)
from policy_orchestrator.processors.aggregate import build_report
from policy_orchestrator.processors.render import to_json, to_markdown

EXIT_OK = 0
EXIT_INPUT_ERROR = 2


class InputError(Exception):
    """A file cannot be read or written; the message names it."""


def analyse(plan_text: str, plan_name: str, questionnaire: Questionnaire) -> Report:
    """Chunk the plan, answer every question, aggregate: the whole pipeline, without I/O."""
    chunks = chunk_plan(plan_text)
    answers = answer_all(questionnaire.questions, chunks)
    return build_report(plan_name, questionnaire.title, questionnaire.questions, answers)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read: {error}") from None


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write: {error}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policy_orchestrator",
        description="Score a policy or development plan against a questionnaire.",
    )
    parser.add_argument("plan", type=Path, help="the plan, as UTF-8 text")
    parser.add_argument("--questionnaire", type=Path, required=True, help="questionnaire JSON")
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON report")
    parser.add_argument("--markdown", type=Path, help="also write a Markdown report here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        questionnaire = get_questionnaire_provider().load(args.questionnaire)
        report = analyse(_read(args.plan), args.plan.stem, questionnaire)
        _write(args.out, to_json(report))
        if args.markdown is not None:
            _write(args.markdown, to_markdown(report, questionnaire))
    except (QuestionnaireError, InputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    print(f"{report.plan}: overall {report.overall:.2f} ({report.band}) -> {args.out}")
    return EXIT_OK
