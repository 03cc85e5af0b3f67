"""``archverify run --untrusted`` executes none of the project's code (issue 9, item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.harness import assert_no_leftover_processes, run_cli, tree_digest, write_tree

BASE = '[tool.archverify]\nsource_roots = ["src"]\npackages = ["app"]\n'


def _tattler(log: Path, name: str) -> str:
    """Code that, if it ever runs, writes ``name`` to ``log`` outside the tree."""
    return f"with open({str(log)!r}, 'a') as out:\n    out.write({name!r} + '\\n')\n"


def _project(base: Path, config: str, extra: dict[str, str] | None = None) -> tuple[Path, Path]:
    outside = base / "outside"
    outside.mkdir()
    log = outside / "ran.log"
    files = {
        "pyproject.toml": config,
        "src/app/__init__.py": "",
        "src/app/boom.py": _tattler(log, "import of app.boom") + "raise RuntimeError('boom')\n",
        "src/app/typed.py": 'COUNT: int = "three"\n',
        "tests/conftest.py": _tattler(log, "conftest.py"),
        "tests/test_app.py": "def test_fails() -> None:\n    assert False\n",
        **(extra or {}),
    }
    return write_tree(base / "repo", files), log


def _run(
    repo: Path, steps: str, cwd: Path | None = None
) -> tuple[object, dict[str, dict[str, object]]]:
    run = run_cli(
        ["run", str(repo), "--steps", steps, "--format", "json", "--untrusted"],
        cwd=cwd or repo.parent,
        env={"PYTHONDONTWRITEBYTECODE": ""},
    )
    assert_no_leftover_processes(run)
    steps_by_id = {s["id"]: s for s in run.json()["steps"]}
    return run, steps_by_id


def test_imports_and_tests_are_left_out_and_said_so(tmp_path: Path) -> None:
    repo, log = _project(tmp_path, BASE)
    before = tree_digest(repo)
    run, steps = _run(repo, "compile,imports,tests")
    assert not log.exists(), log.read_text()
    assert steps["compile"]["status"] == "passed"
    for step, why in (("imports", "imports the project's modules"), ("tests", "tests")):
        assert steps[step]["status"] == "skipped"
        message = str(steps[step]["message"])
        assert message.startswith("left out by --untrusted: ") and why in message
    assert run.returncode == 0  # type: ignore[attr-defined]
    assert tree_digest(repo) == before


def test_the_text_report_names_the_left_out_steps(tmp_path: Path) -> None:
    repo, log = _project(tmp_path, BASE)
    run = run_cli(
        ["run", str(repo), "--steps", "compile,imports,tests", "--untrusted"], cwd=tmp_path
    )
    assert "--untrusted left out imports, tests" in run.stdout
    assert "left out by --untrusted" in run.stdout
    assert not log.exists()


def test_without_the_flag_the_same_project_runs_its_code(tmp_path: Path) -> None:
    repo, log = _project(tmp_path, BASE)
    run = run_cli(["run", str(repo), "--steps", "imports,tests", "--format", "json"], cwd=tmp_path)
    assert run.returncode == 1
    assert "conftest.py" in log.read_text()


PLUGIN_CONFIGS = {
    "pyproject": ("pyproject.toml", BASE + '\n[tool.mypy]\nplugins = ["evil_plugin"]\n'),
    "mypy.ini": ("mypy.ini", "[mypy]\nplugins = evil_plugin\n"),
    "setup.cfg": ("setup.cfg", "[metadata]\nname = app\n\n[mypy]\nplugins = evil_plugin\n"),
    "python_executable": ("mypy.ini", "[mypy]\npython_executable = ./evil.sh\n"),
    "report": ("mypy.ini", "[mypy]\nhtml_report = ../outside/html\n"),
}


@pytest.mark.parametrize("case", sorted(PLUGIN_CONFIGS))
def test_mypy_is_left_out_when_the_project_names_plugins(tmp_path: Path, case: str) -> None:
    name, text = PLUGIN_CONFIGS[case]
    log = tmp_path / "outside" / "ran.log"
    plugin = _tattler(log, "mypy plugin") + "def plugin(version):\n    raise SystemExit(0)\n"
    extra = {name: text} if name != "pyproject.toml" else {}
    config = text if name == "pyproject.toml" else BASE
    extra |= {"evil_plugin.py": plugin, "evil.sh": "#!/bin/sh\necho ran >> " + str(log) + "\n"}
    repo, log = _project(tmp_path, config, extra)
    (repo / "evil.sh").chmod(0o755)
    before = tree_digest(repo)
    run, steps = _run(repo, "compile,mypy")
    assert steps["mypy"]["status"] == "skipped"
    message = str(steps["mypy"]["message"])
    assert f"left out by --untrusted: its configuration {name} names " in message
    assert not log.exists()
    assert not (tmp_path / "outside" / "html").exists()
    assert tree_digest(repo) == before


def test_mypy_without_plugins_still_runs_under_untrusted(tmp_path: Path) -> None:
    repo, _ = _project(tmp_path, BASE, {"mypy.ini": "[mypy]\nwarn_unused_configs = True\n"})
    run, steps = _run(repo, "compile,mypy")
    assert steps["mypy"]["status"] == "failed"
    assert ("mypy/assignment", "src/app/typed.py", 1) in run.rules()  # type: ignore[attr-defined]


def test_an_unreadable_mypy_config_leaves_mypy_out(tmp_path: Path) -> None:
    repo, _ = _project(tmp_path, BASE, {"mypy.ini": "[mypy\nplugins = evil_plugin\n"})
    _, steps = _run(repo, "mypy")
    assert steps["mypy"]["status"] == "skipped"
    assert "cannot be read" in str(steps["mypy"]["message"])


def test_run_help_documents_the_flag(tmp_path: Path) -> None:
    run = run_cli(["run", "--help"], cwd=tmp_path)
    assert "--untrusted" in run.stdout and "pull request" in run.stdout


def test_a_mypy_config_above_the_root_in_the_same_repository_is_judged(tmp_path: Path) -> None:
    """mypy looks up to the repository's top: so does --untrusted."""
    repo, log = _project(tmp_path, BASE)
    service = repo / "service"
    service.mkdir()
    (repo / "pyproject.toml").rename(service / "pyproject.toml")
    (repo / "src").rename(service / "src")
    (repo / ".git").mkdir()
    (repo / "mypy.ini").write_text("[mypy]\nplugins = evil_plugin\n", encoding="utf-8")
    _, steps = _run(service, "mypy", cwd=tmp_path)
    assert steps["mypy"]["status"] == "skipped"
    assert "mypy.ini names plugins" in str(steps["mypy"]["message"])


def test_mypy_without_any_configuration_runs_under_untrusted(tmp_path: Path) -> None:
    repo, _ = _project(tmp_path, BASE)
    (repo / ".git").mkdir()  # mypy's search for a config file stops here
    run, steps = _run(repo, "mypy")
    assert steps["mypy"]["status"] == "failed", steps["mypy"]
    assert ("mypy/assignment", "src/app/typed.py", 1) in run.rules()  # type: ignore[attr-defined]
