"""Put findings in one deterministic order and drop exact duplicates."""

from __future__ import annotations

from collections.abc import Iterable

from archverify.core.findings import Finding


def ordered_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Sorted by path, line, column, step, rule and message; the same finding twice counts once.

    Two steps may legitimately report the same place (e.g. a boundary and a contract on one
    import): those differ by step or rule and are both kept.
    """
    unique: dict[tuple[object, ...], Finding] = {}
    for finding in findings:
        unique.setdefault(finding.sort_key(), finding)
    return [unique[key] for key in sorted(unique)]
