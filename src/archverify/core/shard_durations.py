"""The durations file: seconds recorded by ``archverify merge --durations-out``, for the split.

``run --shard I/N --durations FILE`` balances the shards from it (``orchestrator.sharding``,
``unit_weights``). It is a file every shard reads, never a runner's cache: runners whose caches
differ must still compute the same split. Everything in it is root-free (test module paths
relative to the root, module names), so a file made in one checkout serves another. The format
is a public contract, documented in docs/reports.md.

Versions:
- 1: the first: ``steps`` (each step's seconds over the whole run) and ``units`` (by step, each
  unit's seconds: a test module's path for the tests, a module name for the imports).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from archverify.core.documents import versioned_document

KIND = "archverify-durations"
DURATIONS_VERSION = 1
# More than a day is not a duration a step can have taken (the timeouts stop it before).
_MAX_SECONDS = 86_400.0


class DurationsError(ValueError):
    """A file that is not a durations file this archverify reads (exit 2, the file named)."""


@dataclass(frozen=True)
class Durations:
    """Recorded seconds: each step's total, and each unit's of the steps that have units."""

    steps: Mapping[str, float] = field(default_factory=dict)
    units: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "durations_version": DURATIONS_VERSION,
            "steps": {s: round(v, 3) for s, v in sorted(self.steps.items())},
            "units": {
                step: {u: round(v, 3) for u, v in sorted(units.items())}
                for step, units in sorted(self.units.items())
                if units
            },
        }


def render_durations(durations: Durations) -> str:
    """The file's text: sorted, rounded to the millisecond, so equal records are equal bytes."""
    return json.dumps(durations.to_dict(), indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def parse_durations(text: str, name: str) -> Durations:
    """Read a durations file; ``DurationsError`` naming ``name`` and what is wrong."""
    data = versioned_document(
        text,
        name,
        kind=KIND,
        title="durations file",
        version_key="durations_version",
        version=DURATIONS_VERSION,
        advice="this archverify reads version {version} (write it again with "
        "`archverify merge --durations-out`)",
        error=DurationsError,
        not_json="not a durations file: ",
    )
    try:
        return Durations(
            _seconds_by_name(data.get("steps", {}), "steps"),
            {
                str(step): _seconds_by_name(units, f"units.{step}")
                for step, units in _mapping(data.get("units", {}), "units").items()
            },
        )
    except ValueError as error:
        raise DurationsError(f"{name}: malformed durations file: {error}") from None


def partial_durations(value: Any) -> Durations:
    """A partial report's ``durations`` field read back (absent: nothing recorded)."""
    if value is None:
        return Durations()
    data = _mapping(value, "durations")
    return Durations(
        _seconds_by_name(data.get("steps", {}), "durations.steps"),
        {
            str(step): _seconds_by_name(units, f"durations.units.{step}")
            for step, units in _mapping(data.get("units", {}), "durations.units").items()
        },
    )


def combined(
    measured: Durations, older: Durations | None, present: Callable[[str, str], bool]
) -> Durations:
    """This run's record over ``older``'s: a step or unit this run measured has its new
    seconds; one it did not (a replayed step, a test module another change did not run) keeps
    its older seconds while ``present(step, unit)`` says the unit is still in the tree."""
    if older is None:
        return measured
    steps = {**older.steps, **measured.steps}
    units: dict[str, dict[str, float]] = {}
    for step in sorted({*older.units, *measured.units}):
        kept = {u: s for u, s in older.units.get(step, {}).items() if present(step, u)}
        units[step] = {**kept, **measured.units.get(step, {})}
    return Durations(steps, units)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where} is not an object")
    return {str(k): v for k, v in value.items()}


def _seconds_by_name(value: Any, where: str) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for name, number in _mapping(value, where).items():
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ValueError(f"{where}[{name!r}] is not a number of seconds")
        if not math.isfinite(number) or not 0 <= number <= _MAX_SECONDS:
            raise ValueError(f"{where}[{name!r}] = {number!r} is not a duration in seconds")
        seconds[name] = float(number)
    return seconds
