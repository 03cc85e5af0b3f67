"""A repository shipping a forged ``.archverify_cache`` gets the honest verdict (issue 9.3).

The attack: every cache key is computed from public inputs, so a repository can ship entries
under the right keys saying "passed". Entries are now tagged with a secret the repository cannot
know; a forged, edited or foreign entry is a miss. Each test runs the real CLI.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from archverify.orchestrator.cache.auth import SECRET_VARIABLE, CacheAuth, load_auth
from archverify.orchestrator.cache.facts import FactsCache, cache_stamp
from archverify.orchestrator.cache.kv import DirectoryCache
from tests.helpers.cli import CliRun, assert_no_leftover_processes, run_cli
from tests.helpers.configs import APP, PURITY_CORE
from tests.helpers.tree import CACHE_FOLDER, tree_digest, write_tree

CONFIG = APP + PURITY_CORE

FILES = {
    "pyproject.toml": CONFIG,
    "src/app/__init__.py": "",
    "src/app/core/__init__.py": "",
    "src/app/core/calc.py": "def load(name):\n    return open(name).read()\n",
}
STEPS = "compile,purity"
VICTIM = "the victim's own secret, never in the repository"
ATTACKER = "a secret the attacker used to build the cache"
IMPURE = ("purity/io-call", "src/app/core/calc.py", 2)


def _run(root: Path, secret: str, steps: str = STEPS, **env: str) -> CliRun:
    run = run_cli(
        ["run", str(root), "--steps", steps, "--format", "json"],
        cwd=root,
        env={SECRET_VARIABLE: secret, **env},
    )
    assert run.returncode in (0, 1), run.stderr
    assert_no_leftover_processes(run)
    return run


def _purity_rules(run: CliRun) -> list[tuple[str, str, int | None]]:
    return [r for r in run.rules() if r[0].startswith("purity/")]


def _forge(cache: Path, secret: str) -> None:
    """What a hostile repository ships: the run's own entries, turned into a pass and tagged
    with the secret it knows. The purity step "passed" and the facts of calc.py lose the call."""
    auth = CacheAuth(secret.encode())
    stamp = cache_stamp()
    kv = DirectoryCache(cache, stamp, auth)
    for entry in (cache / "kv" / "steps").rglob("*.json"):
        key = json.loads(entry.read_bytes().partition(b"\n")[2])["key"]
        if key.startswith("purity-"):
            kv.put("steps", key, {"status": "passed", "message": "", "stats": {}, "findings": []})
    pack = FactsCache(cache, stamp, auth)
    pack.load()
    entries = {key: pack.get(key) for key in pack._entries}
    forged = {
        key: dataclasses.replace(facts, calls=()) if facts.path.endswith("calc.py") else facts
        for key, facts in entries.items()
        if facts is not None
    }
    FactsCache(cache, stamp, auth).save(forged)


def test_a_cache_forged_under_another_secret_is_not_trusted(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    honest = _run(root, ATTACKER)
    assert _purity_rules(honest) == [IMPURE]
    _forge(root / CACHE_FOLDER, ATTACKER)
    # The forgery works for whoever knows its secret: this is what the secret defends.
    fooled = _run(root, ATTACKER)
    assert _purity_rules(fooled) == [] and fooled.step("purity")["cached"] is True

    before = tree_digest(root)
    victim = _run(root, VICTIM)
    assert victim.returncode == 1
    assert _purity_rules(victim) == [IMPURE]
    assert victim.step("purity")["status"] == "failed"
    assert victim.step("purity")["cached"] is False
    assert tree_digest(root) == before
    # The victim's run replaced the forged entries with its own: its next run replays them.
    again = _run(root, VICTIM)
    assert _purity_rules(again) == [IMPURE] and again.step("purity")["cached"] is True


def test_an_entry_edited_after_it_was_written_is_a_miss(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    _run(root, VICTIM)
    # Keep the victim's tag, change the body: the edit an attacker without the secret can make.
    for entry in (root / CACHE_FOLDER / "kv" / "steps").rglob("*.json"):
        tag, _, body = entry.read_bytes().partition(b"\n")
        value = json.loads(body)
        if value["key"].startswith("purity-"):
            value["value"].update(status="passed", findings=[])
            entry.write_bytes(tag + b"\n" + json.dumps(value).encode())
    run = _run(root, VICTIM)
    assert _purity_rules(run) == [IMPURE]
    assert run.step("purity")["cached"] is False


def test_a_forged_mypy_cache_is_emptied_before_mypy_reads_it(tmp_path: Path) -> None:
    files = {**FILES, "src/app/core/typed.py": 'x: int = "not an int"\n'}
    root = write_tree(tmp_path / "repo", files)
    first = _run(root, VICTIM, steps="mypy")
    assert ("mypy/assignment", "src/app/core/typed.py", 1) in first.rules()
    mypy_cache = root / CACHE_FOLDER / "mypy"
    planted = mypy_cache / "planted-by-the-repository.json"
    planted.write_text("{}")
    (root / "src/app/core/typed.py").write_text('x: int = "still not an int"\n')
    second = _run(root, VICTIM, steps="mypy")
    assert ("mypy/assignment", "src/app/core/typed.py", 1) in second.rules()
    assert not planted.exists()
    assert any(mypy_cache.rglob("*")), "mypy's cache is kept between runs"


def test_the_secret_file_is_made_once_0600_and_used_by_later_runs(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    home = tmp_path / "home-cache"
    env = {"XDG_CACHE_HOME": str(home)}
    first = _run(root, "", **env)
    secret = home / "archverify" / "secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_bytes()) == 64
    second = _run(root, "", **env)
    assert second.step("purity")["cached"] is True
    assert _purity_rules(first) == _purity_rules(second) == [IMPURE]
    # Another user's secret (another cache home) trusts nothing of this one's.
    other = _run(root, "", XDG_CACHE_HOME=str(tmp_path / "other-home"))
    assert other.step("purity")["cached"] is False


def test_a_secret_file_open_to_others_or_a_symlink_is_refused(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    home = tmp_path / "home-cache"
    secret = home / "archverify" / "secret"
    secret.parent.mkdir(parents=True)
    secret.write_text("k" * 64)
    secret.chmod(0o644)
    env = {"XDG_CACHE_HOME": str(home)}
    _run(root, "", **env)
    run = _run(root, "", **env)
    assert run.step("purity")["cached"] is False
    assert _purity_rules(run) == [IMPURE]
    assert not list((root / CACHE_FOLDER).rglob("*.json")), "nothing written that is not trusted"
    text = run_cli(["run", str(root), "--steps", STEPS], cwd=root, env={SECRET_VARIABLE: "", **env})
    assert "open to other users (mode 0o644)" in text.stdout, text.stdout

    secret.unlink()
    known = tmp_path / "known"
    known.write_text("k" * 64)
    known.chmod(0o600)
    secret.symlink_to(known)
    problem = load_auth({"XDG_CACHE_HOME": str(home)}).problem
    assert "symlink" in problem


def test_runs_creating_the_secret_at_once_agree_on_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != SECRET_VARIABLE}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    script = (
        "from archverify.orchestrator.cache.auth import load_auth\n"
        "auth = load_auth()\nprint(auth.key.decode() if auth.key else auth.problem)\n"
    )
    children = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    keys = {child.communicate(timeout=60)[0].strip() for child in children}
    assert keys == {(tmp_path / "archverify" / "secret").read_text()}
    assert [p.name for p in (tmp_path / "archverify").iterdir()] == ["secret"]
