"""write_atomic: modes kept or given by the umask, links replaced and never written through."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from archverify.orchestrator.atomic_write import resolved_inside, write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, "new")
    assert target.read_text() == "new" and _mode(target) == 0o640


def test_a_new_file_gets_the_umask_mode_or_the_one_asked_for(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a", "x")
        write_atomic(tmp_path / "b", "x", new_mode=0o600)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a") == 0o640
    assert _mode(tmp_path / "b") == 0o600


def test_a_link_is_replaced_and_its_target_kept(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = tmp_path / "r.json"
    link.symlink_to(victim)
    write_atomic(link, "report")
    assert victim.read_text() == "keep"
    assert not link.is_symlink() and link.read_text() == "report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "victim"]


def test_resolved_inside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "out").symlink_to(tmp_path)
    assert resolved_inside(root, root / "a" / "b.json") == root.resolve() / "a" / "b.json"
    assert resolved_inside(root, root / "out" / "b.json") is None
    assert resolved_inside(root, root / ".." / "b.json") is None
