"""No stale replay when the environment changes (issue 10.2), through the CLI.

A distribution is installed and then uninstalled between runs (a real ``pip install
--no-index --no-deps --target`` of a wheel built here, on PYTHONPATH; the uninstall removes what
pip put there, as ``pip uninstall`` would): mypy, tests (with ``--cache-tests``) and imports run
again, and their verdicts follow the environment.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from tests.helpers.cli import run_archverify
from tests.helpers.configs import APP

DIST = "tinydist"
FILES = {
    "pyproject.toml": APP,
    "src/app/__init__.py": "",
    # mypy: import-not-found without the distribution, an assignment error with it.
    "src/app/use.py": "import tinydist\n\nVALUE: str = tinydist.value()\n",
    "tests/test_use.py": "def test_it():\n    import app.use\n\n    assert app.use.VALUE == 1\n",
}
STEPS = ("mypy", "tests", "imports")


def _wheel(folder: Path) -> Path:
    """A minimal, valid wheel of ``tinydist`` 1.0 (typed: it ships py.typed)."""
    files = {
        f"{DIST}/__init__.py": b"def value() -> int:\n    return 1\n",
        f"{DIST}/py.typed": b"",
        f"{DIST}-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinydist\nVersion: 1.0\n",
        f"{DIST}-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: "
        b"true\nTag: py3-none-any\n",
    }
    record = [
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for name, data in files.items()
    ]
    files[f"{DIST}-1.0.dist-info/RECORD"] = (
        "\n".join([*record, f"{DIST}-1.0.dist-info/RECORD,,"]) + "\n"
    ).encode()
    wheel = folder / f"{DIST}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def _run(root: Path, site: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = run_archverify(
        ["run", str(root), "--format", "json", "--steps", ",".join(STEPS), "--cache-tests"],
        cwd=root,
        env=env,
        timeout_s=600,
    )
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _cached(report: dict[str, Any]) -> dict[str, bool]:
    return {s["id"]: s["cached"] for s in report["steps"]}


def _imports(report: dict[str, Any]) -> dict[str, Any]:
    stats: dict[str, Any] = next(s for s in report["steps"] if s["id"] == "imports")["stats"]
    return stats


def _verdicts(report: dict[str, Any]) -> dict[str, Any]:
    steps = {s["id"]: s["status"] for s in report["steps"]}
    rules = sorted({(f["rule"], f["path"]) for f in report["findings"]})
    return {"steps": steps, "rules": rules}


def test_installing_and_uninstalling_a_distribution_reruns_the_steps(tmp_path: Path) -> None:
    root = tmp_path / "project"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    site = tmp_path / "site"
    site.mkdir()
    wheel = _wheel(tmp_path)

    without = _run(root, site)
    assert ("mypy/import-not-found", "src/app/use.py") in _verdicts(without)["rules"]
    again = _run(root, site)
    # Nothing changed: every step replays (imports module by module on this first replay,
    # whose key then holds what the imports read; whole from the next run on).
    assert _cached(again) == {**dict.fromkeys(STEPS, True), "imports": False}
    assert _imports(again)["fresh"] == 0 and _imports(again)["replayed"] > 0
    assert _cached(_run(root, site)) == dict.fromkeys(STEPS, True)
    assert _verdicts(again) == _verdicts(without)

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    installed = _run(root, site)
    assert _cached(installed) == dict.fromkeys(STEPS, False)
    rules = _verdicts(installed)["rules"]
    assert ("mypy/assignment", "src/app/use.py") in rules
    assert ("mypy/import-not-found", "src/app/use.py") not in rules
    assert installed["steps"] != without["steps"]
    assert _verdicts(installed)["steps"]["imports"] == "passed"

    shutil.rmtree(site / DIST)
    shutil.rmtree(site / f"{DIST}-1.0.dist-info")
    uninstalled = _run(root, site)
    # The environment is again exactly the first run's (the folder's entries and each
    # distribution's RECORD, not its modification time, are the key): its results may replay,
    # and never the installed run's.
    assert _verdicts(uninstalled) == _verdicts(without)
    assert _verdicts(uninstalled) != _verdicts(installed)
