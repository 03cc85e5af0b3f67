"""A hostile repository's links and names: discovery never leaves the tree, never crashes.

A symbolic link to a file or folder outside the verified root is not followed (its content is
never read, so never quoted in a finding), a link loop ends, and a file name that is not valid
UTF-8 is shown escaped; the run gives an honest verdict and changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from harness import assert_no_leftover_processes, run_cli, tree_digest, write_tree

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")

SECRET = "TOP-SECRET-7f3a"
CONFIG = '[tool.archverify]\npackages = ["app"]\n[tool.archverify.purity]\npackages = ["app"]\n'


def test_links_out_of_the_tree_are_not_read(tmp_path: Path) -> None:
    outside = write_tree(
        tmp_path / "outside",
        {
            # Not Python: were it parsed, its first line would be quoted in a syntax error.
            "secret.py": f"{SECRET} = = broken\n",
            "pkg/__init__.py": "",
            "pkg/io.py": f"open('{SECRET}')\n",
        },
    )
    root = write_tree(
        tmp_path / "repo",
        {"pyproject.toml": CONFIG, "app/__init__.py": "", "app/core.py": "X = 1\n"},
    )
    (root / "app/linked.py").symlink_to(outside / "secret.py")
    (root / "app/tree").symlink_to(outside / "pkg", target_is_directory=True)
    (root / "app/loop_a").symlink_to("loop_b")
    (root / "app/loop_b").symlink_to("loop_a")
    with open(os.fsencode(root / "app") + b"/caf\xe9.py", "wb") as handle:
        handle.write(b"X = 2\n")
    before_root, before_outside = tree_digest(root), tree_digest(outside)

    run = run_cli(
        ["run", str(root), "--no-cache", "--steps", "compile,purity,cycles", "--format", "json"],
        cwd=tmp_path,
    )

    assert run.returncode == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr
    report = run.json()
    assert report["summary"]["files"] == 2  # app/__init__.py and app/core.py only
    notices = report["notices"]
    assert sum("symbolic link to outside the verified root" in n for n in notices) == 2
    assert any("Too many levels of symbolic links" in n for n in notices)
    assert any("app/caf\\xe9.py" in n for n in notices)
    assert tree_digest(root) == before_root and tree_digest(outside) == before_outside
    assert_no_leftover_processes(run)
