"""A file an import read, edited in place with its size kept and its mtime put back, is seen.

The attack (or plain accident: ``cp -p``, ``rsync -t``, ``tar x`` of another variant of a
config file): the import of ``app.mode`` reads ``mode.txt`` beside it, or a file outside the
tree, and fails unless it says ``good``. The file is rewritten as ``evil`` (same size) and its
modification time restored. The replay key and record held size, mtime (and inode), so the
stored "passed" was replayed; they now hold the change time too, which no program can set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.helpers.cli import run_step
from tests.helpers.configs import APP
from tests.helpers.tree import write_tree

MODULE = (
    "from pathlib import Path\n\n"
    "if Path({where}).read_text() != 'good':\n"
    "    raise RuntimeError('not good')\n"
)


def _imports(root: Path) -> dict[str, Any]:
    return run_step(root, "imports", "restored-mtime")


def _rewrite_keeping_stat(path: Path, text: str) -> None:
    before = path.stat()
    with path.open("r+") as handle:  # in place: the same inode
        handle.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )


def _check(root: Path, data: Path) -> None:
    data.write_text("good")
    first = _imports(root)
    assert first["status"] == "passed", first
    assert _imports(root)["stats"]["replayed"] == 2  # unchanged: replayed
    _rewrite_keeping_stat(data, "evil")
    step = _imports(root)
    assert step["status"] == "failed", step
    assert step["cached"] is False
    assert step["stats"]["failed"] == 1


def test_a_data_file_beside_the_module(tmp_path: Path) -> None:
    where = "Path(__file__).parent / 'mode.txt'"
    files = {
        "pyproject.toml": APP,
        "src/app/__init__.py": "",
        "src/app/mode.py": MODULE.format(where=where),
    }
    root = write_tree(tmp_path / "repo", files)
    _check(root, root / "src" / "app" / "mode.txt")


def test_a_file_outside_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "mode.txt"
    outside.parent.mkdir()
    files = {
        "pyproject.toml": APP,
        "src/app/__init__.py": "",
        "src/app/mode.py": MODULE.format(where=repr(str(outside))),
    }
    root = write_tree(tmp_path / "repo", files)
    _check(root, outside)
