"""The durations file on disk: read by ``run --shard I/N --durations FILE``, written by
``archverify merge --durations-out FILE`` from the shards' partials (docs/ci.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from archverify.core.shard_durations import (
    Durations,
    DurationsError,
    combined,
    parse_durations,
    render_durations,
)
from archverify.core.shards import SPLIT_STEPS
from archverify.orchestrator.atomic_write import as_written, write_atomic

if TYPE_CHECKING:
    from archverify.processors.partial import Partial


def read_durations_file(name: str) -> tuple[Durations, str]:
    """The file's durations and the digest of its bytes (the partial's ``durations_file``);
    ``DurationsError`` naming ``name`` when it is missing, unreadable or not a durations file."""
    try:
        data = Path(name).read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise DurationsError(f"{name}: cannot read the durations file: {reason}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DurationsError(f"{name}: not a durations file: not UTF-8") from None
    return parse_durations(text, name), hashlib.sha256(data).hexdigest()


def measured(partials: Sequence[Partial]) -> Durations:
    """What the shards measured: a split step's seconds summed over its shards (only when every
    shard that ran a part measured it: a replayed part has no time of its own), a whole step's
    as its shard gives it, and every unit's seconds.

    Under ``--changed-since`` a split step ran only what the change reaches (ruff and bandit
    the changed files): its seconds are not the step's, so its older total is kept; its units'
    own seconds (the test modules and modules that ran) still are theirs."""
    steps: dict[str, float] = {}
    unmeasured: set[str] = set()
    units: dict[str, dict[str, float]] = {}
    for partial in partials:
        narrowed = partial.identity.get("changed_since") is not None
        for outcome in partial.steps:
            role = partial.roles.get(outcome.step, "elsewhere")
            if role == "elsewhere":
                continue
            seconds = partial.durations.steps.get(outcome.step)
            if seconds is None or (narrowed and outcome.step in SPLIT_STEPS):
                unmeasured.add(outcome.step)
            elif role == "part":
                steps[outcome.step] = steps.get(outcome.step, 0.0) + seconds
            else:
                steps.setdefault(outcome.step, seconds)
        for step, seconds_by_unit in partial.durations.units.items():
            units.setdefault(step, {}).update(seconds_by_unit)
    return Durations({s: v for s, v in steps.items() if s not in unmeasured}, units)


def write_durations_file(
    destination: str, partials: Sequence[Partial], present: Callable[[str, str], bool]
) -> None:
    """The durations file at ``destination``: the shards' measurements over the file already
    there (its units still ``present`` in the tree and not measured this time are kept; a file
    there that is not a durations file is an error, never overwritten). Atomic; an existing
    file keeps its mode."""
    older: Durations | None = None
    if Path(destination).exists():
        older, _ = read_durations_file(destination)
    record = combined(measured(partials), older, present)
    try:
        write_atomic(as_written(destination), render_durations(record))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise DurationsError(f"{destination}: cannot write the durations file: {reason}") from None
