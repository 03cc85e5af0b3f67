"""The snapshots step on facts built from small sources and a snapshot file in tmp_path."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from archverify.core.api import api_items
from archverify.core.config import Config, ToolConfig
from archverify.core.facts import CompileError, FileFacts
from archverify.core.findings import Severity, StepStatus
from archverify.core.snapshots import build_snapshot, snapshot_text
from archverify.executors.base import StepContext
from archverify.executors.snapshots import SnapshotsStep
from tests.helpers.factories import context_of, module_facts

SOURCE = """
class Service:
    def run(self, limit: int = 10) -> list[str]: ...

def helper(x: int) -> int: ...
"""


def api_facts(module: str, source: str) -> FileFacts:
    tree = ast.parse(textwrap.dedent(source))
    return module_facts(module, api=api_items(tree, module))


def context(
    root: Path, facts: list[FileFacts], packages: tuple[str, ...] = ("app",), file: str = "api.json"
) -> StepContext:
    tools = {"snapshots": ToolConfig(options={"packages": packages, "file": file})}
    built = context_of(facts, Config(root=str(root), tools=tools))
    built.root = root
    return built


def record(root: Path, facts: list[FileFacts], file: str = "api.json") -> None:
    (root / file).write_text(snapshot_text(build_snapshot(facts, ["app"])), encoding="utf-8")


def test_skipped_without_packages(tmp_path: Path) -> None:
    outcome = SnapshotsStep().run(context(tmp_path, [api_facts("app.mod", SOURCE)], packages=()))
    assert outcome.status is StepStatus.SKIPPED
    assert "snapshots" in outcome.message


def test_missing_file_is_one_error_with_the_command_as_hint(tmp_path: Path) -> None:
    outcome = SnapshotsStep().run(context(tmp_path, [api_facts("app.mod", SOURCE)]))
    assert outcome.status is StepStatus.FAILED
    [finding] = outcome.findings
    assert (finding.rule, finding.severity, finding.path) == (
        "snapshots/missing",
        Severity.ERROR,
        "api.json",
    )
    assert "run `archverify snapshot`" in finding.hint


def test_unchanged_api_passes(tmp_path: Path) -> None:
    facts = [api_facts("app.mod", SOURCE)]
    record(tmp_path, facts)
    outcome = SnapshotsStep().run(context(tmp_path, facts))
    assert outcome.status is StepStatus.PASSED
    assert outcome.findings == []
    assert outcome.stats == {"modules": 1, "items": 3, "changes": 0}


def test_every_change_is_reported(tmp_path: Path) -> None:
    record(tmp_path, [api_facts("app.mod", SOURCE)])
    changed = """
class Service:
    def run(self, limit: int = 20) -> list[str]: ...

def added() -> None: ...
"""
    outcome = SnapshotsStep().run(context(tmp_path, [api_facts("app.mod", changed)]))
    assert outcome.status is StepStatus.FAILED
    assert [(f.rule, f.line) for f in outcome.findings] == [
        ("snapshots/removed", 1),
        ("snapshots/changed", 3),
        ("snapshots/added", 5),
    ]
    assert all(f.path == "app/mod.py" for f in outcome.findings)


def test_only_additions_pass_with_warnings(tmp_path: Path) -> None:
    record(tmp_path, [api_facts("app.mod", SOURCE)])
    outcome = SnapshotsStep().run(
        context(tmp_path, [api_facts("app.mod", SOURCE + "\ndef extra(): ...\n")])
    )
    assert outcome.status is StepStatus.PASSED
    assert [f.rule for f in outcome.findings] == ["snapshots/added"]


def test_broken_module_is_not_reported_as_removed(tmp_path: Path) -> None:
    record(tmp_path, [api_facts("app.mod", SOURCE)])
    broken = module_facts("app.mod", compile_error=CompileError("syntax", 2, 1, "invalid"))
    outcome = SnapshotsStep().run(context(tmp_path, [broken]))
    assert outcome.findings == []


def test_invalid_file_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "api.json").write_text('{\n  "archverify_snapshot": 1,\n  "items": [\n', "utf-8")
    outcome = SnapshotsStep().run(context(tmp_path, [api_facts("app.mod", SOURCE)]))
    [finding] = outcome.findings
    assert (finding.rule, finding.path, finding.line) == ("snapshots/invalid", "api.json", 4)
    assert finding.message.startswith("api.json: not valid JSON")


def test_undecodable_file_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "api.json").write_bytes(b"\xff\xfe{")
    outcome = SnapshotsStep().run(context(tmp_path, [api_facts("app.mod", SOURCE)]))
    assert [f.rule for f in outcome.findings] == ["snapshots/invalid"]


def test_file_in_a_subfolder(tmp_path: Path) -> None:
    facts = [api_facts("app.mod", SOURCE)]
    (tmp_path / "contracts").mkdir()
    record(tmp_path, facts, file="contracts/api.json")
    outcome = SnapshotsStep().run(context(tmp_path, facts, file="contracts/api.json"))
    assert outcome.status is StepStatus.PASSED
