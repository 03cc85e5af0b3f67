"""``init --ci github --shards N``: the generated workflow parses, and its job graph is right."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from archverify.core.init_files import (
    DURATIONS_FILE,
    GITHUB_WORKFLOW,
    WorkflowInstall,
    render_workflow,
)
from archverify.orchestrator.cli import main

yaml = pytest.importorskip("yaml")  # PyYAML comes with bandit; used only to check our YAML

INSTALL = WorkflowInstall("archverify==1.0", "here", ".")


def _steps(job: dict[str, Any], action: str, path: str | None = None) -> list[dict[str, Any]]:
    return [
        s
        for s in job["steps"]
        if str(s.get("uses", "")).startswith(action)
        and (path is None or s.get("with", {}).get("path") == path)
    ]


def test_four_shards_and_a_merge_job() -> None:
    workflow = yaml.safe_load(render_workflow(INSTALL, 4))
    assert set(workflow["jobs"]) == {"shard", "merge"}
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    assert shard["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert shard["strategy"]["fail-fast"] is False
    assert merge["needs"] == "shard" and merge["if"] == "always()"
    assert workflow["env"]["ARCHVERIFY_CACHE_SECRET"] == "${{ secrets.ARCHVERIFY_CACHE_SECRET }}"
    # The cache: restored first, saved even after a failed run, under the same per-shard key.
    [restore] = _steps(shard, "actions/cache/restore@", ".archverify_cache")
    [save] = _steps(shard, "actions/cache/save@", ".archverify_cache")
    assert save["if"] == "always()" and save["with"]["key"] == restore["with"]["key"]
    key = restore["with"]["key"]
    for part in ("runner.os", "python-version", "hashFiles(", "matrix.shard", "github.sha"):
        assert part in key
    fallbacks = restore["with"]["restore-keys"].splitlines()
    assert len(fallbacks) == 3 and all(key.startswith(f) for f in fallbacks)
    assert restore["with"]["path"] == save["with"]["path"] == ".archverify_cache"
    order = [s.get("uses", s.get("run", "")) for s in shard["steps"]]
    run = next(i for i, s in enumerate(order) if "archverify run" in s)
    assert order.index(restore["uses"]) < run < order.index(save["uses"])
    assert "--shard ${{ matrix.shard }}/4" in order[run] and "--partial" in order[run]
    [upload] = _steps(shard, "actions/upload-artifact@")
    assert upload["if"] == "always()" and "matrix.shard" in upload["with"]["name"]
    # The merge: every partial, one report, SARIF uploaded and the summary written.
    [download] = _steps(merge, "actions/download-artifact@")
    assert download["with"]["pattern"] == "archverify-partial-*"
    runs = [s.get("run", "") for s in merge["steps"]]
    merged = next(r for r in runs if r.startswith("archverify merge"))
    assert "--durations-out archverify-durations.json" in merged
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


def test_the_merge_saves_the_durations_that_every_shard_of_the_next_run_restores() -> None:
    workflow = yaml.safe_load(render_workflow(INSTALL, 4))
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    [restored] = _steps(shard, "actions/cache/restore@", DURATIONS_FILE)
    [older] = _steps(merge, "actions/cache/restore@", DURATIONS_FILE)
    [saved] = _steps(merge, "actions/cache/save@", DURATIONS_FILE)
    assert not _steps(shard, "actions/cache/save@", DURATIONS_FILE)
    # One key per run (caches are immutable), the same for every shard (no matrix value): the
    # next run restores the newest by its prefix.
    key = saved["with"]["key"]
    assert "github.run_id" in key and "matrix" not in key
    assert restored["with"]["key"] == older["with"]["key"] == key
    prefix = restored["with"]["restore-keys"].strip()
    assert key.startswith(prefix) and "${{" not in prefix
    assert "hashFiles('archverify-durations.json')" in saved["if"]
    order = [s.get("uses", s.get("run", "")) for s in merge["steps"]]
    merged = next(i for i, s in enumerate(order) if s.startswith("archverify merge"))
    assert order.index(older["uses"]) < merged
    assert merge["steps"].index(saved) > merged
    steps = shard["steps"]
    run = next(s for s in steps if "archverify run" in s.get("run", ""))
    assert steps.index(restored) < steps.index(run)


@pytest.mark.skipif(shutil.which("bash") is None, reason="the workflow's shell is bash")
def test_a_shard_passes_durations_only_when_the_file_was_restored(tmp_path: Path) -> None:
    workflow = yaml.safe_load(render_workflow(INSTALL, 2))
    [script] = [
        s["run"] for s in workflow["jobs"]["shard"]["steps"] if "archverify run" in s.get("run", "")
    ]
    script = script.replace("${{ matrix.shard }}", "2")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "archverify"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n', encoding="utf-8")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def args() -> list[str]:
        # GitHub runs a step's script as `bash --noprofile --norc -eo pipefail {0}`.
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.splitlines()

    assert args() == ["run", ".", "--shard", "2/2", "--partial", "archverify-partial-2.json"]
    (tmp_path / DURATIONS_FILE).write_text("{}", encoding="utf-8")
    assert args()[-2:] == ["--durations", DURATIONS_FILE]
