"""The import server's preloads: outside modules loaded once, never the project's own code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from archverify.core.facts import ImportFact
from archverify.executors.imports import ImportsStep
from archverify.executors.imports.plan import preload_names, shadowed_names
from tests.helpers.factories import module_facts
from tests.helpers.imports_project import make_context


def test_only_import_time_outside_imports_are_preloaded() -> None:
    facts = [
        module_facts(
            "app.a",
            ImportFact("json", 1, 1),
            ImportFact("xml.dom.minidom", 2, 1),
            ImportFact("csv", 3, 5, in_function=True),
            ImportFact("decimal", 4, 5, type_checking=True),
            ImportFact("app.b", 5, 1),
            ImportFact("logging", 6, 1),  # shadowed by a file in the source root below
            ImportFact("", 7, 1),  # a relative import past the top: nothing to load
        )
    ]
    shadowed = frozenset({"app", "logging"})
    assert preload_names(facts, shadowed) == ["json", "xml.dom.minidom"]


def test_every_entry_of_a_source_root_shadows(tmp_path: Path) -> None:
    for name in ("json.py", "tools/x.py", "_speedups.cpython-311-x86_64-linux-gnu.so", ".git/x"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    found = shadowed_names([str(tmp_path), str(tmp_path / "missing")], ["app.core"])
    assert found == {"app", "json", "tools", "_speedups"}


def test_stdlib_imports_are_preloaded_and_verdicts_stay(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "import json\nimport xml.dom.minidom\nVALUE = json.dumps(1)\n",
        "pkg/b.py": "import json\nraise ValueError('b')\n",
        "pkg/c.py": "import surely_not_installed_dist_xyz\n",
    }
    imports = {
        "pkg.a": [ImportFact("json", 1, 1), ImportFact("xml.dom.minidom", 2, 1)],
        "pkg.b": [ImportFact("json", 1, 1)],
        "pkg.c": [ImportFact("surely_not_installed_dist_xyz", 1, 1)],
    }
    outcome = ImportsStep().run(make_context(tmp_path, files, imports=imports))
    assert outcome.stats["preloaded"] == 2  # the missing distribution is simply not preloaded
    assert [(f.path, f.rule, f.line) for f in outcome.findings] == [
        ("pkg/b.py", "imports/error", 2),
        ("pkg/c.py", "imports/missing-dependency", 1),
    ]


def test_project_modules_named_like_stdlib_modules_behave_as_before(tmp_path: Path) -> None:
    files = {
        "json.py": "raise RuntimeError('project json')\n",
        "user.py": "import json\n",
        "app/__init__.py": "",
        "app/logging.py": "import logging\nMARK = 'project'\nLEVEL = logging.INFO\n",
        "app/user.py": "import app.logging\nassert app.logging.MARK == 'project'\n",
    }
    imports = {
        "user": [ImportFact("json", 1, 1)],
        "app.logging": [ImportFact("logging", 1, 1)],
        "app.user": [ImportFact("app.logging", 1, 1)],
    }
    outcome = ImportsStep().run(make_context(tmp_path, files, imports=imports))
    assert outcome.stats["preloaded"] == 1  # the stdlib logging; json is the project's
    found = {f.path: f for f in outcome.findings}
    assert set(found) == {"json.py"}
    assert "project json" in found["json.py"].message
    assert found["json.py"].extra["dependents"] == ["user"]


def test_a_dependency_that_imports_the_project_is_not_preloaded(
    tmp_path: Path, outside: Path
) -> None:
    (outside / "plugin_xyz.py").write_text("import pkg\npkg.COUNT += 1\n")
    root = tmp_path / "root"
    files = {
        "pkg/__init__.py": "COUNT = 0\n",
        "pkg/a.py": "import plugin_xyz\nimport pkg\nassert pkg.COUNT == 1\n",
        # Had the server run the plugin, pkg would arrive here already counted.
        "pkg/b.py": "import pkg\nassert pkg.COUNT == 0\n",
    }
    imports = {"pkg.a": [ImportFact("plugin_xyz", 1, 1)], "pkg.b": [ImportFact("pkg", 1, 1)]}
    outcome = ImportsStep().run(make_context(root, files, imports=imports))
    assert outcome.findings == []
    assert outcome.stats["preloaded"] == 0
    assert outcome.stats["imported"] == 3


def test_a_dependency_that_starts_a_thread_is_dropped(tmp_path: Path, outside: Path) -> None:
    (outside / "threads_xyz.py").write_text(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
    )
    (outside / "quiet_xyz.py").write_text("print('noise at import')\nVALUE = 1\n")
    root = tmp_path / "root"
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "import threads_xyz\nimport quiet_xyz\n",
        "pkg/b.py": "import quiet_xyz\nassert quiet_xyz.VALUE == 1\n",
    }
    imports = {
        "pkg.a": [ImportFact("threads_xyz", 1, 1), ImportFact("quiet_xyz", 2, 1)],
        "pkg.b": [ImportFact("quiet_xyz", 1, 1)],
    }
    outcome = ImportsStep().run(make_context(root, files, imports=imports))
    assert outcome.findings == []
    assert outcome.stats["preloaded"] == 1  # quiet_xyz; threads_xyz would make forking unsafe
    assert outcome.stats["imported"] == 3


def test_nothing_is_left_in_the_tree(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "from pkg import a\n",
        "pkg/a.py": "import json\nimport pkg.b\n",
        "pkg/b.py": "import csv\n",
    }
    imports = {
        "pkg": [ImportFact("pkg", 1, 1, names=("a",))],
        "pkg.a": [ImportFact("json", 1, 1), ImportFact("pkg.b", 2, 1)],
        "pkg.b": [ImportFact("csv", 1, 1)],
    }
    for _ in range(2):  # the second run would find the first run's bytecode, were it kept
        outcome = ImportsStep().run(make_context(tmp_path, files, imports=imports))
        assert outcome.findings == []
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(files)


def _fresh(root: Path, module: str) -> str:
    """``cd ROOT && python -c "import M"``: "ok" or the exception's class name."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode == 0:
        return "ok"
    return done.stderr.strip().splitlines()[-1].partition(":")[0]


