"""The purity step on hand-built facts."""

from __future__ import annotations

from typing import Any

from archverify.core.config import Config, PurityConfig
from archverify.core.facts import CallFact, CompileError, Location
from archverify.core.findings import StepStatus
from archverify.executors.purity import NOT_CONFIGURED, PurityStep
from tests.helpers.factories import context_of, module_facts


def config(**purity: Any) -> Config:
    return Config(root="/project", purity=PurityConfig(**purity))


def test_skipped_without_pure_packages() -> None:
    facts = [module_facts("app.core", calls=(CallFact("open", "builtins.open", 1, 1),))]
    outcome = PurityStep().run(context_of(facts, config()))
    assert outcome.status is StepStatus.SKIPPED
    assert outcome.message == NOT_CONFIGURED
    assert outcome.findings == []


def test_io_calls_and_main_blocks_fail_sorted() -> None:
    facts = [
        module_facts(
            "app.core.b",
            calls=(CallFact("open", "builtins.open", 9, 5), CallFact("load", "json.load", 2, 1)),
            main_blocks=(Location(12, 1),),
        ),
        module_facts("app.core.a", calls=(CallFact("run", "subprocess.run", 3, 1),)),
        module_facts("app.cli", calls=(CallFact("print", "builtins.print", 1, 1),)),
    ]
    outcome = PurityStep().run(context_of(facts, config(packages=("app.core",))))
    assert outcome.status is StepStatus.FAILED
    assert [(f.path, f.line, f.rule) for f in outcome.findings] == [
        ("app/core/a.py", 3, "purity/io-call"),
        ("app/core/b.py", 2, "purity/io-call"),
        ("app/core/b.py", 9, "purity/io-call"),
        ("app/core/b.py", 12, "purity/main-block"),
    ]
    assert outcome.stats["modules"] == 2
    assert outcome.stats["calls"] == 3


def test_pure_package_without_io_passes() -> None:
    facts = [module_facts("app.core", calls=(CallFact("loads", "json.loads", 1, 1),))]
    outcome = PurityStep().run(context_of(facts, config(packages=("app.core",))))
    assert outcome.status is StepStatus.PASSED
    assert outcome.findings == []
    assert outcome.message == ""


def test_broken_files_are_left_to_the_compile_step() -> None:
    error = CompileError("syntax", 1, 1, "invalid syntax")
    facts = [module_facts("app.core", compile_error=error)]
    outcome = PurityStep().run(context_of(facts, config(packages=("app.core",))))
    assert outcome.status is StepStatus.PASSED
    assert outcome.stats["modules"] == 0


def test_misspelt_pure_package_is_reported_in_the_message() -> None:
    outcome = PurityStep().run(
        context_of([module_facts("app.core")], config(packages=("app.core", "app.domian")))
    )
    assert outcome.status is StepStatus.PASSED
    assert "app.domian" in outcome.message
    assert outcome.stats["unmatched_packages"] == ["app.domian"]


def test_malformed_pattern_is_a_step_error_not_a_crash() -> None:
    outcome = PurityStep().run(
        context_of([module_facts("app")], config(packages=("app",), forbid_calls=("a..b",)))
    )
    assert outcome.status is StepStatus.ERROR
    assert "a..b" in outcome.message
