"""The imports step's runtime record against the static graph, through the real CLI.

Each project is small and written to disk; the imports really run (forks, zygotes, preloads):
``imports/hidden-edge`` for loads no static import explains, ``imports/runtime-contract`` for
a contract only those break, ``stats.runtime`` for what each import loaded (compared with fresh
interpreters) and for the module-level imports that never ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers.cli import CliRun, run_cli
from tests.helpers.configs import APP, layers_contract
from tests.helpers.tree import write_tree

HIDDEN = "imports/hidden-edge"
RUNTIME_CONTRACT = "imports/runtime-contract"


def _run(
    root: Path, *extra: str, env: dict[str, str] | None = None, marker: str | None = None
) -> CliRun:
    return run_cli(
        [
            "run",
            str(root),
            "--steps",
            "contracts,imports",
            "--format",
            "json",
            "--jobs",
            "2",
            *extra,
        ],
        cwd=root,
        env=env,
        marker=marker,
    )


def _findings(run: CliRun, rule: str) -> list[dict[str, Any]]:
    return [f for f in run.json()["findings"] if f["rule"] == rule]


def _runtime(run: CliRun) -> dict[str, Any]:
    runtime: dict[str, Any] = run.step("imports")["stats"]["runtime"]
    return runtime


def _project(root: Path, files: dict[str, str], config: str = APP) -> Path:
    return write_tree(root, {"pyproject.toml": config, "src/app/__init__.py": "", **files})


def test_import_module_with_a_name_from_config_is_a_hidden_edge(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "src/app/config.py": 'BACKEND = "app.plugins.csv_backend"\n',
            "src/app/plugins/__init__.py": "",
            "src/app/plugins/csv_backend.py": "NAME = 'csv'\n",
            "src/app/loader.py": (
                "import importlib\n\nfrom app import config\n\n"
                "backend = importlib.import_module(config.BACKEND)\n"
            ),
            "src/app/main.py": "from app import loader\n",
        },
    )
    run = _run(root)
    [finding] = _findings(run, HIDDEN)
    assert (finding["path"], finding["line"], finding["severity"]) == (
        "src/app/loader.py",
        5,
        "warning",
    )
    extra = finding["extra"]
    assert (extra["module"], extra["imported"], extra["function"]) == (
        "app.loader",
        "app.plugins.csv_backend",
        "<module>",
    )
    assert extra["importing"] == "app.loader"
    # Every module whose clean import reaches the load, the loader's importers too.
    assert extra["reached_from"] == ["app.loader", "app.main"]
    assert run.returncode == 0  # a warning


def test_a_plugin_registry_filled_at_import_is_found_with_its_loader(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "src/app/plugins/__init__.py": "",
            "src/app/plugins/alpha.py": "from app.registry import register\nregister('alpha')\n",
            "src/app/plugins/beta.py": "from app.registry import register\nregister('beta')\n",
            "src/app/registry.py": "PLUGINS = []\n\n\ndef register(name):\n"
            "    PLUGINS.append(name)\n",
            "src/app/discovery.py": (
                "import importlib\nimport pkgutil\n\nimport app.plugins\n\n\n"
                "def discover():\n"
                "    for info in pkgutil.iter_modules(app.plugins.__path__, 'app.plugins.'):\n"
                "        importlib.import_module(info.name)\n\n\n"
                "discover()\n"
            ),
        },
    )
    run = _run(root)
    found = sorted(
        (f["path"], f["line"], f["extra"]["imported"], f["extra"]["function"])
        for f in _findings(run, HIDDEN)
    )
    assert found == [
        ("src/app/discovery.py", 9, "app.plugins.alpha", "discover"),
        ("src/app/discovery.py", 9, "app.plugins.beta", "discover"),
    ]
    [first, _] = sorted(_findings(run, HIDDEN), key=lambda f: f["extra"]["imported"])
    assert (first["extra"]["importing"], first["extra"]["importing_line"]) == ("app.discovery", 12)
    assert "in discover()" in first["message"]


def test_a_registry_outside_the_project_loading_project_modules(tmp_path: Path) -> None:
    """The load goes through a package of another distribution: it is named, and the loader
    is the project line that called it; that package's own imports are never flagged."""
    vendor = write_tree(
        tmp_path / "vendor",
        {
            "plugloader/__init__.py": (
                "import importlib\nimport json\n\n\ndef load(names):\n"
                "    import decimal\n"
                "    return [importlib.import_module(n) for n in names]\n"
            ),
        },
    )
    root = _project(
        tmp_path / "project",
        {
            "src/app/ext.py": "VALUE = 1\n",
            "src/app/boot.py": "import plugloader\n\nLOADED = plugloader.load(['app.ext'])\n",
        },
    )
    run = _run(root, env={"PYTHONPATH": str(vendor)})
    [finding] = _findings(run, HIDDEN)
    assert (finding["path"], finding["line"]) == ("src/app/boot.py", 3)
    assert (finding["extra"]["imported"], finding["extra"]["via"]) == ("app.ext", "plugloader")
    assert "through plugloader" in finding["message"]
    assert _runtime(run)["loads"]["app.boot"]["packages"] == ["plugloader"]


