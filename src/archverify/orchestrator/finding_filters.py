"""Fold inline suppressions and the baseline into a run's report.

The processors are pure; this module finds and reads the baseline file and the source lines
that fingerprints need, and returns a new ``RunReport``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import replace
from pathlib import Path

from archverify.core.changes import ChangeSet
from archverify.core.config import DEFAULT_BASELINE_FILE, Config
from archverify.core.facts import Definition, FileFacts
from archverify.core.findings import Finding, StepOutcome, StepStatus, status_for
from archverify.core.project import Project
from archverify.core.report import RunReport
from archverify.core.source_text import decode_source
from archverify.orchestrator.atomic_write import as_written
from archverify.orchestrator.config.loader import ConfigError, display_path
from archverify.processors import baseline, changed, suppressions
from archverify.processors.baseline import BaselineEntry, enclosing_symbol
from archverify.processors.formats.common import CUT_RULE
from archverify.processors.ordering import ordered_findings

# Python numbers lines at \n, \r\n and \r only; str.splitlines() would also split at \f and
# other separators and shift every line after them.
_NEWLINE = re.compile(r"\r\n|\r|\n")
# The report lists at most this many stale entries; the JSON summary has all of them.
_STALE_SHOWN = 20


def baseline_path(root: Path, config: Config, override: str | None = None) -> Path:
    """``--file`` (relative to the working directory), else the config's ``baseline`` (relative
    to the root), else ROOT/archverify-baseline.json."""
    if override:
        # A committed link there is replaced, never written through.
        return as_written(override)
    return root / (config.baseline or DEFAULT_BASELINE_FILE)


def load_baseline(
    root: Path, config: Config, override: str | None = None
) -> list[BaselineEntry] | None:
    """The baseline's entries, or None when the default file does not exist.

    A file named by ``--file`` or the config must exist. Raises ``ConfigError`` (exit 2) for a
    missing, unreadable or corrupted file, never a traceback.
    """
    path = baseline_path(root, config, override)
    shown = display_path(root, path)
    if not path.is_file():
        if override or config.baseline:
            raise ConfigError(
                "baseline file not found; create it with `archverify baseline`", shown
            )
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the baseline: {error}", shown) from None
    try:
        return baseline.parse(text)
    except baseline.BaselineError as error:
        raise ConfigError(
            f"corrupted baseline: {error.message}; write it again with `archverify baseline`, "
            "or run with --no-baseline",
            shown,
            error.line,
        ) from None


class SourceIndex:
    """Source lines and enclosing symbols of the verified files, each file read once, lazily.

    Symbols come from the facts' definitions; a file without facts (a tool reported a file
    that discovery skipped) is all module level, the same way in ``run`` and ``baseline``.
    """

    def __init__(self, root: Path, facts: Iterable[FileFacts] = ()) -> None:
        self._root = root
        self._definitions: dict[str, tuple[Definition, ...]] = {
            f.path: f.definitions for f in facts
        }
        self._lines: dict[str, list[str]] = {}

    def line_text(self, path: str, line: int) -> str:
        lines = self._read(path)
        return lines[line - 1] if 1 <= line <= len(lines) else ""

    def symbol_at(self, path: str, line: int) -> str:
        return enclosing_symbol(self._definitions.get(path, ()), line)

    def _read(self, path: str) -> list[str]:
        if path not in self._lines:
            self._lines[path] = _NEWLINE.split(_decode(self._bytes(path)))
        return self._lines[path]

    def _bytes(self, path: str) -> bytes:
        if not path:
            return b""
        try:
            return (self._root / path).read_bytes()
        except OSError:
            return b""  # a vanished file: its findings fall back to their message


def _decode(data: bytes) -> str:
    # Decode as the compiler does (PEP 263 cookie, BOM) so that line texts match the source;
    # a file that does not decode still gets a text, for its compile finding's fingerprint.
    decoded = decode_source(data)
    if isinstance(decoded, tuple):
        return decoded[0]
    return data.decode("utf-8", errors="replace")


def apply_processors(
    report: RunReport,
    project: Project,
    config: Config,
    *,
    use_baseline: bool = True,
    baseline_file: str | None = None,
    changes: ChangeSet | None = None,
) -> RunReport:
    """Inline suppressions, then the baseline, then ``--changed-since``, folded into a new report.

    Each step keeps only its findings that are left, and passes when none is an error.
    Sets ``summary["suppressed"]``; with a baseline, ``report.baselined``, ``summary["stale"]``
    (and ``summary["stale_entries"]`` when there are any) and a notice listing stale entries.
    With ``changes``, the findings the change did not reach go to ``report.existing``, and
    ``summary`` gets ``changed_since``, ``new`` and ``existing``.
    Raises ``ConfigError`` for a corrupted baseline file.
    """
    root = Path(report.root)
    ran = suppressions.steps_that_ran(report.steps)
    suppressed = suppressions.apply(report.findings, project.facts.values(), ran)
    findings = ordered_findings([*suppressed.kept, *suppressed.problems])
    outcome = suppressed.outcome()
    steps = [*report.steps, outcome] if outcome is not None else list(report.steps)
    summary = {**report.summary, "suppressed": len(suppressed.suppressed)}
    notices = list(report.notices)
    baselined = list(report.baselined)
    entries = load_baseline(root, config, baseline_file) if use_baseline else None
    if entries is not None:
        index = SourceIndex(root, project.facts.values())
        result = baseline.apply(
            findings,
            entries,
            symbol_at=index.symbol_at,
            line_text=index.line_text,
            steps_ran=ran,
            not_compiling=[f.path for f in project.facts.values() if f.compile_error is not None],
        )
        findings = result.new
        baselined = ordered_findings([*baselined, *result.baselined])
        summary["stale"] = sum(e.count for e in result.stale)
        if result.kept:
            summary["kept_not_compiling"] = sum(e.count for e in result.kept)
            notices.append(_kept_notice(result.kept))
        if result.stale:
            summary["stale_entries"] = [e.to_dict() for e in result.stale]
            notices.extend(
                stale_notices(
                    result.stale, display_path(root, baseline_path(root, config, baseline_file))
                )
            )
    existing = list(report.existing)
    if changes is not None:
        reached = changed.split(findings, changes, _reach(report, project, changes))
        findings = reached.new
        existing = ordered_findings([*existing, *reached.baselined])
        summary["changed_since"] = changes.summary()
        summary["existing"] = len(existing)
    findings = _without_orphan_cuts(findings)
    if changes is not None:
        summary["new"] = len(findings)
    return replace(
        report,
        steps=[_settled(s, [f for f in findings if f.step == s.step]) for s in steps],
        findings=findings,
        baselined=baselined,
        existing=existing,
        summary=summary,
        notices=notices,
    )


def _reach(report: RunReport, project: Project, changes: ChangeSet) -> changed.Reached:
    """What each step ran because of the change (``processors.changed``): every module the
    imports step imported; the test modules the tests step ran (all of them when it ran every
    module; none when it was replayed whole); for mypy, the importers of a changed module."""
    tests: Collection[str] | None = ()
    for step in report.steps:
        if step.step == "tests" and not step.cached:
            affected = step.stats.get("affected")
            ran = affected.get("ran") if isinstance(affected, dict) else None
            tests = None if ran is None else [str(path) for path in ran]
    return {
        "imports": None,
        "tests": tests,
        "mypy": changed.importers_of_changes(changes, project.facts.values()),
    }


def _without_orphan_cuts(findings: list[Finding]) -> list[Finding]:
    """A contract's cut note stands while a violation of that contract is reported: once each
    one is suppressed or baselined, the project has accepted the contract broken, and "remove
    these imports to keep it" would contradict a passing run."""
    broken = {
        f.extra.get("contract") for f in findings if f.step == "contracts" and f.rule != CUT_RULE
    }
    return [f for f in findings if f.rule != CUT_RULE or f.extra.get("contract") in broken]


