"""Snapshots: canonical text, parsing with line-accurate errors, and the change findings."""

from __future__ import annotations

import ast
import json
import textwrap

import pytest

from archverify.core.api import api_items
from archverify.core.facts import CompileError, FileFacts
from archverify.core.findings import Finding, Severity
from archverify.core.snapshots import (
    Snapshot,
    SnapshotError,
    build_snapshot,
    change_findings,
    compare,
    describe_changes,
    parse_snapshot,
    snapshot_text,
)
from tests.helpers.factories import module_facts

PACKAGES = ["app"]


def facts(module: str, source: str, path: str = "") -> FileFacts:
    tree = ast.parse(textwrap.dedent(source))
    return module_facts(module, path=path, api=api_items(tree, module))


def findings_between(old_source: str, new_source: str, module: str = "app.mod") -> list[Finding]:
    old = build_snapshot([facts(module, old_source)], PACKAGES)
    current = facts(module, new_source)
    new = build_snapshot([current], PACKAGES)
    return change_findings(compare(old, new, PACKAGES), old, {module: current}, "api.json")


def test_snapshot_text_is_canonical_and_has_no_lines() -> None:
    snapshot = build_snapshot(
        [facts("app.mod", "def f(a: int) -> bool: ...\nclass C: ...\n")], PACKAGES
    )
    text = snapshot_text(snapshot)
    assert text.endswith("}\n")
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, indent=2) + "\n"
    assert data["items"]["app.mod:f"] == {"kind": "function", "signature": "(a: int) -> bool"}
    assert data["modules"] == {"app.mod": "app/mod.py"}
    assert "line" not in data["items"]["app.mod:C"]


def test_moving_a_definition_changes_nothing() -> None:
    before = build_snapshot([facts("app.mod", "def f(): ...\n")], PACKAGES)
    after = build_snapshot([facts("app.mod", "\n\n# moved\ndef f(): ...\n")], PACKAGES)
    assert snapshot_text(before) == snapshot_text(after)


def test_modules_outside_the_packages_and_broken_modules_are_left_out() -> None:
    broken = FileFacts(
        "app/bad.py", "app.bad", False, "h", compile_error=CompileError("syntax", 1, 1, "x")
    )
    snapshot = build_snapshot(
        [facts("app.mod", "def f(): ...\n"), facts("other.mod", "def g(): ...\n"), broken], PACKAGES
    )
    assert list(snapshot.items) == ["app.mod:f"]
    assert list(snapshot.modules) == ["app.mod"]


def test_parse_round_trip() -> None:
    snapshot = build_snapshot([facts("app.mod", "def f(a=1): ...\n")], PACKAGES)
    parsed = parse_snapshot(snapshot_text(snapshot))
    assert parsed == Snapshot(tuple(PACKAGES), {"app.mod": "app/mod.py"}, dict(snapshot.items))


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('{\n  "items": {\n    "a": \n}\n', 4, "not valid JSON"),
        ("[]", 1, "JSON object"),
        ('{\n  "items": {}\n}\n', 1, "archverify_snapshot must be 1"),
        ('{\n  "archverify_snapshot": 1,\n  "packages": "app"\n}\n', 3, "packages"),
        ('{\n  "archverify_snapshot": 1,\n  "modules": []\n}\n', 3, "modules"),
        ('{\n  "archverify_snapshot": 1\n}\n', 1, "items"),
        (
            '{\n  "archverify_snapshot": 1,\n  "items": {\n    "nocolon": {"kind": "x"}\n  }\n}',
            4,
            "nocolon",
        ),
        ('{\n  "archverify_snapshot": 1,\n  "items": {\n    "a:b": {}\n  }\n}', 4, "kind"),
    ],
)
def test_bad_snapshot_text_names_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(SnapshotError) as raised:
        parse_snapshot(text)
    assert raised.value.line == line
    assert words in raised.value.message


def test_no_change_no_finding() -> None:
    assert findings_between("def f(a: int) -> int: ...\n", "def f(a: int) -> int: ...\n") == []


