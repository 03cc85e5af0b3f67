"""Verdicts equal lint-imports': the import-linter fixtures and random projects, read as they are.

Both sides read the same import-linter configuration file: ``lint-imports`` itself, and
archverify through ``load_importlinter_contracts``, discovery, ``extract_facts``, the import graph
and the core contracts. Every contract's kept/broken verdict must be the same.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archverify.core.config import Config
from archverify.core.contracts import check_contract, include_type_checking
from archverify.core.graph import ImportGraph
from archverify.orchestrator.cache.facts import FactsCache
from archverify.orchestrator.config.importlinter import load_importlinter_contracts
from archverify.orchestrator.discovery import discover
from archverify.orchestrator.parsing import parse_files
from tests.helpers.lint_imports import LINT_IMPORTS, option_lines, run_lint_imports

pytest.importorskip("archverify.core.extract", reason="the fact extractor has not landed yet")
pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")

FIXTURES = Path(__file__).parent.parent / "fixtures" / "importlinter"
_VERDICT = re.compile(r"^(\S+) (KEPT|BROKEN)\b", re.MULTILINE)


def lint_imports(root: Path, contracts_file: str = "") -> dict[str, bool]:
    """Each contract's verdict by lint-imports run in ``root``."""
    done = run_lint_imports(root, "--no-logo", *([contracts_file] if contracts_file else []))
    verdicts = {name: verdict == "KEPT" for name, verdict in _VERDICT.findall(done.stdout)}
    assert verdicts, done.stdout + done.stderr
    return verdicts


def archverify(root: Path, contracts_file: str = "") -> dict[str, bool]:
    """Each contract's verdict by archverify reading the same import-linter file."""
    config = load_importlinter_contracts(root, contracts_file)
    assert config is not None
    discovery = discover(root, Config(root=str(root), packages=config.root_packages))
    facts = parse_files(root, discovery.files, jobs=1, cache=FactsCache(None, "test"))
    graphs: dict[bool, ImportGraph] = {}
    verdicts: dict[str, bool] = {}
    for contract in config.contracts:
        with_tc = include_type_checking(contract, False)
        if with_tc not in graphs:
            graphs[with_tc] = ImportGraph.build(
                facts.values(), include_type_checking=with_tc, include_external=True
            )
        result = check_contract(graphs[with_tc], contract)
        assert not result.missing_modules, (contract, result.missing_modules)
        verdicts[contract.name] = result.kept
    return verdicts


def fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("fixture", fixture_names())
def test_fixture_verdicts_equal_lint_imports(tmp_path: Path, fixture: str) -> None:
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root)
    marker = root / "CONTRACTS_FILE"
    contracts_file = marker.read_text().strip() if marker.exists() else ""
    theirs = lint_imports(root, contracts_file)
    assert archverify(root, contracts_file) == theirs
    # A fixture whose contracts all agree one way proves nothing about the other.
    assert set(theirs.values()) == {True, False}


