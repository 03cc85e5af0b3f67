"""The import server's child behaves as ``python -c "import M"`` would (issue 10, item 3)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archverify.core.facts import ImportFact
from archverify.executors.imports import ImportsStep, _options
from tests.helpers.imports_project import make_context


def _fresh_ok(root: Path, module: str, pythonpath: Path) -> bool:
    code = f"import sys\nsys.path[:0] = [{str(root)!r}, {str(pythonpath)!r}]\nimport {module}\n"
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=root, capture_output=True, timeout=60, check=False
    )
    return done.returncode == 0


def test_a_distribution_whose_imports_depend_on_their_order_is_not_preloaded(
    tmp_path: Path, outside: Path
) -> None:
    # ``orderdep.a`` fails alone (a circular import) and works once ``orderdep.b`` ran first:
    # preloading both in any order would make ``pkg.bad`` pass, which fails fresh.
    (outside / "orderdep").mkdir()
    (outside / "orderdep" / "__init__.py").write_text("")
    (outside / "orderdep" / "a.py").write_text("import orderdep.b\nX = 1\n")
    (outside / "orderdep" / "b.py").write_text("from orderdep.a import X\n")
    (outside / "calm_xyz.py").write_text("VALUE = 1\n")
    root = tmp_path / "root"
    files = {
        "pkg/__init__.py": "",
        "pkg/bad.py": "import orderdep.a\n",
        "pkg/good.py": "import orderdep.b\nimport orderdep.a\nimport calm_xyz\n",
    }
    imports = {
        "pkg.bad": [ImportFact("orderdep.a", 1, 1)],
        "pkg.good": [
            ImportFact("orderdep.b", 1, 1),
            ImportFact("orderdep.a", 2, 1),
            ImportFact("calm_xyz", 3, 1),
        ],
    }
    outcome = ImportsStep().run(make_context(root, files, imports=imports))
    assert not _fresh_ok(root, "pkg.bad", outside)
    assert _fresh_ok(root, "pkg.good", outside)
    assert [(f.path, f.rule) for f in outcome.findings] == [("pkg/bad.py", "imports/error")]
    assert "circular import" in outcome.findings[0].message
    assert outcome.stats["preloaded"] == 1  # calm_xyz only
    assert outcome.stats["preload_dropped"] == 2
    assert outcome.stats["rechecked_fresh"] == 1
    assert outcome.stats["fork_disagreed"] == 0


RECURSION_PROBE = """\
import sys
_count = [0]
def _deeper():
    _count[0] += 1
    _deeper()
try:
    _deeper()
except RecursionError:
    pass
