"""Under ``--cache-tests``, a data file beside the verified sources is part of the tests' key.

The accident (or attack): ``app.conf.limit()`` reads ``limit.txt`` beside it, and a test
asserts the limit. The tests step's key held the verified files, the files below the test
paths and the configuration, not the package's data files, so after ``limit.txt`` changed the
whole step's stored "passed" was replayed (and the affected-tests records would have replayed
every module, as no verified or test file changed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.cli import run_step
from tests.helpers.configs import APP, with_tests_step
from tests.helpers.tree import write_tree

CONF = (
    "from pathlib import Path\n\n\n"
    "def limit() -> int:\n"
    "    return int((Path(__file__).parent / 'limit.txt').read_text())\n"
)
TEST = "from app.conf import limit\n\n\ndef test_limit() -> None:\n    assert limit() == 1\n"


def _tests(root: Path) -> dict[str, Any]:
    return run_step(root, "tests", "package-data", "--cache-tests")


def test_an_edited_package_data_file_runs_the_tests_again(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": APP + with_tests_step(coverage_min=0),
        "src/app/__init__.py": "",
        "src/app/conf.py": CONF,
        "src/app/limit.txt": "1\n",
        "tests/test_conf.py": TEST,
    }
    root = write_tree(tmp_path / "repo", files)
    assert _tests(root)["status"] == "passed"
    assert _tests(root)["cached"] is True  # unchanged: replayed

    (root / "src" / "app" / "limit.txt").write_text("2\n")
    step = _tests(root)
    assert step["cached"] is False
    assert step["status"] == "failed", step
