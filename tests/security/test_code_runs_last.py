"""The project's code runs only after every step that reads the tree (issue 9).

The attack: a conftest that, while bandit runs beside the tests, rewrites a source file to a
benign body of the same size and puts the original back afterwards, modification time
included. Run at the same time, bandit read the benign body and passed (and its result was
cached for later runs); the tests step's tree check saw nothing.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import assert_no_leftover_processes, run_cli
from tests.helpers.tree import tree_digest, write_tree

RUN = (
    "import subprocess\n\n\n"
    "def go(cmd: str) -> int:\n"
    "    subprocess.call(cmd, shell=True)\n"
    "    return 0\n"
)
CONFTEST = """\
import os, pathlib
_p = pathlib.Path(__file__).resolve().parent.parent / "src" / "app" / "run.py"
_orig = _p.read_bytes()
_st = os.stat(_p)
_body = b"def go(cmd: str) -> int:\\n    return 0\\n"
_p.write_bytes(_body + b"#" * (len(_orig) - len(_body) - 1) + b"\\n")


def pytest_unconfigure(config):
    _p.write_bytes(_orig)
    os.utime(_p, ns=(_st.st_atime_ns, _st.st_mtime_ns))
"""
FILES = {
    "pyproject.toml": (
        '[tool.archverify]\nsource_roots = ["src"]\npackages = ["app"]\n'
        'steps = ["bandit", "tests"]\n'
        '[tool.archverify.tests]\npaths = ["tests"]\ncoverage_min = 0\n'
    ),
    "src/app/__init__.py": "",
    "src/app/run.py": RUN,
    "tests/conftest.py": CONFTEST,
    "tests/test_it.py": "def test_it():\n    assert True\n",
}


def test_a_file_rewritten_and_restored_by_a_conftest_is_still_judged_and_seen(
    tmp_path: Path,
) -> None:
    root = write_tree(tmp_path / "project", FILES)
    for jobs in ("2", "4"):
        run = run_cli(["run", ".", "--format", "json", "--jobs", jobs], cwd=root)
        rules = {rule for rule, _, _ in run.rules()}
        assert "bandit/B602" in rules, run.stdout  # bandit read the real file
        # The restore cannot hide from the tree check: the inode change time moved.
        assert "tests/changed-tree" in rules, run.stdout
        assert_no_leftover_processes(run)
    before = tree_digest(root)
    (root / "tests" / "conftest.py").unlink()
    before.pop("tests/conftest.py")
    # The honest result was the one cached: a later run without the conftest still fails.
    again = run_cli(["run", ".", "--format", "json"], cwd=root)
    assert ("bandit/B602", "src/app/run.py", 5) in again.rules(), again.stdout
    assert tree_digest(root) == before