def test_unmatched_ignore_fails_both(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / "p").mkdir(exist_ok=True)
        (tmp_path / "p" / f"{name}.py").write_text("")
    (tmp_path / "p" / "__init__.py").write_text("")
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_package = p\n\n[importlinter:contract:x]\nname = x\n"
        "type = independence\nmodules =\n    p.a\n    p.b\nignore_imports =\n    p.a -> p.b\n"
    )
    done = subprocess.run(  # noqa: S603 - a fixed executable of the dev venv
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 1 and "No matches for ignored import" in done.stdout + done.stderr
    config = load_importlinter_contracts(tmp_path)
    assert config is not None
    graph = ImportGraph.build([], include_external=True)
    result = check_contract(graph, config.contracts[0])
    # archverify reports it as an error finding of the contracts step (contracts/unmatched-ignore).
    assert result.unmatched_ignores == ("p.a -> p.b",) and result.ignore_alerting == "error"


# ----- random projects -------------------------------------------------------------------------

# Candidate modules below the root package ``pkg``; a chosen module brings its ancestors.
CANDIDATES = ("a", "b", "c", "d", "a.x", "a.y", "b.x", "c.z", "a.x.deep")
# type_checking twice: whether those imports count is the setting most easily got wrong.
STYLES = ("import", "from", "relative", "function", "type_checking", "type_checking", "guarded")


@dataclass(frozen=True)
class RandomProject:
    modules: tuple[str, ...]  # every module, "pkg" first
    imports: dict[str, list[tuple[str, str]]]  # module -> (imported module, style)
    exclude_type_checking: bool

    def packages(self) -> set[str]:
        return {m.rpartition(".")[0] for m in self.modules if "." in m}

    def children(self, package: str) -> list[str]:
        return [m for m in self.modules if m.rpartition(".")[0] == package]


@st.composite
def projects(draw: st.DrawFn) -> RandomProject:
    chosen = draw(st.sets(st.sampled_from(CANDIDATES), min_size=2, max_size=7))
    names = {"pkg"}
    for name in chosen:
        parts = f"pkg.{name}".split(".")
        names.update(".".join(parts[:size]) for size in range(1, len(parts) + 1))
    modules = tuple(sorted(names, key=lambda m: (m.count("."), m)))[:8]
    # Trimming may drop a parent only after its children: keep the tree closed.
    modules = tuple(m for m in modules if m.rpartition(".")[0] in (*modules, ""))
    imports: dict[str, list[tuple[str, str]]] = {}
    for module in modules:
        targets = draw(
            st.lists(
                st.tuples(st.sampled_from([*modules, "requests"]), st.sampled_from(STYLES)),
                max_size=3,
            )
        )
        imports[module] = [(t, s) for t, s in targets if t != module]
    return RandomProject(modules, imports, draw(st.booleans()))


def import_line(project: RandomProject, module: str, target: str, style: str) -> str:
    """One import of ``target`` written in ``style`` from ``module``."""
    parent, _, leaf = target.rpartition(".")
    if style == "function":
        return f"def use_{leaf}():\n    import {target}\n"
    if style == "type_checking":
        return f"if TYPE_CHECKING:\n    import {target}\n"
    if style == "guarded":
        return f"try:\n    import {target}\nexcept ImportError:\n    pass\n"
    if style == "from" and parent:
        return f"from {parent} import {leaf}\n"
    own_package = module if module in project.packages() else module.rpartition(".")[0]
    if style == "relative" and parent and target.startswith("pkg."):
        # ``from .. import leaf`` climbs from this module's package to the target's parent.
        if own_package == parent or own_package.startswith(parent + "."):
            dots = "." * (own_package.count(".") - parent.count(".") + 1)
            return f"from {dots} import {leaf}\n"
    return f"import {target}\n"


def write_project(root: Path, project: RandomProject) -> None:
    packages = project.packages()
    for module in project.modules:
        parts = module.split(".")
        path = root.joinpath(*parts, "__init__.py") if module in packages else None
        if path is None:
            path = root.joinpath(*parts[:-1], parts[-1] + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["from typing import TYPE_CHECKING\n"]
        lines += [import_line(project, module, t, s) for t, s in project.imports[module]]
        path.write_text("".join(lines))


@st.composite
def contracts(draw: st.DrawFn, project: RandomProject) -> list[dict[str, object]]:
    """A handful of contracts over the project's modules; options as import-linter spells them."""
    top = project.children("pkg")
    found: list[dict[str, object]] = []
    edges = [(m, t) for m, imps in project.imports.items() for t, _ in imps if t != "requests"]

    def ignores() -> dict[str, object]:
        if not edges or not draw(st.booleans()):
            return {}
        importer, imported = draw(st.sampled_from(edges))
        form = draw(st.sampled_from(["exact", "star", "double"]))
        if form == "star" and "." in importer:
            importer = importer.rpartition(".")[0] + ".*"
        elif form == "double":
            importer = "pkg.**"
        return {
            "ignore_imports": [f"{importer} -> {imported}"],
            "unmatched_ignore_imports_alerting": draw(st.sampled_from(["none", "warn"])),
        }

    if len(top) >= 2:
        order = draw(st.permutations(top))
        layers = list(order[:3])
        if len(layers) == 3 and draw(st.booleans()):
            separator = draw(st.sampled_from([" | ", " : "]))
            layers = [layers[0] + separator + layers[1], layers[2]]
        found.append({"type": "layers", "layers": layers, **ignores()})
        found.append(
            {
                "type": "layers",
                "containers": ["pkg"],
                "layers": [m.removeprefix("pkg.") for m in order[:2]] + ["(missing)"],
                "exhaustive": draw(st.sampled_from(["True", "False"])),
                "exhaustive_ignores": [m.removeprefix("pkg.") for m in order[2:3]],
            }
        )
        forbidden_modules = [order[1]] + (["requests"] if draw(st.booleans()) else [])
        found.append(
            {
                "type": "forbidden",
                "source_modules": [order[0]],
                "forbidden_modules": forbidden_modules,
                "allow_indirect_imports": draw(st.sampled_from(["True", "False"])),
                **ignores(),
            }
        )
        found.append({"type": "independence", "modules": list(order[:3]), **ignores()})
        found.append(
            {
                "type": "protected",
                "protected_modules": [order[0]],
                "allowed_importers": [order[1]],
                "as_packages": draw(st.sampled_from(["True", "False"])),
                **ignores(),
            }
        )
    found.append(
        {
            "type": "acyclic_siblings",
            "ancestors": ["pkg"],
            "depth": str(draw(st.integers(0, 2))),
            **ignores(),
        }
    )
    return found


def write_config(root: Path, project: RandomProject, found: list[dict[str, object]]) -> None:
    lines = [
        "[importlinter]",
        "root_package = pkg",
        "include_external_packages = True",
        f"exclude_type_checking_imports = {project.exclude_type_checking}",
    ]
    for index, options in enumerate(found):
        lines += ["", f"[importlinter:contract:c{index}]", f"name = c{index}"]
        lines += option_lines(options)
    (root / ".importlinter").write_text("\n".join(lines) + "\n")


def random_project(tmp_path: Path, data: st.DataObject) -> Path:
    """A random project with its random contracts, written afresh at ``tmp_path/project``."""
    project = data.draw(projects())
    found = data.draw(contracts(project))
    root = tmp_path / "project"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir()
    write_project(root, project)
    write_config(root, project, found)
    return root


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_projects_verdicts_equal_lint_imports(tmp_path: Path, data: st.DataObject) -> None:
    root = random_project(tmp_path, data)
    assert archverify(root) == lint_imports(root)


# ----- validation: what lint-imports rejects, archverify rejects ------------------------------

# pkg.a imports pkg.c; pkg.c.y imports os (an external import).
VALIDATION_PROJECT = {
    "pkg/__init__.py": "",
    "pkg/a/__init__.py": "",
    "pkg/a/b/__init__.py": "",
    "pkg/a/x.py": "import pkg.c\n",
    "pkg/c/__init__.py": "",
    "pkg/c/y.py": "import os\n",
    "pkg/sub/__init__.py": "",
}
_FORBIDDEN_A = (
    "[importlinter]\nroot_package = pkg\n\n[importlinter:contract:x]\nname = x\n"
    "type = forbidden\nsource_modules =\n    {source}\nforbidden_modules =\n    {forbidden}\n"
)
LAYERS_A_C = "[importlinter:contract:x]\nname = x\ntype = layers\nlayers =\n    pkg.a\n    pkg.c\n"
IGNORE_OS = "ignore_imports =\n    pkg.c.y -> os\n"


def _outcome_of_lint_imports(root: Path, contracts_file: str) -> str:
    """ "kept", "broken" (a verdict), or "rejected" (an error before any verdict)."""
    done = run_lint_imports(root, "--no-logo", *([contracts_file] if contracts_file else []))
    if done.returncode == 0:
        return "kept"
    return "broken" if _VERDICT.search(done.stdout) else "rejected"


def _outcome_of_archverify(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """The same three outcomes from ``archverify run`` (exit 0, 1 and 2), and its stderr."""
    from archverify.orchestrator.cli import main

    capsys.readouterr()
    out = root.parent / f"{root.name}.json"
    code = main(["run", str(root), "--no-cache", "--steps", "contracts", "--format", f"json={out}"])
    err = capsys.readouterr().err
    assert "internal error" not in err
    return {0: "kept", 1: "broken", 2: "rejected"}[code], err


@pytest.mark.parametrize(
    ("case", "config_name", "config", "expected", "reason"),
    [
        # [contract:x] is not a section import-linter reads: "No contracts found".
        (
            "contract-sections",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n" + LAYERS_A_C.replace("importlinter:", ""),
            "rejected",
            "no contracts found",
        ),
        (
            "contract-sections-named",
            "contracts/importlinter.ini",
            "[importlinter]\nroot_package = pkg\n\n" + LAYERS_A_C.replace("importlinter:", ""),
            "rejected",
            "[contract:x] is not read",
        ),
        (
            "nested-layers",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n" + LAYERS_A_C.replace("pkg.c\n", "pkg.a.b\n"),
            "rejected",
            "Layers cannot contain other layers: 'pkg.a' contains 'pkg.a.b'",
        ),
        (
            "module-in-two-layers",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n" + LAYERS_A_C + "    pkg.a\n",
            "rejected",
            "Modules cannot be in more than one layer: 'pkg.a'",
        ),
        (
            "sub-root-package",
            ".importlinter",
            "[importlinter]\nroot_package = pkg.sub\n\n"
            "[importlinter:contract:x]\nname = x\ntype = independence\nmodules =\n    pkg.sub\n",
            "rejected",
            "'pkg.sub' is not a top-level package",
        ),
        (
            "exhaustive-without-containers",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n" + LAYERS_A_C + "exhaustive = True\n",
            "rejected",
            "exhaustive option is not supported for contracts without containers",
        ),
        (
            "wildcard-after-recursive-wildcard",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n"
            + LAYERS_A_C
            + "ignore_imports =\n    pkg.**.* -> pkg.c\n",
            "rejected",
            "'**' cannot be followed by '*'",
        ),
        (
            "duplicate-toml-ids",
            "pyproject.toml",
            '[tool.importlinter]\nroot_package = "pkg"\n'
            + '[[tool.importlinter.contracts]]\nid = "one"\nname = "a"\ntype = "independence"\n'
            + 'modules = ["pkg.a", "pkg.c"]\n'
            + '[[tool.importlinter.contracts]]\nid = "one"\nname = "b"\ntype = "independence"\n'
            + 'modules = ["pkg.a", "pkg.c"]\n',
            "rejected",
            "ids must be unique",
        ),
        # Without externals in the graph an ignored external import matches nothing: lint-imports
        # stops ("No matches for ignored import"), archverify reports contracts/unmatched-ignore.
        (
            "external-ignore-without-externals",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n" + LAYERS_A_C + IGNORE_OS,
            "fails",
            "",
        ),
        (
            "external-ignore-with-externals",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\ninclude_external_packages = True\n\n"
            + LAYERS_A_C
            + IGNORE_OS,
            "kept",
            "",
        ),
        # A contract naming a module of the project that does not exist: lint-imports stops
        # ("Module 'pkg.nothere' does not exist."), whatever list names it.
        (
            "forbidden-missing-internal-forbidden-module",
            ".importlinter",
            _FORBIDDEN_A.format(source="pkg.a", forbidden="pkg.nothere"),
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        (
            "forbidden-missing-internal-forbidden-module-toml",
            "pyproject.toml",
            '[tool.importlinter]\nroot_package = "pkg"\n[[tool.importlinter.contracts]]\n'
            'name = "x"\ntype = "forbidden"\nsource_modules = ["pkg.a"]\n'
            'forbidden_modules = ["pkg.c", "pkg.c.nothere"]\n',
            "rejected",
            "'pkg.c.nothere' names no discovered module",
        ),
        (
            "forbidden-missing-source-module",
            ".importlinter",
            _FORBIDDEN_A.format(source="pkg.nothere", forbidden="pkg.c"),
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        # An external forbidden module need not be imported (or even installed).
        (
            "forbidden-external-module-not-imported",
            ".importlinter",
            _FORBIDDEN_A.format(source="pkg.a", forbidden="notinstalleddist").replace(
                "root_package = pkg\n", "root_package = pkg\ninclude_external_packages = True\n"
            ),
            "kept",
            "",
        ),
        (
            "layers-missing-layer",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n" + LAYERS_A_C + "    pkg.nothere\n",
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        (
            "layers-missing-optional-layer",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n"
            + LAYERS_A_C.replace("pkg.a\n    pkg.c", "pkg.c\n    (pkg.nothere)\n    pkg.a"),
            "broken",
            "",
        ),
        (
            "layers-missing-layer-in-container",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n[importlinter:contract:x]\nname = x\n"
            "type = layers\ncontainers =\n    pkg\nlayers =\n    a\n    nothere\n",
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        (
            "layers-missing-container",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n[importlinter:contract:x]\nname = x\n"
            "type = layers\ncontainers =\n    pkg.nothere\nlayers =\n    (a)\n    (b)\n",
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        (
            "independence-missing-module",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n[importlinter:contract:x]\nname = x\n"
            "type = independence\nmodules =\n    pkg.a\n    pkg.nothere\n",
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        (
            "acyclic-siblings-missing-ancestor",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n[importlinter:contract:x]\nname = x\n"
            "type = acyclic_siblings\nancestors =\n    pkg.nothere\n",
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        (
            "acyclic-siblings-missing-skipped-descendant",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n[importlinter:contract:x]\nname = x\n"
            "type = acyclic_siblings\nancestors =\n    pkg\nskip_descendants =\n"
            "    pkg.nothere\n",
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        (
            "forbidden-missing-internal-module-with-externals",
            ".importlinter",
            _FORBIDDEN_A.format(source="pkg.a", forbidden="pkg.nothere").replace(
                "root_package = pkg\n", "root_package = pkg\ninclude_external_packages = True\n"
            ),
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        (
            "forbidden-external-submodule",
            ".importlinter",
            _FORBIDDEN_A.format(source="pkg.a", forbidden="os.path").replace(
                "root_package = pkg\n", "root_package = pkg\ninclude_external_packages = True\n"
            ),
            "rejected",
            "'os.path' is a subpackage of an external package",
        ),
        (
            "protected-missing-protected-module",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n[importlinter:contract:x]\nname = x\n"
            "type = protected\nprotected_modules =\n    pkg.nothere\nallowed_importers =\n"
            "    pkg.a\n",
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        (
            "protected-missing-allowed-importer",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n[importlinter:contract:x]\nname = x\n"
            "type = protected\nprotected_modules =\n    pkg.c\nallowed_importers =\n"
            "    pkg.nothere\n",
            "rejected",
            "'pkg.nothere' names no discovered module",
        ),
        # exhaustive_ignores are child names to skip, not modules: neither tool checks them.
        (
            "layers-exhaustive-ignores-missing",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n[importlinter:contract:x]\nname = x\n"
            "type = layers\ncontainers =\n    pkg\nlayers =\n    a\n    c\nexhaustive = True\n"
            "exhaustive_ignores =\n    sub\n    nothere\n",
            "kept",
            "",
        ),
        (
            "valid-control",
            ".importlinter",
            "[importlinter]\nroot_package = pkg\n\n"
            + LAYERS_A_C.replace("pkg.a\n    pkg.c", "pkg.c\n    pkg.a"),
            "broken",
            "",
        ),
    ],
)
def test_configurations_lint_imports_rejects_are_rejected(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    config_name: str,
    config: str,
    expected: str,
    reason: str,
) -> None:
    root = tmp_path / case
    for relative, text in {**VALIDATION_PROJECT, config_name: config}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    named = (
        config_name if config_name not in (".importlinter", "setup.cfg", "pyproject.toml") else ""
    )
    if named:
        (root / "pyproject.toml").write_text(f'[tool.archverify]\ncontracts_file = "{named}"\n')
    theirs = _outcome_of_lint_imports(root, named)
    ours, err = _outcome_of_archverify(root, capsys)
    if expected == "fails":
        # The documented difference: lint-imports has no verdict, archverify an error finding.
        assert (theirs, ours) == ("rejected", "broken")
        report = json.loads((tmp_path / f"{case}.json").read_text())
        assert [f["rule"] for f in report["findings"]] == ["contracts/unmatched-ignore"]
        return
    assert theirs == ours == expected, err
    if expected == "rejected":
        # exit 2 with file:line and lint-imports' reason
        assert re.search(rf"archverify: error: {re.escape(config_name)}:\d+: ", err), err
        assert reason in err
