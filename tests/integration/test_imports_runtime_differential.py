"""The imports step's runtime record equals what a fresh ``python -c "import M"`` loads.

Real packages are copied into a project (as the verdict differential does) and imported by the
step's machinery (fork server, preloads, zygotes); each clean module's record (how many project
modules, and which packages outside the project and the standard library) is compared with a
fresh interpreter that imports it from the same ``sys.path`` and working directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archverify.orchestrator.config.loader import load_config
from archverify.orchestrator.discovery import discover
from tests.integration.imports_differential import make_project, step_verdicts

_FRESH = """\
import json, sys
sys.path[1:1] = {others!r}
before = {{n.partition(".")[0] for n in sys.modules}}
__import__({module!r})  # a name that is no identifier (unicode10-0-0) too
print(json.dumps([sorted(sys.modules), sorted(before)]))
"""


def _fresh(roots: list[str], module: str, package: str, files: set[str]) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _FRESH.format(others=roots[1:], module=module)],
        cwd=roots[0],
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    names, before = json.loads(done.stdout.strip().splitlines()[-1])
    tops = {n.partition(".")[0] for n in names} - set(before) - {package}
    return {
        "modules": sorted(n for n in names if n in files),
        "packages": sorted(
            t
            for t in tops
            if t not in sys.stdlib_module_names and not t.startswith("_sysconfigdata")
        ),
    }


@pytest.mark.parametrize("package", ["email", "rich"])
def test_runtime_loads_equal_a_fresh_interpreter(package: str, tmp_path: Path) -> None:
    pytest.importorskip(package)
    root = make_project(package, tmp_path)
    config = load_config(root, None)
    files = {f.module for f in discover(root, config).files}
    # The whole package is the project (its static graph is the whole one); every clean
    # module is compared (rich's import pygments, markdown_it and attr, which are preloaded).
    verdicts, stats, roots = step_verdicts(root, None, 2, 30.0)
    loads = stats["runtime"]["loads"]
    clean = sorted(m for m, verdict in verdicts.items() if verdict[0] == "ok")
    assert len(clean) >= 10
    assert stats["runtime"]["hidden_edges"] == 0
    for module in clean:
        fresh = _fresh(roots, module, package, files)
        record = loads[module]
        loaded = set(fresh["modules"])
        assert record["modules"] == len(loaded), module
        assert set(record["beyond_static"]) <= loaded, module
        assert not set(record["static_not_loaded"]) & loaded, module
        assert record["packages"] == fresh["packages"], module