def test_a_module_getattr_touched_at_import_time(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "src/app/lazy.py": (
                "import importlib\n\n_LAZY = {'heavy': 'app.impl.heavy'}\n\n\n"
                "def __getattr__(name):\n"
                "    if name in _LAZY:\n"
                "        return importlib.import_module(_LAZY[name])\n"
                "    raise AttributeError(name)\n"
            ),
            "src/app/impl/__init__.py": "",
            "src/app/impl/heavy.py": "SIZE = 3\n",
            "src/app/user.py": "from app import lazy\n\nSIZE = lazy.heavy.SIZE\n",
        },
    )
    run = _run(root)
    [finding] = _findings(run, HIDDEN)
    assert (finding["path"], finding["line"]) == ("src/app/lazy.py", 8)
    extra = finding["extra"]
    assert (extra["module"], extra["imported"], extra["function"]) == (
        "app.lazy",
        "app.impl.heavy",
        "__getattr__",
    )
    assert (extra["importing"], extra["importing_path"], extra["importing_line"]) == (
        "app.user",
        "src/app/user.py",
        3,
    )
    assert extra["reached_from"] == ["app.user"]  # importing app.lazy alone touches nothing


# app.low loads app.high through a computed name: a layers contract is broken at runtime only.
_LOW_LOADS_HIGH = {
    "src/app/high/__init__.py": "",
    "src/app/high/views.py": "VIEW = 1\n",
    "src/app/low/__init__.py": "",
    "src/app/low/service.py": (
        "import importlib\n\nNAME = 'app.high' + '.views'\nviews = importlib.import_module(NAME)\n"
    ),
}


def test_a_contract_broken_only_at_runtime_is_an_error_naming_it(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        _LOW_LOADS_HIGH,
        APP + layers_contract("app.high", "app.low"),
    )
    run = _run(root)
    contracts = run.step("contracts")
    assert contracts["status"] == "passed"  # statically kept
    [finding] = _findings(run, RUNTIME_CONTRACT)
    assert (finding["path"], finding["line"], finding["severity"]) == (
        "src/app/low/service.py",
        4,
        "error",
    )
    assert finding["extra"]["contract"] == "layers"
    assert "contract 'layers' broken at runtime only" in finding["message"]
    assert finding["extra"]["runtime_hops"] == [
        {
            "importer": "app.low.service",
            "imported": "app.high.views",
            "path": "src/app/low/service.py",
            "line": 4,
        }
    ]
    assert run.returncode == 1


def test_a_contract_kept_by_the_runtime_edges_too_is_not_reported(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "src/app/high/__init__.py": "",
            "src/app/high/views.py": (
                "import importlib\n\nservice = importlib.import_module('app.low.' + 'service')\n"
            ),
            "src/app/low/__init__.py": "",
            "src/app/low/service.py": "VALUE = 1\n",
        },
        APP + layers_contract("app.high", "app.low"),
    )
    run = _run(root)
    assert len(_findings(run, HIDDEN)) == 1  # downwards: allowed by the layers
    assert _findings(run, RUNTIME_CONTRACT) == []
    assert run.returncode == 0


