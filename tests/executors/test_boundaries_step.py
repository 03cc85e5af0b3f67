"""The boundaries step on hand-built facts."""

from __future__ import annotations

from archverify.core.config import BoundaryRule, Config
from archverify.core.facts import CallFact, CompileError, ImportFact
from archverify.core.findings import Severity, StepStatus
from archverify.executors.boundaries import NOT_CONFIGURED, BoundariesStep
from tests.helpers.factories import context_of, module_facts

RULE = BoundaryRule(
    name="domain",
    packages=("app.domain",),
    forbid_calls=("get_provider",),
    forbid_imports=("app.adapters",),
)


def config(*rules: BoundaryRule) -> Config:
    return Config(root="/project", boundaries=rules)


def test_skipped_without_boundaries() -> None:
    outcome = BoundariesStep().run(context_of([module_facts("app")], config()))
    assert outcome.status is StepStatus.SKIPPED
    assert outcome.message == NOT_CONFIGURED


def test_violations_fail_and_are_sorted() -> None:
    facts = [
        module_facts(
            "app.domain.b",
            imports=(ImportFact("app.adapters.db", 1, 1),),
            calls=(CallFact("get_provider", "", 7, 3),),
        ),
        module_facts("app.domain.a", imports=(ImportFact("app", 2, 1, names=("adapters",)),)),
        module_facts("app.service", imports=(ImportFact("app.adapters", 1, 1),)),
    ]
    outcome = BoundariesStep().run(context_of(facts, config(RULE)))
    assert outcome.status is StepStatus.FAILED
    assert [(f.path, f.line, f.rule) for f in outcome.findings] == [
        ("app/domain/a.py", 2, "boundaries/forbidden-import"),
        ("app/domain/b.py", 1, "boundaries/forbidden-import"),
        ("app/domain/b.py", 7, "boundaries/forbidden-call"),
    ]
    assert all(f.extra["boundary"] == "domain" for f in outcome.findings)
    assert outcome.stats == {"rules": 1, "modules": 3}


def test_type_checking_only_violation_warns_and_passes() -> None:
    imports = (ImportFact("app.adapters", 3, 5, type_checking=True),)
    outcome = BoundariesStep().run(
        context_of([module_facts("app.domain", imports=imports)], config(RULE))
    )
    assert outcome.status is StepStatus.PASSED
    assert [f.severity for f in outcome.findings] == [Severity.WARNING]


def test_clean_project_and_broken_files_pass() -> None:
    error = CompileError("syntax", 1, 1, "invalid syntax")
    facts = [
        module_facts("app.domain.ok", imports=(ImportFact("app.domain.values", 1, 1),)),
        module_facts("app.domain.broken", compile_error=error),
    ]
    outcome = BoundariesStep().run(context_of(facts, config(RULE)))
    assert outcome.status is StepStatus.PASSED
    assert outcome.findings == []
    assert outcome.stats["modules"] == 1


def test_malformed_rule_is_a_step_error_naming_it() -> None:
    bad = BoundaryRule(name="broken rule", packages=("app",), forbid_calls=("x..y",))
    outcome = BoundariesStep().run(context_of([module_facts("app")], config(bad)))
    assert outcome.status is StepStatus.ERROR
    assert "broken rule" in outcome.message
