"""Inline suppressions on hand-built findings and facts."""

from __future__ import annotations

from archverify.core.facts import FileFacts, Suppression
from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.processors.suppressions import (
    apply,
    selector_matches,
    steps_that_ran,
)

PATH = "src/pkg/core/model.py"
ALL_STEPS = frozenset({"compile", "purity", "contracts", "ruff", "mypy", "boundaries", "tests"})


def finding(
    rule: str = "purity/io-call",
    line: int = 7,
    path: str = PATH,
    step: str = "",
    message: str = "call to builtins.open in pure package pkg.core",
) -> Finding:
    return Finding(step or rule.split("/")[0], rule, Severity.ERROR, path, line, 5, message)


def facts(*suppressions: Suppression, path: str = PATH) -> FileFacts:
    return FileFacts(
        path=path,
        module="pkg.core.model",
        is_package=False,
        content_hash="x",
        suppressions=suppressions,
    )


def test_a_suppression_with_a_reason_removes_the_finding_on_its_line() -> None:
    kept_finding = finding(line=9)
    result = apply(
        [finding(), kept_finding],
        [facts(Suppression(7, ("purity/io-call",), "the loader is injected later"))],
        ALL_STEPS,
    )
    assert result.suppressed == [finding()]
    assert result.kept == [kept_finding]
    assert result.problems == []
    assert result.outcome() is None


def test_a_suppression_without_a_reason_suppresses_nothing_and_warns() -> None:
    result = apply([finding()], [facts(Suppression(7, ("purity/io-call",), "  "))], ALL_STEPS)
    assert result.kept == [finding()]
    assert result.suppressed == []
    [problem] = result.problems
    assert (problem.rule, problem.path, problem.line) == ("suppressions/missing-reason", PATH, 7)
    assert problem.severity is Severity.WARNING
    outcome = result.outcome()
    assert outcome is not None and outcome.step == "suppressions"
    assert outcome.status is StepStatus.PASSED  # warnings never fail a run


def test_an_unused_suppression_warns() -> None:
    result = apply(
        [finding(line=8)], [facts(Suppression(7, ("purity/io-call",), "why"))], ALL_STEPS
    )
    assert result.kept == [finding(line=8)]
    [problem] = result.problems
    assert problem.rule == "suppressions/unused" and problem.line == 7
    assert "purity/io-call" in problem.message


def test_a_suppression_for_another_rule_does_not_suppress() -> None:
    result = apply([finding()], [facts(Suppression(7, ("purity/main-block",), "why"))], ALL_STEPS)
    assert result.kept == [finding()]
    assert [p.rule for p in result.problems] == ["suppressions/unused"]


def test_a_suppression_in_another_file_does_not_suppress() -> None:
    other = facts(Suppression(7, ("purity/io-call",), "why"), path="src/pkg/core/other.py")
    result = apply([finding()], [other], ALL_STEPS)
    assert result.kept == [finding()]
    assert [(p.rule, p.path) for p in result.problems] == [
        ("suppressions/unused", "src/pkg/core/other.py")
    ]


def test_unused_is_only_judged_for_steps_that_ran() -> None:
    suppression = Suppression(7, ("mypy/arg-type", "purity/io-call"), "why")
    only_purity = apply([finding()], [facts(suppression)], {"purity"})
    assert only_purity.problems == []
    with_mypy = apply([finding()], [facts(suppression)], {"purity", "mypy"})
    [problem] = with_mypy.problems
    assert "mypy/arg-type" in problem.message and "purity/io-call" not in problem.message


def test_an_unknown_step_is_reported_unused_so_typos_show() -> None:
    result = apply([finding()], [facts(Suppression(7, ("purty/io-call",), "why"))], {"purity"})
    assert result.kept == [finding()]
    assert [p.rule for p in result.problems] == ["suppressions/unused"]


def test_step_prefix_and_wildcard_cover_every_rule_of_the_step() -> None:
    main_block = finding(rule="purity/main-block", message="__main__ block")
    for selector in ("purity", "purity/*"):
        result = apply(
            [finding(), main_block, finding(rule="ruff/F401")],
            [facts(Suppression(7, (selector,), "generated module"))],
            ALL_STEPS,
        )
        assert result.suppressed == [finding(), main_block], selector
        assert result.kept == [finding(rule="ruff/F401")]
        assert result.problems == []


def test_several_ids_comma_separated_each_suppress_their_own() -> None:
    ruff = finding(rule="ruff/E501")
    other = finding(rule="mypy/arg-type")
    result = apply(
        [finding(), ruff, other],
        [facts(Suppression(7, ("purity/io-call", " ruff/E501 "), "legacy, tracked in #12"))],
        ALL_STEPS,
    )
    assert result.suppressed == [finding(), ruff]
    assert result.kept == [other]
    assert result.problems == []


def test_a_suppression_only_matches_the_findings_own_line() -> None:
    # A finding inside a multi-line call is reported on one line; a comment elsewhere misses.
    result = apply(
        [finding(line=8)], [facts(Suppression(9, ("purity/io-call",), "why"))], ALL_STEPS
    )
    assert result.kept == [finding(line=8)]


def test_findings_without_a_line_or_a_file_are_never_suppressed() -> None:
    project_wide = finding(path="", line=0, rule="contracts/layers")
    file_wide = finding(line=0)
    result = apply(
        [project_wide, file_wide],
        [facts(Suppression(0, ("purity", "contracts"), "why"))],
        ALL_STEPS,
    )
    assert result.kept == [project_wide, file_wide]


def test_a_rule_prefix_other_than_the_step_matches() -> None:
    coverage = finding(rule="coverage/below-minimum", step="tests")
    for selector in ("coverage", "tests", "tests/*", "coverage/below-minimum"):
        result = apply([coverage], [facts(Suppression(7, (selector,), "why"))], {"tests"})
        assert result.suppressed == [coverage], selector


def test_an_exact_rule_id_does_not_match_a_longer_one() -> None:
    assert not selector_matches("ruff/E5", finding(rule="ruff/E501"))
    assert selector_matches("ruff/E5*", finding(rule="ruff/E501"))
    assert not selector_matches("pur", finding())


def test_a_suppression_without_rule_ids_is_reported() -> None:
    result = apply([finding()], [facts(Suppression(7, (), "why"))], ALL_STEPS)
    assert result.kept == [finding()]
    [problem] = result.problems
    assert problem.rule == "suppressions/unused" and "no rule id" in problem.message


def test_steps_that_ran_ignores_skipped_and_broken_steps() -> None:
    outcomes = [
        StepOutcome("purity", StepStatus.PASSED),
        StepOutcome("mypy", StepStatus.FAILED),
        StepOutcome("ruff", StepStatus.ERROR),
        StepOutcome("bandit", StepStatus.SKIPPED),
    ]
    assert steps_that_ran(outcomes) == {"purity", "mypy"}
