"""The compile step through the CLI: deep code CPython compiles is facts, code it rejects is a
compile error with CPython's message (both sides of CPython's own limit, found with a fresh
interpreter), and a file that cannot be read is ``compile/read-error``, not a syntax error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import archverify_command
from tests.integration.test_cli_run import make_project, run_json

CONFIG = """\
[tool.archverify]
source_roots = ["src"]

[tool.archverify.purity]
packages = ["app"]
"""

OPEN_AFTER = "\nopen('data.txt')\n"


def fresh_compile(source: str) -> subprocess.CompletedProcess[str]:
    """``compile(source, path, "exec")`` in a fresh interpreter."""
    return subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; compile(sys.stdin.read(), 'deep.py', 'exec')",
        ],
        input=source,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def by_rule(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


DEEP_VALID = {
    "call followed by 1,500 ()": "f" + "()" * 1500,
    "2,000 not": "x = " + "not " * 2000 + "y",
    "1,000 unary minus": "x = " + "-" * 1000 + "1",
    "1,400 subscripts": "x = A" + "[f()]" * 1400,
}


@pytest.mark.parametrize("case", sorted(DEEP_VALID))
def test_deep_code_cpython_compiles_keeps_its_facts(tmp_path: Path, case: str) -> None:
    source = DEEP_VALID[case] + OPEN_AFTER
    assert fresh_compile(source).returncode == 0
    files = {"src/app/__init__.py": "", "src/app/deep.py": source}
    root = make_project(tmp_path / "p", files, CONFIG)
    code, report = run_json(root, "--steps", "compile,purity", "--no-cache")
    assert [f["rule"] for f in report["findings"] if f["step"] == "compile"] == []
    # The open() on the next line is still seen: the file's facts were not lost.
    assert [(f["path"], f["line"]) for f in by_rule(report, "purity/io-call")] == [
        ("src/app/deep.py", 2)
    ]
    assert code == 1


DEEP_FAMILIES: dict[str, Callable[[int], str]] = {
    "not": lambda n: "x = " + "not " * n + "y",
    "calls": lambda n: "f" + "()" * n,
    "parentheses": lambda n: "x = " + "(" * n + "1" + ")" * n,
}


def _cpython_limit(make: Callable[[int], str]) -> int:
    """The deepest ``make(n)`` a fresh interpreter compiles (CPython's limits are monotone)."""
    low, high = 1, 20_000
    while low < high:
        middle = (low + high + 1) // 2
        if fresh_compile(make(middle) + "\n").returncode == 0:
            low = middle
        else:
            high = middle - 1
    return low


@pytest.mark.parametrize("family", sorted(DEEP_FAMILIES))
def test_the_compile_verdict_is_cpythons_on_both_sides_of_its_limit(
    tmp_path: Path, family: str
) -> None:
    make = DEEP_FAMILIES[family]
    limit = _cpython_limit(make)
    accepted, rejected = make(limit) + OPEN_AFTER, make(limit + 1) + OPEN_AFTER
    refusal = fresh_compile(rejected)
    assert refusal.returncode == 1
    cpython_says = refusal.stderr.strip().splitlines()[-1]
    files = {
        "src/app/__init__.py": "",
        "src/app/accepted.py": accepted,
        "src/app/rejected.py": rejected,
    }
    root = make_project(tmp_path / "p", files, CONFIG)
    _, report = run_json(root, "--steps", "compile,purity", "--no-cache")
    compile_findings = [f for f in report["findings"] if f["step"] == "compile"]
    assert [(f["rule"], f["path"]) for f in compile_findings] == [
        ("compile/syntax-error", "src/app/rejected.py")
    ]
    # CPython's own words: "too many nested parentheses", "maximum recursion depth ...".
    kind, _, words = cpython_says.partition(": ")
    message = compile_findings[0]["message"]
    assert words.split(" (")[0] in message, (message, cpython_says)
    assert kind == "SyntaxError" or kind in message
    assert ("src/app/accepted.py", 2) in [
        (f["path"], f["line"]) for f in by_rule(report, "purity/io-call")
    ]


def _can_drop_read_override(probe: Path) -> bool:
    probe.write_text("x = 1\n", encoding="utf-8")
    probe.chmod(0)
    result = subprocess.run(
        [*_WITHOUT_DAC, "cat", str(probe)], capture_output=True, timeout=30, check=False
    )
    return result.returncode != 0


# Root reads any file whatever its mode; without these two capabilities it is held to the
# mode bits like any user, so a mode-000 file really fails to read (EACCES).
_WITHOUT_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux setpriv")
def test_an_unreadable_file_is_a_read_error_not_a_syntax_error(tmp_path: Path) -> None:
    if os.geteuid() != 0 or not _can_drop_read_override(tmp_path / "probe.txt"):
        pytest.skip("needs root that can drop CAP_DAC_OVERRIDE (or run as a user: chmod 000)")
    files = {
        "src/app/__init__.py": "",
        "src/app/locked.py": "import os\nos.system('x')\n",
        "src/app/fine.py": "print('hello')\n",
    }
    root = make_project(tmp_path / "p", files, CONFIG)
    (root / "src/app/locked.py").chmod(0)
    out = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run(
        [
            *_WITHOUT_DAC,
            *archverify_command(
                "run",
                str(root),
                "--steps",
                "compile,purity,cycles",
                "--no-cache",
                "--format",
                "json",
                "--output",
                str(out),
            ),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    (finding,) = [f for f in report["findings"] if f["step"] == "compile"]
    assert finding["rule"] == "compile/read-error"
    assert finding["path"] == "src/app/locked.py"
    assert finding["message"] == "cannot read src/app/locked.py: Permission denied"
    assert "syntax" not in finding["hint"] and "readable" in finding["hint"]
    # Discovery did not skip the file and the readable one is still checked.
    assert ("src/app/fine.py", 1) in [
        (f["path"], f["line"]) for f in by_rule(report, "purity/io-call")
    ]
