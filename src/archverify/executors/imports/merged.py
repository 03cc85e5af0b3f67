"""The imports step of a sharded run, merged: the shards' raw verdicts as one run's outcome.

Each shard imported its own modules (``run --shard``, ``import_modules``) and carried their
raw verdicts in its partial report. What a module's reported verdict is depends on others',
so the merge, in a checkout of the commit, does here what one run does after its imports:
the resolution of skipped dependents over every module (a member whose package failed in
another shard is skipped, as one run skips it), the findings grouped by root cause, the
runtime analysis (hidden imports, runtime contracts) and the counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archverify.core.findings import StepOutcome, StepStatus
from archverify.core.rerooting import rerooted
from archverify.executors.base import StepContext, finished
from archverify.executors.imports import (
    Importable,
    ImportsStep,
    dependencies,
    project_index,
    verdict_stats,
)
from archverify.executors.imports.findings import build_findings
from archverify.executors.imports.resolution import Resolution
from archverify.executors.imports.runtime import EAGER_OPTIONS, analyse

# How many modules without a verdict the error names.
_LISTED_MISSING = 10


@dataclass(frozen=True)
class ShardImports:
    """One shard's imports: its outcome and the raw verdicts its partial carried (None: none)."""

    name: str  # the partial's file, for messages
    outcome: StepOutcome
    data: Mapping[str, Any] | None


def merged_outcome(
    context: StepContext, shards: Sequence[ShardImports], stats: Mapping[str, Any]
) -> StepOutcome:
    """The imports step one unsharded run would report, from its shards' verdicts.

    ``stats`` are the shards' stats summed (``processors.partial``); the counts of verdicts,
    the runtime record and the timings are recomputed here. A shard whose step could not run,
    or a module no shard gave a verdict for (a missing shard), makes the step an error: never
    a pass without every module's verdict.
    """
    duration = sum(s.outcome.duration_s for s in shards)
    errors = [s for s in shards if s.outcome.status is StepStatus.ERROR]
    if errors:
        message = f"{errors[0].name}: {errors[0].outcome.message}"
        return StepOutcome(ImportsStep.id, StepStatus.ERROR, message=message, duration_s=duration)
    if shards and all(s.outcome.status is StepStatus.SKIPPED for s in shards):
        return shards[0].outcome
    importable = Importable.of(context)
    root = context.root.resolve()
    records: dict[str, dict[str, Any]] = {}
    listed: list[str] = []
    for shard in shards:
        data = rerooted(shard.data, str(root)) if shard.data is not None else None
        if not isinstance(data, dict):
            message = f"{shard.name}: the shard's imports carry no verdicts"
            return StepOutcome(ImportsStep.id, StepStatus.ERROR, message=message)
        listed += [str(m) for m in data.get("modules", ())]
        records.update({str(m): dict(r) for m, r in dict(data.get("records", {})).items()})
    reached = int(stats.get("not_reached", 0) or 0)
    missing = [m for m in importable.order if m not in records]
    if len(missing) > reached or any(m not in records for m in listed):
        missing = [m for m in missing if m in listed] or missing
        shown = ", ".join(missing[:_LISTED_MISSING])
        more = (
            f" and {len(missing) - _LISTED_MISSING} more" if len(missing) > _LISTED_MISSING else ""
        )
        message = (
            f"no shard gave the verdicts of {len(missing)} modules ({shown}{more}): "
            "merge every shard's partial"
        )
        return StepOutcome(ImportsStep.id, StepStatus.ERROR, message=message, duration_s=duration)
    run = Resolution([m for m in importable.order if m in records], importable.broken)
    run.prepare(dependencies(root, importable.files, context, run.rank, importable.broken))
    # One run's order of verdicts, one at a time: a module waits for what it surely imports
    # first, so the skipped dependents are the ones that run makes (see Resolution).
    while run.pending:
        module = run.next_ready() or run.first_pending()
        if module is None:
            break
        run.resolve(module, records[module])
    index = project_index(root, importable.files, importable.order, importable.broken, context)
    verdicts = build_findings(run.results, index)
    runtime = analyse(
        run.results,
        index,
        context.import_graph(**EAGER_OPTIONS),
        context.config,
        lambda include_type_checking: context.import_graph(
            include_type_checking=include_type_checking, include_external=True
        ),
    )
    why: dict[str, Any] = {}
    for shard in shards:
        why.update(dict(shard.outcome.stats.get("not_replayable_why") or {}))
    merged: dict[str, Any] = verdict_stats(run, verdicts, len(importable.mains))
    merged.update({k: v for k, v in stats.items() if k not in merged and k != "not_reached"})
    merged.update(
        seconds=round(sum(float(s.outcome.stats.get("seconds", 0.0)) for s in shards), 3),
        preloaded=max((int(s.outcome.stats.get("preloaded", 0)) for s in shards), default=0),
        not_replayable_why=dict(sorted(why.items())[:20]),
        runtime=runtime.stats,
    )
    if "not_reached" in stats:
        merged["not_reached"] = stats["not_reached"]
    outcome = finished(ImportsStep.id, [*verdicts.findings, *runtime.findings], None, merged)
    outcome.duration_s = duration
    outcome.cached = all(s.outcome.cached for s in shards)
    return outcome
