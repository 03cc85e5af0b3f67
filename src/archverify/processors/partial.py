"""The partial report of one shard (``run --shard I/N --partial FILE``) and their merge.

A partial holds a shard's step outcomes *before* suppressions and the baseline (``archverify
merge`` applies them once, to the whole), each with its role: ``whole`` (the step ran here
entirely), ``part`` (its share of a split step's files or test modules) or ``elsewhere``. It
names what it was made from (the commit, the tree and configuration digests, the tool
versions, the shard), so that the merge refuses shards of different runs. The format is a
public contract, documented in docs/reports.md.

Versions:
- 1: the first; ``changed_since`` (the shards' ``--changed-since`` change, or null) added
  later, optional when read (a partial without it is of a run about every file).
  ``durations`` (the seconds this shard spent, by step and by unit: ``merge --durations-out``)
  and ``durations_file`` (the digest of the ``--durations`` file the split was balanced from,
  or null: by size; part of the identity) added later, both optional when read. ``imports``
  (the shard's modules and their raw import verdicts, or null) added later, optional when read
  (without it the merge has no verdicts for the imports step's share: an error, never a pass).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archverify.core.changes import ChangeSet
from archverify.core.documents import versioned_document
from archverify.core.findings import Finding, Rule, Severity, StepOutcome, StepStatus, status_for
from archverify.core.report import RunReport
from archverify.core.shard_durations import Durations, partial_durations
from archverify.core.shards import SHARD_IMPORTS, Shard
from archverify.executors.tools.tests import (
    AFFECTED_NOTE,
    BELOW_MINIMUM,
    INTERRUPTED,
    NO_TESTS,
    SHARD_COVERAGE,
    SHARD_DURATIONS,
    selection_note,
)

KIND = "archverify-partial"
PARTIAL_VERSION = 1
ROLES = ("whole", "part", "elsewhere")
# What every partial of one sharded run has in common; any difference refuses the merge.
IDENTITY = (
    "version",
    "commit",
    "tree",
    "config",
    "tools",
    "count",
    "changed_since",
    "durations_file",
)

MISSING_SHARD = Rule(
    "shards/missing",
    Severity.ERROR,
    "give `archverify merge` every shard's partial (a failed or cancelled shard job left none)",
)
DUPLICATE_SHARD = Rule(
    "shards/duplicate",
    Severity.ERROR,
    "give each shard's partial once: two files claim the same shard",
)
STEP = "shards"


class PartialError(ValueError):
    """A file that is not a partial report archverify can merge (exit 2, the file named)."""


@dataclass(frozen=True)
class Partial:
    """One shard's partial report, as read back."""

    name: str  # the file it came from, for messages
    shard: Shard
    identity: Mapping[str, Any]
    roles: Mapping[str, str]
    steps: list[StepOutcome]
    coverage: Mapping[str, Any] | None
    summary: Mapping[str, Any]
    notices: list[str]
    units: Mapping[str, list[str]] = field(default_factory=dict)
    durations: Durations = field(default_factory=Durations)
    imports: Mapping[str, Any] | None = None


