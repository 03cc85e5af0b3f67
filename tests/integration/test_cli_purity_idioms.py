"""``archverify run`` on a pure package written with real idioms: every I/O call at its line,
the environment as warnings, no finding for pandas' conversions, and boundaries resolving the
same calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.cli import run_cli
from tests.helpers.configs import APP, PURITY_CORE
from tests.helpers.tree import write_tree

BOUNDARY = """
[[tool.archverify.boundaries]]
name = "providers from the orchestrator only"
packages = ["app.core"]
forbid_calls = ["app.providers.**"]
"""

STORE = """\
import functools
import json
import os
import sys
from json import *
from pathlib import Path

import pandas as pd

from app import providers as provider_module


class Loader:
    reader = json.load

    def load(self, f):
        return self.reader(f)


def save(a, b, s, rows):
    Path(b).joinpath("x").read_text()
    (Path(a) / "b").write_text(s)
    sys.stdout.write(s)
    getattr(json, "load")(s)
    opener = functools.partial(open, a)
    __builtins__["open"](a)
    load(s)
    home = os.environ.get("HOME")
    records = pd.DataFrame(rows).to_dict("records")
    text = pd.DataFrame(rows).to_csv()
    provider = getattr(provider_module, "get_questionnaire_provider")()
    return opener, home, records, text, provider
"""

FILES = {
    "src/app/__init__.py": "",
    "src/app/providers.py": "def get_questionnaire_provider():\n    return None\n",
    "src/app/core/__init__.py": "",
    "src/app/core/store.py": STORE,
}

EXPECTED = [
    ("purity/io-call", 17, "json.load"),
    ("purity/io-call", 21, "pathlib.Path.read_text"),
    ("purity/io-call", 22, "pathlib.Path.write_text"),
    ("purity/io-call", 23, "sys.stdout.write"),
    ("purity/io-call", 24, "json.load"),
    ("purity/io-call", 25, "builtins.open"),
    ("purity/io-call", 26, "builtins.open"),
    ("purity/io-call", 27, "json.load"),
    ("purity/environment", 28, "os.environ"),
    ("boundaries/forbidden-call", 31, "app.providers.get_questionnaire_provider"),
]


def _findings(report: dict[str, Any]) -> list[tuple[str, int, str]]:
    return sorted(
        (f["rule"], f["line"], str(f["extra"].get("call") or f["extra"].get("access")))
        for f in report["findings"]
        if f["path"] == "src/app/core/store.py"
    )


def _project(root: Path, config: str) -> Path:
    write_tree(root, FILES)
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    return root


def test_every_idiom_is_reported_at_its_line_cold_and_warm(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", APP + PURITY_CORE + BOUNDARY)
    args = ["run", ".", "--steps", "purity,boundaries", "--format", "json"]
    cold = run_cli(args, cwd=root)
    assert cold.returncode == 1, cold.stderr
    report = cold.json()
    assert _findings(report) == sorted(EXPECTED)
    severities = {f["rule"]: f["severity"] for f in report["findings"]}
    assert severities["purity/environment"] == "warning"
    assert severities["purity/io-call"] == "error"
    warm = run_cli(args, cwd=root)
    assert _findings(warm.json()) == sorted(EXPECTED)
    assert all(step["cached"] for step in warm.json()["steps"])


def test_allow_environment_silences_only_the_environment(tmp_path: Path) -> None:
    config = APP + PURITY_CORE + "allow_environment = true\n" + BOUNDARY
    root = _project(tmp_path / "p", config)
    run = run_cli(["run", ".", "--steps", "purity,boundaries", "--format", "json"], cwd=root)
    assert run.returncode == 1, run.stderr
    expected = [f for f in EXPECTED if f[0] != "purity/environment"]
    assert _findings(run.json()) == sorted(expected)
