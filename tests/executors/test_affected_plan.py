"""The parts of affected-test selection that need no test session: import-time skeletons,
imported names, and the plan over a record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archverify.core.graph import ImportGraph
from archverify.executors.tools.affected import (
    STATE_VERSION,
    Tree,
    file_skeletons,
    imported_names,
    plan,
    skeleton,
)
from tests.helpers.factories import module_facts
from tests.helpers.tree import write_tree

BASE = b'"""Doc."""\nLIMIT = 3\n\n\ndef f(x: int = 1) -> int:\n    """F."""\n    return x\n'


def test_a_body_edit_keeps_the_skeleton() -> None:
    digest = skeleton(BASE)[0]
    assert skeleton(BASE.replace(b"return x", b"return x + 1"))[0] == digest
    assert skeleton(b"\n\n" + BASE + b"# comment\n")[0] == digest


def test_import_time_edits_change_the_skeleton() -> None:
    digest = skeleton(BASE)[0]
    for edited in (
        BASE.replace(b"LIMIT = 3", b"LIMIT = 4"),
        BASE.replace(b"x: int = 1", b"x: int = 2"),
        BASE.replace(b'"""F."""', b'"""G."""'),
        BASE + b"\n\nclass C:\n    pass\n",
    ):
        assert skeleton(edited)[0] != digest


def test_a_function_body_that_ran_at_import_is_marked(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_bytes(BASE)
    assert file_skeletons(tmp_path, ["m.py"], {"m.py": [2, 5]})["m.py"][1] is False
    assert file_skeletons(tmp_path, ["m.py"], {"m.py": [2, 7]})["m.py"][1] is True
    # Arcs as well as lines: (-5, 7) enters the body.
    assert file_skeletons(tmp_path, ["m.py"], {"m.py": [[-5, 7]]})["m.py"][1] is True


def test_imported_names_at_every_level_without_relative_ones() -> None:
    source = b"import a.b\nfrom c import d\nfrom . import e\n\ndef t():\n    import f\n"
    assert imported_names(source) == {"a.b", "c", "c.d", "f"}


def _tree(root: Path, tests: dict[str, str], files: dict[str, str]) -> Tree:
    facts = [module_facts("app", package=True), module_facts("app.m", path="src/app/m.py")]
    return Tree(
        root=root,
        files=files,
        modules={"src/app/__init__.py": "app", "src/app/m.py": "app.m"},
        tests=tests,
        graph=ImportGraph.build(facts),
    )


def _state(tests: dict[str, str], files: dict[str, str], digest: str) -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "modules": {
            "tests/test_a.py": {"coverage": {"src/app/m.py": [1]}},
            "tests/test_b.py": {"coverage": {}},
            "tests/test_c.py": {"coverage": {}},
        },
        "tests": tests,
        "files": files,
        "measured": sorted(files),
        "skeletons": {"src/app/m.py": [digest, False], "src/app/__init__.py": ["x", False]},
    }


TESTS = {
    "tests/test_a.py": "def test_a():\n    pass\n",
    "tests/test_b.py": "from app import m\n",
    "tests/test_c.py": "import os\n",
    "tests/data.txt": "d",
}


def _project(root: Path, module: bytes) -> tuple[dict[str, str], dict[str, Any]]:
    """The tree on disk with ``module`` as app/m.py, and a record made when it was BASE."""
    write_tree(root, {**TESTS, "src/app/__init__.py": "", "src/app/m.py": module.decode()})
    tests = {path: f"h-{text}" for path, text in TESTS.items()}
    old = {"src/app/__init__.py": "i", "src/app/m.py": "old"}
    return tests, _state(tests, old, skeleton(BASE)[0])


def test_a_body_edit_reruns_the_executing_module_only(tmp_path: Path) -> None:
    tests, state = _project(tmp_path, BASE.replace(b"return x", b"return -x"))
    chosen = plan(
        state, _tree(tmp_path, tests, {"src/app/__init__.py": "i", "src/app/m.py": "new"})
    )
    assert chosen.full == ""
    assert chosen.rerun == ["tests/test_a.py"]
    assert sorted(chosen.replay) == ["tests/test_b.py", "tests/test_c.py"]


def test_an_import_time_edit_also_reruns_its_importers(tmp_path: Path) -> None:
    tests, state = _project(tmp_path, BASE.replace(b"LIMIT = 3", b"LIMIT = 4"))
    chosen = plan(
        state, _tree(tmp_path, tests, {"src/app/__init__.py": "i", "src/app/m.py": "new"})
    )
    assert chosen.rerun == ["tests/test_a.py", "tests/test_b.py"]
    assert sorted(chosen.replay) == ["tests/test_c.py"]


def test_what_the_records_cannot_judge_runs_everything(tmp_path: Path) -> None:
    tests, state = _project(tmp_path, BASE)
    files = {"src/app/__init__.py": "i", "src/app/m.py": "old"}
    assert plan(state, _tree(tmp_path, tests, files)).replay.keys() == state["modules"].keys()
    data = plan(state, _tree(tmp_path, {**tests, "tests/data.txt": "e"}, files))
    assert "tests/data.txt changed" in data.full
    added = plan(state, _tree(tmp_path, tests, {**files, "src/app/n.py": "n"}))
    assert "added or removed" in added.full
    state["measured"] = ["src/app/__init__.py"]
    unmeasured = plan(state, _tree(tmp_path, tests, {**files, "src/app/m.py": "new"}))
    assert "does not measure" in unmeasured.full
    assert "no earlier" in plan(None, _tree(tmp_path, tests, files)).full


def test_changed_since_files_count_as_edited_though_the_record_has_them(tmp_path: Path) -> None:
    # The record was made after the change (same hashes): --changed-since still re-runs what
    # the changed files reach, and a changed test module, and nothing else.
    tests, state = _project(tmp_path, BASE)
    files = {"src/app/__init__.py": "i", "src/app/m.py": "old"}
    tree = _tree(tmp_path, tests, files)
    assert plan(state, tree).rerun == []
    chosen = plan(state, tree, {"src/app/m.py", "tests/test_c.py"})
    assert chosen.full == ""
    assert chosen.rerun == ["tests/test_a.py"]
    assert sorted(chosen.replay) == ["tests/test_b.py"]  # test_c is changed: it runs
    helper = plan(state, tree, {"tests/data.txt"})
    assert "tests/data.txt changed" in helper.full