def test_changed_signature_is_an_error_at_the_definition() -> None:
    [finding] = findings_between(
        "def f(a: int) -> int: ...\n", "\n\ndef f(a: int, b: int) -> int: ...\n"
    )
    assert finding.rule == "snapshots/changed"
    assert finding.severity is Severity.ERROR
    assert (finding.path, finding.line) == ("app/mod.py", 3)
    assert "app.mod:f" in finding.message
    assert "(a: int, b: int) -> int" in finding.message
    assert "archverify snapshot" in finding.hint
    assert finding.extra["old"] == {"kind": "function", "signature": "(a: int) -> int"}


def test_changed_dataclass_option_and_field() -> None:
    old = "@dataclass(frozen=True)\nclass D:\n    x: int\n    y: float = 1.0\n"
    new = "@dataclass\nclass D:\n    x: int\n    y: float\n"
    [finding] = findings_between(old, new)
    assert finding.rule == "snapshots/changed"
    assert "options -`frozen=True`" in finding.message
    assert "fields -`y: float = 1.0` +`y: float`" in finding.message


def test_removed_method_is_located_at_its_class() -> None:
    old = "class C:\n    def keep(self): ...\n    def gone(self): ...\n"
    new = "\nclass C:\n    def keep(self): ...\n"
    [finding] = findings_between(old, new)
    assert finding.rule == "snapshots/removed"
    assert finding.severity is Severity.ERROR
    assert (finding.path, finding.line) == ("app/mod.py", 2)
    assert "app.mod:C.gone" in finding.message


def test_removed_function_is_located_at_line_one_of_its_module() -> None:
    [finding] = findings_between("def keep(): ...\ndef gone(): ...\n", "def keep(): ...\n")
    assert (finding.rule, finding.path, finding.line) == ("snapshots/removed", "app/mod.py", 1)


def test_removed_module_uses_the_recorded_path() -> None:
    old = build_snapshot([facts("app.gone", "def f(): ...\n", path="src/app/gone.py")], PACKAGES)
    new = build_snapshot([], PACKAGES)
    [finding] = change_findings(compare(old, new, PACKAGES), old, {}, "api.json")
    assert (finding.rule, finding.path, finding.line) == ("snapshots/removed", "src/app/gone.py", 1)


def test_added_item_is_a_warning() -> None:
    [finding] = findings_between("def f(): ...\n", "def f(): ...\n\ndef g(): ...\n")
    assert (finding.rule, finding.severity, finding.line) == (
        "snapshots/added",
        Severity.WARNING,
        3,
    )


def test_renamed_private_helper_is_not_a_change() -> None:
    assert findings_between("def _a(): ...\n", "def _b(x): ...\n") == []


def test_only_the_configured_packages_and_known_modules_are_compared() -> None:
    old = build_snapshot(
        [facts("app.a", "def f(): ...\n"), facts("lib.b", "def g(): ...\n")], ["app", "lib"]
    )
    new = build_snapshot([], ["app"])
    assert [c.key for c in compare(old, new, ["app"])] == ["app.a:f"]
    assert compare(old, new, ["app"], unknown_modules=["app.a"]) == []


def test_changes_are_sorted_and_classified() -> None:
    old = build_snapshot([facts("app.m", "def a(): ...\ndef b(): ...\n")], PACKAGES)
    new = build_snapshot([facts("app.m", "def b(x): ...\ndef c(): ...\n")], PACKAGES)
    assert [(c.kind, c.key) for c in compare(old, new, PACKAGES)] == [
        ("removed", "app.m:a"),
        ("changed", "app.m:b"),
        ("added", "app.m:c"),
    ]


def test_describe_changes_caps_the_phrases() -> None:
    old = {"kind": "class", "a": "1", "b": "1", "c": "1", "d": "1", "e": "1"}
    new = {"kind": "class", "a": "2", "b": "2", "c": "2", "d": "2", "e": "2"}
    phrases = describe_changes(old, new)
    assert phrases[0] == "a was `1`, now `2`"
    assert phrases[-1] == "and 1 more"
    assert describe_changes({"fields": ["a", "b"]}, {"fields": ["b", "a"]}) == [
        "fields reordered: now `b`, `a`"
    ]
    assert describe_changes({"kind": "x"}, {"kind": "x", "async": True}) == [
        "async was (none), now `True`"
    ]
