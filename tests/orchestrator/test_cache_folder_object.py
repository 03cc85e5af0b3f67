"""The cache folder: created and tagged, never a link, never somebody else's folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archverify.orchestrator.cache.folder import CACHE_FOLDER, OWNER_TAG, open_cache_folder
from archverify.orchestrator.report_outputs import UsageError


def test_a_new_folder_is_created_tagged_and_ignored(tmp_path: Path) -> None:
    choice = open_cache_folder(tmp_path, None)
    assert choice.folder is not None and choice.notice is None
    folder = tmp_path / CACHE_FOLDER
    assert choice.folder.path == folder
    assert sorted(p.name for p in folder.iterdir()) == [
        ".gitignore",
        "ARCHVERIFY.TAG",
        "CACHEDIR.TAG",
    ]
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    # The same folder keeps its id on the next run.
    again = open_cache_folder(tmp_path, None)
    assert again.folder is not None and again.folder.owner_id == choice.folder.owner_id
    assert len(choice.folder.owner_id) == 32


def test_a_folder_of_an_earlier_version_is_adopted(tmp_path: Path) -> None:
    folder = tmp_path / CACHE_FOLDER
    (folder / "kv").mkdir(parents=True)
    (folder / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    (folder / "facts.pack").write_bytes(b"x")
    choice = open_cache_folder(tmp_path, None)
    assert choice.folder is not None
    assert (folder / OWNER_TAG).is_file()


@pytest.mark.parametrize(
    "plant",
    [".gitignore", "CACHEDIR.TAG", "kv", "facts.pack", "facts.json", "kv/steps/ab/x.json", "mypy"],
)
def test_a_folder_holding_a_link_is_not_used(tmp_path: Path, plant: str) -> None:
    root = tmp_path / "repo"
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = root / CACHE_FOLDER
    link = folder / plant
    link.parent.mkdir(parents=True)
    (folder / "CACHEDIR.TAG").parent.mkdir(exist_ok=True)
    link.symlink_to(outside)
    choice = open_cache_folder(root, None)
    assert choice.folder is None
    assert choice.notice is not None and "symbolic link" in choice.notice and plant in choice.notice
    assert list(outside.iterdir()) == []


def test_a_folder_that_is_a_link_is_not_used(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / CACHE_FOLDER).symlink_to(outside)
    choice = open_cache_folder(root, None)
    assert choice.folder is None and choice.notice is not None
    assert "is a symbolic link" in choice.notice
    assert list(outside.iterdir()) == []


def test_a_default_folder_of_somebody_else_is_not_used(tmp_path: Path) -> None:
    (tmp_path / CACHE_FOLDER).mkdir()
    (tmp_path / CACHE_FOLDER / "notes.txt").write_text("mine")
    choice = open_cache_folder(tmp_path, None)
    assert choice.folder is None and choice.notice is not None and "notes.txt" in choice.notice
    assert [p.name for p in (tmp_path / CACHE_FOLDER).iterdir()] == ["notes.txt"]


def test_cache_dir_at_a_user_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("")
    with pytest.raises(UsageError, match="app.py"):
        open_cache_folder(tmp_path, str(tmp_path / "src"))
    assert [p.name for p in (tmp_path / "src").iterdir()] == ["app.py"]


@pytest.mark.parametrize("given", [".", ".."])
def test_cache_dir_at_the_root_or_above_is_refused(tmp_path: Path, given: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    old = Path.cwd()
    os.chdir(root)
    try:
        with pytest.raises(UsageError, match="cannot be the cache"):
            open_cache_folder(root, given)
    finally:
        os.chdir(old)
    assert list(root.iterdir()) == []


def test_cache_dir_empty_or_absent_is_used(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert open_cache_folder(tmp_path, str(tmp_path / "empty")).folder is not None
    made = open_cache_folder(tmp_path, str(tmp_path / "new" / "cache"))
    assert made.folder is not None and (tmp_path / "new" / "cache" / OWNER_TAG).is_file()


def test_cache_dir_at_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError, match="not a folder"):
        open_cache_folder(tmp_path, str(tmp_path / "f"))


def _forge_tag(folder: Path) -> None:
    (folder / OWNER_TAG).write_text(
        "archverify cache folder: created by archverify, safe to delete\nid: " + "0" * 32 + "\n"
    )


def test_a_tag_committed_into_a_user_folder_does_not_make_it_a_cache(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "app").mkdir(parents=True)
    (src / "app" / "core.py").write_text("")
    _forge_tag(src)
    with pytest.raises(UsageError, match="core.py"):
        open_cache_folder(tmp_path, str(src))
    assert sorted(p.name for p in src.iterdir()) == [OWNER_TAG, "app"]


def test_a_tagged_folder_gets_no_markers_added(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    _forge_tag(folder)
    (folder / "kv").mkdir()
    choice = open_cache_folder(tmp_path, str(folder))
    assert choice.folder is not None and choice.folder.owner_id == "0" * 32
    assert sorted(p.name for p in folder.iterdir()) == [OWNER_TAG, "kv"]


@pytest.mark.parametrize("explicit", [False, True])
def test_concurrent_runs_agree_on_one_new_folder(tmp_path: Path, explicit: bool) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for attempt in range(20):
        root = tmp_path / f"repo{attempt}"
        root.mkdir()
        given = str(root / "cache") if explicit else None
        with ThreadPoolExecutor(4) as pool:
            choices = list(pool.map(open_cache_folder, [root] * 4, [given] * 4))
        ids = {choice.folder.owner_id if choice.folder else None for choice in choices}
        assert len(ids) == 1 and None not in ids, [c.notice for c in choices]
