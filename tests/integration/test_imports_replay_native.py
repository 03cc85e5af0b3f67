"""Imports that look for or load native libraries are replayed, and re-imported when those change.

``ctypes.util.find_library`` answers by running ``ldconfig``, the C compiler, ``ld`` and
``objdump``; the step attributes those processes to it and keys the import by what they read
(the loader's and linker's configuration, search folders, programs and candidate files) instead
of refusing to replay it. A process any other code starts still makes the import unreplayable.
A library loaded with ``ctypes.CDLL(path)`` is keyed by the file's stat. Through the real CLI.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_imports_replay_default import LOG, PYPROJECT, Project

FIND = LOG + (
    "from ctypes.util import find_library\n"
    "C = find_library('c')\n"
    "NONE = find_library('nonexistent_xyz')\n"
    "assert C and NONE is None, (C, NONE)\n"
)
FILES = {
    "pyproject.toml": PYPROJECT.replace('["pkg", "other"]', '["pkg"]'),
    "pkg/__init__.py": LOG,
    "pkg/lib.py": FIND,
    # Loads what it found, by name: the dynamic loader's search.
    "pkg/loaded.py": FIND + "import ctypes\nctypes.CDLL(C)\n",
    "pkg/proc.py": LOG + "import subprocess\nsubprocess.run(['true'], check=True)\n",
}
NATIVE_TOOLS = all(shutil.which(tool) for tool in ("gcc", "ld", "objdump"))
needs_tools = pytest.mark.skipif(not NATIVE_TOOLS, reason="needs gcc, ld and objdump")


def _library(folder: Path, symbol: str) -> Path:
    """A shared library ``libxyz.so`` (with that soname) defining the function ``symbol``."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder.parent / "xyz.c"
    source.write_text(f"int {symbol}(void) {{ return 1; }}\n", encoding="utf-8")
    target = folder / "libxyz.so"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-Wl,-soname,libxyz.so", "-o", str(target), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return target


def test_find_library_at_import_is_replayed_and_a_subprocess_still_is_not(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path, FILES)
    first, imported = project.run()
    assert imported == {"pkg", "pkg.lib", "pkg.loaded", "pkg.proc"}
    assert first["rules"] == [] and first["stats"]["fresh"] == 4
    assert first["stats"]["not_replayable_why"] == {"pkg.proc": ["<subprocess.Popen>"]}
    # find_library's answers are replayed; the module that ran a process of its own is not.
    second, imported = project.run()
    assert imported == {"pkg", "pkg.proc"}
    assert (second["stats"]["fresh"], second["stats"]["replayed"]) == (1, 3)
    assert second["stats"]["not_replayable_why"] == {"pkg.proc": ["<subprocess.Popen>"]}


@needs_tools
def test_a_library_appearing_on_ld_library_path_reimports_the_module_that_looked(
    tmp_path: Path,
) -> None:
    body = (
        "from ctypes.util import find_library\nFOUND = find_library('xyz')\n"
        "if FOUND:\n    raise RuntimeError('found ' + FOUND)\n"
    )
    files = {**FILES, "pkg/probe.py": LOG + body}
    del files["pkg/proc.py"]
    project = Project(tmp_path, files)
    folder = tmp_path / "libs"
    folder.mkdir()
    env = {**project.env, "LD_LIBRARY_PATH": str(folder)}
    first, _ = project.run(env=env)
    assert first["rules"] == [] and first["stats"]["not_replayable"] == 0
    second, imported = project.run(env=env)
    assert imported == set() and second["stats"]["replayed"] == 4
    # The same variable, a new file in its folder: find_library's answer changes.
    _library(folder, "xyz")
    third, imported = project.run(env=env)
    assert "pkg.probe" in imported and "pkg.lib" not in imported
    assert ("imports/error", "pkg/probe.py") in third["rules"]
    # And back: the file gone, the module imported again, fine again.
    (folder / "libxyz.so").unlink()
    fourth, imported = project.run(env=env)
    assert "pkg.probe" in imported and fourth["rules"] == []


@needs_tools
def test_a_library_loaded_by_path_that_changes_reimports_its_loader(tmp_path: Path) -> None:
    body = "import ctypes, os\nLIB = ctypes.CDLL(os.environ['XYZ_LIB'])\nLIB.xyz\n"
    files = {**FILES, "pkg/uses.py": LOG + body}
    del files["pkg/proc.py"]
    project = Project(tmp_path, files)
    library = _library(tmp_path / "libs", "xyz")
    env = {**project.env, "XYZ_LIB": str(library)}
    first, _ = project.run(env=env)
    assert first["rules"] == []
    second, imported = project.run(env=env)
    assert imported == set() and second["stats"]["replayed"] == 4
    # Rebuilt in place without the symbol: the same path and variable, another library.
    _library(tmp_path / "libs", "other")
    third, imported = project.run(env=env)
    assert "pkg.uses" in imported
    assert ("imports/error", "pkg/uses.py") in third["rules"]


def test_a_wrapped_find_library_looks_like_the_real_one(tmp_path: Path) -> None:
    """What a module can see of the wrapper: the same name, module, doc and signature."""
    check = LOG + (
        "import ctypes.util, inspect\n"
        "f = ctypes.util.find_library\n"
        "assert (f.__name__, f.__qualname__, f.__module__) == "
        "('find_library', 'find_library', 'ctypes.util'), f\n"
        "assert str(inspect.signature(f)) == '(name)', inspect.signature(f)\n"
        "assert type(ctypes.util.__loader__).__name__ == 'SourceFileLoader'\n"
        "assert 'exec_module' not in vars(ctypes.util.__loader__)\n"
    )
    files = {"pyproject.toml": FILES["pyproject.toml"], "pkg/__init__.py": LOG, "pkg/m.py": check}
    project = Project(tmp_path, files)
    step, _ = project.run()
    assert step["rules"] == []
