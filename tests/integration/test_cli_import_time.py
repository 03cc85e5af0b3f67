"""Import-time semantics through the CLI, checked against what a fresh interpreter really does.

Main-guarded imports never make a cycle, importing ``a.b.c`` runs the packages ``a`` and ``a.b``
first (so a cycle through a package ``__init__`` is found), and a lazy cycle is shown through
a function-level import. The differential test builds small packages, imports every module in
a fresh interpreter that records each import statement landing on a module still being
initialised, and compares that with the cycles archverify reports.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_cli_run import make_project, run_json

CONFIG = """\
[tool.archverify]
source_roots = ["src"]
"""


def findings(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def fresh_import(root: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, 'src'); {code}"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- main-guarded imports -------------------------------------------------------------------

MAIN_GUARDED = {
    "src/pkg/__init__.py": "",
    "src/pkg/a.py": "from pkg.b import B\nA = 1\n",
    "src/pkg/b.py": ("B = 2\nif __name__ == '__main__':\n    from pkg.a import A\n    print(A)\n"),
}


def test_an_import_under_a_main_guard_makes_no_cycle(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", MAIN_GUARDED, CONFIG)
    assert fresh_import(root, "import pkg.a, pkg.b").returncode == 0
    assert fresh_import(root, "import pkg.b, pkg.a").returncode == 0
    code, report = run_json(root, "--steps", "compile,cycles", "--no-cache")
    assert code == 0, report["findings"]
    assert findings(report, "cycles/import-cycle") == []
    assert findings(report, "cycles/lazy-cycle") == []


def test_rich_like_demo_block_closing_a_cycle_is_no_cycle(tmp_path: Path) -> None:
    # rich 13.9.4: rich.__main__ -> rich.console -> rich.pager, and rich/pager.py imports
    # rich.__main__ only under ``if __name__ == "__main__":`` (nested in another block here).
    files = {
        "src/rich/__init__.py": "",
        "src/rich/__main__.py": "from rich.console import Console\nMAIN = 1\n",
        "src/rich/console.py": "from rich.pager import Pager\nConsole = 1\n",
        "src/rich/pager.py": (
            "Pager = 1\n"
            "if True:\n"
            '    if "__main__" == __name__:\n'
            "        from rich.__main__ import MAIN\n"
            "else:\n"
            "    pass\n"
        ),
    }
    root = make_project(tmp_path / "p", files, CONFIG)
    assert fresh_import(root, "import rich.pager, rich.__main__").returncode == 0
    code, report = run_json(root, "--steps", "compile,cycles", "--no-cache")
    assert code == 0 and findings(report, "cycles/import-cycle") == []


def test_the_else_of_a_main_guard_runs_on_import_and_still_cycles(tmp_path: Path) -> None:
    files = {
        **MAIN_GUARDED,
        "src/pkg/b.py": (
            "if __name__ == '__main__':\n    pass\nelse:\n    from pkg.a import A\nB = 2\n"
        ),
    }
    root = make_project(tmp_path / "p", files, CONFIG)
    assert "circular import" in fresh_import(root, "import pkg.a").stderr
    code, report = run_json(root, "--steps", "compile,cycles", "--no-cache")
    assert code == 1
    (cycle,) = findings(report, "cycles/import-cycle")
    assert cycle["extra"]["modules"] == ["pkg.a", "pkg.b"]


def test_contracts_count_main_guarded_imports_as_import_linter_does(tmp_path: Path) -> None:
    config = (
        CONFIG
        + """
