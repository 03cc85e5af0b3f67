"""``archverify snapshot`` on small projects in tmp_path, and the step against what it wrote."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

pytest.importorskip("archverify.core.extract", reason="the fact extractor is not in the tree yet")

from archverify.core.findings import StepStatus  # noqa: E402
from archverify.core.project import Project  # noqa: E402
from archverify.executors.base import StepContext  # noqa: E402
from archverify.executors.snapshots import SnapshotsStep  # noqa: E402
from archverify.orchestrator.cache.facts import FactsCache  # noqa: E402
from archverify.orchestrator.commands.snapshot import (  # noqa: E402
    add_snapshot_parser,
    snapshot_from_args,
)
from archverify.orchestrator.config.loader import load_config  # noqa: E402
from archverify.orchestrator.discovery import discover, resolve_config_with_discovery  # noqa: E402
from archverify.orchestrator.parsing import parse_files  # noqa: E402

CONFIG = """
[tool.archverify]
packages = ["app"]

[tool.archverify.snapshots]
packages = ["app.core"]
file = "api/contracts.json"
"""
CORE = """
from dataclasses import dataclass

@dataclass(frozen=True)
class Order:
    id: str
    total: float = 0.0

def place(order: Order, *, dry_run: bool = False) -> str:
    return order.id

def _private() -> None: ...
"""


def project(root: Path, config: str = CONFIG) -> Path:
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    (root / "app" / "core").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "core" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "core" / "orders.py").write_text(CORE, encoding="utf-8")
    (root / "app" / "cli.py").write_text("def main() -> None: ...\n", encoding="utf-8")
    return root


def snapshot(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="archverify")
    add_snapshot_parser(parser.add_subparsers(dest="command"))
    return snapshot_from_args(parser.parse_args(["snapshot", *argv]))


def step_outcome(root: Path) -> tuple[StepStatus, list[str]]:
    config = load_config(root)
    discovery = discover(root, config)
    config = resolve_config_with_discovery(config, discovery)
    facts = parse_files(root, discovery.files, jobs=1, cache=FactsCache(None, ""))
    built = Project(str(root), config.packages, discovery.files, facts)
    outcome = SnapshotsStep().run(StepContext(root=root, config=config, project=built))
    return outcome.status, [f.rule for f in outcome.findings]


def test_writes_the_configured_packages_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    assert snapshot(str(root)) == 0
    assert "wrote api/contracts.json: 2 items in 2 modules" in capsys.readouterr().out
    data = json.loads((root / "api" / "contracts.json").read_text(encoding="utf-8"))
    assert sorted(data["items"]) == ["app.core.orders:Order", "app.core.orders:place"]
    assert data["items"]["app.core.orders:place"] == {
        "kind": "function",
        "signature": "(order: Order, *, dry_run: bool = False) -> str",
    }
    assert "app.cli:main" not in data["items"]


def test_second_run_is_up_to_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    assert snapshot(str(root)) == 0
    written = (root / "api" / "contracts.json").read_bytes()
    capsys.readouterr()
    assert snapshot(str(root)) == 0
    assert "is up to date" in capsys.readouterr().out
    assert (root / "api" / "contracts.json").read_bytes() == written


def test_step_passes_after_recording_and_catches_a_change(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert step_outcome(root) == (StepStatus.FAILED, ["snapshots/missing"])
    assert snapshot(str(root)) == 0
    assert step_outcome(root) == (StepStatus.PASSED, [])
    orders = root / "app" / "core" / "orders.py"
    orders.write_text(CORE.replace("dry_run: bool = False", "dry_run: bool"), encoding="utf-8")
    assert step_outcome(root) == (StepStatus.FAILED, ["snapshots/changed"])


def test_no_snapshot_config_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path, config='[tool.archverify]\npackages = ["app"]\n')
    assert snapshot(str(root)) == 2
    err = capsys.readouterr().err
    assert err.startswith("archverify: error: pyproject.toml:")
    assert "snapshots" in err and "Traceback" not in err


def test_unknown_package_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path, config=CONFIG.replace('["app.core"]', '["app.nope"]'))
    assert snapshot(str(root)) == 2
    assert "'app.nope' names no discovered module" in capsys.readouterr().err


def test_file_that_does_not_compile_is_exit_1_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    (root / "app" / "core" / "broken.py").write_text("def (\n", encoding="utf-8")
    assert snapshot(str(root)) == 1
    assert "app/core/broken.py:1:" in capsys.readouterr().err
    assert not (root / "api" / "contracts.json").exists()


def test_config_option_names_another_file(tmp_path: Path) -> None:
    root = project(tmp_path, config='[tool.archverify]\npackages = ["app"]\n')
    other = root / "archverify-api.toml"
    other.write_text('[snapshots]\npackages = ["app.core"]\n', encoding="utf-8")
    assert snapshot(str(root), "--config", str(other)) == 0
    assert (root / "contracts.snapshot.json").is_file()


def test_missing_directory_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshot(str(tmp_path / "nope")) == 2
    assert "no such directory" in capsys.readouterr().err
