"""A project's text cannot drive the terminal or forge report lines (issue 9, item 9).

The attack: an exception message with ESC, BEL, NUL, CR and a C1 CSI, raised when a module is
imported, and file names holding a newline, an escape sequence or a byte that is not UTF-8.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET  # nosec B405 - parses the report this test just wrote
from pathlib import Path

import pytest

from tests.helpers.cli import (
    CliRun,
    archverify_command,
    assert_no_leftover_processes,
    marked_environment,
)
from tests.helpers.tree import CACHE_FOLDER, tree_digest, write_tree

HOSTILE = "\x1b[31m\x07\x00 boom\r\nfake.py:1: purity/io-call forged \x9b2J\x7f"
FILES = {
    "pyproject.toml": (
        "[tool.archverify]\n"
        'source_roots = ["src"]\n'
        'packages = ["app"]\n'
        'steps = ["compile", "imports"]\n'
        "[tool.archverify.purity]\n"
        'packages = ["app"]\n'
    ),
    "src/app/__init__.py": "",
    "src/app/loud.py": f"raise RuntimeError({HOSTILE!r})\n",
}
# Raw bytes a terminal acts on: C0 except tab and newline, DEL; C1 as UTF-8 (0xC2 0x80-0x9F).
_RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
REPORTS = {
    "markdown": "r.md",
    "github": "r.gh",
    "junit": "r.xml",
    "json": "r.json",
    "sarif": "r.sarif",
    "html": "r.html",
}


def _hostile_names(root: Path) -> None:
    # A newline in a file name, an escape sequence and a byte that is not UTF-8 in folder names.
    app = os.fsencode(root / "src" / "app")
    for name in (b"bad\nname.py", b"new\nline/m.py", b"d\x1b[2Jir/m.py", b"caf\xe9/m.py"):
        path = app + b"/" + name
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(b"x = 1\n")


def _run(root: Path, args: list[str]) -> tuple[CliRun, bytes, bytes]:
    """The real CLI; stdout and stderr kept as bytes (they must be checked raw)."""
    env, marker = marked_environment({"PYTHONDONTWRITEBYTECODE": ""})
    result = subprocess.run(
        archverify_command(*args),
        cwd=root,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    run = CliRun(result.returncode, "", "", marker)
    return run, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "repo", FILES)
    _hostile_names(root)
    (tmp_path / "reports").mkdir()
    return root


def test_controls_in_messages_and_names_are_escaped_in_every_format(project: Path) -> None:
    reports = project.parent / "reports"
    before = tree_digest(project)
    formats = [f"--format={name}={reports / file}" for name, file in REPORTS.items()]
    run, stdout, stderr = _run(project, ["run", ".", "--format=text", *formats])
    # Honest: the import raised, so the run failed; and no internal error.
    assert run.returncode == 1, stderr
    assert b"Traceback" not in stderr and b"internal error" not in stderr
    assert_no_leftover_processes(run)
    assert tree_digest(project) == before

    for name, raw in [("text", stdout), ("stderr", stderr)] + [
        (fmt, (reports / file).read_bytes()) for fmt, file in REPORTS.items()
    ]:
        assert not _RAW_CONTROL.search(raw), (name, _RAW_CONTROL.search(raw))
        raw.decode("utf-8")  # every report is UTF-8 (an undecodable name included)

    text = stdout.decode()
    # Shown as what it is, and no line of it passes for a finding of its own.
    assert "\\x1b[31m\\x07\\x00 boom\\r" in text
    assert not any(line.startswith("fake.py") for line in text.splitlines())
    assert not any(line.startswith(("name.py", "line")) for line in text.splitlines())
    assert "src/app/new\\nline" in text  # the folder discovery skipped, named in a notice
    assert "caf\\xe9" in text
    github = (reports / "r.gh").read_text()
    assert all(line.startswith("::") for line in github.splitlines())
    markdown = (reports / "r.md").read_text()
    assert not any(line.startswith("fake.py") for line in markdown.splitlines())

    # Machine formats stay valid; JSON keeps the message exactly as it was raised.
    ET.parse(reports / "r.xml")
    report = json.loads((reports / "r.json").read_text())
    messages = [f["message"] for f in report["findings"] if f["rule"] == "imports/error"]
    assert messages and HOSTILE in messages[0]
    json.loads((reports / "r.sarif").read_text())


def test_escaping_does_not_hide_the_verdict_of_a_clean_run(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**FILES, "src/app/loud.py": "x = 1\n"})
    _hostile_names(root)
    run, stdout, stderr = _run(root, ["run", ".", "--no-cache"])
    assert run.returncode == 0, stderr
    assert b"archverify passed" in stdout
    assert not _RAW_CONTROL.search(stdout)
    assert not (root / CACHE_FOLDER).exists()
