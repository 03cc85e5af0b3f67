"""What ``--changed-since`` calls a changed line, and which findings it reaches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archverify.core.changes import WHOLE, ChangeSet, changed_lines
from archverify.core.findings import Finding, Severity
from archverify.processors.changed import evidence, importers_of_changes, is_new, split
from tests.helpers.factories import module_facts


def test_inserted_and_replaced_lines_of_the_new_text() -> None:
    assert changed_lines("a\nb\nc\n", "a\nB\nc\nd\n") == ((2, 2), (4, 4))
    assert changed_lines("a\nb\n", "x\na\nb\n") == ((1, 1),)
    assert changed_lines("a\nb\nc\n", "a\nc\n") == ()  # a deletion writes no line
    assert changed_lines("a\r\nb\r\n", "a\nb\n") == ()  # line ends only
    assert changed_lines("a\n", "a\nb\nc\n") == ((2, 3),)


def _changes(**files: tuple[tuple[int, int], ...]) -> ChangeSet:
    return ChangeSet(
        "HEAD", "c" * 40, "b" * 40, {k.replace("_", "/") + ".py": v for k, v in files.items()}
    )


def _finding(path: str, line: int, extra: Mapping[str, Any] | None = None) -> Finding:
    return Finding("x", "x/rule", Severity.ERROR, path, line, 0, "m", extra=extra or {})


def test_a_finding_on_a_changed_line_is_new_and_elsewhere_existing() -> None:
    changes = _changes(app_a=((3, 4),), app_new=WHOLE)
    assert is_new(_finding("app/a.py", 3), changes)
    assert is_new(_finding("app/new.py", 120), changes)
    assert is_new(_finding("app/a.py", 0), changes)  # about the whole changed file
    assert not is_new(_finding("app/a.py", 5), changes)
    assert not is_new(_finding("app/b.py", 3), changes)
    assert not is_new(_finding("app/b.py", 0), changes)
    assert is_new(_finding("", 0), changes)  # about the project: nothing says it predates


def test_a_contract_or_cycle_is_new_when_one_of_its_imports_changed() -> None:
    routes: dict[str, Any] = {
        "routes": [
            {
                "heads": [{"imports": [{"path": "app/a.py", "line": 1}]}],
                "tails": [{"imports": [{"path": "app/m.py", "line": 7}]}],
            }
        ]
    }
    cycle: dict[str, Any] = {
        "edges": [{"importer": "app.a", "imported": "app.m", "path": "app/m.py", "line": 7}]
    }
    touched, untouched = _changes(app_m=((7, 7),)), _changes(app_m=((8, 9),))
    for extra in (routes, cycle):
        assert is_new(_finding("app/a.py", 1, extra), touched)
        assert not is_new(_finding("app/a.py", 1, extra), untouched)
    assert sorted(evidence(routes)) == [("app/a.py", 1), ("app/m.py", 7)]


def test_split_is_a_baseline_result() -> None:
    changes = _changes(app_a=((1, 1),))
    new, old = _finding("app/a.py", 1), _finding("app/a.py", 2)
    result = split([new, old], changes)
    assert (result.new, result.baselined, result.stale) == ([new], [old], [])


def test_touches_and_summary() -> None:
    changes = _changes(app_a=((2, 3),))
    assert changes.touches("app/a.py") and changes.touches("app/a.py", 3)
    assert not changes.touches("app/a.py", 4) and not changes.touches("app/b.py")
    assert changes.summary() == {
        "ref": "HEAD",
        "commit": "c" * 40,
        "merge_base": "b" * 40,
        "changed_files": 1,
    }


def _of(step: str, path: str, line: int) -> Finding:
    return Finding(step, f"{step}/x", Severity.ERROR, path, line, 0, "m")


def test_the_reach_of_the_expensive_steps() -> None:
    changes = _changes(app_a=((1, 1),))
    reached = {"imports": None, "tests": ["tests/test_a.py"], "mypy": {"app/c.py"}}
    assert is_new(_of("imports", "app/b.py", 4), changes, reached)  # it ran only on the reach
    assert is_new(_of("tests", "tests/test_a.py", 9), changes, reached)
    assert not is_new(_of("tests", "tests/test_b.py", 9), changes, reached)  # replayed
    assert is_new(_of("tests", "tests/test_b.py", 9), changes, {"tests": None})  # all ran
    assert is_new(_of("mypy", "app/c.py", 9), changes, reached)
    assert not is_new(_of("mypy", "app/d.py", 9), changes, reached)
    assert not is_new(_of("imports", "app/b.py", 4), changes)


def test_importers_of_changes_are_the_files_importing_a_changed_module() -> None:
    facts = [
        module_facts("app", package=True),
        module_facts("app.a", path="app/a.py"),
        module_facts("app.c", "app.a", path="app/c.py"),
        module_facts("app.d", "app.c", path="app/d.py"),
    ]
    assert importers_of_changes(_changes(app_a=((1, 1),)), facts) == {"app/c.py"}
    assert importers_of_changes(_changes(app_x=((1, 1),)), facts) == set()
