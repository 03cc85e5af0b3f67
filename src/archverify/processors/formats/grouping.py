"""The findings a person reads: warnings of one rule grouped (1,314 x B101 is one entry with its
first locations), and ``--errors-only``. Text and Markdown use it; JSON, SARIF and the other
machine formats always carry every finding."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from archverify.core.findings import Finding, Severity
from archverify.processors.formats.common import cut_of

# A rule with more warnings (or notes) than this in one list is shown as one group...
GROUP_ABOVE = 3
# ...with this many of its locations.
GROUP_SHOWN = 3


@dataclass(frozen=True)
class RuleGroup:
    """The warnings (or notes) of one rule, in report order."""

    rule: str
    severity: Severity
    findings: tuple[Finding, ...]

    @property
    def shown(self) -> tuple[Finding, ...]:
        return self.findings[:GROUP_SHOWN]

    @property
    def more(self) -> int:
        return len(self.findings) - len(self.shown)

    @property
    def hint(self) -> str:
        return self.findings[0].hint


def visible(findings: Iterable[Finding], *, errors_only: bool = False) -> list[Finding]:
    """``findings`` as a reader sees them: without warnings and notes under ``--errors-only``."""
    return [f for f in findings if not errors_only or f.severity is Severity.ERROR]


def _groupable(finding: Finding) -> bool:
    # A mypy note explains the error above it (a reveal_type, "see the docs"): it reads only
    # beside that error, never as one of many of its kind.
    mypy_note = finding.step == "mypy" and finding.severity is Severity.NOTE
    return finding.severity is not Severity.ERROR and cut_of(finding) is None and not mypy_note


def grouped(findings: Sequence[Finding]) -> list[Finding | RuleGroup]:
    """``findings`` in their order, the warnings and notes of each rule that has more than
    ``GROUP_ABOVE`` of them replaced by one group where the first of them stood. Errors are
    never grouped: each one is to be fixed where it is; nor are findings that say which imports
    to cut (a contract's cut note, a lazy cycle): the cut is the advice, a group would hide it;
    nor mypy's notes, each of which explains its own error."""
    counts = Counter((f.rule, f.severity) for f in findings if _groupable(f))
    many = {key for key, n in counts.items() if n > GROUP_ABOVE}
    members: dict[tuple[str, Severity], list[Finding]] = {key: [] for key in many}
    for finding in findings:
        if (finding.rule, finding.severity) in members:
            members[(finding.rule, finding.severity)].append(finding)
    shown: list[Finding | RuleGroup] = []
    placed: set[tuple[str, Severity]] = set()
    for finding in findings:
        key = (finding.rule, finding.severity)
        if key not in members:
            shown.append(finding)
        elif key not in placed:
            placed.add(key)
            shown.append(RuleGroup(finding.rule, finding.severity, tuple(members[key])))
    return shown


def split_groups(findings: Sequence[Finding]) -> tuple[list[Finding], list[RuleGroup]]:
    """The findings listed one by one, and the groups (for a report that lists by file)."""
    items = grouped(findings)
    return (
        [item for item in items if isinstance(item, Finding)],
        [item for item in items if isinstance(item, RuleGroup)],
    )


def hidden_note(findings: Iterable[Finding], *, errors_only: bool) -> str:
    """``"12 warnings and notes not shown (--errors-only)"``, or "" when none was hidden."""
    if not errors_only:
        return ""
    hidden = sum(1 for f in findings if f.severity is not Severity.ERROR)
    if not hidden:
        return ""
    return (
        f"{hidden} {'warning or note' if hidden == 1 else 'warnings and notes'} not shown "
        "(--errors-only)"
    )
