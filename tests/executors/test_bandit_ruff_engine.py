"""The bandit step's ruff engine against real bandit and real ruff on one project."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from archverify.core.config import ToolConfig
from archverify.core.findings import Severity, StepOutcome, StepStatus
from archverify.executors.base import StepContext
from archverify.executors.tools.bandit import BanditStep
from archverify.executors.tools.bandit_ruff import CHECKS, nosec_lines, ruff_codes_of
from tests.helpers.factories import MemoryCache
from tests.helpers.tool_project import make_context, write_files

DOC = Path(__file__).resolve().parents[2] / "src" / "archverify" / "rule_docs" / "bandit.md"
TABLE_START = "<!-- ruff-engine-table: generated, checked by tests/executors/"
TABLE_END = "<!-- end of ruff-engine-table -->"

# One line per check both programs have (a few twice: bandit and ruff agree on several per
# line), plus a # nosec line and a test bandit has and ruff lacks (B613 has no S613).
RISKY = '''"""Security smells, one per line."""

import hashlib
import os
import pickle
import random
import subprocess
import tempfile
from xml.etree import ElementTree

import requests
import yaml

PASSWORD = "hunter2"


def shell(cmd: str) -> int:
    return subprocess.call(cmd, shell=True)


def no_shell(args: list[str]) -> int:
    return subprocess.call(args)


def system(cmd: str) -> int:
    return os.system(cmd)


def load(data: bytes) -> object:
    return pickle.loads(data)


def digest(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def config(text: str) -> object:
    return yaml.load(text)


def fetch(url: str) -> object:
    return requests.get(url, verify=False)


def tmp() -> str:
    return "/tmp/x.txt"


def roll() -> int:
    return random.randint(1, 6)


def query(name: str) -> str:
    return "SELECT * FROM users WHERE name = '%s'" % name


def check(x: int) -> None:
    assert x > 0


def swallow() -> None:
    try:
        roll()
    except Exception:
        pass


def evaluate(text: str) -> object:
    return eval(text)


def run(code: str) -> None:
    exec(code)


def bind() -> tuple[str, int]:
    return ("0.0.0.0", 80)


def parse(text: str) -> object:
    return ElementTree.fromstring(text)


def temp() -> str:
    return tempfile.mktemp()


def chmod(path: str) -> None:
    os.chmod(path, 0o777)


def quiet(cmd: str) -> int:
    return subprocess.call(cmd, shell=True)  # nosec B602


def login(password: str = "secret") -> None:
    del password
'''


def write_project(root: Path) -> None:
    write_files(root, {"pkg/__init__.py": "", "pkg/risky.py": RISKY, "pkg/clean.py": "X = 1\n"})


def engine_context(root: Path, engine: str, **options: Any) -> StepContext:
    tool = ToolConfig(options={"engine": engine, "severity": "low", **options.pop("opts", {})})
    return make_context(root, tools={"bandit": tool}, **options)


def lines_of(outcome: StepOutcome) -> set[tuple[str, str, int]]:
    return {(f.rule, f.path, f.line) for f in outcome.findings}


@cache
def ruff_rules() -> tuple[dict[str, Any], ...]:
    run = subprocess.run(
        [sys.executable, "-m", "ruff", "rule", "--all", "--output-format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return tuple(json.loads(run.stdout))


@cache
def bandit_tests() -> dict[str, str]:
    """Every test the installed bandit loads, id -> name, as ``bandit -h`` lists them."""
    run = subprocess.run(
        [sys.executable, "-m", "bandit", "-h"], capture_output=True, text=True, check=True
    )
    listed = run.stdout.split("The following tests were discovered and loaded:", 1)[1]
    return dict(re.findall(r"^\s+(B\d{3})\s+(\w+)\s*$", listed, flags=re.MULTILINE))


def test_both_engines_find_the_same_lines_and_every_ruff_finding_is_a_bandit_test(
    tmp_path: Path,
) -> None:
    write_project(tmp_path)
    bandit = BanditStep().run(engine_context(tmp_path, "bandit"))
    ruff = BanditStep().run(engine_context(tmp_path, "ruff"))
    assert bandit.status is StepStatus.FAILED, bandit.message
    assert ruff.status is StepStatus.FAILED, ruff.message
    assert ruff.stats["engine"] == "ruff"
    known = bandit_tests()
    assert ruff.findings
    for finding in ruff.findings:
        test_id = finding.rule.removeprefix("bandit/")
        assert test_id in known, finding
        assert finding.extra["engine"] == f"ruff S{test_id[1:]}"
    both = set(ruff_codes_of(ruff_rules()))
    overlap = {f for f in lines_of(bandit) if f[0].removeprefix("bandit/") in both}
    assert len(overlap) >= 20  # the project exercises most of what both have
    assert lines_of(ruff) == overlap
    # The severity each engine gives agrees on this project (bandit's usual case throughout).
    severities = {(f.rule, f.line): f.extra["bandit_severity"] for f in bandit.findings}
    assert {(f.rule, f.line): f.extra["bandit_severity"] for f in ruff.findings} == severities
    # The # nosec B602 line is quiet for both; without the comment ruff finds it.
    line = RISKY.splitlines().index("    return subprocess.call(cmd, shell=True)  # nosec B602") + 1
    assert ("bandit/B602", "pkg/risky.py", line) not in lines_of(ruff)
    (tmp_path / "pkg" / "risky.py").write_text(RISKY.replace("  # nosec B602", ""))
    loud = BanditStep().run(engine_context(tmp_path, "ruff"))
    assert lines_of(loud) - lines_of(ruff) == {("bandit/B602", "pkg/risky.py", line)}


def test_the_severity_threshold_applies_to_the_ruff_engine(tmp_path: Path) -> None:
    write_project(tmp_path)
    tool = ToolConfig(options={"engine": "ruff", "severity": "high"})
    outcome = BanditStep().run(make_context(tmp_path, tools={"bandit": tool}))
    errors = {f.rule for f in outcome.findings if f.severity is Severity.ERROR}
    assert errors == {"bandit/B602", "bandit/B605", "bandit/B324", "bandit/B501", "bandit/B103"}


def test_skips_tests_and_excludes_of_the_project_apply(tmp_path: Path) -> None:
    write_project(tmp_path)
    write_files(tmp_path, {"pkg/vendor/__init__.py": "", "pkg/vendor/x.py": "assert 1\n"})
    (tmp_path / "pyproject.toml").write_text(
        '[tool.bandit]\nskips = ["B101", "import_subprocess"]\nexclude_dirs = ["pkg/vendor"]\n'
    )
    rules = {f.rule for f in BanditStep().run(engine_context(tmp_path, "ruff")).findings}
    assert "bandit/B101" not in rules and "bandit/B404" not in rules
    assert "bandit/B602" in rules
    (tmp_path / ".bandit").write_text("[bandit]\ntests = B602,B605\n")
    outcome = BanditStep().run(engine_context(tmp_path, "ruff"))
    assert {f.rule for f in outcome.findings} == {"bandit/B602", "bandit/B605"}


def test_bandit_arguments_the_ruff_engine_honours_and_refuses(tmp_path: Path) -> None:
    write_project(tmp_path)
    chosen = ToolConfig(args=("-t", "B602,B101", "-lll"), options={"engine": "ruff"})
    outcome = BanditStep().run(make_context(tmp_path, tools={"bandit": chosen}))
    assert {f.rule for f in outcome.findings} == {"bandit/B602"}  # B101 is low: below -lll
    refused = ToolConfig(args=("-i",), options={"engine": "ruff"})
    outcome = BanditStep().run(make_context(tmp_path, tools={"bandit": refused}))
    assert outcome.status is StepStatus.ERROR
    assert "'-i'" in outcome.message and 'engine = "ruff"' in outcome.message


def test_the_engine_and_ruffs_version_are_in_the_cache_keys(tmp_path: Path) -> None:
    write_project(tmp_path)
    cache = MemoryCache()
    step = BanditStep()
    assert step.cache_key(engine_context(tmp_path, "ruff")) != step.cache_key(
        engine_context(tmp_path, "bandit")
    )
    assert "ruff-engine" in step.version(engine_context(tmp_path, "ruff"))
    first = step.run(engine_context(tmp_path, "bandit", cache=cache))
    # The per-file results of one engine are not replayed for the other.
    second = step.run(engine_context(tmp_path, "ruff", cache=cache))
    assert second.stats["files_run"] == first.stats["files_run"] == 3
    again = step.run(engine_context(tmp_path, "ruff", cache=cache))
    assert again.stats["files_run"] == 0
    assert lines_of(again) == lines_of(second)


def test_nosec_is_read_from_comments_only(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text('X = "# nosec"\nY = 1  # nosec\nZ = 2  # nosec: B602, import_subprocess\n')
    assert nosec_lines(source) == {2: set(), 3: {"B602", "B404"}}


def test_the_checks_table_names_every_test_of_the_installed_bandit() -> None:
    assert {test_id: check.name for test_id, check in CHECKS.items()} == bandit_tests()


def engine_table() -> str:
    """The rule docs' table: every bandit test, and the ruff rule that runs it (or none)."""
    codes = ruff_codes_of(ruff_rules())
    preview = {
        str(rule["code"])
        for rule in ruff_rules()
        if isinstance(rule.get("status"), dict) and "Preview" in rule["status"]
    }
    rows = ["| bandit test | name | severity | ruff rule |", "| --- | --- | --- | --- |"]
    for test_id, check in sorted(CHECKS.items()):
        code = codes.get(test_id)
        shown = "none" if code is None else f"`{code}`" + (" (preview)" if code in preview else "")
        rows.append(f"| `{test_id}` | `{check.name}` | {check.severity} | {shown} |")
    return "\n".join(rows)


def test_the_rule_docs_table_is_what_ruff_and_bandit_say() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(TABLE_START)
    start = text.index("\n", start) + 1
    end = text.index(TABLE_END)
    expected = engine_table()
    assert text[start:end].strip() == expected, f"paste into {DOC}:\n{expected}"


if __name__ == "__main__":  # pragma: no cover - prints the table to paste
    pytest.main([__file__, "-q", "-k", "rule_docs_table"])


def test_a_file_with_syntax_errors_is_one_parse_error_with_either_engine(tmp_path: Path) -> None:
    # ruff reports each syntax error of a file; bandit gives up on the file once.
    broken = "def f(:\n    return (\n\nclass :\n"
    write_files(tmp_path, {"pkg/__init__.py": "", "pkg/broken.py": broken})
    for engine in ("bandit", "ruff"):
        outcome = BanditStep().run(engine_context(tmp_path, engine))
        parse_errors = [f for f in outcome.findings if f.rule == "bandit/parse-error"]
        assert [f.path for f in parse_errors] == ["pkg/broken.py"], (engine, outcome.findings)
