"""A module found by a name no import statement spells is looked for again before a replay.

The attack (or plain accident): ``app.loader`` imports a plugin by a computed name
(``importlib.import_module("plug" + "in")``) and carries on when there is none. The first run
finds none and stores "passed". Then a ``plugin.py`` that raises is added at the source root:
``python -c "import app.loader"`` now fails, but the import system's own folder listings were
not part of the replay record and no import statement names ``plugin``, so the stored "passed"
was replayed. The folders a dynamic load searched are now recorded with their names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.cli import run_step
from tests.helpers.configs import APP
from tests.helpers.tree import write_tree

LOADER = (
    "import importlib\n\n"
    'NAME = "plug" + "in"\n'
    "try:\n"
    "    importlib.import_module(NAME)\n"
    "except ImportError:\n"
    "    pass\n"
)


def _imports(root: Path) -> dict[str, Any]:
    return run_step(root, "imports", "dynamic-import")


def test_a_module_added_where_a_dynamic_import_looks_is_imported_again(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "repo",
        {"pyproject.toml": APP, "src/app/__init__.py": "", "src/app/loader.py": LOADER},
    )
    assert _imports(root)["status"] == "passed"
    assert _imports(root)["stats"]["replayed"] == 2  # nothing changed: replayed

    (root / "src" / "plugin.py").write_text('raise RuntimeError("plugin broken")\n')
    step = _imports(root)
    assert step["status"] == "failed", step
    assert step["cached"] is False
    assert step["stats"]["replayed"] == 1  # app is still replayed, app.loader is not


def test_a_dynamic_import_of_an_installed_module_is_replayed(tmp_path: Path) -> None:
    # The search of the interpreter's folders is in the key already: only the project's
    # folders are recorded, so an unchanged tree replays.
    loader = 'import importlib\n\nimportlib.import_module("xml." + "dom")\n'
    root = write_tree(
        tmp_path / "repo",
        {"pyproject.toml": APP, "src/app/__init__.py": "", "src/app/loader.py": loader},
    )
    assert _imports(root)["status"] == "passed"
    (root / "src" / "unrelated.txt").write_text("unrelated\n")
    step = _imports(root)
    assert step["status"] == "passed"
    assert step["cached"] is False
    assert step["stats"]["replayed"] == 2, repr(step["stats"])
