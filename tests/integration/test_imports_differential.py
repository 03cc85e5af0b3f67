"""The imports step's verdicts equal a fresh ``python -c "import M"`` (issue 10, item 3).

Real installed packages are each copied into a project and imported by the step's machinery
(fork server, preloads, zygotes) and, module by module, by a fresh interpreter with the same
``sys.path``, environment and working directory: ok, or the exception class and the first line
of its message (addresses normalised). Samples are seeded; the size is in the test's name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import run_archverify
from tests.integration.imports_differential import Verdict, compare, fresh_verdict, step_verdicts

SEED = 20261201


@pytest.mark.parametrize(
    ("package", "sample"),
    [
        ("pydantic", None),
        ("mypy", 60),
        ("hypothesis", 30),
        ("jsonschema", None),
        ("_pytest", 40),
        ("rich", None),
        ("email", None),
        ("xml", None),
        ("json", None),
    ],
    ids=[
        "pydantic-all",
        "mypy-sample60",
        "hypothesis-sample30",
        "jsonschema-all",
        "pytest-sample40",
        "rich-all",
        "email-all",
        "xml-all",
        "json-all",
    ],
)
def test_verdicts_equal_a_fresh_interpreter(
    package: str, sample: int | None, tmp_path: Path
) -> None:
    pytest.importorskip(package)
    found = compare(package, tmp_path, sample=sample, seed=SEED)
    assert found.step, "nothing was imported"
    assert found.disagreements() == []


def test_pydantic_mypy_plugins_pass_as_they_do_fresh(tmp_path: Path) -> None:
    """Once reported as ``KeyError: 'mypy.cache'`` (a failed preload removed compiled modules)."""
    pytest.importorskip("pydantic")
    pytest.importorskip("mypy")
    found = compare(
        "pydantic", tmp_path, sample=None, seed=SEED, only=["pydantic.mypy", "pydantic.v1.mypy"]
    )
    assert found.step == {"pydantic.mypy": ("ok", "", ""), "pydantic.v1.mypy": ("ok", "", "")}
    assert found.disagreements() == []


def _cli(root: Path) -> dict[str, object]:
    # The whole environment of this process, as subprocess would pass it on.
    done = run_archverify(
        ["run", ".", "--steps", "imports", "--format", "json"], cwd=root, env=os.environ
    )
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def _fresh_fails(root: Path, module: str) -> bool:
    code = f"import sys\nsys.path[:0] = [{str(root)!r}]\nimport {module}\n"
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=root, capture_output=True, timeout=60, check=False
    )
    return done.returncode != 0


def _chain(root: Path, length: int) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    for i in range(length):
        body = f"import pkg.c{i + 1:03d}\n" if i + 1 < length else "X = 1\n"
        (root / "pkg" / f"c{i:03d}.py").write_text(body)
    return root


def _longest_fresh_chain(tmp_path: Path) -> int:
    low, high = 20, 400  # passes, fails
    while low + 1 < high:
        middle = (low + high) // 2
        if _fresh_fails(_chain(tmp_path / f"probe{middle}", middle), "pkg.c000"):
            high = middle
        else:
            low = middle
    return low


def test_a_long_import_chain_reaches_recursion_error_where_a_fresh_interpreter_does(
    tmp_path: Path,
) -> None:
    """The worker's own frames do not count against the project's recursion limit."""
    longest = _longest_fresh_chain(tmp_path)
    assert longest >= 100
    report = _cli(_chain(tmp_path / "fits", longest))
    assert report["findings"] == []
    # One module more: only the head's chain is longer than a fresh interpreter can import.
    failing = _cli(_chain(tmp_path / "too-long", longest + 1))
    findings = failing["findings"]
    assert isinstance(findings, list)
    assert [f["path"] for f in findings] == ["pkg/c000.py"]
    assert "RecursionError" in findings[0]["message"]


MYPY_USER = """\
from mypy.errorcodes import ErrorCode
from mypy.plugins.dataclasses import DataclassTransformer
from mypy.semanal import SemanticAnalyzer
from mypy.server.trigger import make_wildcard_trigger
"""


def test_a_module_importing_mypy_fails_as_it_does_fresh(tmp_path: Path) -> None:
    """mypy's circular imports fail in this order in a fresh interpreter; so they do here."""
    pytest.importorskip("mypy")
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "plugin.py").write_text(MYPY_USER)
    (root / "app" / "fine.py").write_text("import mypy.semanal\nimport mypy.plugins.dataclasses\n")
    # A sibling starts from its package's state: nothing the others imported leaks into it.
    (root / "app" / "zz.py").write_text(
        "import sys\nif 'mypy' in sys.modules or 'app.plugin' in sys.modules:\n"
        "    raise RuntimeError('leaked from a sibling')\n"
    )
    assert _fresh_fails(root, "app.plugin")
    assert not _fresh_fails(root, "app.fine")
    report = _cli(root)
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [(f["path"], f["rule"]) for f in findings] == [("app/plugin.py", "imports/error")]
    assert "partially initialized module 'mypy.expandtype'" in findings[0]["message"]