[[tool.archverify.contracts]]
name = "a above b"
type = "layers"
layers = ["pkg.a", "pkg.b"]
"""
    )
    root = make_project(tmp_path / "p", MAIN_GUARDED, config)
    code, report = run_json(root, "--steps", "compile,contracts,cycles", "--no-cache")
    assert code == 1
    assert [(f["path"], f["line"]) for f in findings(report, "contracts/layers")] == [
        ("src/pkg/b.py", 3)
    ]
    assert findings(report, "cycles/import-cycle") == []
    # grimp (import-linter's graph) records the main-guarded import as an ordinary one.
    grimp = pytest.importorskip("grimp")
    sys.path.insert(0, str(root / "src"))
    try:
        graph = grimp.build_graph("pkg", cache_dir=None)
    finally:
        sys.path.remove(str(root / "src"))
        for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
            del sys.modules[name]
    assert graph.direct_import_exists(importer="pkg.b", imported="pkg.a")


# --- parent packages ------------------------------------------------------------------------

PARENT_CYCLE = {
    "src/pkg/__init__.py": "",
    "src/pkg/a.py": "from pkg.b.c import C\nA = 1\n",
    "src/pkg/b/__init__.py": "from pkg.a import A\n",
    "src/pkg/b/c.py": "C = 1\n",
}


def test_a_cycle_through_a_parent_package_init_is_found(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", PARENT_CYCLE, CONFIG)
    failed = fresh_import(root, "import pkg.a")
    assert failed.returncode == 1 and "circular import" in failed.stderr
    code, report = run_json(root, "--steps", "compile,cycles", "--no-cache")
    assert code == 1
    (cycle,) = findings(report, "cycles/import-cycle")
    assert cycle["extra"]["modules"] == ["pkg.a", "pkg.b"]
    assert (
        "pkg.a -> pkg.b (implicit: importing pkg.b.c runs pkg.b first) -> pkg.a" in cycle["message"]
    )
    first, second = cycle["extra"]["chain"]
    assert first == {
        "importer": "pkg.a",
        "imported": "pkg.b",
        "path": "src/pkg/a.py",
        "line": 1,
        "implicit": True,
        "via": "pkg.b.c",
    }
    assert second["importer"] == "pkg.b" and "implicit" not in second


def test_a_module_importing_through_its_own_parent_is_no_cycle(tmp_path: Path) -> None:
    files = {
        "src/pkg/__init__.py": "from pkg.x import X\n",
        "src/pkg/x.py": "from pkg.y import Y\nimport pkg.sub.z\nX = 1\n",
        "src/pkg/y.py": "Y = 1\n",
        "src/pkg/sub/__init__.py": "from pkg.y import Y\n",
        "src/pkg/sub/z.py": "from pkg.sub import Y\n",
    }
    root = make_project(tmp_path / "p", files, CONFIG)
    for module in ("pkg", "pkg.x", "pkg.y", "pkg.sub", "pkg.sub.z"):
        assert fresh_import(root, f"import {module}").returncode == 0
    code, report = run_json(root, "--steps", "compile,cycles", "--no-cache")
    assert code == 0, report["findings"]


# A fresh interpreter that records every import statement finding a module it needs still
# being initialised (``__spec__._initializing``): the ground truth of an import-time cycle.
# What a statement needs is what archverify's graph has: its targets (``from a import b`` is
# ``a.b`` when that is a module, else ``a``) and their parent packages, less the importer's
# own parents, which are always initialised (or being so) before its code runs.
_RECORDER = r"""
import builtins, importlib.util, json, sys
sys.path.insert(0, "src")
real_import = builtins.__import__
hits = []

def partial():
    return {n for n, m in list(sys.modules.items())
            if getattr(getattr(m, "__spec__", None), "_initializing", False)}

def own(importer, name):
    return importer == name or importer.startswith(name + ".")

def recording(name, globals=None, locals=None, fromlist=(), level=0):
    globals = globals or {}
    importer = globals.get("__name__", "")
    before = partial()
    try:
        return real_import(name, globals, locals, fromlist, level)
    finally:
        base = name
        if level:
            base = importlib.util.resolve_name("." * level + name, globals.get("__package__"))
        asked = [f"{base}.{item}" for item in fromlist or ()] or [base]
        for wanted in asked:
            target = wanted if wanted in sys.modules else wanted.rpartition(".")[0] or wanted
            parents = [target.rsplit(".", k)[0] for k in range(1, target.count(".") + 1)]
            needed = {target} | {p for p in parents if not own(importer, p)}
            hits.extend([importer, n] for n in sorted(needed & before) if n != importer)

