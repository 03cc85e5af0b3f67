"""The tree snapshot: what running the project's code created, deleted or changed."""

from __future__ import annotations

import os
from pathlib import Path

from archverify.executors.runtime.tree_state import changes, snapshot


def _tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("x = 1\n")
    (root / "data.txt").write_text("keep\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref\n")
    (root / ".archverify_cache").mkdir()
    return root


def test_an_untouched_tree_has_no_changes(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    skip = [root / ".archverify_cache"]
    assert not changes(snapshot(root, skip), snapshot(root, skip))


def test_created_deleted_and_modified_files_are_named(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    skip = [root / ".archverify_cache"]
    before = snapshot(root, skip)
    (root / "data.txt").unlink()
    (root / "pkg" / "new.log").write_text("x")
    (root / "pkg" / "a.py").write_text("x = 22\n")
    os.chmod(root / "pkg", 0o700)
    found = changes(before, snapshot(root, skip))
    assert found.deleted == ("data.txt",)
    assert found.created == ("pkg/new.log",)
    assert found.modified == ("pkg", "pkg/a.py")
    assert (
        found.describe() == "deleted data.txt, created pkg/new.log, changed pkg, changed pkg/a.py"
    )
    assert found.describe(limit=1) == "deleted data.txt and 3 more"


def test_the_cache_folder_and_version_control_are_left_out(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    skip = [root / ".archverify_cache"]
    before = snapshot(root, skip)
    (root / ".archverify_cache" / "kv").write_text("x")
    (root / ".git" / "HEAD").write_text("other\n")
    assert not changes(before, snapshot(root, skip))
    assert ".git" not in before and ".archverify_cache" not in before


def test_a_replaced_symlink_target_is_a_change(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "link").symlink_to("data.txt")
    before = snapshot(root)
    (root / "link").unlink()
    (root / "link").symlink_to("pkg")
    assert changes(before, snapshot(root)).modified == ("link",)


def test_a_created_folder_stands_for_what_is_below_it(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = snapshot(root)
    (root / "out" / "deep").mkdir(parents=True)
    (root / "out" / "deep" / "x.log").write_text("x")
    (root / "outer.txt").write_text("x")
    found = changes(before, snapshot(root))
    assert found.created == ("out", "out/deep", "out/deep/x.log", "outer.txt")
    assert found.describe() == "created out, created outer.txt"