def _project(root: Path, files: dict[str, str], source_root: str = ".") -> Path:
    base = root / source_root
    for name, body in {"app/__init__.py": "", **files}.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    if source_root != ".":
        (root / "pyproject.toml").write_text(
            f'[tool.archverify]\nsource_roots = ["{source_root}"]\npackages = ["app"]\n'
        )
    return root


def _both_ways(root: Path) -> tuple[dict[str, Verdict], dict[str, Verdict]]:
    """The step's verdicts and those of ``cd ROOT && python -c "import M"``, module by module."""
    step, _stats, roots = step_verdicts(root, None, 2, 20.0)
    fresh = {m: fresh_verdict(root, roots, m, 20.0) for m in sorted(step)}
    return step, fresh


# (environment, files, the verdict a fresh interpreter gives the module ``app.m``)
ENVIRONMENT_CASES = {
    "PYTHONWARNINGS=error": (
        {"PYTHONWARNINGS": "error"},
        "import warnings\nwarnings.warn('old', DeprecationWarning)\n",
        ("raised", "DeprecationWarning", "old"),
    ),
    "PYTHONDEVMODE=1": (
        {"PYTHONDEVMODE": "1"},
        "import sys\nif sys.flags.dev_mode:\n    raise RuntimeError('dev mode')\n",
        ("raised", "RuntimeError", "dev mode"),
    ),
    "PYTHONHASHSEED=123": (
        {"PYTHONHASHSEED": "123"},
        "raise RuntimeError(str(hash('archverify')))\n",
        None,  # some number: the same both ways
    ),
    "PYTHONOPTIMIZE=1": (
        {"PYTHONOPTIMIZE": "1"},
        "assert False, 'asserts run'\n",
        ("ok", "", ""),
    ),
    "PYTHONINTMAXSTRDIGITS=640": (
        {"PYTHONINTMAXSTRDIGITS": "640"},
        "TEXT = str(10 ** 1000)\n",
        ("raised", "ValueError", None),
    ),
    "PYTHONUTF8=1": (
        {"PYTHONUTF8": "1"},
        "import sys\nif sys.flags.utf8_mode:\n    raise RuntimeError('utf-8 mode')\n",
        ("raised", "RuntimeError", "utf-8 mode"),
    ),
    "user site allowed": (
        {},
        "import sys\nif sys.flags.no_user_site or sys.flags.isolated:\n"
        "    raise RuntimeError('isolated')\n",
        ("ok", "", ""),
    ),
}


