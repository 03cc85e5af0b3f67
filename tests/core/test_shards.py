"""The shard split (``core.shards``): every unit exactly once, the same on every runner."""

from __future__ import annotations

import pytest

from archverify.core.shards import (
    Shard,
    ShardError,
    ShardPlan,
    Unit,
    assign,
    import_units,
    parse_shard,
    plan_shard,
)

STEPS = ("compile", "contracts", "ruff", "mypy", "imports", "bandit", "tests")
FILES = {f"pkg/m{i}.py": float(10 + i * 7 % 13) for i in range(30)}
TESTS = {f"tests/test_{i}.py": float(100 + i) for i in range(7)}
IMPORT_UNITS = {f"pkg.p{i}": float(200 + i * 11 % 7) for i in range(9)}


def plans(count: int) -> list[ShardPlan]:
    weights = {
        "ruff": FILES,
        "bandit": {p: w * 3 for p, w in FILES.items()},
        "tests": TESTS,
        "imports": IMPORT_UNITS,
    }
    whole = {"mypy": 900.0}
    return [plan_shard(Shard(i, count), STEPS, weights, whole, 50.0) for i in range(1, count + 1)]


@pytest.mark.parametrize("count", [1, 2, 4, 7, 50])
def test_every_unit_is_in_exactly_one_shard(count: int) -> None:
    found = plans(count)
    split = (("ruff", FILES), ("bandit", FILES), ("tests", TESTS), ("imports", IMPORT_UNITS))
    for step, units in split:
        names = [n for p in found for n in p.files[step]]
        assert sorted(names) == sorted(units), step
    for step in STEPS:
        whole = [p for p in found if p.role(step) == "whole"]
        assert len(whole) == (0 if step in ("ruff", "bandit", "tests", "imports") else 1), step
    assert found[0].role("contracts") == "whole"


def test_the_split_depends_only_on_the_units() -> None:
    units = [Unit("ruff", f"f{i}", float(i % 5)) for i in range(40)]
    first = assign(units, 4)
    again = assign(list(reversed(units)), 4)
    assert first == again


def test_heaviest_first_onto_the_least_loaded_shard() -> None:
    units = [Unit("s", "a", 8.0), Unit("s", "b", 5.0), Unit("s", "c", 4.0), Unit("s", "d", 3.0)]
    chosen = assign(units, 2)
    loads = {1: 0.0, 2: 0.0}
    for unit, index in chosen.items():
        loads[index] += unit.weight
    assert loads == {1: 11.0, 2: 9.0}
    # A head start (shard 1's global steps) moves work to the others.
    assert assign([Unit("s", "a", 1.0)], 2, {1: 5.0}) == {Unit("s", "a", 1.0): 2}


@pytest.mark.parametrize("text", ["0/2", "3/2", "1/0", "a/b", "1", "1/2/3", ""])
def test_a_bad_shard_is_refused(text: str) -> None:
    with pytest.raises(ShardError):
        parse_shard(text)


def test_a_shard_reads_as_written() -> None:
    assert parse_shard(" 2/4 ") == Shard(2, 4)
    assert str(Shard(2, 4)) == "2/4"


def test_an_imports_unit_is_a_package_with_its_direct_members() -> None:
    modules = {
        "app": True,
        "app.a": False,
        "app.b": False,
        "app.sub": True,
        "app.sub.c": False,
        "app.sub.deep": True,
        "tool": False,
        # A member of a package that is not verified (a namespace folder): alone.
        "ns.x": False,
    }
    assert import_units(modules) == {
        "app": ("app", "app.a", "app.b"),
        "app.sub": ("app.sub", "app.sub.c"),
        "app.sub.deep": ("app.sub.deep",),
        "ns.x": ("ns.x",),
        "tool": ("tool",),
    }
    # Every module in exactly one unit, whatever order the modules come in.
    again = import_units(dict(reversed(list(modules.items()))))
    assert again == import_units(modules)
    assert sorted(m for unit in again.values() for m in unit) == sorted(modules)
