"""``archverify run`` through the CLI: what Python imports is what is verified, and nothing passes
silently (no step, no package, a rule naming nothing, a non-finite number, a missing folder).

Issue 10 items 4, 8 (the CLI side), 9, 10 (tool ``timeout_s``, SARIF rule help) and 11.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from archverify.orchestrator.cli import main
from archverify.orchestrator.commands.run import MAX_JOBS_PER_CPU, _jobs
from tests.helpers.configs import APP, PURITY_CORE
from tests.helpers.tree import write_tree

PURE = APP + PURITY_CORE


def project(tmp_path: Path, config: str = PURE, extra: dict[str, str] | None = None) -> Path:
    files = {
        "pyproject.toml": config,
        "src/app/__init__.py": "",
        "src/app/core/__init__.py": "",
        "src/app/core/model.py": "VALUE = 1\n",
        "src/app/cli.py": "import json\n",
    }
    return write_tree(tmp_path / "p", {**files, **(extra or {})})


def run(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    out = root.parent / "report.json"
    out.unlink(missing_ok=True)
    code = main(["run", str(root), "--no-cache", "--format", f"json={out}", *args])
    report: dict[str, Any] = json.loads(out.read_text("utf-8")) if out.exists() else {}
    return code, report


def rules(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f["rule"], f["severity"], f["path"]) for f in report["findings"]]


def config_error(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> str:
    code, report = run(root, *args)
    err = capsys.readouterr().err
    assert code == 2 and not report, err
    assert "internal error" not in err
    return err


# ----- item 4: Python's own import precedence -------------------------------------------------


def test_the_package_python_imports_is_verified_and_the_shadowed_module_warned(
    tmp_path: Path,
) -> None:
    root = project(
        tmp_path,
        extra={
            "src/app/core/a.py": "VALUE = 1\n",  # never imported
            "src/app/core/a/__init__.py": "def load(p):\n    return open(p)\n",
        },
    )
    code, report = run(root, "--steps", "compile,purity")
    assert code == 1
    found = rules(report)
    assert ("purity/io-call", "error", "src/app/core/a/__init__.py") in found
    assert ("compile/shadowed-module", "warning", "src/app/core/a.py") in found
    (shadow,) = [f for f in report["findings"] if f["rule"] == "compile/shadowed-module"]
    assert "src/app/core/a/__init__.py" not in shadow["message"]  # the folder is named
    assert "src/app/core/a.py" in shadow["message"] and "src/app/core/a " in shadow["message"]
    compile_step = next(s for s in report["steps"] if s["id"] == "compile")
    assert compile_step["status"] == "passed"  # a warning


def test_shadowing_is_a_notice_when_compile_does_not_run(tmp_path: Path) -> None:
    root = project(tmp_path, extra={"src/app/core/b.py": "", "src/app/core/b/x.py": ""})
    code, report = run(root, "--steps", "purity")
    assert code == 0
    assert any("src/app/core/b is never imported" in n for n in report["notices"])


# ----- item 9: no silent pass -------------------------------------------------------------------


def test_an_empty_steps_option_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    for given in ("", " , "):
        assert "--steps names no step" in config_error(capsys, root, "--steps", given)


def test_a_folder_without_packages_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "p", {"script.py": "print(1)\n", "notes/readme.txt": ""})
    assert "no Python package" in config_error(capsys, root)


def test_excluding_every_file_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = PURE.replace('packages = ["app"]\n', 'packages = ["app"]\nexclude = ["src/app"]\n')
    root = project(tmp_path, config)
    assert "exclude skips them all" in config_error(capsys, root)


@pytest.mark.parametrize(
    ("forbidden", "expected"),
    [
        ("app.orchestrater", "'app.orchestrater' names no module of the project"),
        ("reqeusts", "'reqeusts' is neither a module of the project nor imported by it"),
    ],
)
def test_a_boundary_forbidding_a_module_that_does_not_exist_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], forbidden: str, expected: str
) -> None:
    boundary = '[[tool.archverify.boundaries]]\nname = "b"\npackages = ["app.core"]\n'
    boundary += f'forbid_imports = ["{forbidden}"]\n'
    root = project(tmp_path, PURE + boundary)
    err = config_error(capsys, root, "--steps", "boundaries")
    assert "pyproject.toml:10: tool.archverify.boundaries[0].forbid_imports" in err
    assert expected in err


def test_a_forbidden_contract_naming_a_missing_module_of_the_project_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # lint-imports: "Module 'app.nothere' does not exist." Passing would check nothing.
    contract = (
        '[[tool.archverify.contracts]]\nname = "f"\ntype = "forbidden"\n'
        'source_modules = ["app.core"]\nforbidden_modules = ["app.nothere", "notinstalleddist"]\n'
    )
    root = project(tmp_path, PURE + contract)
    err = config_error(capsys, root, "--steps", "contracts")
    assert "pyproject.toml:" in err and "'app.nothere' names no discovered module" in err
    assert "notinstalleddist" not in err  # an external forbidden module need not be imported
    (root / "pyproject.toml").write_text(PURE + contract.replace('"app.nothere", ', ""))
    code, _ = run(root, "--steps", "contracts")
    assert code == 0


def test_a_boundary_may_forbid_installed_stdlib_and_imported_modules(tmp_path: Path) -> None:
    boundary = '[[tool.archverify.boundaries]]\nname = "b"\npackages = ["app.core"]\n'
    boundary += 'forbid_imports = ["app.cli", "json", "pytest", "not_installed_but_imported"]\n'
    extra = {"src/app/core/model.py": "import not_installed_but_imported\n"}
    root = project(tmp_path, PURE + boundary, extra)
    code, report = run(root, "--steps", "boundaries")
    assert code == 1
    assert [f["rule"] for f in report["findings"]] == ["boundaries/forbidden-import"]


@pytest.mark.parametrize(
    ("table", "line", "expected"),
    [
        ("[tool.archverify.tests]\ncoverage_min = nan\n", "coverage_min", "finite number"),
        ("[tool.archverify.imports]\ntimeout_s = inf\n", "timeout_s", "finite number"),
        ("[tool.archverify.imports]\ntimeout_s = -inf\n", "timeout_s", "finite number"),
        ("[tool.archverify.imports]\ntimeout_s = nan\n", "timeout_s", "finite number"),
        ("[tool.archverify.imports]\ntimeout_s = 1e300\n", "timeout_s", "at most 86400"),
        (
            "[tool.archverify.imports]\noutput_limit = 1e300\n",
            "output_limit",
            "between 1 and 67108864",
        ),
        ("[tool.archverify.ruff]\ntimeout_s = 0\n", "timeout_s", "greater than 0"),
        ("[tool.archverify.mypy]\ntimeout_s = inf\n", "timeout_s", "finite number"),
        ("[[tool.archverify.contracts]]\nname = 'l'\ntype = 'layers'\nlayers = []\n", "layers", ""),
        ("[tool.archverify.tests]\npaths = []\n", "paths", "must not be empty"),
        ("[tool.archverify.purity]\nforbid_calls = []\n", "forbid_calls", "must not be empty"),
        ("[tool.archverify.cycles]\npackages = []\n", "packages", "must not be empty"),
    ],
)
def test_meaningless_values_are_config_errors_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, line: str, expected: str
) -> None:
    base = PURE.replace('[tool.archverify.purity]\npackages = ["app.core"]\n', "")
    root = project(tmp_path, base + table)
    err = config_error(capsys, root)
    number = next(i for i, text in enumerate(table.splitlines(), 5) if text.startswith(line))
    if "layers" in table:
        expected = "option 'layers' must not be empty"  # was an internal error
    assert f"pyproject.toml:{number}:" in err and expected in err, err


@pytest.mark.parametrize(
    "value",
    ["steps = []", "packages = []", "source_roots = []", 'contracts_file = ""', 'baseline = " "'],
)
def test_empty_top_level_values_are_config_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    key = value.split(" ")[0]
    config = PURE.replace(f"{key} = ", f"old_{key} = ") if key in PURE else PURE
    config = config.replace("[tool.archverify]\n", f"[tool.archverify]\n{value}\n", 1)
    config = "\n".join(line for line in config.splitlines() if not line.startswith("old_"))
    root = project(tmp_path, config + "\n")
    assert f"tool.archverify.{key}: must not be empty" in config_error(capsys, root)


def test_a_missing_tests_folder_fails_the_tests_step(tmp_path: Path) -> None:
    root = project(tmp_path, PURE + '[tool.archverify.tests]\npaths = ["tests_it"]\n')
    code, report = run(root, "--steps", "tests")
    assert code == 1
    assert ("tests/missing-path", "error", "tests_it") in rules(report)


def test_a_table_without_rules_says_so_instead_of_no_configuration(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.archverify]\nsource_roots = ["src"]\n')
    code, report = run(root, "--steps", "compile,purity")
    assert code == 0
    notices = report["notices"]
    assert not any("no [tool.archverify] configuration found" in n for n in notices)
    assert any("pyproject.toml states no rules" in n for n in notices)
    # Without any configuration, the old note stays.
    (root / "pyproject.toml").unlink()
    _, report = run(root)
    assert any("no [tool.archverify] configuration found" in n for n in report["notices"])


def test_an_import_linter_file_hidden_by_own_contracts_is_named(tmp_path: Path) -> None:
    contract = '[[tool.archverify.contracts]]\nname = "i"\ntype = "independence"\n'
    contract += 'modules = ["app.core", "app.cli"]\n'
    root = project(tmp_path, PURE + contract)
    write_tree(
        root,
        {
            ".importlinter": "[importlinter]\nroot_package = app\n[importlinter:contract:x]\n"
            "name = x\ntype = forbidden\nsource_modules = app.core\nforbidden_modules = app.cli\n"
        },
    )
    code, report = run(root, "--steps", "contracts")
    assert code == 0
    assert any(".importlinter are not checked" in n for n in report["notices"])


# ----- item 10: tool timeout_s, SARIF rule help ---------------------------------------------


@pytest.mark.parametrize(
    ("step", "tool"), [("ruff", "ruff"), ("mypy", "mypy"), ("bandit", "bandit"), ("tests", "")]
)
def test_tool_timeout_s_is_accepted_and_used(tmp_path: Path, step: str, tool: str) -> None:
    extra = {"tests/test_a.py": "def test_a():\n    pass\n"}
    root = project(tmp_path, PURE + f"[tool.archverify.{step}]\ntimeout_s = 0.001\n", extra)
    code, report = run(root, "--steps", step)
    assert code == 1
    (outcome,) = report["steps"]
    assert outcome["status"] == "error"
    # The tests step runs pytest under coverage: the timed-out program is named.
    assert f"{tool} timed out after 0.001 s" in outcome["message"], outcome["message"]


def test_sarif_written_by_the_cli_carries_rule_help(tmp_path: Path) -> None:
    extra = {"src/app/core/a/__init__.py": "def load(p):\n    return open(p)\n"}
    root = project(tmp_path, extra={**extra, "src/app/core/a.py": ""})
    sarif = tmp_path / "out.sarif"
    code = main(
        ["run", str(root), "--no-cache", "--steps", "compile,purity", "--format", f"sarif={sarif}"]
    )
    assert code == 1
    rules_by_id = {
        r["id"]: r for r in json.loads(sarif.read_text())["runs"][0]["tool"]["driver"]["rules"]
    }
    assert set(rules_by_id) == {"purity/io-call", "compile/shadowed-module"}
    for rule_id, rule in rules_by_id.items():
        assert rule["help"]["markdown"].startswith(f"# {rule_id}")
        assert "## Fix" in rule["help"]["text"]
        assert not rule["shortDescription"]["text"].startswith("archverify ")


# ----- item 11: discovery robustness and --jobs -------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loops_are_survived(tmp_path: Path) -> None:
    root = project(tmp_path)
    core = root / "src/app/core"
    (core / "a").symlink_to("b")
    (core / "b").symlink_to("a")
    (core / "self.py").symlink_to("self.py")
    (core / "up").symlink_to(root / "src", target_is_directory=True)
    code, report = run(root, "--steps", "compile,purity,cycles")
    assert code == 0
    assert sum("Too many levels of symbolic links" in n for n in report["notices"]) == 3


def test_an_undecodable_file_name_is_shown_escaped(tmp_path: Path) -> None:
    root = project(tmp_path)
    with open(os.fsencode(root / "src/app/core") + b"/caf\xe9.py", "wb") as handle:
        handle.write(b"def f(p):\n    return open(p)\n")
    code, report = run(root, "--steps", "compile,purity")
    assert code == 0
    assert "src/app/core/caf\\xe9.py: skipped, the name is not valid UTF-8" in report["notices"]
    code = main(["run", str(root), "--no-cache", "--steps", "compile"])  # text to stdout
    assert code == 0


@pytest.mark.parametrize("jobs", ["0", "-1", "-300"])
def test_jobs_out_of_range_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    root = project(tmp_path)
    assert "--jobs must be at least 1" in config_error(capsys, root, "--jobs", jobs)


def test_many_jobs_are_capped(tmp_path: Path) -> None:
    cpus = os.cpu_count() or 1
    assert _jobs(300) == min(300, cpus * MAX_JOBS_PER_CPU)
    assert _jobs(1) == 1 and _jobs(None) == cpus
    files = {f"src/app/core/m{i}.py": f"X = {i}\n" for i in range(60)}
    code, report = run(project(tmp_path, extra=files), "--jobs", "300", "--steps", "compile")
    assert code == 0 and report["summary"]["files"] == 64


def test_a_root_folder_with_an_undecodable_name_reports_in_every_format(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path) + b"/caf\xe9"
    os.makedirs(root + b"/app")
    with open(root + b"/app/__init__.py", "wb") as handle:
        handle.write(b"")
    shown = os.fsdecode(root)
    formats = ["text", "json", "sarif", "junit", "markdown", "github", "html"]
    args = [f"--format={name}={tmp_path / f'out.{name}'}" for name in formats]
    assert main(["run", shown, "--no-cache", *args]) == 0
    report = json.loads((tmp_path / "out.json").read_text("utf-8"))
    assert report["root"].endswith("/caf\\xe9")
    assert "caf\\xe9" in (tmp_path / "out.html").read_text("utf-8")


def test_no_parsing_pool_has_more_workers_than_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from archverify.orchestrator import parsing

    sizes: list[int] = []

    class CountingPool(ProcessPoolExecutor):
        def __init__(self, max_workers: int, **kwargs: Any) -> None:
            sizes.append(max_workers)
            super().__init__(max_workers, **kwargs)

    monkeypatch.setattr(parsing, "ProcessPoolExecutor", CountingPool)
    monkeypatch.setattr(os, "cpu_count", lambda: 100)  # so that only the work caps --jobs
    files = {f"src/app/core/m{i}.py": f"X = {i}\n" for i in range(60)}
    code, _ = run(project(tmp_path, extra=files), "--jobs", "300", "--steps", "compile")
    assert code == 0
    assert sizes and max(sizes) <= 64  # files to parse: 60 modules and 4 packages/modules
