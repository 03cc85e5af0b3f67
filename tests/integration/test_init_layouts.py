"""`archverify init` then `archverify run` through the real CLI, on each layout init must fit."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import CliRun, run_cli
from tests.helpers.tree import write_tree

yaml = pytest.importorskip("yaml")  # PyYAML comes with bandit; used only to read our YAML

PYPROJECT = """\
[project]
name = "{name}"
version = "1.0"

[tool.pytest.ini_options]
testpaths = ["tests"]

# Settings of the project's own for each tool, so that init turns every step on.
[tool.ruff]
line-length = 100

[tool.mypy]
warn_unused_ignores = true

[tool.bandit]
skips = []
"""


def _init(root: Path, *args: str) -> CliRun:
    result = run_cli(["init", *args], cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _table(root: Path) -> dict[str, Any]:
    table = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    found: dict[str, Any] = table["archverify"]
    return found


def _run(root: Path, *args: str) -> CliRun:
    return run_cli(["run", ".", "--no-cache", "--format", "json", *args], cwd=root)


def _assert_passes(root: Path) -> CliRun:
    result = _run(root)
    statuses = {step["id"]: step["status"] for step in result.json()["steps"]}
    assert result.returncode == 0, (statuses, result.json()["findings"])
    return result


FLAT_WITH_TESTS = {
    "pyproject.toml": PYPROJECT.format(name="app"),
    "app/__init__.py": "",
    "app/cli.py": "from app.service import total\n\nRESULT = total([1, 2])\n",
    "app/service.py": "def total(values: list[int]) -> int:\n    return sum(values)\n",
    "tests/__init__.py": "",
    "tests/test_service.py": (
        "from app.service import total\n\n\n"
        "def test_total() -> None:\n    assert total([1, 2]) == 3\n"
    ),
}


def test_flat_layout_the_tests_package_is_not_production(tmp_path: Path) -> None:
    # httpx 0.27.2: "tests" was a verified package with its own layers contract, mypy and
    # bandit ran on it (1,314 B101 asserts).
    root = write_tree(tmp_path, FLAT_WITH_TESTS)
    out = _init(root).stdout
    assert "tests: tests (run by the tests step" in out
    table = _table(root)
    assert table["packages"] == ["app"]
    assert [c["name"] for c in table["contracts"]] == ["app layers"]
    assert table["contracts"][0]["layers"] == ["app.cli", "app.service"]
    assert "steps" not in table  # every tool has settings and there are tests: all steps run
    result = _assert_passes(root)
    assert result.step("tests")["status"] == "passed"
    assert result.step("bandit")["status"] == "passed"
    # Nothing of tests/ is verified as production: no bandit B101 for its asserts.
    assert not [f for f in result.json()["findings"] if f["path"].startswith("tests/")]


def test_tool_steps_without_settings_of_the_project_are_left_out(tmp_path: Path) -> None:
    # rich 13.9.4 has no ruff settings: ruff's defaults gave 1,259 errors nobody asked for.
    files = {**FLAT_WITH_TESTS, "pyproject.toml": '[project]\nname = "app"\nversion = "1"\n'}
    root = write_tree(tmp_path, files)
    _init(root)
    steps = _table(root)["steps"]
    assert "tests" in steps and not {"ruff", "mypy", "bandit"} & set(steps)
    assert "# Left out: ruff, mypy, bandit (no settings of the project's own)" in (
        root / "pyproject.toml"
    ).read_text(encoding="utf-8")
    _assert_passes(root)


SRC_WITH_NAMESPACE = {
    "pyproject.toml": PYPROJECT.format(name="web"),
    "src/web/__init__.py": "",
    "src/web/app.py": "from web.sansio.base import handle\n\nHANDLER = handle\n",
    # No __init__.py: a namespace folder inside the package, as flask.sansio.
    "src/web/sansio/base.py": "from web.util import clean\n\n\ndef handle() -> str:\n"
    "    return clean(' x ')\n",
    "src/web/util.py": "def clean(text: str) -> str:\n    return text.strip()\n",
    "tests/test_web.py": "from web.app import HANDLER\n\n\ndef test_it() -> None:\n"
    "    assert HANDLER() == 'x'\n",
}


def test_src_layout_a_namespace_folder_is_a_layer_that_exists(tmp_path: Path) -> None:
    # flask 3.1.0: flask.sansio went into a layer, then "module 'flask.sansio' does not exist".
    root = write_tree(tmp_path, SRC_WITH_NAMESPACE)
    _init(root)
    table = _table(root)
    assert table["source_roots"] == ["src"] and table["packages"] == ["web"]
    assert table["contracts"][0]["layers"] == ["web.app", "web.sansio", "web.util"]
    result = _assert_passes(root)
    assert result.step("contracts")["status"] == "passed"


SIBLINGS = {
    "pyproject.toml": PYPROJECT.format(name="lib"),
    "lib/__init__.py": "",
    "lib/api.py": "from lib import alpha, beta\n\nBOTH = (alpha.A, beta.B)\n",
    "lib/alpha.py": "A = 1\n",
    "lib/beta.py": "B = 2\n",
    "lib/gamma.py": "C = 3\n",
    "tests/test_lib.py": "from lib.api import BOTH\n\n\ndef test_it() -> None:\n"
    "    assert BOTH == (1, 2)\n",
}


def test_independent_siblings_share_one_layer_that_keeps_them_apart(tmp_path: Path) -> None:
    # attrs 24.2.0, httpx 0.27.2: siblings that import nothing of each other became an
    # alphabetical chain of one-module layers.
    root = write_tree(tmp_path, SIBLINGS)
    _init(root)
    [contract] = _table(root)["contracts"]
    assert contract["layers"] == ["lib.api", "lib.alpha | lib.beta | lib.gamma"]
    _assert_passes(root)
    # The '|' layer is a rule, not a drawing: a sibling importing another now breaks it.
    (root / "lib/alpha.py").write_text("from lib.beta import B\n\nA = B\n", encoding="utf-8")
    broken = _run(root, "--steps", "contracts")
    assert broken.returncode == 1
    # The violation, and beside it the import to cut (a note: the contract's cut advice).
    found = sorted((f["rule"], f["path"], f["line"]) for f in broken.json()["findings"])
    assert found == [("contracts/cut", "lib/alpha.py", 1), ("contracts/layers", "lib/alpha.py", 1)]


DEMOS_IN_CORE = {
    "pyproject.toml": PYPROJECT.format(name="shop"),
    "shop/__init__.py": "",
    "shop/cli.py": "from shop.core.money import add\n\nTOTAL = add(1, 2)\n",
    "shop/core/__init__.py": "",
    "shop/core/money.py": (
        "def add(a: int, b: int) -> int:\n    return a + b\n\n\n"
        'if __name__ == "__main__":\n    from shop.cli import TOTAL\n\n    print(add(1, TOTAL))\n'
    ),
    "shop/core/tax.py": "RATE = 2\n",
    "tests/test_shop.py": "from shop.core.money import add\n\n\ndef test_add() -> None:\n"
    "    assert add(1, 2) == 3\n",
}


def test_demo_blocks_in_a_would_be_pure_package(tmp_path: Path) -> None:
    # rich 13.9.4: demo blocks under `if __name__ == "__main__":` everywhere.
    root = write_tree(tmp_path, DEMOS_IN_CORE)
    out = _init(root).stdout
    table = _table(root)
    # Its demo prints: shop.core is not proposed as pure, and init says where.
    assert table["purity"] == {"packages": []}
    assert "not pure today: shop.core: shop/core/money.py:8" in out
    [contract] = table["contracts"]
    assert contract["layers"] == ["shop.cli", "shop.core"]
    # The demo imports upward; it never runs on import, so the contract ignores it by name.
    assert contract["ignore_imports"] == ["shop.core.money -> shop.cli"]
    assert "shop/core/money.py:6" in out
    _assert_passes(root)


def test_comments_stay_short_on_a_project_with_cycles_and_demos(tmp_path: Path) -> None:
    files = {f"big/m{i}.py": f"import big.m{(i + 1) % 12}\n" for i in range(12)}
    files |= {"big/__init__.py": "", "big/top.py": "import big.m0\n"}
    files |= {
        f"big/demo{i}.py": "X = 1\nif __name__ == '__main__':\n    import big.top\n"
        for i in range(8)
    }
    root = write_tree(tmp_path, files)
    out = _init(root).stdout
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    # The details (each cycle's imports, each demo's file:line) are on screen, not in the file.
    assert sum(len(line) for line in comments) < 600, comments
    # Any one import of the ring is a minimum cut: init names the cycles step's (big.m0's).
    assert "big/m0.py:1" in out and "big/demo0.py:3" in out


WORKFLOW = ".github/workflows/archverify.yml"


def test_ci_workflow_is_added_to_a_configured_project_without_touching_its_table(
    tmp_path: Path,
) -> None:
    pyproject = (
        '[project]\nname = "app"\nversion = "1.0"\n\n'
        '[project.optional-dependencies]\ntests = ["pytest"]\n'
        'dev = ["archverify @ git+https://example.invalid/archverify@v1"]\n\n'
        '[tool.archverify]\npackages = ["app"]  # mine\n'
    )
    root = write_tree(tmp_path, {**FLAT_WITH_TESTS, "pyproject.toml": pyproject})
    out = _init(root, "--ci", "github").stdout
    assert "already has [tool.archverify]: kept" in out
    assert (root / "pyproject.toml").read_text(encoding="utf-8") == pyproject
    workflow = yaml.safe_load((root / WORKFLOW).read_text(encoding="utf-8"))
    # The project's own requirement line, once, where the user edits it.
    assert workflow["env"]["ARCHVERIFY_REQUIREMENT"] == (
        "archverify @ git+https://example.invalid/archverify@v1"
    )
    runs = [step.get("run") for step in workflow["jobs"]["archverify"]["steps"]]
    assert 'pip install "$ARCHVERIFY_REQUIREMENT"' in runs
    # The tests step runs: the project is installed with its test extra.
    assert 'pip install -e ".[tests]"' in runs
    # An existing workflow is replaced only with --force, and the table still stays.
    assert run_cli(["init", "--ci", "github"], cwd=root).returncode == 1
    _init(root, "--ci", "github", "--force")
    assert (root / "pyproject.toml").read_text(encoding="utf-8") == pyproject


def test_ci_workflow_installs_the_test_requirements_file(tmp_path: Path) -> None:
    files = {**FLAT_WITH_TESTS, "requirements/tests.txt": "pytest\n"}
    root = write_tree(tmp_path, files)
    _init(root, "--ci", "github")
    text = (root / WORKFLOW).read_text(encoding="utf-8")
    runs = [s.get("run") for s in yaml.safe_load(text)["jobs"]["archverify"]["steps"]]
    assert 'pip install -e "."' in runs and 'pip install -r "requirements/tests.txt"' in runs
    # No requirement of its own: the one init ran with, and a comment saying to edit it.
    assert 'ARCHVERIFY_REQUIREMENT: "archverify' in text and "edit this requirement" in text


def test_run_says_which_layout_of_the_config_file_it_read(tmp_path: Path) -> None:
    root = write_tree(tmp_path, FLAT_WITH_TESTS)
    (root / "ci.toml").write_text('[tool.archverify]\npackages = ["app"]\n', encoding="utf-8")
    result = run_cli(["run", ".", "--config", "ci.toml", "--steps", "compile"], cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ci.toml: read its [tool.archverify] table" in result.stdout + result.stderr
