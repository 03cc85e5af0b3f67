"""``unit_weights``: the one weight of a shard's unit, by size or from recorded durations; and
the durations file's format (``core.shard_durations``)."""

from __future__ import annotations

import pytest

from archverify.core.shard_durations import (
    Durations,
    DurationsError,
    combined,
    parse_durations,
    render_durations,
)
from archverify.core.shards import Shard, plan_shard
from archverify.orchestrator.sharding import seconds_per_estimate, unit_weights

ESTIMATES = {"tests/test_a.py": 10.0, "tests/test_b.py": 30.0, "tests/test_new.py": 20.0}


def test_without_durations_the_weights_are_the_size_estimates() -> None:
    assert unit_weights("tests", ESTIMATES, None) == ESTIMATES


def test_a_recorded_unit_weighs_its_seconds_and_an_unknown_one_is_scaled_from_them() -> None:
    recorded = Durations(
        {"tests": 9.0}, {"tests": {"tests/test_a.py": 4.0, "tests/test_b.py": 2.0}}
    )
    weights = unit_weights("tests", ESTIMATES, recorded)
    assert weights["tests/test_a.py"] == 4.0
    assert weights["tests/test_b.py"] == 2.0
    # 6 s over an estimate of 40 for the recorded ones: 0.15 s per unit of estimate.
    assert weights["tests/test_new.py"] == pytest.approx(20.0 * 6.0 / 40.0)


def test_a_step_with_only_a_total_spreads_it_by_size() -> None:
    recorded = Durations({"ruff": 6.0})
    weights = unit_weights("ruff", {"a.py": 1.0, "b.py": 2.0}, recorded)
    assert weights == pytest.approx({"a.py": 2.0, "b.py": 4.0})
    # A step that runs whole is its one unit "": it weighs its recorded seconds.
    assert unit_weights("mypy", {"": 1234.0}, Durations({"mypy": 42.0})) == {"": 42.0}


def test_a_step_without_any_record_is_scaled_like_the_recorded_ones() -> None:
    recorded = Durations({"ruff": 6.0, "mypy": 10.0})
    estimates = {"ruff": {"a.py": 1.0, "b.py": 2.0}, "mypy": {"": 5.0}, "bandit": {"a.py": 4.0}}
    scale = seconds_per_estimate(estimates, recorded)
    assert scale == pytest.approx(16.0 / 8.0)
    assert unit_weights("bandit", estimates["bandit"], recorded, scale) == {"a.py": 8.0}


def test_an_empty_durations_file_splits_by_size() -> None:
    empty = parse_durations('{"kind": "archverify-durations", "durations_version": 1}', "d.json")
    estimates = {"tests": ESTIMATES}
    scale = seconds_per_estimate(estimates, empty)
    assert scale == 1.0
    assert unit_weights("tests", ESTIMATES, empty, scale) == ESTIMATES


def test_the_file_round_trips_sorted_and_rounded() -> None:
    record = Durations({"tests": 1.23456, "compile": 0.5}, {"tests": {"b.py": 2.0, "a.py": 1.0}})
    text = render_durations(record)
    again = parse_durations(text, "d.json")
    assert again.steps == {"compile": 0.5, "tests": 1.235}
    assert list(again.units["tests"]) == ["a.py", "b.py"]
    assert render_durations(again) == text


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"kind": "archverify-durations", "durations_version": 1, "steps": {"ruff": "1"}}',
        '{"kind": "archverify-durations", "durations_version": 1, "steps": {"ruff": true}}',
        '{"kind": "archverify-durations", "durations_version": 1, "steps": {"ruff": 1e9}}',
        '{"kind": "archverify-durations", "durations_version": 1, "units": {"tests": 3}}',
    ],
)
def test_a_malformed_file_is_an_error_naming_it(text: str) -> None:
    with pytest.raises(DurationsError, match="d.json"):
        parse_durations(text, "d.json")


def test_combined_keeps_older_units_still_present_and_replaces_measured_ones() -> None:
    older = Durations({"mypy": 5.0, "tests": 9.0}, {"tests": {"a.py": 1.0, "gone.py": 2.0}})
    new = Durations({"tests": 3.0}, {"tests": {"b.py": 3.0, "a.py": 0.5}})
    record = combined(new, older, lambda step, unit: unit != "gone.py")
    assert record.steps == {"mypy": 5.0, "tests": 3.0}
    assert record.units == {"tests": {"a.py": 0.5, "b.py": 3.0}}
    assert combined(new, None, lambda step, unit: True) == new


@pytest.mark.parametrize(
    "recorded",
    [
        # Every unit recorded as 0 s (under half a millisecond, rounded), one unit not recorded.
        Durations(
            {"tests": 0.0}, {"tests": {u: 0.0 for u in ESTIMATES if u != "tests/test_new.py"}}
        ),
        # The step recorded only as a total of 0 s.
        Durations({"tests": 0.0}),
    ],
)
def test_units_recorded_as_zero_seconds_are_spread_over_the_shards(recorded: Durations) -> None:
    weights = unit_weights("tests", ESTIMATES, recorded)
    assert all(w > 0 for w in weights.values())
    plans = [
        plan_shard(Shard(i, 2), ["compile", "tests"], {"tests": weights}, {}, 0.0) for i in (1, 2)
    ]
    # Weightless, all three would join one shard (the least loaded stays the least loaded).
    assert all(plan.files["tests"] for plan in plans)
