"""A module that refuses to be imported on purpose (rich's Windows-only module) is reported with
the way out: a suppression on the line that raised, which the next run honours."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import run_cli
from tests.helpers.tree import write_tree

FILES = {
    "pyproject.toml": '[tool.archverify]\npackages = ["app"]\nsteps = ["imports"]\n',
    "app/__init__.py": "",
    "app/win.py": (
        "import sys\n"
        "if sys.platform != 'no-such-platform':\n"
        "    raise ImportError(f'{__name__} can only be imported on no-such-platform')\n"
    ),
    "app/name.py": "from json import no_such_name\n",
}


def _findings(root: Path) -> dict[str, dict[str, object]]:
    done = run_cli(["run", ".", "--no-cache", "--format", "json"], cwd=root)
    return {f["path"]: f for f in json.loads(done.stdout)["findings"]}


def test_a_module_that_raises_importerror_itself_is_told_how_to_suppress_it(
    tmp_path: Path,
) -> None:
    root = write_tree(tmp_path / "p", FILES)
    found = _findings(root)
    refused, missing = found["app/win.py"], found["app/name.py"]
    assert refused["rule"] == missing["rule"] == "imports/error"
    assert refused["line"] == 3
    hint = str(refused["hint"])
    assert hint.startswith('reproduce with `python -c "import app.win"`; ')
    assert "the module raised it itself (line 3)" in hint
    assert "`# archverify: ignore[imports/error] the reason`" in hint
    # An import statement that found nothing is a real error: no such advice.
    assert "ignore[" not in str(missing["hint"])
    win = root / "app" / "win.py"
    lines = win.read_text(encoding="utf-8").splitlines()
    lines[2] += "  # archverify: ignore[imports/error] only for no-such-platform"
    win.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert list(_findings(root)) == ["app/name.py"]
