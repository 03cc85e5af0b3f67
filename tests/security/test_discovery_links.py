"""A hostile repository's links and names: discovery never leaves the tree, never crashes.

A symbolic link to a file or folder outside the verified root is not followed (its content is
never read, so never quoted in a finding) but, inside a package, is an error
(compile/outside-link): Python imports it. A folder linked inside the tree is verified under
every name Python imports it by, loops end at an enclosing folder, and the names of one folder
are bounded (compile/link-aliases). A file name that is not valid UTF-8 is shown escaped; the
run gives an honest verdict and changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.cli import assert_no_leftover_processes, run_cli
from tests.helpers.tree import tree_digest, write_tree
from tests.security.harness import LAYERED_CONFIG

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

    # Python imports app.linked and app.tree: a link archverify does not read is an error
    # finding (compile/outside-link), never a pass.
    assert run.returncode == 1, run.stderr
    assert SECRET not in run.stdout + run.stderr
    report = run.json()
    assert report["summary"]["files"] == 2  # app/__init__.py and app/core.py only
    outside_links = [f for f in report["findings"] if f["rule"] == "compile/outside-link"]
    assert [(f["path"], f["severity"], f["extra"]["module"]) for f in outside_links] == [
        ("app/linked.py", "error", "app.linked"),
        ("app/tree", "error", "app.tree"),
    ]
    assert len(report["findings"]) == 2
    notices = report["notices"]
    assert any("Too many levels of symbolic links" in n for n in notices)
    assert any("app/caf\\xe9.py" in n for n in notices)
    assert tree_digest(root) == before_root and tree_digest(outside) == before_outside
    assert_no_leftover_processes(run)


# ----- a folder Python imports under two names is verified under both ------------------------

LAYERED = LAYERED_CONFIG
LAYERED_TREE = {
    "pyproject.toml": LAYERED,
    "src/app/__init__.py": "",
    "src/app/core/__init__.py": "",
    "src/app/core/calc.py": "def add(a: int, b: int) -> int:\n    return a + b\n",
    "src/app/edge/__init__.py": "",
    "src/app/edge/run.py": "import subprocess\n\nfrom app.core.calc import add\n\n\n"
    "def go(cmd: str) -> int:\n    subprocess.call(cmd, shell=True)\n    return add(1, 2)\n",
    "src/app/core/sub/__init__.py": "",
    "src/app/core/sub/impure.py": "from app.edge.run import go\n\n\n"
    'def leak():\n    return go("x")\n',
    "src/app/core/sub/reads.py": "def read(p):\n    return open(p)\n",
}


def _run_json(root: Path, steps: str = "compile,purity,contracts") -> tuple[int, dict[str, object]]:
    run = run_cli(["run", str(root), "--no-cache", "--steps", steps, "--format", "json"], cwd=root)
    assert "internal error" not in run.stderr, run.stderr
    assert_no_leftover_processes(run)
    return run.returncode, run.json() if run.stdout.strip() else {}


def _rules(report: dict[str, object]) -> list[tuple[str, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return sorted((f["rule"], f["path"]) for f in findings)


def test_a_folder_linked_under_an_earlier_name_is_still_verified_under_its_own(
    tmp_path: Path,
) -> None:
    # src/app/aaa -> core/sub: walked first (alphabetically), it once claimed the folder, and
    # app.core.sub.* (what the layers contract and purity are about) was never checked.
    root = write_tree(tmp_path / "repo", LAYERED_TREE)
    (root / "src/app/aaa").symlink_to("core/sub", target_is_directory=True)
    before = tree_digest(root)

    code, report = _run_json(root)

    assert code == 1
    assert _rules(report) == [
        ("contracts/cut", "src/app/core/sub/impure.py"),
        ("contracts/layers", "src/app/core/sub/impure.py"),
        ("purity/io-call", "src/app/core/sub/reads.py"),
    ]
    # 8 files by their own paths, and app.aaa, app.aaa.impure, app.aaa.reads: Python imports both.
    summary = report["summary"]
    assert isinstance(summary, dict) and summary["files"] == 11
    assert tree_digest(root) == before


def test_a_link_to_a_sibling_package_leaves_the_real_package_verified(tmp_path: Path) -> None:
    # src/app/core/edgelink -> ../edge once made 'app.edge' "name no discovered module" (exit 2).
    tree = {k: v for k, v in LAYERED_TREE.items() if "/sub/" not in k}
    root = write_tree(tmp_path / "repo", tree)
    (root / "src/app/core/edgelink").symlink_to("../edge", target_is_directory=True)

    code, report = _run_json(root)

    # app.core.edgelink.run is a module of app.core to Python: its subprocess call is impure.
    assert code == 1
    assert _rules(report) == [("purity/io-call", "src/app/core/edgelink/run.py")]


def test_links_between_folders_end_and_stay_bounded(tmp_path: Path) -> None:
    # Folders linking to each other and to their parents: every chain ends at an enclosing
    # folder, and a folder reached under too many names is an error, not minutes of walking.
    tree: dict[str, str] = {"pyproject.toml": LAYERED, "src/app/__init__.py": ""}
    tree.update({"src/app/core/__init__.py": "", "src/app/edge/__init__.py": ""})
    names = [f"d{index}" for index in range(6)]
    for name in names:
        tree[f"src/app/core/{name}/__init__.py"] = ""
        tree[f"src/app/core/{name}/m.py"] = "X = 1\n"
    root = write_tree(tmp_path / "repo", tree)
    for name in names:
        for other in names:
            if other != name:
                (root / f"src/app/core/{name}/to_{other}").symlink_to(
                    f"../{other}", target_is_directory=True
                )
        (root / f"src/app/core/{name}/up").symlink_to("..", target_is_directory=True)

    code, report = _run_json(root, "compile,purity")

    assert code == 1
    rules = {rule for rule, _ in _rules(report)}
    assert rules == {"compile/link-aliases"}
    summary = report["summary"]
    assert isinstance(summary, dict)
    # Each of the six folders under at most 1 + 16 + 1 names (its own path always included).
    assert summary["files"] <= 3 + 6 * 18 * 2


def test_an_outside_link_fails_the_run_even_when_compile_is_not_selected(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"mod.py": "open('q')\n"})
    tree = {k: v for k, v in LAYERED_TREE.items() if "/sub/" not in k}
    root = write_tree(tmp_path / "repo", tree)
    (root / "src/app/core/outer.py").symlink_to(outside / "mod.py")

    code, report = _run_json(root, "purity")

    assert code == 1
    assert _rules(report) == [("compile/outside-link", "src/app/core/outer.py")]
    steps = report["steps"]
    assert isinstance(steps, list)
    assert [(s["id"], s["status"]) for s in steps] == [
        ("compile", "failed"),
        ("purity", "passed"),
    ]

    # The fix the hint names: excluding the path (or vendoring the file) passes.
    config = root / "pyproject.toml"
    config.write_text(
        LAYERED.replace(
            'packages = ["app"]\n', 'packages = ["app"]\nexclude = ["src/app/core/outer.py"]\n', 1
        )
    )
    code, report = _run_json(root, "purity")
    assert code == 0, report


def test_a_package_whose_init_links_out_of_the_root_is_not_read(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"init.py": f"{SECRET} = = broken\n"})
    tree = {k: v for k, v in LAYERED_TREE.items() if "/sub/" not in k}
    tree["src/app/core/p/m.py"] = "X = 1\n"
    root = write_tree(tmp_path / "repo", tree)
    (root / "src/app/core/p/__init__.py").symlink_to(outside / "init.py")

    run = run_cli(
        ["run", str(root), "--no-cache", "--steps", "compile,purity", "--format", "json"],
        cwd=root,
    )

    assert run.returncode == 1
    assert SECRET not in run.stdout + run.stderr
    assert _rules(run.json()) == [("compile/outside-link", "src/app/core/p/__init__.py")]
    assert_no_leftover_processes(run)