builtins.__import__ = recording
try:
    importlib.import_module(sys.argv[1])
    error = ""
except Exception as exc:
    error = f"{type(exc).__name__}: {exc}"
print(json.dumps({"hits": hits, "error": error}))
"""

DIFFERENTIAL_CASES: dict[str, dict[str, str]] = {
    "parent init closes the cycle": PARENT_CYCLE,
    "child imports a sibling while the parent imports the child": {
        "src/pkg/__init__.py": "from pkg.x import X\nP = 1\n",
        "src/pkg/x.py": "from pkg.y import Y\nX = 1\n",
        "src/pkg/y.py": "Y = 1\n",
    },
    "child needs a name of its partly initialised parent": {
        "src/pkg/__init__.py": "from pkg.x import X\nH = 1\n",
        "src/pkg/x.py": "from pkg import H\nX = 1\n",
    },
    "two packages, the cycle closed by parent packages only": {
        "src/a/__init__.py": "from a.m import M\n",
        "src/a/m.py": "from b.n import N\nM = 1\n",
        "src/a/k.py": "K = 1\n",
        "src/b/__init__.py": "from a.k import K\n",
        "src/b/n.py": "N = 1\n",
    },
    "two packages, no package init involved": {
        "src/a/__init__.py": "",
        "src/a/m.py": "from b.n import N\nM = 1\n",
        "src/a/k.py": "K = 1\n",
        "src/b/__init__.py": "from a.k import K\n",
        "src/b/n.py": "N = 1\n",
    },
    "grandparent packages run first": {
        "src/x/__init__.py": "from y.z.w import W\n",
        "src/x/q.py": "Q = 1\n",
        "src/y/__init__.py": "",
        "src/y/z/__init__.py": "from x.q import Q\n",
        "src/y/z/w.py": "W = 1\n",
    },
    "main-guarded and function-level closing imports": {
        "src/pkg/__init__.py": "",
        "src/pkg/a.py": "from pkg.b import B\nA = 1\n",
        "src/pkg/b.py": (
            "B = 1\n"
            "def later():\n"
            "    from pkg.a import A\n"
            "if __name__ == '__main__':\n"
            "    from pkg.a import A\n"
        ),
    },
    "relative imports through a package": {
        "src/pkg/__init__.py": "from .sub.leaf import L\n",
        "src/pkg/sub/__init__.py": "from ..top import T\n",
        "src/pkg/sub/leaf.py": "L = 1\n",
        "src/pkg/top.py": "from . import sub\nT = 1\n",
    },
}


def _truth(root: Path, modules: list[str]) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """(importer, partly initialised module) pairs hit for any start module, and the errors."""
    hits: set[tuple[str, str]] = set()
    errors: dict[str, str] = {}
    for module in modules:
        run = subprocess.run(
            [sys.executable, "-I", "-c", _RECORDER, module],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        result = json.loads(run.stdout)
        hits.update((importer, needed) for importer, needed in result["hits"])
        if result["error"]:
            errors[module] = result["error"]
    return hits, errors


def _modules_of(files: dict[str, str]) -> list[str]:
    return sorted(
        p.removeprefix("src/").removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for p in files
    )


def _assert_cycles_are_what_python_hits(root: Path, files: dict[str, str], case: str) -> int:
    """Compare archverify's import-time cycles with a fresh interpreter's partial-module hits
    over every start module; returns how many cycles there were."""
    hits, errors = _truth(root, _modules_of(files))
    code, report = run_json(root, "--steps", "compile,cycles", "--no-cache")
    cycles = [set(f["extra"]["modules"]) for f in findings(report, "cycles/import-cycle")]
    # Every import landing on a partly initialised module is inside one reported cycle ...
    for importer, needed in hits:
        assert any({importer, needed} <= c for c in cycles), (case, importer, needed, cycles)
    # ... every reported cycle is hit by some import order ...
    for cycle in cycles:
        assert any({i, n} <= cycle for i, n in hits), (case, cycle, hits)
    # ... and every circular-import failure is such a hit.
    assert not errors or hits, errors
    assert code == (1 if cycles else 0), report["findings"]
    return len(cycles)


@pytest.mark.parametrize("case", sorted(DIFFERENTIAL_CASES))
def test_cycles_equal_what_a_fresh_interpreter_hits(tmp_path: Path, case: str) -> None:
    files = DIFFERENTIAL_CASES[case]
    root = make_project(tmp_path / "p", files, CONFIG)
    _assert_cycles_are_what_python_hits(root, files, case)


# Random packages: plain ``import X``, ``from P import child`` and relative imports only, so
# that no import fails and every start module runs every module-level import it reaches.
_PACKAGES = ("p", "p.s", "p.s.u", "q", "q.t")
_LEAVES = ("p.m1", "p.m2", "p.s.m3", "p.s.u.m4", "q.m5", "q.t.m6")
_RANDOM_CASES = 24
_SEED = 20261201


def _random_project(rng: random.Random) -> dict[str, str]:
    modules = [*_PACKAGES, *rng.sample(_LEAVES, rng.randint(2, len(_LEAVES)))]
    statements: dict[str, list[str]] = {m: [] for m in modules}
    for module in modules:
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            target = rng.choice([m for m in modules if m != module])
            parent, _, leaf = target.rpartition(".")
            own_parent = module if module in _PACKAGES else module.rpartition(".")[0]
            forms = [f"import {target}"]
            if parent:
                forms.append(f"from {parent} import {leaf}")
            if parent and parent == own_parent:
                forms.append(f"from . import {leaf}")
            line = rng.choice(forms)
            where = rng.random()
            if where < 0.12:
                line = f"def later():\n    {line}"
            elif where < 0.24:
                line = f"if __name__ == '__main__':\n    {line}"
            statements[module].append(line)
    files: dict[str, str] = {}
    for module, lines in statements.items():
        path = module.replace(".", "/") + ("/__init__.py" if module in _PACKAGES else ".py")
        files[f"src/{path}"] = "".join(f"{line}\n" for line in lines) + "VALUE = 1\n"
    return files


def test_random_packages_24_cases_seed_20261201_cycles_equal_python(tmp_path: Path) -> None:
    rng = random.Random(_SEED)
    with_cycles = 0
    for index in range(_RANDOM_CASES):
        files = _random_project(rng)
        root = make_project(tmp_path / f"case{index}", files, CONFIG)
        with_cycles += bool(_assert_cycles_are_what_python_hits(root, files, f"case {index}"))
    # The sample is not vacuous: some cases have cycles, some none.
    assert 0 < with_cycles < _RANDOM_CASES


# --- lazy cycles ----------------------------------------------------------------------------


def test_a_lazy_cycle_is_shown_through_its_function_level_import(tmp_path: Path) -> None:
    files = {
        "src/pkg/__init__.py": "",
        "src/pkg/a.py": "import pkg.b\n\n\ndef later():\n    import pkg.c\n",
        "src/pkg/b.py": "import pkg.a\n",
        "src/pkg/c.py": "import pkg.a\n",
    }
    root = make_project(tmp_path / "p", files, CONFIG)
    code, report = run_json(root, "--steps", "compile,cycles", "--no-cache")
    assert code == 1
    (eager,) = findings(report, "cycles/import-cycle")
    assert eager["extra"]["modules"] == ["pkg.a", "pkg.b"]
    (lazy,) = findings(report, "cycles/lazy-cycle")
    assert lazy["extra"]["modules"] == ["pkg.a", "pkg.b", "pkg.c"]
    assert (
        "pkg.a -> pkg.c (function-level) -> pkg.a (src/pkg/a.py:5, src/pkg/c.py:1)"
        in lazy["message"]
    )
    assert (lazy["path"], lazy["line"]) == ("src/pkg/a.py", 5)
    assert lazy["extra"]["chain"][0]["in_function"] is True
