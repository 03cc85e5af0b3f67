"""The imports step against real child interpreters: every way an import can go wrong."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from archverify.core.facts import ImportFact
from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.executors.imports import ImportsStep
from archverify.executors.imports.findings import ProjectIndex, build_findings
from tests.helpers.imports_project import make_context

RAISES = """\
def check():
    raise ValueError("bad value")

check()
"""
HANGS = "import time\nwhile True:\n    time.sleep(0.05)\n"
NOISY = "for i in range(20000):\n    print('line', i)\nraise RuntimeError('after noise')\n"


def by_path(outcome: StepOutcome) -> dict[str, Finding]:
    found = {f.path: f for f in outcome.findings}
    assert len(found) == len(outcome.findings), outcome.findings
    return found


@pytest.fixture(scope="module")
def failures(tmp_path_factory: pytest.TempPathFactory) -> StepOutcome:
    """One run over a package holding each kind of failure (the hang costs timeout_s)."""
    root = tmp_path_factory.mktemp("failures")
    files = {
        "pkg/__init__.py": "",
        "pkg/clean.py": "VALUE = 1\n",
        "pkg/quiet_noise.py": "for i in range(50000):\n    print('x' * 40)\n",
        "pkg/quits.py": "import sys\nsys.exit(2)\n",
        "pkg/hard_exit.py": "import os\n\nos._exit(3)\n",
        "pkg/hangs.py": HANGS,
        "pkg/raises.py": RAISES,
        "pkg/needs_dist.py": "import surely_not_installed_dist_xyz\n",
        "pkg/segfaults.py": "import ctypes\n\nctypes.string_at(0)\n",
        "pkg/noisy.py": NOISY,
        "pkg/closes_fds.py": "import os\nos.closerange(0, 4096)\nraise KeyError('gone')\n",
        "pkg/missing_sibling.py": "import pkg.does_not_exist\n",
        "pkg/__main__.py": "import sys\nsys.exit(9)\n",  # the program: never imported
    }
    return ImportsStep().run(make_context(root, files, options={"timeout_s": 2}))


def test_clean_modules_have_no_finding(failures: StepOutcome) -> None:
    found = by_path(failures)
    assert "pkg/clean.py" not in found
    assert "pkg/__init__.py" not in found
    assert "pkg/quiet_noise.py" not in found  # lots of output alone is no failure
    assert "pkg/__main__.py" not in found
    assert failures.stats["main_modules"] == 1
    assert failures.status is StepStatus.FAILED
    assert failures.stats["modules"] == 12
    assert failures.stats["imported"] == 3
    assert failures.stats["failed"] == 9


def test_exception_is_reported_at_the_innermost_project_line(failures: StepOutcome) -> None:
    finding = by_path(failures)["pkg/raises.py"]
    assert finding.rule == "imports/error"
    assert finding.severity is Severity.ERROR
    assert finding.line == 2
    assert "ValueError: bad value" in finding.message
    assert finding.extra["exception"] == "ValueError"
    assert [frame["line"] for frame in finding.extra["traceback"]] == [4, 2]
    assert finding.extra["dependents"] == []


def test_exits_and_signals(failures: StepOutcome) -> None:
    found = by_path(failures)
    assert found["pkg/quits.py"].rule == "imports/exit"
    assert "sys.exit(2)" in found["pkg/quits.py"].message
    assert found["pkg/quits.py"].line == 2
    assert found["pkg/hard_exit.py"].rule == "imports/exit"
    assert "os._exit(3)" in found["pkg/hard_exit.py"].message
    assert found["pkg/hard_exit.py"].line == 3
    assert found["pkg/segfaults.py"].rule == "imports/exit"
    assert "SIGSEGV" in found["pkg/segfaults.py"].message
    assert found["pkg/segfaults.py"].line == 3  # from faulthandler's dump


def test_hang_times_out_where_it_hung(failures: StepOutcome) -> None:
    finding = by_path(failures)["pkg/hangs.py"]
    assert finding.rule == "imports/timeout"
    assert finding.severity is Severity.ERROR
    assert "within 2.0 s" in finding.message
    assert finding.line in (2, 3)


def test_missing_third_party_is_a_warning(failures: StepOutcome) -> None:
    finding = by_path(failures)["pkg/needs_dist.py"]
    assert finding.rule == "imports/missing-dependency"
    assert finding.severity is Severity.WARNING
    assert "surely_not_installed_dist_xyz" in finding.message
    assert "pip install surely_not_installed_dist_xyz" in finding.hint


def test_missing_project_module_is_an_error(failures: StepOutcome) -> None:
    finding = by_path(failures)["pkg/missing_sibling.py"]
    assert finding.rule == "imports/error"
    assert "pkg.does_not_exist" in finding.message


def test_output_is_captured_and_truncated(failures: StepOutcome) -> None:
    finding = by_path(failures)["pkg/noisy.py"]
    assert finding.rule == "imports/error"
    assert "RuntimeError: after noise" in finding.message
    assert finding.extra["output"].startswith("line 0\n")
    assert len(finding.extra["output"].encode()) <= 2048
    assert finding.extra["output_truncated"] is True


def test_closed_descriptors_do_not_lose_the_verdict(failures: StepOutcome) -> None:
    finding = by_path(failures)["pkg/closes_fds.py"]
    assert finding.rule == "imports/error"
    assert "KeyError" in finding.message
    assert finding.line == 3


def test_failing_sibling_is_reported_once_with_its_dependents(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "X = 1\nraise ValueError('base is broken')\n",
        # Not a certain import (a name from the package): imported, attributed by traceback.
        "pkg/by_traceback.py": "from pkg import base\n",
        # A certain top-level import: skipped without importing it.
        "pkg/by_facts.py": "import pkg.base\n",
        "pkg/transitive.py": "from pkg import by_traceback\n",
        "pkg/fine.py": "Y = 2\n",
    }
    imports = {
        "pkg.by_traceback": [ImportFact("pkg", 1, 1, names=("base",))],
        "pkg.by_facts": [ImportFact("pkg.base", 1, 1)],
        "pkg.transitive": [ImportFact("pkg", 1, 1, names=("by_traceback",))],
    }
    outcome = ImportsStep().run(make_context(tmp_path, files, imports=imports))
    assert [f.path for f in outcome.findings] == ["pkg/base.py"]
    finding = outcome.findings[0]
    assert finding.line == 2
    assert finding.extra["dependents"] == ["pkg.by_facts", "pkg.by_traceback", "pkg.transitive"]
    assert "3 dependent modules" in finding.message
    assert outcome.stats["skipped_dependents"] == 0  # imported: each failed by its own import
    assert outcome.stats["failed"] == 4
    assert outcome.stats["imported"] == 2


def test_failing_package_init_takes_its_submodules_along(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "raise ImportError('init is broken')\n",
        "pkg/a.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/sub/b.py": "",
    }
    outcome = ImportsStep().run(make_context(tmp_path, files))
    assert [f.path for f in outcome.findings] == ["pkg/__init__.py"]
    assert outcome.findings[0].extra["dependents"] == ["pkg.a", "pkg.sub", "pkg.sub.b"]
    assert outcome.stats["skipped_dependents"] == 3


def test_conditional_import_is_not_a_certain_dependency(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "raise ValueError('broken')\n",
        "pkg/user.py": "import sys\nif sys.version_info < (3, 0):\n    import pkg.base\n",
    }
    imports = {"pkg.user": [ImportFact("sys", 1, 1), ImportFact("pkg.base", 3, 5)]}
    outcome = ImportsStep().run(make_context(tmp_path, files, imports=imports))
    assert [f.path for f in outcome.findings] == ["pkg/base.py"]
    assert outcome.findings[0].extra["dependents"] == []
    assert outcome.stats["imported"] == 2


def test_a_module_does_not_wait_for_its_certain_imports_verdicts(tmp_path: Path) -> None:
    """Only a module's packages hold it back (their failure spares its import): ``user``,
    which surely imports ``base``, is imported while ``base`` is, on the second core.

    A rendezvous shows it: ``base`` passes only when ``user``'s import has started while its
    own runs (``user`` leaves a mark outside the tree before it imports ``base``); had
    ``user`` waited for ``base``'s verdict, ``base`` would give up and fail."""
    mark = tmp_path / "outside" / "user-started"
    mark.parent.mkdir()
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": (
            "import os, time\n"
            "deadline = time.monotonic() + 15\n"
            f"while not os.path.exists({str(mark)!r}):\n"
            "    if time.monotonic() > deadline:\n"
            "        raise RuntimeError('user was not imported meanwhile')\n"
            "    time.sleep(0.02)\n"
        ),
        "pkg/user.py": f"open({str(mark)!r}, 'w').close()\nimport pkg.base\n",
    }
    imports = {"pkg.base": [ImportFact("os", 1, 1), ImportFact("time", 1, 1)]}
    imports["pkg.user"] = [ImportFact("pkg.base", 2, 1)]
    context = make_context(tmp_path / "p", files, imports=imports, options={"timeout_s": 40})
    outcome = ImportsStep().run(context)
    assert outcome.findings == []
    assert outcome.stats["imported"] == 3


