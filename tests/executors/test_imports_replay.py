"""Per-module replay of import verdicts (by default), and the step's own cache key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from archverify.core.facts import FileFacts, ImportFact
from archverify.core.findings import StepOutcome
from archverify.core.project import SourceFile
from archverify.executors.imports import ImportsStep
from archverify.executors.imports.plan import replay_keys
from tests.helpers.factories import MemoryCache
from tests.helpers.imports_project import make_context

FILES = {
    "pkg/__init__.py": "",
    "pkg/base.py": "X = 1\n",
    "pkg/user.py": "from pkg import base\n",
    "pkg/far.py": "import pkg.user\n",
    "pkg/alone.py": "raise ValueError('alone')\n",
}
IMPORTS = {
    "pkg.user": [ImportFact("pkg", 1, 1, names=("base",))],
    "pkg.far": [ImportFact("pkg.user", 1, 1)],
}


def _run(
    root: Path, cache: MemoryCache, files: dict[str, str], replay: bool | None = None
) -> StepOutcome:
    options = {"timeout_s": 2, **({} if replay is None else {"replay": replay})}
    context = make_context(root, files, imports=IMPORTS, cache=cache, options=options)
    return ImportsStep().run(context)


def test_second_run_imports_nothing_and_an_edit_reimports_its_importers(tmp_path: Path) -> None:
    cache = MemoryCache()
    first = _run(tmp_path, cache, FILES)
    assert (first.stats["fresh"], first.stats["replayed"]) == (5, 0)
    second = _run(tmp_path, cache, FILES)
    assert (second.stats["fresh"], second.stats["replayed"]) == (0, 5)
    assert [f.to_dict() for f in second.findings] == [f.to_dict() for f in first.findings]
    assert second.stats["imported"] == first.stats["imported"] == 4
    edited = {**FILES, "pkg/base.py": "X = 1\nraise KeyError('now broken')\n"}
    third = _run(tmp_path, cache, edited)
    # base, user (which imports it) and far (which imports user): a failure further down an
    # import chain is no reason to skip a module (what ran before may change the outcome).
    assert (third.stats["fresh"], third.stats["replayed"]) == (3, 2)
    assert third.stats["skipped_dependents"] == 0
    assert {f.path for f in third.findings} == {"pkg/alone.py", "pkg/base.py"}


def test_with_replay_false_everything_is_imported_again(tmp_path: Path) -> None:
    cache = MemoryCache()
    for _ in range(2):
        outcome = _run(tmp_path, cache, FILES, replay=False)
        assert (outcome.stats["fresh"], outcome.stats["replayed"]) == (5, 0)
    assert cache.entries == {}
    off = {"timeout_s": 2, "replay": False}
    assert ImportsStep().cache_key(make_context(tmp_path, FILES, options=off)) is None


def test_rerun_imports_reads_no_verdict_and_stores_fresh_ones(tmp_path: Path) -> None:
    cache = MemoryCache()
    _run(tmp_path, cache, FILES)
    context = make_context(tmp_path, FILES, imports=IMPORTS, cache=cache)
    context = replace(context, options={**context.options, "rerun": frozenset({"imports"})})
    assert ImportsStep().cache_key(context) is None
    forced = ImportsStep().run(context)
    assert (forced.stats["fresh"], forced.stats["replayed"]) == (5, 0)
    assert (_run(tmp_path, cache, FILES).stats["replayed"]) == 5


def test_step_key_needs_the_first_runs_reads_and_follows_the_files(tmp_path: Path) -> None:
    step = ImportsStep()
    cache = MemoryCache()
    assert step.cache_key(make_context(tmp_path, FILES, cache=cache)) is None  # no run yet
    _run(tmp_path, cache, FILES)
    key = step.cache_key(make_context(tmp_path, FILES, cache=cache))
    assert isinstance(key, str)
    assert step.cache_key(make_context(tmp_path, FILES, cache=cache)) == key
    edited = {**FILES, "pkg/far.py": "import pkg.user  # edited\n"}
    assert step.cache_key(make_context(tmp_path, edited, cache=cache)) != key


def _project(
    imports: Mapping[str, tuple[ImportFact, ...]], modules: list[str], hashes: dict[str, str]
) -> tuple[list[SourceFile], dict[str, FileFacts]]:
    files = [SourceFile(m.replace(".", "/") + ".py", m, False, ".") for m in modules]
    facts = {
        f.module: FileFacts(
            path=f.path,
            module=f.module,
            is_package=False,
            content_hash=hashes.get(f.module, "h"),
            imports=imports.get(f.module, ()),
        )
        for f in files
    }
    return files, facts


def _changed(
    imports: Mapping[str, tuple[ImportFact, ...]], modules: list[str], edited: str
) -> set[str]:
    before = replay_keys(*_project(imports, modules, {}), salt="s")
    after = replay_keys(*_project(imports, modules, {edited: "new"}), salt="s")
    return {m for m in modules if before[m] != after[m]}


def test_keys_follow_submodules_star_imports_parents_and_cycles() -> None:
    modules = ["p", "p.a", "p.b", "p.c", "p.d", "p.e", "q"]
    imports = {
        "p.a": (ImportFact("p", 1, 1, names=("b",)),),  # from p import b: the submodule
        "p.c": (ImportFact("p", 1, 1, names=("*",)),),  # every submodule of p
        "p.d": (ImportFact("p.e", 1, 1),),
        "p.e": (ImportFact("p.d", 1, 1),),  # a cycle: both see both
        "q": (ImportFact("p.b", 1, 1, in_function=True),),  # call time: not a dependency
    }
    assert _changed(imports, modules, "p.b") == {"p.a", "p.b", "p.c"}
    assert _changed(imports, modules, "p.e") == {"p.c", "p.d", "p.e"}
    # A parent package runs before every submodule.
    assert _changed(imports, modules, "p") == {"p", "p.a", "p.b", "p.c", "p.d", "p.e"}


def test_a_new_module_where_an_import_pointed_changes_the_key() -> None:
    imports = {"a": (ImportFact("b", 1, 1),)}
    before = replay_keys(*_project(imports, ["a"], {}), salt="s")
    after = replay_keys(*_project(imports, ["a", "b"], {}), salt="s")
    assert before["a"] != after["a"]
    assert replay_keys(*_project(imports, ["a"], {}), salt="t")["a"] != before["a"]


def test_a_module_without_facts_has_no_key_nor_its_importers() -> None:
    files, facts = _project({"a": (ImportFact("b", 1, 1),)}, ["a", "b", "c"], {})
    del facts["b"]
    assert set(replay_keys(files, facts, salt="s")) == {"c"}


def test_installing_a_distribution_changes_the_environment(tmp_path: Path) -> None:
    import sys

    from archverify.executors.imports.plan import environment_fingerprint

    site = tmp_path / "site"
    site.mkdir()
    root = tmp_path / "project"
    before = environment_fingerprint(sys.executable, (str(site),), root=root)
    assert before == environment_fingerprint(sys.executable, (str(site),), root=root)
    (site / "newdist-1.0.dist-info").mkdir()
    assert environment_fingerprint(sys.executable, (str(site),), root=root) != before


def test_the_same_distributions_installed_afresh_give_the_same_environment(
    tmp_path: Path,
) -> None:
    """A CI runner builds its environment anew on every run: new folder times, the same
    distributions. A site folder's state follows what is installed, not when."""
    import os
    import shutil

    from archverify.executors.runtime.environment import _path_entry_state

    states = []
    for run in ("first", "second"):
        site = tmp_path / run / "site"
        (site / "dist-1.0.dist-info").mkdir(parents=True)
        (site / "dist-1.0.dist-info" / "RECORD").write_text("dist.py,sha256=abc,10\n")
        (site / "dist.py").write_text("X = 1\n")
        os.utime(site, ns=(1, 1 if run == "first" else 2))
        states.append(_path_entry_state(str(site)))
    assert states[0] == states[1] and states[0][1] == ["dist-1.0.dist-info"]
    # Another build of the same version reinstalled (its RECORD's hashes differ), a module
    # added: another state each.
    info = tmp_path / "second/site/dist-1.0.dist-info"
    shutil.rmtree(info)
    info.mkdir()
    (info / "RECORD").write_text("dist.py,sha256=def,10\n")
    rebuilt = _path_entry_state(str(tmp_path / "second/site"))
    assert rebuilt != states[1]
    (tmp_path / "second/site/extra.py").write_text("")
    assert _path_entry_state(str(tmp_path / "second/site")) not in (rebuilt, states[1])


def test_a_dot_folder_on_the_path_changes_no_state(tmp_path: Path) -> None:
    """The checkout is often on the path: the caches tools write there (.archverify_cache,
    .mypy_cache, .import_linter_cache) must not re-import every module on the next run. No
    finder finds a name that starts with a dot, and site skips such .pth files."""
    from archverify.executors.runtime.environment import _path_entry_state

    folder = tmp_path / "checkout"
    (folder / "app").mkdir(parents=True)
    before = _path_entry_state(str(folder))
    (folder / ".import_linter_cache").mkdir()
    (folder / ".hidden.pth").write_text("/somewhere\n")
    assert _path_entry_state(str(folder)) == before
    (folder / "json.py").write_text("")  # a module that shadows one: another state
    assert _path_entry_state(str(folder)) != before
