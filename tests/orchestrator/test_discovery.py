"""Discovery: layouts, module names, skipped and excluded folders, and configured names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archverify.core.config import Config
from archverify.core.path_globs import PathGlobs
from archverify.core.project import SourceFile
from archverify.orchestrator.config.loader import ConfigError, load_config
from archverify.orchestrator.discovery import (
    Discovery,
    discover,
    missing_references,
    resolve_config_with_discovery,
)


def _files(root: Path, *paths: str) -> None:
    for relative in paths:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("", encoding="utf-8")


def _run(root: Path, toml: str = "") -> Discovery:
    if toml:
        (root / "archverify.toml").write_text(toml, encoding="utf-8")
    return discover(root, load_config(root))


def _paths(found: Discovery) -> list[str]:
    return [source.path for source in found.files]


def test_src_layout_is_detected_and_modules_are_named(tmp_path: Path) -> None:
    _files(
        tmp_path,
        "src/app/__init__.py",
        "src/app/core/__init__.py",
        "src/app/core/x.py",
        "src/app/cli.py",
        "tests/test_app.py",
    )
    found = _run(tmp_path)
    assert found.source_roots == ("src",)
    assert found.packages == ("app",)
    assert found.files == (
        SourceFile("src/app/__init__.py", "app", True, "src"),
        SourceFile("src/app/cli.py", "app.cli", False, "src"),
        SourceFile("src/app/core/__init__.py", "app.core", True, "src"),
        SourceFile("src/app/core/x.py", "app.core.x", False, "src"),
    )
    assert found.problems == ()


def test_flat_layout_finds_every_top_level_package(tmp_path: Path) -> None:
    _files(
        tmp_path,
        "beta/__init__.py",
        "alpha/__init__.py",
        "alpha/m.py",
        "scripts/run.py",  # no __init__.py: not a package
        "setup.py",
        "src/readme.txt",  # a src folder without packages keeps the flat layout
    )
    found = _run(tmp_path)
    assert found.source_roots == (".",)
    assert found.packages == ("alpha", "beta")
    assert _paths(found) == ["alpha/__init__.py", "alpha/m.py", "beta/__init__.py"]
    assert found.files[1] == SourceFile("alpha/m.py", "alpha.m", False, ".")


def test_configured_source_roots_and_packages(tmp_path: Path) -> None:
    _files(tmp_path, "lib/one/__init__.py", "lib/two/__init__.py", "lib/two/t.py")
    found = _run(tmp_path, 'source_roots = ["lib"]\npackages = ["two"]\n')
    assert found.source_roots == ("lib",)
    assert found.packages == ("two",)
    assert _paths(found) == ["lib/two/__init__.py", "lib/two/t.py"]


def test_namespace_package(tmp_path: Path) -> None:
    _files(tmp_path, "src/ns/part/__init__.py", "src/ns/part/m.py", "src/ns/loose.py")
    found = _run(tmp_path, 'packages = ["ns"]\n')
    assert found.source_roots == ("src",)  # detected through the configured name
    assert [(s.module, s.is_package) for s in found.files] == [
        ("ns.loose", False),
        ("ns.part", True),
        ("ns.part.m", False),
    ]


def test_namespace_package_is_not_found_automatically(tmp_path: Path) -> None:
    _files(tmp_path, "ns/m.py")
    # Nothing to verify would pass silently: it is a configuration error naming the key.
    with pytest.raises(ConfigError, match="packages: no Python package"):
        _run(tmp_path)


def test_dotted_subpackage_walks_only_its_subtree(tmp_path: Path) -> None:
    _files(tmp_path, "app/__init__.py", "app/cli.py", "app/core/__init__.py", "app/core/x.py")
    found = _run(tmp_path, 'packages = ["app.core"]\n')
    assert found.packages == ("app.core",)
    assert [s.module for s in found.files] == ["app.core", "app.core.x"]


def test_single_module_when_named(tmp_path: Path) -> None:
    _files(tmp_path, "tool.py", "other.py")
    found = _run(tmp_path, 'packages = ["tool"]\n')
    assert found.files == (SourceFile("tool.py", "tool", False, "."),)


def test_missing_package_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    _files(tmp_path, "app/__init__.py")
    with pytest.raises(ConfigError) as caught:
        _run(tmp_path, 'steps = ["compile"]\npackages = [\n  "app",\n  "ghost",\n]\n')
    error = caught.value
    assert (error.path, error.line) == ("archverify.toml", 4)
    assert error.message.startswith("packages: package 'ghost' not found")


def test_missing_package_in_pyproject_names_the_dotted_key(tmp_path: Path) -> None:
    _files(tmp_path, "src/app/__init__.py")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.archverify]\npackages = ["app.nope"]\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        discover(tmp_path, load_config(tmp_path))
    assert caught.value.line == 2
    assert caught.value.message.startswith("tool.archverify.packages: package 'app.nope'")


def test_missing_source_root_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _run(tmp_path, 'source_roots = ["lib"]\n')
    assert caught.value.line == 1
    assert "source_roots: source root 'lib' is not a folder" in caught.value.message


def test_exclude_globs_skip_files_and_folders(tmp_path: Path) -> None:
    _files(
        tmp_path,
        "app/__init__.py",
        "app/models.py",
        "app/migrations/__init__.py",
        "app/migrations/0001.py",
        "app/sub/migrations/m.py",
        "app/gen_api.py",
        "app/deep/gen_x.py",
        "app/keep.py",
    )
    toml = 'exclude = ["**/migrations/**", "app/gen_*.py", "app/deep"]\n'
    found = _run(tmp_path, toml)
    assert _paths(found) == ["app/__init__.py", "app/keep.py", "app/models.py"]


def test_exclude_can_drop_a_whole_top_level_package(tmp_path: Path) -> None:
    _files(tmp_path, "app/__init__.py", "legacy/__init__.py")
    found = _run(tmp_path, 'exclude = ["legacy"]\n')
    assert found.packages == ("app",)


def test_tool_and_environment_folders_are_skipped(tmp_path: Path) -> None:
    _files(
        tmp_path,
        "app/__init__.py",
        "app/__pycache__/cached.py",
        "app/build/b.py",
        "app/dist/d.py",
        "app/.venv/v.py",
        "app/node_modules/n.py",
        "app/demo.egg-info/e.py",
        "app/site-packages/s.py",
        "app/real/r.py",
        "build/__init__.py",
        "venv/__init__.py",
    )
    found = _run(tmp_path)
    assert found.packages == ("app",)
    assert _paths(found) == ["app/__init__.py", "app/real/r.py"]
    assert found.problems == ()


def test_non_identifier_folders_are_skipped_with_a_note(tmp_path: Path) -> None:
    _files(
        tmp_path,
        "app/__init__.py",
        "app/my-scripts/tool.py",
        "app/static-files/site.css",
        "app/2fa.py",
        "app/odd.name.py",
        "app/ok.py",
    )
    found = _run(tmp_path)
    # ``2fa`` is importable with importlib (as Django's ``0001_initial`` migrations are), so it
    # is verified; a dotted file name can never be a module.
    assert _paths(found) == ["app/2fa.py", "app/__init__.py", "app/ok.py"]
    assert len(found.problems) == 2
    assert any("app/my-scripts" in p and "not a valid package name" in p for p in found.problems)
    assert any("app/odd.name.py" in p and "not a valid module name" in p for p in found.problems)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_symlink_loop_ends(tmp_path: Path) -> None:
    _files(tmp_path, "app/__init__.py", "app/sub/m.py")
    (tmp_path / "app/sub/loop").symlink_to(tmp_path / "app", target_is_directory=True)
    found = _run(tmp_path)
    assert _paths(found) == ["app/__init__.py", "app/sub/m.py"]


def test_same_module_in_two_source_roots_is_kept_once(tmp_path: Path) -> None:
    _files(tmp_path, "a/ns/m.py", "b/ns/m.py", "b/ns/n.py")
    found = _run(tmp_path, 'source_roots = ["a", "b"]\npackages = ["ns"]\n')
    assert _paths(found) == ["a/ns/m.py", "b/ns/n.py"]
    (shadowed,) = found.shadowed
    assert (shadowed.path, shadowed.winner, shadowed.module) == ("b/ns/m.py", "a/ns/m.py", "ns.m")


def test_resolve_config_with_discovery(tmp_path: Path) -> None:
    _files(tmp_path, "src/app/__init__.py")
    config = load_config(tmp_path)
    resolved = resolve_config_with_discovery(config, discover(tmp_path, config))
    assert (resolved.source_roots, resolved.packages) == (("src",), ("app",))
    assert resolved.steps == config.steps


def _config(tmp_path: Path, toml: str) -> Config:
    (tmp_path / "archverify.toml").write_text(toml, encoding="utf-8")
    return load_config(tmp_path)


MODULES = frozenset({"app", "app.core", "app.core.x", "app.adapters.db"})


def test_missing_references_accepts_modules_and_package_prefixes(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        '[purity]\npackages = ["app.core"]\n[cycles]\npackages = ["app"]\n'
        '[snapshots]\npackages = ["app.adapters"]\n'
        '[[boundaries]]\nname = "b"\npackages = ["app.*"]\nexcept_modules = ["app.core.x"]\n'
        'forbid_calls = ["x"]\n',
    )
    assert missing_references(config, MODULES) == []


def test_missing_references_reports_every_key_with_its_line(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        '[purity]\npackages = ["app.cor"]\n'
        '[cycles]\npackages = ["nope"]\n'
        '[snapshots]\npackages = ["app.core.y"]\n'
        '[[boundaries]]\nname = "b"\npackages = ["app.zz*"]\nexcept_modules = ["app.x"]\n'
        'forbid_calls = ["x"]\n',
    )
    errors = missing_references(config, MODULES)
    assert [(e.line, e.message) for e in errors] == [
        (2, "purity.packages: 'app.cor' names no discovered module or package"),
        (9, "boundaries[0].packages: 'app.zz*' matches no module"),
        (10, "boundaries[0].except_modules: 'app.x' names no discovered module or package"),
        (4, "cycles.packages: 'nope' names no discovered module or package"),
        (6, "snapshots.packages: 'app.core.y' names no discovered module or package"),
    ]
    assert all(e.path == "archverify.toml" for e in errors)


def test_missing_references_extra_triples(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        '[[contracts]]\nname = "l"\ntype = "layers"\nlayers = [\n  "app.core",\n  "app.gone",\n]\n',
    )
    extra = [
        ("app.core", "contracts[0] (l)", False),
        ("app.gone", "contracts[0] (l)", False),
        ("app.optional", "contracts[0] (l)", True),
        ("app.**.db", "contracts[0] (l)", False),
    ]
    errors = missing_references(config, MODULES, extra)
    assert [(e.line, e.message) for e in errors] == [
        (6, "contracts[0] (l): 'app.gone' names no discovered module or package")
    ]


def test_path_globs_directory_and_name_patterns() -> None:
    globs = PathGlobs(["**/migrations/**", "test_*.py", "src/app/[ab]*.py"])
    assert globs.matches("src/app/migrations")
    assert globs.matches("migrations/x.py")
    assert globs.matches("deep/down/test_x.py")
    assert globs.matches("src/app/alpha.py")
    assert not globs.matches("src/app/migrations_old/x.py")
    assert not globs.matches("src/app/cli.py")
    assert not globs.matches("src/app/sub/alpha.py")
    assert not PathGlobs([]).matches("anything")


def test_a_subpackage_named_like_a_tool_folder_is_verified(tmp_path: Path) -> None:
    _files(
        tmp_path,
        "app/__init__.py",
        "app/build/__init__.py",
        "app/build/steps.py",
        "app/env/settings.py",
        "app/__pycache__/x.py",
    )
    found = _run(tmp_path)
    assert _paths(found) == ["app/__init__.py", "app/build/__init__.py", "app/build/steps.py"]


# ----- what the import system resolves -------------------------------------------------------


def _importlib_origins(roots: list[Path], names: list[str]) -> dict[str, str | None]:
    """What a fresh interpreter with ``roots`` as its path finds for each name (files only)."""
    script = (
        "import importlib.util, json, sys\n"
        "found = {}\n"
        "for name in sys.argv[2:]:\n"
        "    try:\n"
        "        spec = importlib.util.find_spec(name)\n"
        "    except ImportError:\n"
        "        spec = None\n"
        "    found[name] = spec.origin if spec is not None and spec.has_location else None\n"
        "print(json.dumps(found))\n"
    )
    prefix = f"import sys; sys.path[:0] = {[str(r) for r in roots]!r}\n"
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-I", "-c", prefix + script, "x", *names],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, str | None] = json.loads(done.stdout)
    return result


PRECEDENCE_TREE = (
    # a package folder beside a module of the same name: the package wins
    "s1/app/__init__.py",
    "s1/app/a.py",
    "s1/app/a/__init__.py",
    "s1/app/a/x.py",
    # a module beside a folder without __init__.py: the module wins
    "s1/app/b.py",
    "s1/app/b/y.py",
    # a namespace folder alone is a namespace package
    "s1/app/c/z.py",
    # a namespace split over two source roots, and a regular package in the later root that
    # beats the namespace portion of the earlier one
    "s1/ns/one.py",
    "s2/ns/two.py",
    "s1/reg/loose.py",
    "s2/reg/__init__.py",
    "s2/reg/inner.py",
    # the same package in both roots: the first root wins entirely
    "s2/app/__init__.py",
    "s2/app/extra.py",
)


def test_modules_are_exactly_what_importlib_resolves(tmp_path: Path) -> None:
    _files(tmp_path, *PRECEDENCE_TREE)
    found = _run(tmp_path, 'source_roots = ["s1", "s2"]\npackages = ["app", "ns", "reg"]\n')
    ours = {s.module: s.path for s in found.files}
    candidates = sorted(
        {*ours, "app.a.x", "app.b", "app.b.y", "app.c.z", "app.extra", "reg.loose", "reg.inner"}
    )
    theirs = _importlib_origins([tmp_path / "s1", tmp_path / "s2"], candidates)
    expected = {
        name: Path(origin).relative_to(tmp_path).as_posix()
        for name, origin in theirs.items()
        if origin is not None
    }
    assert ours == expected
    assert ours["app.a"] == "s1/app/a/__init__.py" and ours["app.b"] == "s1/app/b.py"
    assert {"ns.one", "ns.two", "reg.inner"} <= set(ours) and "reg.loose" not in ours
    shadowed = {(s.path, s.winner) for s in found.shadowed}
    assert shadowed == {
        ("s1/app/a.py", "s1/app/a"),
        ("s1/app/b", "s1/app/b.py"),
        ("s1/reg", "s2/reg"),
        ("s2/app", "s1/app"),
    }
    finding = next(s for s in found.shadowed if s.path == "s1/app/a.py").finding()
    assert finding.rule == "compile/shadowed-module" and finding.severity.value == "warning"
    assert "s1/app/a.py" in finding.message and "s1/app/a" in finding.message


def test_automatic_packages_follow_the_first_source_root(tmp_path: Path) -> None:
    _files(tmp_path, "s1/app.py", "s2/app/__init__.py", "s2/lib/__init__.py")
    found = _run(tmp_path, 'source_roots = ["s1", "s2"]\n')
    # ``import app`` finds s1/app.py first: the s2 package is never imported.
    assert found.packages == ("lib",)
    assert [(s.path, s.winner) for s in found.shadowed] == [("s2/app", "s1/app.py")]


def test_a_data_folder_beside_a_module_is_not_shadowing(tmp_path: Path) -> None:
    _files(tmp_path, "app/__init__.py", "app/templates.py", "app/templates/page.html")
    assert _run(tmp_path).shadowed == ()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_unfollowable_symlinks_are_notes_not_crashes(tmp_path: Path) -> None:
    _files(tmp_path, "app/__init__.py", "app/ok.py")
    (tmp_path / "app/a").symlink_to("b")
    (tmp_path / "app/b").symlink_to("a")
    (tmp_path / "app/m.py").symlink_to("m.py")
    (tmp_path / "app/up").symlink_to(tmp_path, target_is_directory=True)
    found = _run(tmp_path)
    assert _paths(found) == ["app/__init__.py", "app/ok.py"]
    assert sum("symbolic links" in p for p in found.problems) == 3


def test_undecodable_names_are_skipped_and_shown_escaped(tmp_path: Path) -> None:
    _files(tmp_path, "app/__init__.py")
    raw = os.fsencode(tmp_path / "app") + b"/caf\xe9.py"
    with open(raw, "wb") as handle:
        handle.write(b"x = 1\n")
    found = _run(tmp_path)
    assert _paths(found) == ["app/__init__.py"]
    (note,) = found.problems
    assert note == "app/caf\\xe9.py: skipped, the name is not valid UTF-8"
    note.encode("utf-8")  # printable and JSON-encodable as it is


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_out_of_the_root_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _files(outside, "secret.py", "pkg/__init__.py", "pkg/leak.py")
    root = tmp_path / "root"
    _files(root, "app/__init__.py", "app/ok.py")
    (root / "app/linked.py").symlink_to(outside / "secret.py")
    (root / "app/tree").symlink_to(outside / "pkg", target_is_directory=True)
    (root / "app/everything").symlink_to("/", target_is_directory=True)
    found = _run(root)
    assert _paths(found) == ["app/__init__.py", "app/ok.py"]
    # Python imports all three: each is an error (compile/outside-link), never read.
    assert [(f.rule, f.path) for f in found.unverified] == [
        ("compile/outside-link", "app/everything"),
        ("compile/outside-link", "app/linked.py"),
        ("compile/outside-link", "app/tree"),
    ]
    (root / "src").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ConfigError, match="symbolic link to outside the root"):
        _run(root, 'source_roots = ["src"]\npackages = ["pkg"]\n')