@pytest.mark.parametrize("first", ["pkg.a", "pkg.b"])
def test_verdict_does_not_depend_on_import_order(tmp_path: Path, first: str) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/shared.py": "SETTINGS = None\n",
        "pkg/a.py": "from pkg import shared\nshared.SETTINGS = {'debug': True}\n",
        "pkg/b.py": "from pkg import shared\nDEBUG = shared.SETTINGS['debug']\n",
    }
    order = ["pkg", "pkg.shared", first, "pkg.b" if first == "pkg.a" else "pkg.a"]
    outcome = ImportsStep().run(make_context(tmp_path, files, order=order, jobs=1))
    assert [(f.path, f.rule, f.line) for f in outcome.findings] == [
        ("pkg/b.py", "imports/error", 2)
    ]
    assert "TypeError" in outcome.findings[0].message


def test_src_layout_and_namespace_packages(tmp_path: Path) -> None:
    files = {
        "src/app/__init__.py": "from app import core\n",
        "src/app/core.py": "import ns.tools.helpers\n",
        "src/ns/tools/helpers.py": "HELP = 1\n",  # no __init__.py: a namespace package
        "src/app/broken.py": "from app import core\nraise OSError('disk on fire')\n",
    }
    outcome = ImportsStep().run(make_context(tmp_path, files, source_root="src"))
    assert [(f.path, f.line) for f in outcome.findings] == [("src/app/broken.py", 2)]
    assert outcome.stats["imported"] == 3


