"""The root's path as a mark: keys and entries that serve any checkout folder."""

from __future__ import annotations

from pathlib import Path

from archverify.core.config import Config
from archverify.core.project import Project
from archverify.core.rerooting import ROOT_MARK, rerooted, unrooted, unrooted_text
from archverify.executors.base import StepContext
from archverify.executors.tools.cache import config_digest, named_files_digest


def test_only_whole_paths_of_the_root_are_marked() -> None:
    roots = ["/work/app"]
    assert unrooted_text("/work/app/x.py:3: error", roots) == f"{ROOT_MARK}/x.py:3: error"
    assert unrooted_text("in '/work/app'", roots) == f"in '{ROOT_MARK}'"
    assert unrooted_text("file:///work/app/x.py", roots) == f"file://{ROOT_MARK}/x.py"
    for other in ("/work/apple/x.py", "/old/work/app/x.py", "/work/app.bak"):
        assert unrooted_text(other, roots) == other


def test_rerooted_gives_back_the_value_in_the_new_root() -> None:
    value = {"/a/p/k": ["/a/p/x.py", "nul \x00R here \x00", 3, None], "n": 1.5}
    stored = unrooted(value, ["/a/p"])
    assert "/a/p" not in repr(stored)
    assert rerooted(stored, "/b/q") == {
        "/b/q/k": ["/b/q/x.py", "nul \x00R here \x00", 3, None],
        "n": 1.5,
    }


def _context(root: Path) -> StepContext:
    config = Config(root=str(root), packages=("app",), config_file=str(root / "pyproject.toml"))
    project = Project(root=str(root), packages=("app",), files=(), facts={})
    return StepContext(root=root, config=config, project=project)


def test_key_builders_give_one_key_for_two_folders(tmp_path: Path) -> None:
    """An entry whose key would differ only by the absolute folder is the same entry."""
    first, second = tmp_path / "a" / "repo", tmp_path / "b" / "repo"
    for root in (first, second):
        (root / "sub").mkdir(parents=True)
        (root / "pyproject.toml").write_text("[tool.ruff]\nline-length = 90\n")
        (root / "sub" / "ruff.toml").write_text("line-length = 80\n")
        (root / "extra.ini").write_text("[x]\n")

    def keys(root: Path) -> tuple[str, ...]:
        context = _context(root)
        return (
            config_digest(root, ("pyproject.toml", "ruff.toml"), below=["sub/m.py"]),
            named_files_digest(root, ["--config=extra.ini", str(root / "extra.ini")]),
            context.config_text(),
            context.import_graph_key(),
        )

    assert keys(first) == keys(second)
    assert str(first) not in keys(first)[2]
    # Content still counts: a different config file is a different key.
    (second / "sub" / "ruff.toml").write_text("line-length = 70\n")
    assert keys(first)[0] != keys(second)[0]


def test_the_kv_cache_stores_the_root_as_a_mark_and_replays_it_in_the_new_root(
    tmp_path: Path,
) -> None:
    from archverify.orchestrator.cache.auth import CacheAuth
    from archverify.orchestrator.cache.kv import DirectoryCache

    auth = CacheAuth(b"a-test-secret")
    first, second = tmp_path / "a", tmp_path / "b"
    cache = DirectoryCache(tmp_path / "cache", "stamp", auth, first)
    value = {"message": f"{first}/x.py:1: boom", "nul": "a\x00b", "n": [1, None]}
    cache.put("steps", f"key-{first}", value)
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").rglob("*.json"))
    assert str(first).encode() not in stored
    moved = DirectoryCache(tmp_path / "cache", "stamp", auth, second)
    assert moved.get("steps", f"key-{second}") == {
        "message": f"{second}/x.py:1: boom",
        "nul": "a\x00b",
        "n": [1, None],
    }
    # Nothing to re-root: stored and read back as it is.
    cache.put("steps", "plain", {"a": "b"})
    assert moved.get("steps", "plain") == {"a": "b"}
    # Another secret: a miss.
    assert (
        DirectoryCache(tmp_path / "cache", "stamp", CacheAuth(b"other"), second).get(
            "steps", f"key-{second}"
        )
        is None
    )


def test_a_path_outside_the_root_that_differs_is_a_different_key(tmp_path: Path) -> None:
    """Outside the tree nothing is re-rooted: a config file above one checkout only, or the
    same bytes above both at other places, or a file named by absolute path, tell them apart."""
    first, second = tmp_path / "a" / "repo", tmp_path / "b" / "repo"
    for root in (first, second):
        root.mkdir(parents=True)
    names = ("pyproject.toml",)
    assert config_digest(first, names) == config_digest(second, names)
    (first.parent / "pyproject.toml").write_text("[tool.ruff]\nline-length = 60\n")
    assert config_digest(first, names) != config_digest(second, names)
    (second.parent / "pyproject.toml").write_text("[tool.ruff]\nline-length = 60\n")
    assert config_digest(first, names) != config_digest(second, names)
    outside = tmp_path / "outside.ini"
    outside.write_text("[x]\n")
    assert named_files_digest(first, [str(outside)]) == named_files_digest(second, [str(outside)])
    assert named_files_digest(first, [str(outside)]) != named_files_digest(first, [])
