"""Inline suppressions: ``# archverify: ignore[rule-id] reason`` removes a finding on its line."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from archverify.core.config import STEP_ORDER
from archverify.core.facts import FileFacts, Suppression
from archverify.core.findings import Finding, Rule, Severity, StepOutcome, StepStatus, status_for
from archverify.core.steps import step_of_rule

STEP = "suppressions"

_EXAMPLE = "# archverify: ignore[purity/io-call] the reason it is acceptable"
_HINT = f"write it as `{_EXAMPLE}` on the line the finding is reported on, or remove it"

MISSING_REASON = Rule("suppressions/missing-reason", Severity.WARNING, _HINT)
UNUSED = Rule("suppressions/unused", Severity.WARNING, _HINT)


@dataclass(frozen=True)
class SuppressionResult:
    """The findings left after suppressions, those removed, and warnings about the comments."""

    kept: list[Finding]
    suppressed: list[Finding]
    problems: list[Finding]

    def outcome(self) -> StepOutcome | None:
        """A pseudo-step for the report's table, so the warnings show under their own heading."""
        if not self.problems:
            return None
        return StepOutcome(STEP, status_for(self.problems), list(self.problems))


def steps_that_ran(outcomes: Iterable[StepOutcome]) -> frozenset[str]:
    """Steps whose findings are complete this run: a skipped or broken step proves nothing."""
    return frozenset(o.step for o in outcomes if o.status in (StepStatus.PASSED, StepStatus.FAILED))


def rule_prefix(rule: str) -> str:
    return rule.split("/", 1)[0]


def selector_matches(selector: str, finding: Finding) -> bool:
    """``purity/io-call`` exactly, ``purity`` or ``purity/*`` for a whole step, or a glob."""
    if selector == finding.rule:
        return True
    if selector in (finding.step, rule_prefix(finding.rule)):
        return True
    if selector.endswith("/*") and selector[:-2] in (finding.step, rule_prefix(finding.rule)):
        return True
    return "*" in selector and fnmatchcase(finding.rule, selector)


def selector_ran(selector: str, steps_ran: Collection[str]) -> bool:
    """Whether this run could have produced a finding for ``selector``.

    A selector naming an unknown step is judged anyway, so that a typo is reported as unused.
    """
    prefix = rule_prefix(selector)
    if "*" in prefix:
        return bool(steps_ran)
    step = step_of_rule(prefix)
    return step in steps_ran or step not in STEP_ORDER


def apply(
    findings: Iterable[Finding], facts: Iterable[FileFacts], steps_ran: Collection[str]
) -> SuppressionResult:
    """Remove the findings that a suppression with a reason covers, on the finding's own line.

    ``steps_ran`` (see :func:`steps_that_ran`) limits the unused warnings to rules whose step
    ran, so a partial ``--steps`` run does not call every other suppression unused.
    """
    by_path: dict[str, dict[int, list[Suppression]]] = {}
    for file_facts in facts:
        for suppression in file_facts.suppressions:
            by_path.setdefault(file_facts.path, {}).setdefault(suppression.line, []).append(
                suppression
            )
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    used: set[tuple[str, int, str]] = set()
    for finding in findings:
        candidates = by_path.get(finding.path, {}).get(finding.line, []) if finding.line else []
        selectors = _covering_selectors(finding, candidates)
        if selectors:
            suppressed.append(finding)
            used.update((finding.path, finding.line, s) for s in selectors)
        else:
            kept.append(finding)
    problems = [
        problem
        for path, lines in sorted(by_path.items())
        for line, suppressions in sorted(lines.items())
        for suppression in suppressions
        for problem in _problems(path, suppression, used, steps_ran)
    ]
    return SuppressionResult(kept=kept, suppressed=suppressed, problems=problems)


def _selectors(suppression: Suppression) -> list[str]:
    return [s.strip() for s in suppression.rules if s.strip()]


def _covering_selectors(finding: Finding, suppressions: list[Suppression]) -> list[str]:
    """Every selector that covers the finding, so that overlapping ids all count as used."""
    return [
        selector
        for suppression in suppressions
        if suppression.reason.strip()
        for selector in _selectors(suppression)
        if selector_matches(selector, finding)
    ]


def _problems(
    path: str,
    suppression: Suppression,
    used: set[tuple[str, int, str]],
    steps_ran: Collection[str],
) -> list[Finding]:
    selectors = _selectors(suppression)
    if not selectors:
        return [
            UNUSED.at(
                path, suppression.line, 0, "suppression names no rule id, so it suppresses nothing"
            )
        ]
    if not suppression.reason.strip():
        return [
            MISSING_REASON.at(
                path,
                suppression.line,
                0,
                f"suppression of {', '.join(selectors)} has no reason, so it suppresses nothing",
            )
        ]
    unused = [
        s
        for s in selectors
        if (path, suppression.line, s) not in used and selector_ran(s, steps_ran)
    ]
    if not unused:
        return []
    return [
        UNUSED.at(
            path, suppression.line, 0, f"nothing to suppress on this line for {', '.join(unused)}"
        )
    ]