# ``pkg.early`` reads ``xml.dom`` (a submodule ``import xml`` does not load) before its own later
# import loads it; ``pkg.sibling`` imports ``xml.dom``, so it is preloaded. Fresh, ``early``
# fails with AttributeError; ``late`` reads it only after its own import, and passes.
SUBMODULE_FILES = {
    "pkg/__init__.py": "",
    "pkg/early.py": "import xml\nNODE = xml.dom.Node\nimport xml.dom\n",
    "pkg/late.py": "import xml\nimport xml.dom\nNODE = xml.dom.Node\n",
    "pkg/sibling.py": "import xml.dom.minidom\n",
    "pkg/parent.py": "import email.mime.text\nTEXT = email.mime.text.MIMEText\n",
    "pkg/closure.py": "import email.mime.text\nUTILS = email.utils.formatdate\n",
}
SUBMODULE_IMPORTS = {
    "pkg.early": [ImportFact("xml", 1, 1), ImportFact("xml.dom", 3, 1)],
    "pkg.late": [ImportFact("xml", 1, 1), ImportFact("xml.dom", 2, 1)],
    "pkg.sibling": [ImportFact("xml.dom.minidom", 1, 1)],
    "pkg.parent": [ImportFact("email.mime.text", 1, 1)],
    "pkg.closure": [ImportFact("email.mime.text", 1, 1)],
}


def test_a_preloaded_submodule_is_not_an_attribute_before_it_is_imported(tmp_path: Path) -> None:
    outcome = ImportsStep().run(make_context(tmp_path, SUBMODULE_FILES, imports=SUBMODULE_IMPORTS))
    assert outcome.stats["preloaded"] >= 2
    failed = {f.path: f for f in outcome.findings}
    assert sorted(failed) == ["pkg/early.py"]
    assert "AttributeError" in failed["pkg/early.py"].message
    assert "'dom'" in failed["pkg/early.py"].message
    for module in ("pkg.early", "pkg.late", "pkg.sibling", "pkg.parent", "pkg.closure"):
        path = module.replace(".", "/") + ".py"
        assert _fresh(tmp_path, module) == ("AttributeError" if path in failed else "ok")
    # The failure came from the fork: had the fork passed, nothing would have been rechecked.
    assert outcome.stats["fork_disagreed"] == 0