def test_no_bytecode_is_written_into_the_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    files = {
        "pkg/__init__.py": "from pkg import a\n",
        "pkg/a.py": "from pkg import b\n",
        # What the module spawns must not write bytecode either.
        "pkg/b.py": "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', 'import tool'], check=True)\n",
        "pkg/c.py": "C = 3\n",
        "tool.py": "T = 1\n",
    }
    outcome = ImportsStep().run(make_context(tmp_path, files))
    assert outcome.status is StepStatus.PASSED, outcome.findings
    assert outcome.stats["imported"] == 5
    leftovers = [p for p in tmp_path.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    assert leftovers == []


def test_compile_errors_are_not_imported(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/broken.py": "def (:\n",
        "pkg/user.py": "import pkg.broken\n",
        "pkg/ok.py": "",
    }
    imports = {"pkg.user": [ImportFact("pkg.broken", 1, 1)]}
    context = make_context(tmp_path, files, imports=imports, broken=["pkg.broken"])
    outcome = ImportsStep().run(context)
    assert outcome.findings == []
    assert outcome.status is StepStatus.PASSED
    assert outcome.stats["not_compiled"] == 1
    assert outcome.stats["blocked_by_compile_errors"] == 1
    assert outcome.stats["imported"] == 2


def test_stdlib_names_used_by_the_server_are_imported_fresh(tmp_path: Path) -> None:
    # The server itself imports json; a project module named json must still be the project's.
    files = {"json.py": "raise RuntimeError('project json')\n", "other.py": ""}
    outcome = ImportsStep().run(make_context(tmp_path, files))
    assert [(f.path, f.rule) for f in outcome.findings] == [("json.py", "imports/error")]
    assert "project json" in outcome.findings[0].message


def test_module_killing_the_server_is_isolated(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/assassin.py": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
        "pkg/a.py": "",
        "pkg/b.py": "",
        "pkg/c.py": "raise ValueError('c')\n",
    }
    outcome = ImportsStep().run(make_context(tmp_path, files))
    found = by_path(outcome)
    assert set(found) == {"pkg/assassin.py", "pkg/c.py"}
    assert found["pkg/assassin.py"].rule == "imports/exit"
    assert "killed the import server" in found["pkg/assassin.py"].message
    assert outcome.stats["imported"] == 3


def test_fresh_process_fallback_gives_the_same_verdicts(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/ok.py": "",
        "pkg/raises.py": RAISES,
        "pkg/hard_exit.py": "import os\nos._exit(3)\n",
    }
    context = make_context(tmp_path, files, options={"timeout_s": 5, "fork": False})
    outcome = ImportsStep().run(context)
    assert outcome.stats["fork"] is False
    assert [(f.path, f.rule, f.line) for f in outcome.findings] == [
        ("pkg/hard_exit.py", "imports/exit", 2),
        ("pkg/raises.py", "imports/error", 2),
    ]


def test_bad_options_and_unstartable_server_are_step_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"mod.py": ""}
    bad = ImportsStep().run(make_context(tmp_path, files, options={"timeout_s": "soon"}))
    assert bad.status is StepStatus.ERROR
    assert "timeout_s" in bad.message
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    dead = ImportsStep().run(make_context(tmp_path, files))
    assert dead.status is StepStatus.ERROR
    assert "import server" in dead.message


def _index(*modules: str, broken: tuple[str, ...] = ()) -> ProjectIndex:
    paths = {m: m.replace(".", "/") + ".py" for m in modules}
    return ProjectIndex(
        modules=paths,
        by_file={f"/root/{p}": m for m, p in paths.items()},
        broken=frozenset(broken),
        tops=frozenset(m.split(".")[0] for m in modules),
    )


def _raised(*frames: tuple[str, int]) -> dict[str, Any]:
    return {
        "outcome": "raised",
        "exception": "ValueError",
        "text": "x",
        "frames": [[f"/root/{path}", line, "<module>"] for path, line in frames],
    }


def test_a_cause_loop_still_blames_exactly_one_module() -> None:
    index = _index("p", "p.a", "p.b")
    results: dict[str, dict[str, Any]] = {
        "p": _raised(("p.py", 1), ("p/a.py", 1), ("p/b.py", 4)),
        "p.a": {"outcome": "skipped", "cause": "p"},
        "p.b": {"outcome": "skipped", "cause": "p"},
    }
    verdicts = build_findings(results, index)
    assert [(f.path, f.line) for f in verdicts.findings] == [("p.py", 1)]
    assert verdicts.findings[0].extra["dependents"] == ["p.a", "p.b"]


def test_a_module_that_fails_inside_a_healthy_module_is_blamed_itself() -> None:
    # p.shared imports fine alone; p.user makes it fail: nothing to attribute to.
    index = _index("p", "p.shared", "p.user")
    results: dict[str, dict[str, Any]] = {
        "p": {"outcome": "ok"},
        "p.shared": {"outcome": "ok"},
        "p.user": _raised(("p/user.py", 3), ("p/shared.py", 7)),
    }
    verdicts = build_findings(results, index)
    assert [(f.path, f.line) for f in verdicts.findings] == [("p/user.py", 3)]
    assert verdicts.failed == 1


def test_failures_caused_by_a_file_that_does_not_compile_are_left_to_compile() -> None:
    index = _index("p", "p.bad", "p.user", broken=("p.bad",))
    syntax = {
        "outcome": "raised",
        "exception": "SyntaxError",
        "text": "invalid syntax",
        "frames": [["/root/p/user.py", 1, "<module>"], ["/root/p/bad.py", 1, "<compile>"]],
    }
    results: dict[str, dict[str, Any]] = {
        "p": {"outcome": "ok"},
        "p.bad": {"outcome": "not-compiled"},
        "p.user": syntax,
    }
    verdicts = build_findings(results, index)
    assert verdicts.findings == []
    assert verdicts.blocked == 1
