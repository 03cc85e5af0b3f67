"""``init --ci github --shards N``: the generated workflow parses, and its job graph is right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archverify.core.init_files import GITHUB_WORKFLOW, WorkflowInstall, render_workflow
from archverify.orchestrator.cli import main

yaml = pytest.importorskip("yaml")  # PyYAML comes with bandit; used only to check our YAML

INSTALL = WorkflowInstall("archverify==1.0", "here", ".")


def _steps(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action)]


def test_four_shards_and_a_merge_job() -> None:
    workflow = yaml.safe_load(render_workflow(INSTALL, 4))
    assert set(workflow["jobs"]) == {"shard", "merge"}
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    assert shard["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert shard["strategy"]["fail-fast"] is False
    assert merge["needs"] == "shard" and merge["if"] == "always()"
    assert workflow["env"]["ARCHVERIFY_CACHE_SECRET"] == "${{ secrets.ARCHVERIFY_CACHE_SECRET }}"
    # The cache: restored first, saved even after a failed run, under the same per-shard key.
    [restore] = _steps(shard, "actions/cache/restore@")
    [save] = _steps(shard, "actions/cache/save@")
    assert save["if"] == "always()" and save["with"]["key"] == restore["with"]["key"]
    key = restore["with"]["key"]
    for part in ("runner.os", "python-version", "hashFiles(", "matrix.shard", "github.sha"):
        assert part in key
    fallbacks = restore["with"]["restore-keys"].splitlines()
    assert len(fallbacks) == 3 and all(key.startswith(f) for f in fallbacks)
    assert restore["with"]["path"] == save["with"]["path"] == ".archverify_cache"
    order = [s.get("uses", s.get("run", "")) for s in shard["steps"]]
    run = next(i for i, s in enumerate(order) if s.startswith("archverify run"))
    assert order.index(restore["uses"]) < run < order.index(save["uses"])
    assert "--shard ${{ matrix.shard }}/4" in order[run] and "--partial" in order[run]
    [upload] = _steps(shard, "actions/upload-artifact@")
    assert upload["if"] == "always()" and "matrix.shard" in upload["with"]["name"]
    # The merge: every partial, one report, SARIF uploaded and the summary written.
    [download] = _steps(merge, "actions/download-artifact@")
    assert download["with"]["pattern"] == "archverify-partial-*"
    runs = [s.get("run", "") for s in merge["steps"]]
    merged = next(r for r in runs if r.startswith("archverify merge"))
    assert "partials/*.json" in merged and "sarif=archverify.sarif" in merged
    assert "markdown=archverify.md" in merged
    assert any("$GITHUB_STEP_SUMMARY" in r for r in runs)
    [sarif] = _steps(merge, "github/codeql-action/upload-sarif@")
    assert sarif["if"] == "always()" and sarif["with"]["sarif_file"] == "archverify.sarif"


def test_one_shard_is_todays_single_job() -> None:
    text = render_workflow(INSTALL, 1)
    assert text == render_workflow(INSTALL)
    assert text.startswith(GITHUB_WORKFLOW.splitlines()[0])
    assert set(yaml.safe_load(text)["jobs"]) == {"archverify"}
    with pytest.raises(ValueError):
        render_workflow(INSTALL, 0)


def test_the_cli_writes_the_sharded_workflow(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.archverify]\npackages = ["app"]\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    assert main(["init", str(tmp_path), "--ci", "github", "--shards", "3"]) == 0
    written = tmp_path / ".github/workflows/archverify.yml"
    workflow = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"] == [1, 2, 3]


def test_shards_without_ci_or_out_of_range_are_usage_errors(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path), "--shards", "2"]) == 2
    with pytest.raises(SystemExit) as exited:
        main(["init", str(tmp_path), "--ci", "github", "--shards", "0"])
    assert exited.value.code == 2
