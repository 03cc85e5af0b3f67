"""Every list of steps agrees with the catalogue (``core.steps``): the registry, the rule docs,
``run --help``, and the lists that cannot import it (the pre-commit hooks, the benchmark)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from archverify.core.config import STATIC_STEPS, STEP_ORDER
from archverify.core.steps import STEPS
from archverify.executors.registry import all_steps, step_classes
from archverify.orchestrator.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
RULE_DOCS = REPO / "src" / "archverify" / "rule_docs"
# Rule-doc pages of rule families that are not a step: process/leftover is the scheduler's,
# suppressions/* the suppression comments' (a processor of the run's findings), shards/* the
# merge's of a sharded run's partial reports.
NOT_A_STEP = {"process", "shards", "suppressions"}


def test_the_registry_has_a_class_for_every_catalogued_step_and_nothing_else() -> None:
    classes = step_classes()
    assert set(classes) == set(STEP_ORDER)
    for step_id, cls in classes.items():
        assert cls.id == step_id
    assert list(all_steps()) == list(STEP_ORDER)


def test_every_step_has_its_rule_doc_page_and_every_page_is_a_step() -> None:
    pages = {page.stem for page in RULE_DOCS.glob("*.md")}
    assert pages - NOT_A_STEP == set(STEP_ORDER)
    assert not NOT_A_STEP & set(STEP_ORDER)


def test_the_static_pre_commit_hook_runs_exactly_the_static_steps() -> None:
    # Read without a YAML library (none is a dependency): each hook is "- id:" then "entry:".
    text = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    entries = dict(re.findall(r"^- id: (\S+)\n(?:  .*\n)*?  entry: (.+)$", text, re.MULTILINE))
    assert entries["archverify"] == "archverify run"
    assert entries["archverify-static"] == f"archverify run --steps {','.join(STATIC_STEPS)}"


def test_the_benchmarks_step_lists_are_catalogued_steps_in_order() -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from runbook.projects import BENCH_STEPS
        from runbook.projects import STATIC_STEPS as BENCH_STATIC
    finally:
        sys.path.remove(str(REPO / "bench"))
    assert BENCH_STEPS == tuple(s for s in STEP_ORDER if s not in {"tests", "snapshots"})
    assert BENCH_STATIC.split(",") == [s for s in BENCH_STEPS if s in STATIC_STEPS]


def _run_help() -> str:
    commands = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    run: argparse.ArgumentParser = commands.choices["run"]
    return run.format_help()


def test_run_help_lists_every_step_in_the_runbook_order_with_its_summary() -> None:
    text = _run_help()
    section = text.split("the steps, in the runbook's order:\n", 1)[1]
    lines = section.splitlines()[: len(STEPS)]
    assert lines == [f"  {spec.id:<11} {spec.summary}" for spec in STEPS]
    assert section.splitlines()[len(STEPS)] == "`archverify explain RULE` documents every rule."
    known = re.sub(r"\s+", " ", text).split("(known: ", 1)[1].split(")", 1)[0]
    assert known == ", ".join(STEP_ORDER)
