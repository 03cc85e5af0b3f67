"""The cache secret never comes from what the repository can ship, nor goes to its code.

Two holes: ``XDG_CACHE_HOME`` pointing into the checkout (``$WORKSPACE/.cache``, a common CI
setup) made a committed ``.cache/archverify/secret`` (mode 0600 and all) the key that tags the
entries, so a repository could ship entries tagged with it; and ``ARCHVERIFY_CACHE_SECRET``
reached every child, so the project's tests (or a module the imports step imports) could read
it and tag forged entries. Each test runs the real CLI.
"""

from __future__ import annotations

from pathlib import Path

from archverify.orchestrator.cache.auth import SECRET_VARIABLE
from tests.helpers.cli import CliRun, assert_no_leftover_processes, run_cli
from tests.helpers.configs import APP, with_tests_step
from tests.helpers.tree import CACHE_FOLDER, tree_digest, write_tree
from tests.security.test_cache_forgery import FILES, IMPURE, STEPS, _forge

KNOWN = "k" * 64  # the secret the repository commits


def _run(root: Path, steps: str = STEPS, **env: str) -> CliRun:
    run = run_cli(["run", str(root), "--steps", steps, "--format", "json"], cwd=root, env=env)
    assert run.returncode in (0, 1), run.stderr
    assert_no_leftover_processes(run)
    return run


def _shipped(root: Path) -> Path:
    secret = root / ".cache" / "archverify" / "secret"
    secret.parent.mkdir(parents=True)
    secret.write_text(KNOWN)
    secret.chmod(0o600)
    return secret


def test_a_secret_file_inside_the_tree_is_not_used(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    _shipped(root)
    # The repository's author builds the cache with the secret it commits, and forges it.
    _run(root, **{SECRET_VARIABLE: KNOWN})
    _forge(root / CACHE_FOLDER, KNOWN)
    # The victim's CI keeps its cache home in the workspace: the committed file is "its" secret.
    victim = {SECRET_VARIABLE: "", "XDG_CACHE_HOME": str(root / ".cache")}
    before = tree_digest(root, skip=())
    run = _run(root, **victim)
    assert run.returncode == 1
    assert [r for r in run.rules() if r[0].startswith("purity/")] == [IMPURE]
    assert run.step("purity")["cached"] is False
    assert tree_digest(root, skip=()) == before, "nothing stored without a usable secret"
    [notice] = [n for n in run.json()["notices"] if "cache secret" in n]
    assert f"is inside {root}" in notice and "XDG_CACHE_HOME" in notice


def test_no_secret_is_created_inside_the_tree(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    run = _run(root, **{SECRET_VARIABLE: "", "XDG_CACHE_HOME": str(root / ".cache")})
    assert [r for r in run.rules() if r[0].startswith("purity/")] == [IMPURE]
    assert not (root / ".cache").exists()
    again = _run(root, **{SECRET_VARIABLE: "", "XDG_CACHE_HOME": str(root / ".cache")})
    assert again.step("purity")["cached"] is False


def test_a_secret_folder_linked_into_the_tree_is_not_used(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    shipped = _shipped(root)
    _run(root, **{SECRET_VARIABLE: KNOWN})
    _forge(root / CACHE_FOLDER, KNOWN)
    home = tmp_path / "home-cache"
    home.mkdir()
    (home / "archverify").symlink_to(shipped.parent)
    run = _run(root, **{SECRET_VARIABLE: "", "XDG_CACHE_HOME": str(home)})
    assert run.step("purity")["cached"] is False
    assert [r for r in run.rules() if r[0].startswith("purity/")] == [IMPURE]


def test_a_secret_file_outside_the_tree_still_replays(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    env = {SECRET_VARIABLE: "", "XDG_CACHE_HOME": str(tmp_path / "home-cache")}
    _run(root, **env)
    assert _run(root, **env).step("purity")["cached"] is True


PROBE = "import os\n\nassert 'ARCHVERIFY_CACHE_SECRET' not in os.environ, 'the secret leaked'\n"
CONFIG = APP + with_tests_step(coverage_min=0)


def test_the_secret_variable_is_not_given_to_the_projects_code(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "repo",
        {
            "pyproject.toml": CONFIG,
            "src/app/__init__.py": "",
            # Imported by the imports step: fails at import when the secret is in its environment.
            "src/app/probe.py": PROBE,
            "tests/test_probe.py": (
                "import os\n\n\ndef test_no_secret() -> None:\n"
                "    assert 'ARCHVERIFY_CACHE_SECRET' not in os.environ\n"
                "    assert os.environ.get('ARCHVERIFY_RUN')  # it is a child of the run\n"
            ),
        },
    )
    run = _run(root, "imports,tests", **{SECRET_VARIABLE: "a secret only archverify may see"})
    assert run.returncode == 0, run.rules()
    steps = {s["id"]: s for s in run.json()["steps"]}
    assert steps["tests"]["status"] == "passed" and steps["tests"]["stats"]["tests"] == 1
    assert steps["imports"]["status"] == "passed"