@pytest.mark.parametrize("case", sorted(ENVIRONMENT_CASES))
def test_the_environment_applies_as_to_a_fresh_interpreter(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``PYTHON*`` variables change import-time behaviour for ``python -c``: so they do here."""
    env, body, expected = ENVIRONMENT_CASES[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    step, fresh = _both_ways(_project(tmp_path, {"app/m.py": body}))
    assert step == fresh
    if expected is not None:
        outcome, kind, text = fresh["app.m"]
        assert (outcome, kind) == expected[:2]
        assert expected[2] is None or text == expected[2]


def test_a_user_site_package_is_found_as_by_a_fresh_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where ``python`` adds the user site-packages (not in a virtual environment), so does the
    step; under PYTHONNOUSERSITE neither does."""
    monkeypatch.setenv("PYTHONUSERBASE", str(tmp_path / "userbase"))
    found = subprocess.run(
        [sys.executable, "-c", "import site; print(site.getusersitepackages())"],
        capture_output=True,
        text=True,
        check=True,
    )
    user_site = Path(found.stdout.strip())
    user_site.mkdir(parents=True)
    (user_site / "av_user_only.py").write_text("VALUE = 1\n")
    root = _project(tmp_path / "proj", {"app/m.py": "import av_user_only\n"})
    step, fresh = _both_ways(root)
    assert step == fresh
    monkeypatch.setenv("PYTHONNOUSERSITE", "1")
    step, fresh = _both_ways(root)
    assert step == fresh
    assert fresh["app.m"][:2] == ("raised", "ModuleNotFoundError")


def test_a_module_runs_from_its_source_root(tmp_path: Path) -> None:
    """``cd src && python -c "import app.m"``: relative paths at import time are the source
    root's, and the finding's hint is that command."""
    root = _project(
        tmp_path,
        {"app/m.py": "DATA = open('data.txt').read()\n", "data.txt": "x"},
        source_root="src",
    )
    (root / "data.txt").unlink(missing_ok=True)
    step, fresh = _both_ways(root)
    assert step == fresh
    assert fresh["app.m"] == ("ok", "", "")
    (root / "src" / "data.txt").unlink()
    report = _cli(root)
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [f["path"] for f in findings] == ["src/app/m.py"]
    assert findings[0]["hint"] == 'reproduce with `cd src && python -c "import app.m"`'


def test_a_lowered_recursion_limit_fails_as_it_does_fresh(tmp_path: Path) -> None:
    """Preloaded modules make imports shallower: a module that lowers the limit is confirmed in
    a fresh interpreter, where its limit counts its own frames only."""
    body = "import sys\nsys.setrecursionlimit(50)\nimport json, email.mime.text, xml.dom.minidom\n"
    fine = "import sys\nsys.setrecursionlimit(60)\nLIMIT = sys.getrecursionlimit()\n"
    fine += "assert LIMIT == 60, LIMIT\n"
    root = _project(tmp_path, {"app/m.py": body, "app/fine.py": fine})
    step, fresh = _both_ways(root)
    assert step == fresh
    assert fresh["app.m"][:2] == ("raised", "RecursionError")
    assert fresh["app.fine"] == ("ok", "", "")


def test_pythonpath_reaches_the_project_not_the_import_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PYTHONPATH folder's ``resource.py`` answers the project's ``import resource`` (as fresh)
    but never the server's own (which would fail to start: it imports ``resource`` for the
    memory cap)."""
    folder = tmp_path / "pythonpath"
    folder.mkdir()
    (folder / "resource.py").write_text("raise RuntimeError('the PYTHONPATH copy')\n")
    (folder / "av_on_pythonpath.py").write_text("VALUE = 1\n")
    monkeypatch.setenv("PYTHONPATH", str(folder))
    files = {
        "app/m.py": "import resource\n",
        "app/dep.py": "import av_on_pythonpath\n",
        "app/env.py": f"import os\nassert os.environ['PYTHONPATH'] == {str(folder)!r}\n",
    }
    step, fresh = _both_ways(_project(tmp_path / "proj", files))
    assert fresh["app.m"] == ("raised", "RuntimeError", "the PYTHONPATH copy")
    assert fresh["app.dep"] == fresh["app.env"] == ("ok", "", "")
    assert step == fresh


FIND_LIBRARY_CASES = {
    "app/found.py": "from ctypes.util import find_library\nassert find_library('c')\n",
    "app/missing.py": (
        "from ctypes.util import find_library\n"
        "if find_library('nonexistent_xyz') is None:\n"
        "    raise ImportError('no library nonexistent_xyz')\n"
    ),
    "app/loaded.py": "import ctypes, ctypes.util\nctypes.CDLL(ctypes.util.find_library('c'))\n",
}


def test_replayed_find_library_verdicts_equal_a_fresh_interpreter(tmp_path: Path) -> None:
    """Imports that ask ``find_library`` are replayed on the second run (its processes no
    longer make them unreplayable), and the replayed verdicts are a fresh interpreter's."""
    root = _project(tmp_path, FIND_LIBRARY_CASES)
    (root / "pyproject.toml").write_text('[tool.archverify]\npackages = ["app"]\n')
    first = _cli(root)
    second = _cli(root)
    steps = second["steps"]
    assert isinstance(steps, list)
    imports = next(s for s in steps if s["id"] == "imports")
    assert imports["stats"]["replayed"] == 4 and imports["stats"]["fresh"] == 0
    findings = second["findings"]
    assert isinstance(findings, list) and findings == first["findings"]
    failing = {f["path"] for f in findings if f["rule"] == "imports/error"}
    for module in ("app.found", "app.missing", "app.loaded"):
        fresh = fresh_verdict(root, [str(root)], module, 20.0)
        path = module.replace(".", "/") + ".py"
        assert (fresh[0] != "ok") == (path in failing), (module, fresh)
    assert failing == {"app/missing.py"}


