"""``archverify run --untrusted`` executes none of the project's code (issue 9, item 8)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers.cli import assert_no_leftover_processes, run_cli
from tests.helpers.configs import APP
from tests.helpers.tree import tree_digest, write_tree

BASE = APP


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


def _fake_python(log: Path) -> str:
    """A "python" that, if mypy ever runs it, writes to ``log`` and then is the real one."""
    return f'#!/bin/sh\necho python-executable >> {str(log)!r}\nexec {sys.executable!r} "$@"\n'


@pytest.mark.parametrize(
    "args",
    [
        '["--python-executable", "./fakepy"]',
        '["--python-exec", "./fakepy"]',
        '["--python-executable=./fakepy"]',
    ],
)
def test_mypy_is_left_out_when_its_args_name_a_python_executable(tmp_path: Path, args: str) -> None:
    log = tmp_path / "outside" / "ran.log"
    config = f"{BASE}\n[tool.archverify.mypy]\nargs = {args}\n"
    repo, log = _project(tmp_path, config, {"fakepy": _fake_python(log)})
    (repo / "fakepy").chmod(0o755)
    (repo / ".git").mkdir()
    before = tree_digest(repo)
    run = run_cli(
        ["run", str(repo), "--steps", "mypy", "--untrusted", "--no-cache", "--format", "json"],
        cwd=tmp_path,
    )
    assert_no_leftover_processes(run)
    assert not log.exists(), log.read_text()
    step = run.json()["steps"][0]
    assert step["status"] == "skipped", step
    assert "--python-exec" in step["message"] and "a program mypy runs" in step["message"]
    assert tree_digest(repo) == before


SECRET = "ghs_FAKE0123456789secret"


def test_an_unparsable_config_file_is_never_quoted_into_the_report(tmp_path: Path) -> None:
    """``--config-file /proc/self/environ``: configparser's message would hold the environment."""
    config = f'{BASE}\n[tool.archverify.mypy]\nargs = ["--config-file", "/proc/self/environ"]\n'
    repo, _ = _project(tmp_path, config)
    outside = tmp_path / "outside"
    formats = ["json", "sarif", "junit", "markdown", "github", "html", "text"]
    run = run_cli(
        [
            "run",
            str(repo),
            "--steps",
            "compile,mypy",
            "--untrusted",
            "--no-cache",
            *(f"--format={name}={outside / ('report.' + name)}" for name in formats),
        ],
        cwd=tmp_path,
        env={"GITHUB_TOKEN": SECRET, "ARCHVERIFY_CACHE_SECRET": SECRET},
    )
    assert_no_leftover_processes(run)
    reports = {name: (outside / f"report.{name}").read_text("utf-8") for name in formats}
    assert "cannot be parsed as INI" in reports["json"], reports["json"]
    assert "/proc/self/environ" in reports["json"]
    for name, text in [*reports.items(), ("stdout", run.stdout), ("stderr", run.stderr)]:
        assert SECRET not in text, name
        assert "ghs_FAKE" not in text, name


def test_mypy_adds_no_folder_to_its_sys_path_under_untrusted(tmp_path: Path) -> None:
    """mypy imports ``orjson`` if it can: a ``src/orjson.py`` on PYTHONPATH would run."""
    log = tmp_path / "outside" / "ran.log"
    shadow = _tattler(log, "orjson.py of the project") + "raise ImportError('pretend')\n"
    repo, log = _project(tmp_path, BASE, {"src/orjson.py": shadow})
    (repo / ".git").mkdir()
    run = run_cli(
        ["run", str(repo), "--steps", "mypy", "--untrusted", "--no-cache", "--format", "json"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(repo / "src")},
    )
    assert_no_leftover_processes(run)
    assert not log.exists(), log.read_text()
    assert ("mypy/assignment", "src/app/typed.py", 1) in run.rules(), run.stdout + run.stderr


def test_a_source_root_on_pythonpath_cannot_shadow_mypys_imports_in_a_normal_run(
    tmp_path: Path,
) -> None:
    """The source root is on MYPYPATH, searched first: leaving it off sys.path changes nothing."""
    log = tmp_path / "outside" / "ran.log"
    shadow = _tattler(log, "orjson.py of the project") + "raise ImportError('pretend')\n"
    uses = "from app.typed import COUNT\n\nTOTAL: str = COUNT\n"
    repo, log = _project(tmp_path, BASE, {"src/orjson.py": shadow, "src/app/uses.py": uses})
    (repo / ".git").mkdir()
    run = run_cli(
        ["run", str(repo), "--steps", "mypy", "--no-cache", "--format", "json"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(repo / "src")},
    )
    assert_no_leftover_processes(run)
    assert not log.exists(), log.read_text()
    rules = run.rules()
    assert ("mypy/assignment", "src/app/typed.py", 1) in rules, run.stdout + run.stderr
    assert ("mypy/assignment", "src/app/uses.py", 3) in rules
    assert not [rule for rule in rules if rule[0].startswith("mypy/import")]


def test_a_contracts_file_outside_the_project_is_never_quoted(tmp_path: Path) -> None:
    """configparser names the line it cannot parse: the report gives its number, not its text."""
    secrets = tmp_path / "outside" / "secrets.ini"
    config = f"{BASE}contracts_file = {str(secrets)!r}\n"
    repo, _ = _project(tmp_path, config)
    secrets.write_text(f"[importlinter]\nGITHUB_TOKEN {SECRET}\n", encoding="utf-8")
    run = run_cli(["run", str(repo), "--steps", "compile", "--untrusted"], cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "secrets.ini:2" in run.stderr and "cannot parse this line" in run.stderr
    assert SECRET not in run.stdout + run.stderr