# Static imports only, some of them run by a package (the zygote its members fork from) and
# some of them preloaded (a package outside the project that several modules import).
_STATIC = {
    "src/app/__init__.py": "import extdep\n\nfrom app import common\n",
    "src/app/common.py": "import json\n\nimport extdep.sub\n",
    "src/app/a.py": (
        "from app import common\nfrom app.sub import b\n\n\n"
        "def helper():\n    from app import late\n    return late\n\n\n"
        "LATE = helper()\n"
    ),
    "src/app/sub/__init__.py": "",
    "src/app/sub/b.py": (
        "try:\n    import surely_missing_dist_abc\nexcept ImportError:\n"
        "    from app import fallback\n\nimport sys\n\n"
        "if sys.version_info < (3, 0):\n    from app import ancient\n"
    ),
    "src/app/fallback.py": "VALUE = 1\n",
    "src/app/ancient.py": "VALUE = 1\n",
    "src/app/late.py": "import lateonly\n",
    # A literal name is a static import (the facts read it): no hidden edge.
    "src/app/c.py": (
        "import importlib\n\nimport app.sub.b\n\nimportlib.import_module('app.literal')\n"
    ),
    "src/app/literal.py": "VALUE = 1\n",
}
_VENDOR = {
    "extdep/__init__.py": "import extdep_helper\n",
    "extdep/sub.py": "",
    "extdep_helper.py": "",
    "lateonly.py": "",
}