# A module that reads a submodule as an attribute before anything it imports has loaded it
# fails fresh (AttributeError); one whose dependency loads it first passes. Both for a project
# package (``app.sub``) and for a preloaded one (``xml.dom``, preloaded for ``app.xml_user``).
EARLY_READS = {
    "app/sub.py": "X = 1\n",
    "app/later.py": "import app.sub\n",
    "app/early.py": "import app\nVALUE = app.sub.X\nimport app.later\n",
    "app/late.py": "import app.later\nVALUE = app.sub.X\n",
    "app/leaf.py": "import app.late\n",
    "app/xml_early.py": "import xml\nNODE = xml.dom.Node\nimport xml.dom\n",
    "app/xml_late.py": "import xml.dom\nNODE = xml.dom.Node\n",
    "app/xml_user.py": "import xml.dom.minidom\n",
}


def _verdicts_match_fresh(root: Path, report: dict[str, object]) -> dict[str, bool]:
    """Whether each module fails, by the report (its own finding, or a dependent of one)
    and by a fresh interpreter; the two must agree. Returns the report's view."""
    findings = report["findings"]
    assert isinstance(findings, list)
    failing: dict[str, str] = {}
    for finding in findings:
        if not str(finding["rule"]).startswith("imports/"):
            continue
        module = str(finding["path"])[: -len(".py")].replace("/", ".")
        failing[module] = str(finding["message"])
        for dependent in finding.get("extra", {}).get("dependents", []):
            failing[str(dependent)] = str(finding["message"])
    modules = sorted(
        str(p.relative_to(root).with_suffix("")).replace("/", ".") for p in root.rglob("*.py")
    )
    verdicts = {}
    for module in modules:
        name = module.removesuffix(".__init__")
        verdicts[name] = name in failing
        assert _fresh_fails(root, name) == verdicts[name], (name, failing.get(name))
    return verdicts


def test_after_an_edit_every_verdict_equals_a_fresh_interpreter(tmp_path: Path) -> None:
    """The re-import path (replay of what an edit cannot reach, a fork for the rest)."""
    root = _project(tmp_path / "proj", EARLY_READS)
    first = _verdicts_match_fresh(root, _cli(root))
    assert {m for m, fails in first.items() if fails} == {"app.early", "app.xml_early"}
    # An edit the verdicts do not see, then one that takes app.sub out of app.later's import:
    # app.late (and app.leaf through it) now read app.sub before anything loaded it.
    for body in ("import app.sub\n# edited\n", "X = 2\n"):
        (root / "app" / "later.py").write_text(body)
        again = _cli(root)
        steps = again["steps"]
        assert isinstance(steps, list)
        stats = {s["id"]: s for s in steps}["imports"]["stats"]
        # Only what holds app/later.py is imported again: app.later, app.early, app.late, app.leaf.
        assert stats["fresh"] == 4, stats
        seen = _verdicts_match_fresh(root, again)
    assert {m for m, fails in seen.items() if fails} == {
        "app.early",
        "app.late",
        "app.leaf",
        "app.xml_early",
    }