def partial_to_dict(
    report: RunReport,
    shard: Shard,
    identity: Mapping[str, Any],
    roles: Mapping[str, str],
    units: Mapping[str, Sequence[str]],
    changes: ChangeSet | None = None,
) -> dict[str, Any]:
    """The partial of ``report`` (a shard's, before suppressions and the baseline). The tests
    step's coverage data leaves its stats for the partial's own ``coverage``; ``changes`` (the
    shard's ``--changed-since``) goes along whole, for the merge's new/existing split."""
    coverage: Any = None
    imports: Any = None
    steps = []
    unit_seconds: dict[str, dict[str, float]] = {}
    for outcome in report.steps:
        stats = dict(outcome.stats)
        if outcome.step == "tests" and SHARD_COVERAGE in stats:
            coverage = stats.pop(SHARD_COVERAGE)
        if outcome.step == "tests" and SHARD_DURATIONS in stats:
            unit_seconds["tests"] = dict(stats.pop(SHARD_DURATIONS) or {})
        if outcome.step == "imports" and SHARD_IMPORTS in stats:
            imports = stats.pop(SHARD_IMPORTS)
        steps.append(
            {
                "id": outcome.step,
                "role": roles.get(outcome.step, "elsewhere"),
                "status": outcome.status.value,
                "duration_s": round(outcome.duration_s, 3),
                "cached": outcome.cached,
                "message": outcome.message,
                "stats": stats,
                "findings": [f.to_dict() for f in outcome.findings],
            }
        )
    data: dict[str, Any] = {
        "kind": KIND,
        "partial_version": PARTIAL_VERSION,
        "tool": report.tool,
        "version": identity["version"],
        "shard": {"index": shard.index, "count": shard.count},
        "commit": identity["commit"],
        "tree": identity["tree"],
        "config": identity["config"],
        "tools": dict(identity["tools"]),
        "units": {step: list(files) for step, files in sorted(units.items())},
        "changed_since": None if changes is None else changes.to_dict(),
        "steps": steps,
        "coverage": coverage,
        "imports": imports,
        "summary": dict(report.summary),
        "notices": list(report.notices),
    }
    data["durations_file"] = identity.get("durations_file")
    data["durations"] = _durations(report, roles, unit_seconds, data.get("imports"))
    return data


def _durations(
    report: RunReport,
    roles: Mapping[str, str],
    units: dict[str, dict[str, float]],
    imports: Any,
) -> dict[str, Any]:
    """The partial's ``durations``: the seconds of each step this shard ran (a replayed one
    has none: its time is the replay's), and of each unit that has its own (test modules;
    modules of the imports, from the partial's ``imports`` records when it has them)."""
    steps = {
        o.step: round(o.duration_s, 3)
        for o in report.steps
        if roles.get(o.step, "elsewhere") != "elsewhere"
        and not o.cached
        and o.status is not StepStatus.SKIPPED
    }
    modules = _import_seconds(imports)
    if modules:
        units["imports"] = modules
    return {
        "steps": steps,
        "units": {
            step: {u: round(s, 3) for u, s in sorted(seconds.items())}
            for step, seconds in sorted(units.items())
        },
    }


