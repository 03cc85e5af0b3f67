"""How long each tool step took when it last ran, kept between runs to start the longest first.

On 2 cores the critical path is the slowest tool: started behind two short ones it finishes
that much later. The catalogue's static priorities guess which is slowest; a project's own
record knows (a project with few tests and many types has mypy, not the tests, as its
longest step).

The record lives in the key-value cache (``orchestrator.cache.kv``): each entry carries an HMAC
tag under a secret the repository cannot ship, so a record placed in the cache folder by the
repository reads as a miss. A record that does not read as a mapping of known step ids to finite
seconds is ignored whole. At worst a record changes the order in which steps start, never what
they report.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from archverify.core.findings import StepOutcome, StepStatus
from archverify.core.steps import BY_ID, STEPS
from archverify.executors.base import KeyValueCache

NAMESPACE = "durations"
# More than a day is not a duration a step can have taken (the timeouts stop it before).
_MAX_SECONDS = 86_400.0


def record_key(root: Path) -> str:
    """One record per verified root: a cache folder shared by two projects keeps both."""
    return "root-" + hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def recorded(cache: KeyValueCache, root: Path) -> dict[str, float]:
    """The recorded seconds by step id; {} when there is no record or it is not one."""
    value = cache.get(NAMESPACE, record_key(root))
    if not isinstance(value, dict):
        return {}
    durations: dict[str, float] = {}
    for step_id, seconds in value.items():
        if step_id not in BY_ID or isinstance(seconds, bool):
            return {}
        if not isinstance(seconds, int | float) or not math.isfinite(seconds):
            return {}
        if not 0 <= seconds <= _MAX_SECONDS:
            return {}
        durations[step_id] = float(seconds)
    return durations


def record(
    cache: KeyValueCache, root: Path, outcomes: Iterable[StepOutcome], before: Mapping[str, float]
) -> None:
    """Keep the durations of the steps that ran this time (a replay's few milliseconds say
    nothing of how long the step takes when it runs); the other steps keep theirs."""
    durations = dict(before)
    changed = False
    for outcome in outcomes:
        ran = not outcome.cached and outcome.status in (StepStatus.PASSED, StepStatus.FAILED)
        if ran and outcome.step in BY_ID and outcome.duration_s is not None:
            durations[outcome.step] = round(min(max(outcome.duration_s, 0.0), _MAX_SECONDS), 3)
            changed = True
    if changed:
        cache.put(NAMESPACE, record_key(root), durations)


def start_order(step_ids: Sequence[str], durations: Mapping[str, float]) -> list[str]:
    """``step_ids`` in the order to start them: longest recorded first when every one has a
    record, else the catalogue's priority (a step never recorded may be the longest: the
    catalogue's guess is better than putting it last)."""
    if step_ids and all(step_id in durations for step_id in step_ids):
        position = {step_id: index for index, step_id in enumerate(step_ids)}
        return sorted(step_ids, key=lambda s: (-durations[s], position[s]))
    return sorted(step_ids, key=_priority)


def _priority(step_id: str) -> int:
    """The catalogue's ``priority``, lowest first; a step it does not know starts last."""
    spec = BY_ID.get(step_id)
    return spec.priority if spec is not None and spec.priority is not None else len(STEPS)
