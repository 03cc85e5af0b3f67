"""The package fork tree: members fork from their package's zygote, exactly as if fresh."""

from __future__ import annotations

from pathlib import Path

from archverify.core.findings import StepOutcome, StepStatus
from archverify.executors.imports import ImportsStep
from tests.helpers.factories import MemoryCache
from tests.helpers.imports_project import make_context


def counted(name: str, counter: Path) -> str:
    """A module body that records each run of it: in a file (per process) and in builtins."""
    return (
        "import builtins, os\n"
        f"with open({str(counter)!r}, 'a') as handle:\n"
        f"    handle.write({name!r} + '\\n')\n"
        f"builtins.RUNS_{name} = getattr(builtins, 'RUNS_{name}', 0) + 1\n"
        "SEEN = []\n"
    )


def member(*packages: str) -> str:
    """A member that fails unless each package ran once here and no sibling touched it."""
    lines = ["import builtins"]
    for package in packages:
        name = package.replace(".", "_")
        lines.append(f"import {package}")
        lines.append(f"assert builtins.RUNS_{name} == 1, builtins.RUNS_{name}")
        lines.append(f"assert {package}.SEEN == [], {package}.SEEN")
        lines.append(f"{package}.SEEN.append(__name__)")
    return "\n".join(lines) + "\n"


def runs(counter: Path) -> list[str]:
    return sorted(counter.read_text().split())


def test_members_see_one_import_of_their_packages_and_never_a_sibling(tmp_path: Path) -> None:
    counter = tmp_path / "counter.txt"
    files = {
        "pkg/__init__.py": counted("pkg", counter),
        "pkg/sub/__init__.py": counted("pkg_sub", counter),
        **{f"pkg/m{i}.py": member("pkg") for i in range(6)},
        **{f"pkg/sub/s{i}.py": member("pkg", "pkg.sub") for i in range(6)},
    }
    root = tmp_path / "project"
    outcome = ImportsStep().run(make_context(root, files, jobs=2))
    assert outcome.findings == []
    assert outcome.stats["imported"] == 14
    # One zygote per package: each __init__ ran once for the whole run, not once per member.
    assert runs(counter) == ["pkg", "pkg_sub"]


def test_without_fork_every_member_imports_its_packages_again(tmp_path: Path) -> None:
    counter = tmp_path / "counter.txt"
    files = {
        "pkg/__init__.py": counted("pkg", counter),
        "pkg/a.py": member("pkg"),
        "pkg/b.py": member("pkg"),
    }
    context = make_context(tmp_path / "project", files, options={"fork": False})
    outcome = ImportsStep().run(context)
    assert outcome.findings == []
    assert runs(counter) == ["pkg", "pkg", "pkg"]


def test_members_of_a_failing_subpackage_are_its_dependents(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/fine.py": "",
        "pkg/sub/__init__.py": "X = 1\nraise ValueError('sub is broken')\n",
        "pkg/sub/a.py": "",
        "pkg/sub/deeper/__init__.py": "",
        "pkg/sub/deeper/b.py": "",
    }
    outcome = ImportsStep().run(make_context(tmp_path, files))
    assert [(f.path, f.line) for f in outcome.findings] == [("pkg/sub/__init__.py", 2)]
    assert outcome.findings[0].extra["dependents"] == [
        "pkg.sub.a",
        "pkg.sub.deeper",
        "pkg.sub.deeper.b",
    ]
    assert outcome.stats["imported"] == 2


def test_a_hang_in_a_package_init_is_that_package_timeout(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/ok.py": "",
        "pkg/slow/__init__.py": "import time\nwhile True:\n    time.sleep(0.05)\n",
        "pkg/slow/a.py": "",
        "pkg/slow/b.py": "",
    }
    outcome = ImportsStep().run(make_context(tmp_path, files, options={"timeout_s": 1}))
    assert [(f.path, f.rule) for f in outcome.findings] == [
        ("pkg/slow/__init__.py", "imports/timeout")
    ]
    assert outcome.findings[0].line in (2, 3)
    assert outcome.findings[0].extra["dependents"] == ["pkg.slow.a", "pkg.slow.b"]
    assert outcome.stats["imported"] == 2


def test_exits_in_a_package_init_are_reported_with_dependents(tmp_path: Path) -> None:
    files = {
        "quits/__init__.py": "import sys\nsys.exit(4)\n",
        "quits/a.py": "",
        "crashes/__init__.py": "import ctypes\n\nctypes.string_at(0)\n",
        "crashes/a.py": "",
    }
    outcome = ImportsStep().run(make_context(tmp_path, files))
    found = {f.path: f for f in outcome.findings}
    assert set(found) == {"quits/__init__.py", "crashes/__init__.py"}
    assert "sys.exit(4)" in found["quits/__init__.py"].message
    assert "SIGSEGV" in found["crashes/__init__.py"].message
    assert found["crashes/__init__.py"].extra["dependents"] == ["crashes.a"]


def test_packages_unsafe_to_fork_from_still_give_exact_verdicts(tmp_path: Path) -> None:
    files = {
        # A thread would be missing in a fork: the members must see it as a fresh import would.
        "threaded/__init__.py": "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n",
        "threaded/a.py": "import threading\nassert threading.active_count() == 2\n",
        # A package that closes every descriptor (the zygote's control socket too).
        "closer/__init__.py": "import os\nos.closerange(3, 4096)\nOK = True\n",
        "closer/a.py": "from closer import OK\n",
        "closer/b.py": "raise KeyError('b')\n",
        "noisy/__init__.py": "print('hello from noisy')\n",
        "noisy/a.py": "print('member')\nraise ValueError('a')\n",
    }
    outcome = ImportsStep().run(make_context(tmp_path, files))
    found = {f.path: f for f in outcome.findings}
    assert set(found) == {"closer/b.py", "noisy/a.py"}
    # The member's output holds what its package printed, as a fresh import would show.
    assert found["noisy/a.py"].extra["output"] == "hello from noisy\nmember\n"
    assert outcome.stats["imported"] == 5


def test_a_replayed_package_still_gets_a_zygote_for_its_edited_member(tmp_path: Path) -> None:
    counter = tmp_path / "counter.txt"
    files = {
        "pkg/__init__.py": counted("pkg", counter),
        "pkg/a.py": member("pkg"),
        "pkg/b.py": member("pkg"),
    }
    root = tmp_path / "project"
    cache = MemoryCache()
    first = ImportsStep().run(make_context(root, files, cache=cache, cache_tests=True))
    assert first.status is StepStatus.PASSED
    counter.unlink()
    # A passing edit: a failure would be confirmed in a fresh interpreter, importing pkg again.
    edited = {**files, "pkg/a.py": member("pkg") + "EDITED = True\n"}
    second = ImportsStep().run(make_context(root, edited, cache=cache, cache_tests=True))
    assert (second.stats["fresh"], second.stats["replayed"]) == (1, 2)
    assert second.findings == []
    assert runs(counter) == ["pkg"]


def _paths(outcome: StepOutcome) -> list[str]:
    return [f.path for f in outcome.findings]
