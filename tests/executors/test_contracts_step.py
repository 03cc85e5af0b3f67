"""The contracts step: findings, stats, skipping and config errors."""

from __future__ import annotations

from archverify.core.config import Config, ContractConfig
from archverify.core.facts import ImportFact
from archverify.core.findings import Severity, StepOutcome, StepStatus
from archverify.executors.contracts import ContractsStep
from tests.helpers.factories import context_of, module_facts, project_of

PROJECT = project_of(
    [
        module_facts("p"),
        module_facts("p.high"),
        module_facts(
            "p.low", ImportFact("p.util", 4, 0), ImportFact("p.high", 9, 0, type_checking=True)
        ),
        module_facts("p.util", ImportFact("p.high", 2, 8)),
    ],
    root="/r",
)
LAYERS = ContractConfig("layered", "layers", {"layers": ["p.high", "p.low"]}, "pyproject.toml:7")


def run(*contracts: ContractConfig, include_type_checking: bool = False) -> StepOutcome:
    config = Config(
        root="/r", contracts=contracts, include_type_checking_imports=include_type_checking
    )
    return ContractsStep().run(context_of(PROJECT, config))


def test_broken_layers_give_one_finding_at_the_first_import() -> None:
    outcome = run(LAYERS)
    assert outcome.status is StepStatus.FAILED
    cut, finding = outcome.findings
    assert (cut.rule, cut.severity, cut.path, cut.line) == (
        "contracts/cut",
        Severity.NOTE,
        "p/low.py",
        4,
    )
    assert (finding.rule, finding.path, finding.line, finding.column) == (
        "contracts/layers",
        "p/low.py",
        4,
        0,
    )
    assert "p.low -> p.util -> p.high" in finding.message and finding.hint
    assert finding.extra["contract"] == "layered"
    assert finding.extra["chain"] == [
        {"importer": "p.low", "imported": "p.util", "path": "p/low.py", "line": 4},
        {"importer": "p.util", "imported": "p.high", "path": "p/util.py", "line": 2},
    ]
    assert outcome.stats["modules"] == 4 and outcome.stats["imports"] == 2


def test_type_checking_imports_only_when_asked() -> None:
    ignored = ContractConfig(
        "c", "layers", {"layers": ["p.high", "p.low"], "ignore_imports": ["p.util -> p.high"]}
    )
    assert run(ignored).status is StepStatus.PASSED
    assert run(ignored, include_type_checking=True).status is StepStatus.FAILED


def test_kept_contract_passes_and_no_contracts_skip() -> None:
    kept = ContractConfig(
        "c", "forbidden", {"source_modules": ["p.high"], "forbidden_modules": ["p.low"]}
    )
    assert run(kept).status is StepStatus.PASSED
    skipped = run()
    assert skipped.status is StepStatus.SKIPPED and skipped.message


def test_config_errors_and_unmatched_ignores_are_findings() -> None:
    bad = ContractConfig("bad", "layers", {}, "pyproject.toml:12")
    missing = ContractConfig("gone", "independence", {"modules": ["p.high", "p.nothing"]})
    stale = ContractConfig(
        "stale",
        "independence",
        {
            "modules": ["p.high", "p.util"],
            "ignore_imports": ["p.x -> p.y"],
            "unmatched_ignore_imports_alerting": "warn",
        },
    )
    outcome = run(bad, missing, stale)
    rules = sorted((f.rule, f.severity, f.path, f.line) for f in outcome.findings)
    assert rules == [
        ("contracts/config-error", Severity.ERROR, "", 0),
        ("contracts/config-error", Severity.ERROR, "pyproject.toml", 12),
        ("contracts/cut", Severity.NOTE, "p/util.py", 2),
        ("contracts/independence", Severity.ERROR, "p/util.py", 2),
        ("contracts/unmatched-ignore", Severity.WARNING, "", 0),
    ]


def test_finding_keeps_every_route_in_extra() -> None:
    (finding,) = [f for f in run(LAYERS).findings if f.rule == "contracts/layers"]
    (route,) = finding.extra["routes"]
    assert route["direct"] is False and route["covering"] is False
    assert route["middle"] == ["p.util"] and route["links"] == []
    assert [h["importer"] for h in route["heads"]] == ["p.low"]
    assert route["tails"][0]["imports"] == [{"path": "p/util.py", "line": 2}]
    assert route["tails"][0]["lines"] == [2]


def test_each_broken_contract_gets_one_cut_that_keeps_it() -> None:
    outcome = run(LAYERS)
    (cut,) = [f for f in outcome.findings if f.rule == "contracts/cut"]
    assert cut.message == ("remove this import to keep 'layered' (minimum, min-cut): p/low.py:4")
    assert cut.extra == {
        "contract": "layered",
        "cut": {
            "method": "min-cut",
            "exact": True,
            "size": 1,
            "lower_bound": 1,
            "imports": [{"importer": "p.low", "imported": "p.util", "path": "p/low.py", "line": 4}],
        },
    }
    kept = ContractConfig(
        "layered", "layers", {"layers": ["p.high", "p.low"], "ignore_imports": ["p.util -> p.high"]}
    )
    assert run(kept).findings == []
