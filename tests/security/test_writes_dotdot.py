"""A report path that climbs out of a committed link goes where the kernel takes it (issue 9.2).

``reports/../config`` with a committed ``reports -> .git/hooks`` is ``.git/config`` to the
kernel (the link is followed before ``..`` applies), though it reads as ``ROOT/config``: the
destination is checked as the kernel walks it, and written through that same path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.tree import tree_digest, write_tree

FILES = {
    "pyproject.toml": '[tool.archverify]\npackages = ["app"]\n',
    "app/__init__.py": "",
    ".git/config": "[core]\n",
    ".git/hooks/pre-commit": "#!/bin/sh\n",
}


@pytest.mark.parametrize(
    ("link", "target", "destination"),
    [
        ("reports", ".git/hooks", "reports/../config"),
        ("reports", "../outside/sub", "reports/../x.json"),
    ],
)
@pytest.mark.parametrize("command", ["run", "graph"])
def test_a_destination_past_a_link_is_judged_where_it_lands(
    tmp_path: Path, link: str, target: str, destination: str, command: str
) -> None:
    root = write_tree(tmp_path / "project", FILES)
    (tmp_path / "outside" / "sub").mkdir(parents=True)
    os.symlink(target, root / link)
    before, outside = tree_digest(root), tree_digest(tmp_path / "outside")
    if command == "run":
        args = ["run", ".", "--steps", "compile", "--no-cache", "--format", f"json={destination}"]
    else:
        args = ["graph", ".", "--no-cache", "--output", destination]
    run = run_cli(args, cwd=root)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert destination in run.stderr
    assert tree_digest(root) == before
    assert tree_digest(tmp_path / "outside") == outside


def test_a_plain_relative_destination_is_still_written(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", FILES)
    (root / "out").mkdir()
    run = run_cli(["run", ".", "--steps", "compile", "--format", "json=out/../r.json"], cwd=root)
    assert run.returncode == 0, run.stderr
    assert (root / "r.json").is_file()
