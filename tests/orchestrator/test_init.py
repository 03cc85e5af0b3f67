"""`archverify init`: the written config runs, keeps pyproject comments, never overwrites."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from archverify.core.config import STATIC_STEPS as STATIC_STEP_IDS
from archverify.core.graph import ImportEdge
from archverify.core.init_files import (
    WorkflowInstall,
    add_pre_commit_hook,
    describe_cycles,
    has_archverify_hook,
    render_workflow,
)
from archverify.core.layer_inference import Cycle, LayerPlan
from tests.helpers.tree import write_tree

yaml = pytest.importorskip("yaml")  # PyYAML comes with bandit; used only to check our YAML

STATIC_STEPS = "compile,purity,contracts,cycles"
needs_extract = pytest.mark.skipif(
    __import__("importlib").util.find_spec("archverify.core.extract") is None,
    reason="init parses the project with archverify.core.extract, which has not landed yet",
)


def _init(*argv: str) -> int:
    from archverify.orchestrator.commands.init import add_init_parser, init_from_args

    parser = argparse.ArgumentParser()
    add_init_parser(parser.add_subparsers(dest="command"))
    return init_from_args(parser.parse_args(["init", *argv]))


def _initialised(
    root: Path, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> tuple[str, str]:
    """``files`` written below ``root`` and ``archverify init`` run there (exit 0): what it
    printed and the pyproject.toml it left."""
    write_tree(root, files)
    assert _init(str(root)) == 0
    out = capsys.readouterr().out
    return out, (root / "pyproject.toml").read_text(encoding="utf-8")


def _run(root: Path) -> int:
    from archverify.orchestrator.cli import main

    return main(["run", str(root), "--steps", STATIC_STEPS, "--no-cache"])


def _step_statuses(report: str) -> dict[str, str]:
    steps = STATIC_STEPS.split(",")
    return {
        words[0]: words[1]
        for words in (line.split() for line in report.splitlines())
        if len(words) >= 2 and words[0] in steps
    }


def _table(root: Path) -> dict[str, Any]:
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    table = data["tool"]["archverify"]
    assert isinstance(table, dict)
    return table


FLAT_PYPROJECT = """\
# The project's own notes: init must keep them.
[project]
name = "flat"  # a trailing comment
version = "1.0"

