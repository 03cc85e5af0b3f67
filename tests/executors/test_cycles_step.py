"""The cycles step: errors for import-time cycles, warnings for lazy ones."""

from __future__ import annotations

from collections.abc import Mapping

from archverify.core.config import Config, CyclesConfig
from archverify.core.facts import ImportFact
from archverify.core.findings import Severity, StepOutcome, StepStatus
from archverify.executors.cycles import CyclesStep
from tests.helpers.factories import context_of, module_facts, project_of


def run(
    modules: Mapping[str, tuple[ImportFact, ...]], packages: tuple[str, ...] = ()
) -> StepOutcome:
    facts = [module_facts(m, *imports) for m, imports in modules.items()]
    config = Config(root="/r", cycles=CyclesConfig(packages=packages))
    context = context_of(project_of(facts, root="/r", packages=("p", "q")), config)
    return CyclesStep().run(context)


def test_import_cycle_is_an_error_with_chain() -> None:
    outcome = run({"p.a": (ImportFact("p.b", 2, 0),), "p.b": (ImportFact("p.a", 5, 4),)})
    assert outcome.status is StepStatus.FAILED
    (finding,) = outcome.findings
    assert (finding.rule, finding.severity, finding.path, finding.line, finding.column) == (
        "cycles/import-cycle",
        Severity.ERROR,
        "p/a.py",
        2,
        0,
    )
    assert "p.a -> p.b -> p.a" in finding.message
    assert finding.extra["modules"] == ["p.a", "p.b"]
    assert len(finding.extra["edges"]) == 2
    assert outcome.stats == {"modules": 2, "imports": 2}


def test_lazy_cycle_is_a_warning_and_packages_restrict() -> None:
    modules = {
        "p.a": (ImportFact("q.b", 2, 0),),
        "q.b": (ImportFact("p.a", 5, 4, in_function=True),),
    }
    outcome = run(modules)
    assert outcome.status is StepStatus.PASSED
    assert [f.rule for f in outcome.findings] == ["cycles/lazy-cycle"]
    assert run(modules, packages=("p",)).findings == []


def test_no_cycle_passes() -> None:
    outcome = run({"p.a": (ImportFact("p.b", 2, 0),), "p.b": ()})
    assert outcome.status is StepStatus.PASSED and outcome.findings == []
