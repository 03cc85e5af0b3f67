"""A project's text printed to a CI log cannot become a GitHub workflow command (issue 9.9).

GitHub's runner takes a log line for a command when, after leading white space, it starts with
``::`` (``::error file=x,line=1::...``), and wherever ``##[`` stands in it (the older form). An
exception message at import is the project's text: the text, Markdown and JSON reports printed
to stdout must hold no such line, while the JSON keeps the exact message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.cli import assert_no_leftover_processes, run_cli
from tests.helpers.tree import write_tree

FORGED = "ok\n::error file=src/app/core.py,line=1::forged annotation\n  ::add-mask::x ##[error]old"
FILES = {
    "pyproject.toml": (
        '[tool.archverify]\nsource_roots = ["src"]\npackages = ["app"]\n'
        'steps = ["compile", "imports"]\n'
    ),
    "src/app/__init__.py": "",
    "src/app/loud.py": f"raise RuntimeError({FORGED!r})\n",
}
# The runner's own test (ActionCommand.TryParseV2 and TryParse).
_COMMAND_LINE = re.compile(r"^\s*::|##\[", re.MULTILINE)


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_no_report_line_reads_as_a_workflow_command(tmp_path: Path, fmt: str) -> None:
    root = write_tree(tmp_path / "project", FILES)
    run = run_cli(["run", ".", "--no-cache", "--format", fmt], cwd=root)
    assert run.returncode == 1, run.stderr
    assert "forged annotation" in run.stdout  # the message is shown ...
    assert not _COMMAND_LINE.findall(run.stdout), run.stdout  # ... but commands nothing
    if fmt == "json":
        (finding,) = [f for f in run.json()["findings"] if f["rule"] == "imports/error"]
        assert FORGED.splitlines()[1] in finding["message"]  # exact, once decoded
        assert "##[error]old" in finding["message"]
    assert_no_leftover_processes(run)


def test_the_github_format_still_annotates(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", FILES)
    run = run_cli(["run", ".", "--no-cache", "--format", "github"], cwd=root)
    commands = [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert len(commands) == 1 and commands[0].startswith("::error file=src/app/loud.py")
    assert "forged annotation" in commands[0]  # inside the one real annotation, %0A-escaped