def _fresh_loads(root: Path, vendor: Path, module: str) -> dict[str, list[str]]:
    """What ``cd src && python -c "import M"`` loads: project modules, outside packages."""
    script = (
        "import json, sys\n"
        f"import {module}\n"
        "names = sorted(sys.modules)\n"
        "print(json.dumps(names))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root / "src",
        env={**os.environ, "PYTHONPATH": str(vendor)},
        capture_output=True,
        text=True,
        check=True,
    )
    names = json.loads(done.stdout)
    baseline = subprocess.run(
        [sys.executable, "-c", "import json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        cwd=root / "src",
        env={**os.environ, "PYTHONPATH": str(vendor)},
        capture_output=True,
        text=True,
        check=True,
    )
    before = {n.partition(".")[0] for n in json.loads(baseline.stdout)} | {"json"}
    tops = {n.partition(".")[0] for n in names} - before - {"app"}
    return {
        "modules": [n for n in names if n.partition(".")[0] == "app"],
        "packages": sorted(t for t in tops if t not in sys.stdlib_module_names),
    }


def test_static_imports_only_give_no_hidden_edge_and_the_loads_of_a_fresh_interpreter(
    tmp_path: Path,
) -> None:
    vendor = write_tree(tmp_path / "vendor", _VENDOR)
    root = _project(tmp_path / "project", _STATIC)
    run = _run(root, env={"PYTHONPATH": str(vendor)})
    stats = run.step("imports")["stats"]
    assert stats["imported"] == stats["modules"] == 10
    assert stats["preloaded"] >= 2  # extdep and extdep.sub come from the server's preloads
    assert _findings(run, HIDDEN) == [] and _findings(run, RUNTIME_CONTRACT) == []
    loads = _runtime(run)["loads"]
    # Against the static import-time closure: app.a runs a function-level import at import
    # time (beyond it), app.sub.b's version branch never runs (in it, not loaded).
    expected = {
        "app": ([], []),
        "app.a": (["app.late"], ["app.ancient"]),
        "app.sub.b": ([], ["app.ancient"]),
        "app.c": ([], ["app.ancient"]),
        "app.late": ([], []),
        "app.sub": ([], []),
    }
    for module, (beyond, not_loaded) in expected.items():
        fresh = _fresh_loads(root, vendor, module)
        assert loads[module] == {
            "modules": len(fresh["modules"]),
            "beyond_static": beyond,
            "static_not_loaded": not_loaded,
            "packages": fresh["packages"],
        }, module
    # The package's import ran in the zygote its members fork from; a member still counts it,
    # and the packages its preloaded imports load.
    assert "app.common" in _fresh_loads(root, vendor, "app.sub.b")["modules"]
    assert loads["app.sub.b"]["packages"] == ["extdep", "extdep_helper"]
    assert loads["app.a"]["packages"] == ["extdep", "extdep_helper", "lateonly"]
    # A fresh interpreter per module (no fork, no zygote, no preload) records the same.
    config = APP + "\n[tool.archverify.imports]\nfork = false\n"
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    spawned = _run(root, "--no-cache", env={"PYTHONPATH": str(vendor)})
    assert spawned.step("imports")["stats"]["fork"] is False
    assert _runtime(spawned)["loads"] == loads


def test_module_level_imports_that_never_ran_are_information(tmp_path: Path) -> None:
    vendor = write_tree(tmp_path / "vendor", _VENDOR)
    root = _project(tmp_path / "project", _STATIC)
    run = _run(root, env={"PYTHONPATH": str(vendor)})
    not_run = _runtime(run)["not_run"]
    assert not_run == [
        {
            "module": "app.sub.b",
            "imported": "app.ancient",
            "path": "src/app/sub/b.py",
            "line": 9,
        },
        {
            "module": "app.sub.b",
            "imported": "surely_missing_dist_abc",
            "path": "src/app/sub/b.py",
            "line": 2,
            "guarded": True,
        },
    ]
    assert [f for f in run.json()["findings"] if f["step"] == "imports"] == []


def test_replay_keeps_the_runtime_record_and_follows_the_modules_it_loaded(
    tmp_path: Path,
) -> None:
    """A replayed verdict carries its runtime record; editing a module that was loaded only
    through a computed name imports its loader again (its static key does not follow it).
    The runs share their environment (one marker): the replay keys hold all of it."""
    root = _project(
        tmp_path,
        {
            "src/app/plugin.py": "NAME = 'p'\n",
            "src/app/loader.py": (
                "import importlib\n\nplugin = importlib.import_module('app.' + 'plugin')\n"
            ),
        },
    )
    first = _run(root, marker="replay")
    (root / "src/app/other.py").write_text("X = 1\n")  # the step runs again, per module
    second = _run(root, marker="replay")
    assert second.step("imports")["stats"]["replayed"] >= 3
    assert [f["extra"] for f in _findings(second, HIDDEN)] == [
        f["extra"] for f in _findings(first, HIDDEN)
    ]
    assert _runtime(second)["loads"]["app.loader"] == _runtime(first)["loads"]["app.loader"]
    assert _runtime(first)["loads"]["app.loader"]["beyond_static"] == ["app.plugin"]
    (root / "src/app/plugin.py").write_text("raise RuntimeError('broken plugin')\n")
    third = _run(root, marker="replay")
    [error] = [f for f in third.json()["findings"] if f["rule"] == "imports/error"]
    assert error["path"] == "src/app/plugin.py"
    assert error["extra"]["dependents"] == ["app.loader"]


def test_a_replayed_imports_step_follows_the_contracts_its_runtime_check_reads(
    tmp_path: Path,
) -> None:
    """The runtime-contract findings depend on the contracts as much as on the imports: a
    contract added after a run must not be answered by that run's replayed verdict."""
    root = _project(tmp_path, _LOW_LOADS_HIGH)
    first = _run(root, "--cache-tests")
    assert _findings(first, RUNTIME_CONTRACT) == [] and first.returncode == 0
    (root / "pyproject.toml").write_text(APP + layers_contract("app.high", "app.low"))
    second = _run(root, "--cache-tests")
    assert [f["extra"]["contract"] for f in _findings(second, RUNTIME_CONTRACT)] == ["layers"]
    assert second.returncode == 1


def test_archverify_verifying_itself_finds_no_hidden_edge_in_its_own_import_server(
    tmp_path: Path,
) -> None:
    """The import server runs by path from archverify's own tree: verifying archverify, its
    file is a project file, and its ``__import__`` of each module is no load of the project's
    (78 hidden edges and 4 runtime contract breaks at server.py's import_one() before)."""
    repo = Path(__file__).resolve().parents[2]
    config = tmp_path / "self.toml"
    config.write_text('source_roots = ["src"]\npackages = ["archverify"]\nsteps = ["imports"]\n')
    done = run_cli(
        ["run", str(repo), "--config", str(config), "--no-cache", "--format", "json"], cwd=repo
    )
    server = "src/archverify/executors/imports/server.py"
    assert [f for f in done.json()["findings"] if f["path"] == server] == []
    assert _runtime(done)["hidden_edges"] == 0