def _import_seconds(imports: Any) -> dict[str, float]:
    """Each module's import seconds from the partial's ``imports`` field (its ``records``:
    module name -> the server's raw record, each with the ``seconds`` its import took)."""
    records = imports.get("records") if isinstance(imports, dict) else None
    if not isinstance(records, dict):
        return {}
    seconds: dict[str, float] = {}
    for module, record in records.items():
        value = record.get("seconds") if isinstance(record, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds[str(module)] = max(0.0, float(value))
    return seconds


def render_partial(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def without_shard_data(report: RunReport) -> RunReport:
    """The shard's own report as its other formats show it: no coverage data and no raw
    import verdicts in the stats."""
    for outcome in report.steps:
        outcome.stats.pop(SHARD_COVERAGE, None)
        outcome.stats.pop(SHARD_DURATIONS, None)
        outcome.stats.pop(SHARD_IMPORTS, None)
    return report


def read_partial(text: str, name: str) -> Partial:
    """Parse one partial; ``PartialError`` naming ``name`` and what is wrong, never a crash."""
    data = versioned_document(
        text,
        name,
        kind=KIND,
        title="partial report",
        version_key="partial_version",
        version=PARTIAL_VERSION,
        advice="this archverify merges version {version} (merge with the archverify that wrote it)",
        error=PartialError,
    )
    try:
        shard = Shard(int(data["shard"]["index"]), int(data["shard"]["count"]))
        if not 1 <= shard.index <= shard.count:
            raise ValueError(f"shard {shard} out of range")
        identity = {
            "version": str(data["version"]),
            "commit": data["commit"] if data["commit"] is None else str(data["commit"]),
            "tree": str(data["tree"]),
            "config": str(data["config"]),
            "tools": {str(k): str(v) for k, v in dict(data["tools"]).items()},
            "count": shard.count,
            "changed_since": _changed_since(data.get("changed_since")),
            "durations_file": _digest(data.get("durations_file")),
        }
        roles: dict[str, str] = {}
        steps: list[StepOutcome] = []
        for step in data["steps"]:
            role = str(step["role"])
            if role not in ROLES:
                raise ValueError(f"step {step['id']!r} has the unknown role {role!r}")
            roles[str(step["id"])] = role
            steps.append(
                StepOutcome(
                    step=str(step["id"]),
                    status=StepStatus(step["status"]),
                    findings=[Finding.from_dict(f) for f in step["findings"]],
                    duration_s=float(step["duration_s"]),
                    message=str(step["message"]),
                    cached=bool(step["cached"]),
                    stats=dict(step["stats"]),
                )
            )
        coverage = data["coverage"]
        if coverage is not None and not isinstance(coverage, dict):
            raise ValueError("coverage is neither null nor an object")
        units = {str(k): [str(f) for f in v] for k, v in dict(data.get("units", {})).items()}
        imports = data.get("imports")
        if imports is not None and not isinstance(imports, dict):
            raise ValueError("imports is neither null nor an object")
        return Partial(
            name,
            shard,
            identity,
            roles,
            steps,
            coverage,
            dict(data["summary"]),
            [str(n) for n in data["notices"]],
            units,
            partial_durations(data.get("durations")),
            imports,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        detail = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise PartialError(f"{name}: malformed partial report: {detail}") from None


def refusal(partials: Sequence[Partial]) -> str | None:
    """Why these partials are not shards of one run (commit, tree, config, tools, N), or None."""
    first = partials[0]
    for other in partials[1:]:
        for key in IDENTITY:
            if other.identity[key] != first.identity[key]:
                if key == "durations_file":
                    return (
                        f"the shards split with different durations files ({first.name}: "
                        f"{_shown(first.identity[key])}, {other.name}: "
                        f"{_shown(other.identity[key])}; None: by size): their shares may "
                        "overlap or leave units out; run every shard with the same --durations"
                    )
                what = {
                    "version": "archverify versions",
                    "commit": "commits",
                    "tree": "trees (the verified files differ)",
                    "config": "configurations (or --steps)",
                    "tools": "tool versions",
                    "count": "shard counts",
                    "changed_since": "--changed-since changes (or one without it)",
                }[key]
                return (
                    f"{first.name} and {other.name} come from different {what}: "
                    f"{_shown(first.identity[key])} and {_shown(other.identity[key])}; "
                    "merge the partials of one sharded run"
                )
    return None


def _digest(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError("durations_file is neither null nor a digest")
    return value


def _changed_since(value: Any) -> dict[str, Any] | None:
    """The partial's ``changed_since`` checked (``ChangeSet.from_dict`` reads it), or None."""
    if value is None:
        return None
    return ChangeSet.from_dict(value).to_dict()


def changes_of(partial: Partial) -> ChangeSet | None:
    """The ``--changed-since`` change the shards ran under, None for a run about every file."""
    value = partial.identity.get("changed_since")
    return None if value is None else ChangeSet.from_dict(value)


def _shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if isinstance(value, dict) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class Merged:
    """The merged outcomes in the runbook's order, the shards' own problems as an outcome."""

    steps: list[StepOutcome]
    notices: list[str]
    duration_s: float


def merge_partials(
    partials: Sequence[Partial], step_order: Sequence[str], coverage_min: float
) -> Merged:
    """One run's step outcomes from its shards' (which ``refusal`` accepted).

    A whole step is its shard's outcome; a split step's findings are the shards' together,
    its counts summed, and the tests' coverage totalled from the shards' line and branch sets
    (the ``coverage/below-minimum`` and ``tests/no-tests`` verdicts judged here, once). A
    missing or twice-given shard is a ``shards/*`` error.
    """
    count = partials[0].shard.count
    by_index: dict[int, Partial] = {}
    problems: list[Finding] = []
    for partial in partials:
        if partial.shard.index in by_index:
            kept = by_index[partial.shard.index].name
            message = (
                f"shard {partial.shard} is given twice ({kept} and {partial.name}): {kept} is used"
            )
            problems.append(DUPLICATE_SHARD.at("", 0, 0, message, extra={"file": partial.name}))
        else:
            by_index[partial.shard.index] = partial
    missing = [i for i in range(1, count + 1) if i not in by_index]
    for index in missing:
        message = f"shard {index}/{count} is missing: its findings are not in this report"
        problems.append(MISSING_SHARD.at("", 0, 0, message, extra={"shard": index}))
    shards = [by_index[i] for i in sorted(by_index)]
    ids = {o.step for p in shards for o in p.steps}
    order = [s for s in step_order if s in ids] + sorted(ids - set(step_order))
    steps = [_merged_step(step, shards, missing, coverage_min) for step in order]
    if problems:
        problems.sort(key=Finding.sort_key)
        steps.append(StepOutcome(STEP, StepStatus.FAILED, problems))
    first = by_index.get(1, shards[0])
    duration = max((float(p.summary.get("duration_s", 0.0)) for p in shards), default=0.0)
    return Merged(steps, list(first.notices), duration)


def _merged_step(
    step: str, shards: Sequence[Partial], missing: Sequence[int], coverage_min: float
) -> StepOutcome:
    outcomes = [(p, o) for p in shards for o in p.steps if o.step == step]
    parts = [o for p, o in outcomes if p.roles.get(step) == "part"]
    if parts:
        return _combined(step, parts, [p.coverage for p, _ in outcomes], coverage_min)
    whole = [o for p, o in outcomes if p.roles.get(step) == "whole"]
    if whole:
        return whole[0]
    shown = ", ".join(str(i) for i in missing) or "?"
    message = f"not merged: it ran in a missing shard ({shown})"
    return StepOutcome(step, StepStatus.SKIPPED, message=message)


def _combined(
    step: str,
    parts: Sequence[StepOutcome],
    coverages: Sequence[Mapping[str, Any] | None],
    coverage_min: float,
) -> StepOutcome:
    errors = [o for o in parts if o.status is StepStatus.ERROR]
    duration = sum(o.duration_s for o in parts)
    if errors:
        return StepOutcome(step, StepStatus.ERROR, message=errors[0].message, duration_s=duration)
    findings = [f for o in parts for f in o.findings]
    message = next((o.message for o in parts if o.message), "")
    stats = _summed([o.stats for o in parts])
    if step == "tests":
        findings, stats, message = _tests(parts, findings, stats, coverages, coverage_min)
    if all(o.status is StepStatus.SKIPPED for o in parts):
        return StepOutcome(step, StepStatus.SKIPPED, message=parts[0].message)
    findings.sort(key=Finding.sort_key)
    return StepOutcome(
        step,
        status_for(findings),
        findings,
        duration_s=duration,
        message=message,
        cached=all(o.cached for o in parts),
        stats=stats,
    )


# Whole numbers in a split step's stats that are settings, the same in every shard, not counts
# of the shard's share: the tests' pytest-xdist ``workers`` (each shard's session has them).
_SETTINGS = frozenset({"workers"})


def _summed(all_stats: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts added up; any other value (a setting too) as the first shard that has it gives it."""
    merged: dict[str, Any] = {}
    for stats in all_stats:
        for key, value in stats.items():
            if key == SHARD_COVERAGE:
                continue
            if key not in merged or key in _SETTINGS:
                merged.setdefault(key, value)
            elif isinstance(value, int) and not isinstance(value, bool):
                if isinstance(merged[key], int) and not isinstance(merged[key], bool):
                    merged[key] += value
    return merged


def _tests(
    parts: Sequence[StepOutcome],
    findings: list[Finding],
    stats: dict[str, Any],
    coverages: Sequence[Mapping[str, Any] | None],
    coverage_min: float,
) -> tuple[list[Finding], dict[str, Any], str]:
    """The tests step of one session: an interrupted shard (collection errors) stands for the
    whole session, which pytest stops before any test runs, with every module's collection
    errors (each shard collected its own); else the coverage totalled over the shards."""
    if "tests" not in stats:
        return findings, {}, next((o.message for o in parts if o.message), "")
    interrupted = [o for o in parts if o.stats.get("interrupted")]
    if interrupted:
        kept = [
            f
            for o in parts
            for f in o.findings
            if f.rule != "tests/failed" or o.stats.get("interrupted")
        ]
        stats = {k: v for k, v in stats.items() if k != "coverage"}
        stats.update(
            tests=0,
            failures=sum(o.stats.get("failures", 0) for o in interrupted),
            errors=sum(o.stats.get("errors", 0) for o in interrupted),
            skipped=sum(o.stats.get("skipped", 0) for o in interrupted),
            interrupted=True,
        )
        return kept, stats, INTERRUPTED
    message = next((o.message for o in parts if o.message), "")
    affected = [o.stats["affected"] for o in parts if isinstance(o.stats.get("affected"), Mapping)]
    if affected:
        stats["affected"] = _affected(affected)
        message = _affected_message([o.message for o in parts], stats["affected"])
    percent = total_coverage(coverages)
    stats["coverage"] = percent
    if stats["tests"] == 0 and not any(f.rule == "tests/failed" for f in findings):
        findings = [*findings, NO_TESTS.at("", 0, 0, "pytest collected no tests")]
    if percent < coverage_min:
        text = f"total coverage {percent:.2f}% is below the minimum {coverage_min:g}%"
        findings = [*findings, BELOW_MINIMUM.at("", 0, 0, text)]
    return findings, stats, message


def _affected(shards: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The affected-tests selection of the whole run: each shard selected among its own test
    modules, so the counts add up and the lists of modules that ran join."""
    merged: dict[str, Any] = {
        "rerun": sum(int(a.get("rerun", 0)) for a in shards),
        "replayed": sum(int(a.get("replayed", 0)) for a in shards),
    }
    if any("ran" in a for a in shards):
        merged["ran"] = sorted({str(m) for a in shards for m in a.get("ran", ())})
    return merged


def _affected_message(messages: Sequence[str], affected: Mapping[str, Any]) -> str:
    """The step's note as one run words it: a shard that ran every module says why; else the
    whole run's counts. The shards' other notes (the same in each) follow once."""
    notes = list(dict.fromkeys(n for m in messages for n in m.split("; ") if n))
    full = [n for n in notes if n.startswith(AFFECTED_NOTE) and "every test module" in n]
    selection = full[:1] or [selection_note(affected["rerun"], affected["replayed"])]
    rest = [n for n in notes if not n.startswith(AFFECTED_NOTE)]
    return "; ".join([*selection, *rest])


def total_coverage(coverages: Sequence[Mapping[str, Any] | None]) -> float:
    """coverage.py's total over the union of the shards' measurements: executed lines (and
    branches) of each file together, over its statements (and branches), as ``coverage json``
    computes ``percent_covered`` of one combined data file; 0 when nothing was measured."""
    files: dict[str, dict[str, set[Any]]] = {}
    for coverage in coverages:
        if not coverage:
            continue
        for path, record in dict(coverage.get("files", {})).items():
            sets = files.setdefault(path, {})
            for key, values in dict(record).items():
                found = sets.setdefault(key, set())
                found.update(tuple(v) if isinstance(v, list) else v for v in values)
    if not files:
        return 0.0
    numerator = denominator = 0
    for sets in files.values():
        executed = sets.get("executed_lines", set())
        statements = executed | sets.get("missing_lines", set())
        arcs = sets.get("executed_branches", set())
        branches = arcs | sets.get("missing_branches", set())
        numerator += len(executed & statements) + len(arcs & branches)
        denominator += len(statements) + len(branches)
    if denominator == 0:
        return 100.0
    return round(100.0 * numerator / denominator, 2)