[tool.ruff]
line-length = 100  # why: wide screens
"""

FLAT = {
    "pyproject.toml": FLAT_PYPROJECT,
    "app/__init__.py": "",
    "app/cli.py": "from app.services import run\n",
    "app/services/__init__.py": "from app.core.model import price\n\ndef run() -> None: ...\n",
    "app/core/__init__.py": "",
    "app/core/model.py": "def price(x: int) -> int:\n    return x * 2\n",
    "app/plugins.py": "import app.registry\nimport app.core\n",
    "app/registry.py": "import app.plugins\n",
}


@needs_extract
def test_flat_project_gets_layers_purity_and_keeps_its_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path
    out, text = _initialised(root, FLAT, capsys)
    assert text.startswith(FLAT_PYPROJECT)
    table = _table(root)
    assert "source_roots" not in table and table["packages"] == ["app"]
    assert table["purity"] == {"packages": ["app.core"]}
    [contract] = table["contracts"]
    layers = contract["layers"]
    assert layers.index("app.cli") < layers.index("app.services") < layers.index("app.core")
    assert "app.plugins : app.registry" in layers
    assert layers.index("app.plugins : app.registry") < layers.index("app.core")
    # The cycle is called out in the file and on screen, not hidden.
    assert "# 'a : b' is a cycle" in text
    assert "Cycle: app.plugins, app.registry import each other" in out
    assert "found ruff settings in pyproject.toml [tool.ruff]" in out
    steps = text.split("steps = ")[1].split("\n")[0]
    assert "tests (none found)" in text and '"tests"' not in steps
    # Only ruff has settings of the project's own: mypy and bandit would check rules nobody set.
    assert '"ruff"' in steps and '"mypy"' not in steps and '"bandit"' not in steps
    assert "mypy, bandit (no settings of the project's own)" in text
    capsys.readouterr()
    # The inferred layers hold today; the cycle itself is still the cycles step's error.
    assert _run(root) == 1
    report = capsys.readouterr().out
    assert _step_statuses(report) == {
        "compile": "passed",
        "purity": "passed",
        "contracts": "passed",
        "cycles": "FAILED",
    }
    # Both cuts of the 2-cycle are minimum: init names the one the cycles step names.
    named = re.findall(r"^\s+(\S+\.py:\d+) \(", out, flags=re.MULTILINE)
    [advice] = [line for line in report.splitlines() if "remove this import to" in line]
    assert named == [advice.rsplit(": ", 1)[1]], (out, advice)


SRC = {
    "src/shop/__init__.py": "",
    "src/shop/api.py": "from shop.domain import order\nfrom shop import db\n",
    "src/shop/db.py": "from shop.domain.order import Order\n",
    "src/shop/domain/__init__.py": "",
    "src/shop/domain/order.py": "class Order:\n    def save(self) -> None:\n"
    "        open('orders.txt', 'a').write('x')\n",
    "tests/test_shop.py": "def test_ok() -> None:\n    assert True\n",
}


@needs_extract
def test_src_project_without_pyproject_gets_a_new_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path
    out, _ = _initialised(root, SRC, capsys)
    table = _table(root)
    assert table["source_roots"] == ["src"] and table["packages"] == ["shop"]
    # tests/ exists, so the tests step stays on; no tool has settings, so they are left out.
    assert "tests" in table["steps"]
    assert not {"ruff", "mypy", "bandit"} & set(table["steps"])
    # shop.domain calls open(): not proposed as pure, and the reason is given.
    assert table["purity"] == {"packages": []}
    assert "not pure today: shop.domain: src/shop/domain/order.py:3" in out
    [contract] = table["contracts"]
    assert contract["layers"] == ["shop.api", "shop.db", "shop.domain"]
    assert "src layout" in out
    assert _run(root) == 0


IMPORTLINTER = {
    "pyproject.toml": "[project]\nname = 'lib'\n\n# Keep me.\n[tool.mypy]\nstrict = true\n",
    ".importlinter": "[importlinter]\nroot_package = lib\n\n"
    "[importlinter:contract:layers]\nname = lib layers\ntype = layers\n"
    "layers =\n    lib.high\n    lib.low\n",
    "lib/__init__.py": "",
    "lib/high.py": "import lib.low\n",
    "lib/low.py": "import lib.high\n",
    "lib/domain/__init__.py": "X = 1\n",
}


@needs_extract
def test_an_import_linter_config_is_read_as_is_and_no_contracts_are_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path
    out, text = _initialised(root, IMPORTLINTER, capsys)
    assert "# Keep me.\n[tool.mypy]\nstrict = true\n" in text
    table = _table(root)
    assert "contracts" not in table
    assert table["purity"] == {"packages": ["lib.domain"]}
    assert "archverify reads those of .importlinter as they are" in text
    assert "init writes no contracts" in out and "found mypy settings" in out
    # lib.low imports lib.high: the import-linter contract is broken, which is exit 1, not 2.
    assert _run(root) in (0, 1)


@needs_extract
def test_an_existing_table_is_kept_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (
        FLAT_PYPROJECT + '\n[tool.archverify]\npackages = ["app"]\n\n[tool.mypy]\nstrict = true\n'
    )
    root = write_tree(tmp_path, {**FLAT, "pyproject.toml": before})
    assert _init(str(root)) == 1
    assert "already has [tool.archverify]" in capsys.readouterr().err
    assert (root / "pyproject.toml").read_text(encoding="utf-8") == before
    assert _init(str(root), "--force") == 0
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(FLAT_PYPROJECT) and "[tool.mypy]\nstrict = true\n" in text
    assert text.count("[tool.archverify]") == 1 and "[tool.archverify.purity]" in text


@needs_extract
def test_dry_run_prints_everything_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path, FLAT)
    assert _init(str(root), "--dry-run", "--ci", "github", "--pre-commit") == 0
    out = capsys.readouterr().out
    assert "--- pyproject.toml (not written: --dry-run)" in out and "[tool.archverify]" in out
    assert "archverify run --format github --format sarif=archverify.sarif" in out
    assert "- id: archverify" in out
    assert (root / "pyproject.toml").read_text(encoding="utf-8") == FLAT_PYPROJECT
    assert not (root / ".github").exists() and not (root / ".pre-commit-config.yaml").exists()


@needs_extract
def test_ci_and_pre_commit_files_are_written_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = "repos:\n  - repo: https://example.invalid/hooks\n    rev: v1\n    hooks:\n"
    existing += "      - id: trailing-whitespace\n"
    root = write_tree(tmp_path, {**FLAT, ".pre-commit-config.yaml": existing})
    assert _init(str(root), "--ci", "github", "--pre-commit") == 0
    workflow = yaml.safe_load((root / ".github/workflows/archverify.yml").read_text())
    steps = workflow["jobs"]["archverify"]["steps"]
    assert steps[1]["with"]["python-version"] == "3.11"
    assert steps[-1]["uses"].startswith("github/codeql-action/upload-sarif")
    hooks = (root / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert hooks.startswith(existing)
    assert [r["repo"] for r in yaml.safe_load(hooks)["repos"]] == [
        "https://example.invalid/hooks",
        "local",
    ]
    capsys.readouterr()
    # The workflow is never replaced without --force, and the hook is never added twice.
    (root / ".github/workflows/archverify.yml").write_text("# mine\n")
    assert _init(str(root), "--force", "--pre-commit") == 0
    assert "already runs the archverify hook" in capsys.readouterr().out
    assert _init(str(root), "--force", "--ci", "github") == 0
    assert (root / ".github/workflows/archverify.yml").read_text() != "# mine\n"
    (root / ".github/workflows/archverify.yml").write_text("# mine\n")
    assert _init(str(root), "--ci", "github") == 1


@needs_extract
def test_a_malformed_pyproject_is_an_error_naming_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path, {**FLAT, "pyproject.toml": '[project]\nname = "x"\nbroken = [\n'})
    assert _init(str(root)) == 2
    assert "pyproject.toml:" in capsys.readouterr().err


@needs_extract
def test_a_folder_without_packages_is_refused_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path, {"script.py": "print('hi')\n"})
    assert _init(str(root)) == 1
    assert "no Python package" in capsys.readouterr().err
    assert not (root / "pyproject.toml").exists()


def test_the_hook_is_appended_to_the_repos_list_before_the_next_key() -> None:
    text = "# hooks\nrepos:\n- repo: https://example.invalid/a\n  rev: v1\n  hooks:\n"
    text += "  - id: a\n\nci:\n  autofix_prs: false\n"
    updated = add_pre_commit_hook(text)
    assert updated is not None
    data = yaml.safe_load(updated)
    assert [r["repo"] for r in data["repos"]] == ["https://example.invalid/a", "local"]
    assert data["repos"][1]["hooks"][0]["entry"] == "archverify run"
    assert data["ci"] == {"autofix_prs": False} and updated.startswith("# hooks\n")
    assert has_archverify_hook(updated) and not has_archverify_hook(text)


def test_a_new_or_keyless_pre_commit_config_gets_a_repos_list() -> None:
    for text in ("", "default_stages: [pre-commit]"):
        updated = add_pre_commit_hook(text)
        assert updated is not None
        assert yaml.safe_load(updated)["repos"][0]["hooks"][0]["id"] == "archverify"


def test_a_flow_style_repos_list_is_left_to_the_user() -> None:
    assert add_pre_commit_hook("repos: []\n") is None


def test_the_workflow_installs_the_project_only_when_it_is_installable() -> None:
    installable = WorkflowInstall("archverify==1.0", "here", project=".[tests]")
    assert 'pip install -e ".[tests]"' in render_workflow(installable)
    bare = render_workflow(WorkflowInstall("archverify==1.0", "here"))
    assert "pip install -e" not in bare
    workflow = yaml.safe_load(bare)
    assert workflow["name"] == "archverify"
    # One line to edit: the requirement is an env value the install step reads.
    assert workflow["env"]["ARCHVERIFY_REQUIREMENT"] == "archverify==1.0"
    runs = [step.get("run") for step in workflow["jobs"]["archverify"]["steps"]]
    assert 'pip install "$ARCHVERIFY_REQUIREMENT"' in runs


def test_the_pre_commit_hooks_run_archverify_and_its_static_steps() -> None:
    hooks_file = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"
    hooks = {hook["id"]: hook for hook in yaml.safe_load(hooks_file.read_text())}
    assert hooks["archverify"]["entry"] == "archverify run"
    static = hooks["archverify-static"]["entry"]
    assert static == f"archverify run --steps {','.join(STATIC_STEP_IDS)}"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False and hook["always_run"] is True


DEMOS = {
    "pyproject.toml": FLAT_PYPROJECT,
    "demo/__init__.py": "",
    "demo/__main__.py": "from demo.console import Console\n",
    "demo/console.py": "from demo.pager import Pager\nConsole = 1\n",
    "demo/theme.py": "Theme = 1\nif __name__ == '__main__':\n    from demo.pager import Pager\n",
    "demo/pager.py": (
        "Pager = 1\n"
        "if __name__ == '__main__':\n"
        "    from demo.console import Console\n"
        "    from demo.__main__ import Console as Again\n"
    ),
}


@needs_extract
def test_demo_blocks_make_no_cycle_layer_and_are_ignored_by_the_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # rich 13.9.4: its 46 ``if __name__ == "__main__":`` demos made one 52-module layer.
    root = write_tree(tmp_path, DEMOS)
    assert _init(str(root)) == 0
    [contract] = _table(root)["contracts"]
    assert contract["layers"] == ["demo.__main__", "demo.console", "demo.pager | demo.theme"]
    # A demo import between the siblings of a '|' layer breaks it as much as one pointing up.
    assert contract["ignore_imports"] == [
        "demo.pager -> demo.__main__",
        "demo.pager -> demo.console",
        "demo.theme -> demo.pager",
    ]
    assert "demo/pager.py:3, demo/pager.py:4" in capsys.readouterr().out
    assert _run(root) == 0, capsys.readouterr().out


def test_a_statement_that_reaches_one_child_twice_is_listed_once() -> None:
    # pydantic 2.9.2: ``from ._internal import _a, _b`` at fields.py:21 was listed seven times.
    edge = ImportEdge("p.b", "p.a", "p/b.py", 3, 1)
    plan = LayerPlan("p", (("p.a", "p.b"),), (Cycle(("p.a", "p.b"), ("p.a", "p.b"), (edge,) * 3),))
    assert describe_cycles(plan).count("  p/b.py:3 (p.b imports p.a)") == 1