def _settled(outcome: StepOutcome, findings: list[Finding]) -> StepOutcome:
    """A step's outcome with only the findings left: all suppressed or baselined, it passes."""
    if outcome.status not in (StepStatus.PASSED, StepStatus.FAILED):
        return outcome
    return replace(outcome, findings=findings, status=status_for(findings))


def _kept_notice(kept: list[BaselineEntry]) -> str:
    count = sum(e.count for e in kept)
    files = sorted({e.fingerprint.path for e in kept})
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    verb, it = ("does", "it") if len(files) == 1 else ("do", "they")
    return (
        f"note: {count} baselined finding(s) of {shown}, which {verb} not compile, are kept "
        f"until {it} compile{'s' if it == 'it' else ''} again"
    )


def stale_notices(stale: list[BaselineEntry], shown: str) -> list[str]:
    """Notice lines naming baseline entries that no finding matches any more."""
    count = sum(e.count for e in stale)
    lines = [
        f"note: {count} baselined finding(s) in {shown} no longer occur (fixed, or their line "
        "changed); run `archverify baseline` to drop them:"
    ]
    lines += [f"  - {e.describe()}" for e in stale[:_STALE_SHOWN]]
    if len(stale) > _STALE_SHOWN:
        lines.append(f"  ... and {len(stale) - _STALE_SHOWN} more (summary.stale_entries in JSON)")
    return lines