REACHED = _count[0]
assert REACHED == {expected}, (REACHED, {expected})
"""


def _fresh_reach(tmp_path: Path) -> int:
    folder = tmp_path / "reach"
    folder.mkdir()
    (folder / "reach_probe.py").write_text(RECURSION_PROBE.format(expected="REACHED"))
    code = f"import sys\nsys.path[:0] = [{str(folder)!r}]\nimport reach_probe\n"
    code += "print(reach_probe.REACHED)"
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return int(done.stdout)


@pytest.mark.parametrize("fork", [True, False])
def test_recursion_at_import_reaches_as_deep_as_in_a_fresh_interpreter(
    tmp_path: Path, fork: bool
) -> None:
    expected = _fresh_reach(tmp_path)
    probe = RECURSION_PROBE.format(expected=expected)
    files = {"pkg/__init__.py": "", "pkg/sub/__init__.py": "", "pkg/sub/deep.py": probe}
    files["pkg/flat.py"] = probe
    options = {"timeout_s": 10, "fork": fork}
    outcome = ImportsStep().run(make_context(tmp_path / "root", files, options=options))
    assert outcome.findings == []
    assert outcome.stats["imported"] == 4


def test_the_main_module_is_a_bare_one_as_under_python_c(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/main_check.py": (
            "import __main__, sys\n"
            "assert not hasattr(__main__, '__file__'), __main__\n"
            "assert sorted(k for k in vars(__main__) if not k.startswith('__')) == []\n"
            "assert sys.argv == ['-c']\n"
        ),
    }
    outcome = ImportsStep().run(make_context(tmp_path, files))
    assert outcome.findings == []


def test_a_failure_further_down_an_import_chain_does_not_skip_the_importer(
    tmp_path: Path,
) -> None:
    # ``user`` imports ``base`` only after it set up what ``base`` needs: it passes fresh.
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "import builtins\nVALUE = builtins.PREPARED\n",
        "pkg/user.py": "import builtins\nbuiltins.PREPARED = 1\nimport pkg.base\n",
    }
    imports = {"pkg.user": [ImportFact("builtins", 1, 1), ImportFact("pkg.base", 3, 1)]}
    outcome = ImportsStep().run(make_context(tmp_path, files, imports=imports))
    assert [f.path for f in outcome.findings] == ["pkg/base.py"]
    assert outcome.findings[0].extra["dependents"] == []
    assert outcome.stats["skipped_dependents"] == 0
    assert outcome.stats["imported"] == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1024"])
def test_memory_mb_must_be_a_positive_whole_number(tmp_path: Path, bad: object) -> None:
    context = make_context(tmp_path, {"a.py": ""}, options={"memory_mb": bad})
    with pytest.raises(ValueError, match="memory_mb"):
        _options(context)
    outcome = ImportsStep().run(context)
    assert "memory_mb" in outcome.message


@pytest.mark.parametrize(
    "leak",
    [
        "import os\nos.environ['LEAKED_XYZ'] = '1'\n",
        "import sys\nsys.path.append('/leaked-xyz')\n",
        "import sys\nsys.setrecursionlimit(5000)\n",
        "import builtins\nbuiltins.LEAKED_XYZ = 1\n",
        "import warnings\nwarnings.simplefilter('error')\n",
    ],
    ids=["environ", "sys-path", "recursion-limit", "builtins", "warnings-filter"],
)
def test_a_dependency_that_changes_the_interpreter_is_not_preloaded(
    tmp_path: Path, outside: Path, leak: str
) -> None:
    # Preloaded, the change would reach every child, also the modules that never import it.
    (outside / "leaky_xyz.py").write_text(leak)
    root = tmp_path / "root"
    files = {
        "pkg/__init__.py": "",
        "pkg/user.py": "import leaky_xyz\n",
        "pkg/bystander.py": (
            "import builtins, os, sys, warnings\n"
            "assert 'LEAKED_XYZ' not in os.environ\n"
            "assert '/leaked-xyz' not in sys.path\n"
            "assert sys.getrecursionlimit() < 5000\n"
            "assert not hasattr(builtins, 'LEAKED_XYZ')\n"
            "assert not any(f[0] == 'error' for f in warnings.filters)\n"
        ),
    }
    imports = {"pkg.user": [ImportFact("leaky_xyz", 1, 1)]}
    outcome = ImportsStep().run(make_context(root, files, imports=imports))
    assert outcome.findings == []
    assert outcome.stats["preloaded"] == 0
    assert outcome.stats["preload_dropped"] == 1


SERVER_MODULES = ("json", "select", "socket", "subprocess", "faulthandler", "signal", "ctypes")
FRESH_STATE = f"""\
import os, sys
loaded = sorted(n for n in {SERVER_MODULES!r} if n in sys.modules)
leader = os.getsid(0) == os.getpid()
raise RuntimeError(f"{{loaded}} {{leader}} {{hash('archverify')}}")
"""


def test_failures_are_confirmed_in_forks_of_one_fresh_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A confirmation starts where a fresh interpreter does (none of the server's modules
    loaded, a session of its own), forked from one template: so the confirmations share the
    template's hash seed, where fresh interpreters would each draw one."""
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    files = {"pkg/__init__.py": "", "pkg/a.py": FRESH_STATE, "pkg/b.py": FRESH_STATE}
    imports = {m: [ImportFact("os", 1, 1), ImportFact("sys", 1, 1)] for m in ("pkg.a", "pkg.b")}
    outcome = ImportsStep().run(make_context(tmp_path, files, imports=imports))
    assert outcome.stats["rechecked_fresh"] == 2
    texts = [f.message.partition("RuntimeError: ")[2] for f in outcome.findings]
    assert len(texts) == 2
    assert all(t.startswith("[] True ") for t in texts), texts
    assert texts[0] == texts[1]
