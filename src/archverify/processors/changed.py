"""``--changed-since``: which findings the change reached (new) and which it did not (existing).

Every check ran on the whole project; a finding is *new* when its evidence touches what the
change wrote: its own line, or any import statement its ``extra`` records (a contract finding's
routes and chain, a cycle's edges: every ``{path, line}`` in it). A finding about a whole file
(no line) is new when the file changed; one about the project as a whole (no file) is new, as
nothing says it predates the change. The others are *existing*: shown the way the baseline
shows the findings it knows, and, like them, they do not fail the run.

Some steps' evidence is not a line of the change but the change's reach (``reached``): the
imports step imported only the modules whose import-time closure holds a changed file, so its
findings are all new; a test failing in a test module the change ran again is new; a mypy error
is new too in a file that imports a changed module (a changed signature breaks its callers).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from archverify.core.changes import ChangeSet
from archverify.core.facts import FileFacts
from archverify.core.findings import Finding
from archverify.core.graph import ImportGraph
from archverify.processors.baseline import BaselineResult
from archverify.processors.suppressions import STEP as SUPPRESSIONS_STEP

# A step's reach: the files whose findings are new whatever their line, None for every file.
Reached = Mapping[str, Collection[str] | None]


def split(
    findings: Iterable[Finding], changes: ChangeSet, reached: Reached | None = None
) -> BaselineResult:
    """The findings as a baseline result: ``new`` the change reached, ``baselined`` the
    existing ones (the baseline's notion of a known finding; nothing is ever stale)."""
    new: list[Finding] = []
    existing: list[Finding] = []
    for finding in findings:
        (new if is_new(finding, changes, reached) else existing).append(finding)
    return BaselineResult(new=new, baselined=existing, stale=[])


def is_new(finding: Finding, changes: ChangeSet, reached: Reached | None = None) -> bool:
    """Whether the change touched the finding's evidence (see the module's docstring)."""
    if reached and finding.step in reached:
        files = reached[finding.step]
        if files is None or finding.path in files:
            return True
    if not finding.path or finding.step == SUPPRESSIONS_STEP:
        # Project-wide, or a suppression comment to fix: never set aside.
        return True
    if changes.touches(finding.path, finding.line):
        return True
    return any(changes.touches(path, line) for path, line in evidence(finding.extra) if line > 0)


def evidence(value: Any) -> Iterator[tuple[str, int]]:
    """Every ``{path, line}`` record inside a finding's ``extra``, at any depth."""
    if isinstance(value, Mapping):
        path, line = value.get("path"), value.get("line")
        if isinstance(path, str) and isinstance(line, int) and not isinstance(line, bool):
            yield path, line
        for item in value.values():
            yield from evidence(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from evidence(item)


def importers_of_changes(changes: ChangeSet, facts: Iterable[FileFacts]) -> set[str]:
    """The files of the modules that import a changed module (``TYPE_CHECKING`` imports too,
    which a type checker follows): where a change to a signature shows up."""
    every = list(facts)
    changed = {f.module for f in every if f.path in changes.files}
    graph = ImportGraph.build(every, include_type_checking=True)
    paths = {f.module: f.path for f in every}
    return {paths[m] for c in changed for m in graph.importers_of(c) if m in paths}
