"""The test-heavy row: httpx 0.27.2 with its own test suite, cold against one edit under
``--cache-tests`` (affected tests: only the test modules that executed the edited file run).

Run: python bench/run.py --httpx-tests [--runs 1]
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from runbook.archverify_runs import ArchverifyRuns
from runbook.measure import Figure
from runbook.projects import BENCH_STEPS, Target, read_target

REQUIREMENT = "httpx==0.27.2"
FOLDER = "httpx-0.27.2"
# A module three test modules execute (the top-level API functions): a typical edit.
EDIT_FILE = "httpx/_api.py"
# What httpx's tests import (its requirements.txt is not in the sdist).
DEPS = (
    "httpcore==1.*",
    "anyio",
    "certifi",
    "idna",
    "sniffio",
    "h2",
    "brotli",
    "zstandard",
    "socksio",
    "chardet",
    "click",
    "rich",
    "pygments",
    "trio",
    "trustme",
    "uvicorn",
    "cryptography",
)
CONFIG = "\n".join(
    [
        "# Written by bench/run.py: the runbook's checks and httpx's tests.",
        'source_roots = ["."]',
        'packages = ["httpx"]',
        f"steps = {list(BENCH_STEPS) + ['tests']!r}".replace("'", '"'),
        "",
        "[tests]",
        'paths = ["tests"]',
        "",
        "[mypy]",
        'args = ["--ignore-missing-imports"]',
        "",
    ]
)


def fetch_httpx(work: Path, download: Any, install: Any) -> Target:
    """The sdist (once), extracted (once), its config written, its tests' deps aside."""
    sdists = work / "sdists"
    sdist = sdists / f"{FOLDER}.tar.gz"
    if not sdist.is_file():
        download(REQUIREMENT, sdists)
    root = work / "src" / FOLDER
    if not root.is_dir():
        with tarfile.open(sdist) as archive:
            archive.extractall(work / "src", filter="data")
    (root / "archverify.toml").write_text(CONFIG, encoding="utf-8")
    deps = work / "deps" / FOLDER
    if not deps.is_dir():
        install(deps, DEPS)
    return read_target("httpx-tests", root, EDIT_FILE, deps)


def measure_httpx_tests(runs: ArchverifyRuns, count: int) -> dict[str, Any]:
    """Cold (every test), and one file edited under ``--cache-tests`` (after a filling run)."""
    cold = runs.cold(count)
    edited = runs.edited_replaying_imports(count)
    ratio = edited.median_s / cold.median_s if cold.median_s else 0.0
    rows = [
        ("httpx full run with tests, cold", cold, 1.0, ""),
        (
            f"httpx full run with tests, one source file edited ({EDIT_FILE}), --cache-tests",
            edited,
            ratio,
            "<= 1/4 x its cold run",
        ),
    ]
    lines = [f"  {'figure':<84} | {'median s':>8} | {'ratio':>6} | target"]
    for name, figure, value, target in rows:
        met = "" if not target else (" yes" if value <= 0.25 else " NO")
        lines.append(f"  {name:<84} | {figure.median_s:8.2f} | {value:6.3f} | {target}{met}")
    figures: dict[str, Figure] = {
        "httpx_tests_cold": cold,
        "httpx_tests_edited_cache_tests": edited,
    }
    return {
        "archverify": {key: fig.as_json() for key, fig in figures.items()},
        "archverify_steps": runs.steps_by_run,
        "edit_file": EDIT_FILE,
        "ratio": round(ratio, 4),
        "_rendered": "\n".join(lines),
    }
