"""Every chain lint-imports reports, archverify reports too, with the same lines.

lint-imports' chains come from import-linter's own report (``tests/helpers/lint_imports_chains.py``
reads its metadata, one chain per route and per extra head or tail it prints). archverify's are
its routes expanded: every head with the links and every tail. On packages installed in the
venv, on small projects written for every route shape and on the random projects of
``test_lint_imports_equivalence``:

- every direct import lint-imports reports is one of archverify's, with the same lines;
- every hop of every chain lint-imports reports is a hop of archverify's routes of the same
  contract, with the same lines, so that each of its chains can be walked along them;
- where lint-imports' answer does not depend on how it breaks ties between equally short
  chains (the route-shape project), its chains are archverify's chains outright.

Which indirect chains lint-imports prints does depend on those ties, and grimp breaks them by
hash order, which changes from run to run (on ``rich`` below, six runs print 38 chains of one
independence contract each, 101 different ones in all). Every such chain is a walk along the
hops archverify reports, which is what can be asked of every run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archverify.core.config import Config
from archverify.core.contracts import ContractResult, Route, check_contract, include_type_checking
from archverify.core.graph import ImportGraph
from archverify.orchestrator.cache.facts import FactsCache
from archverify.orchestrator.config.importlinter import load_importlinter_contracts
from archverify.orchestrator.discovery import discover
from archverify.orchestrator.parsing import parse_files
from tests.helpers.lint_imports import LINT_IMPORTS, option_lines
from tests.integration.test_lint_imports_equivalence import random_project

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")

CHAINS_SCRIPT = Path(__file__).parents[1] / "helpers" / "lint_imports_chains.py"
Hop = tuple[str, str, tuple[int, ...]]
Chain = tuple[Hop, ...]


def lint_imports_chains(root: Path) -> dict[str, set[Chain]]:
    """Every chain lint-imports reports, by contract name."""
    done = subprocess.run(  # noqa: S603 - the dev venv's Python running our helper
        [sys.executable, str(CHAINS_SCRIPT)],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    raw: dict[str, list[list[list[object]]]] = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        name: {tuple(_hop(*hop) for hop in chain) for chain in chains}
        for name, chains in raw.items()
    }


def _hop(importer: object, imported: object, lines: object) -> Hop:
    assert isinstance(lines, list)
    return (str(importer), str(imported), tuple(sorted({int(n) for n in lines})))


def archverify_results(root: Path) -> dict[str, ContractResult]:
    """Each contract's result by archverify reading the same import-linter file."""
    config = load_importlinter_contracts(root)
    assert config is not None
    discovery = discover(root, Config(root=str(root), packages=config.root_packages))
    facts = parse_files(root, discovery.files, jobs=1, cache=FactsCache(None, "test"))
    graphs: dict[bool, ImportGraph] = {}
    results: dict[str, ContractResult] = {}
    for contract in config.contracts:
        with_tc = include_type_checking(contract, False)
        if with_tc not in graphs:
            graphs[with_tc] = ImportGraph.build(
                facts.values(), include_type_checking=with_tc, include_external=True
            )
        results[contract.name] = check_contract(graphs[with_tc], contract)
    return results


def expanded(route: Route) -> set[Chain]:
    """Every chain a route stands for: each head, the links, each tail."""
    links = tuple(_as_hop(h.importer, h.imported, h.lines) for h in route.links)
    tails: list[Chain] = [(_as_hop(h.importer, h.imported, h.lines),) for h in route.tails]
    found: set[Chain] = set()
    for head in route.heads:
        first = _as_hop(head.importer, head.imported, head.lines)
        for tail in tails or [()]:
            found.add((first, *links, *tail))
    return found


def _as_hop(importer: str, imported: str, lines: tuple[int, ...]) -> Hop:
    return (importer, imported, tuple(sorted(set(lines))))


def archverify_chains(root: Path) -> dict[str, set[Chain]]:
    return {
        name: {c for v in result.violations for r in v.routes for c in expanded(r)}
        for name, result in archverify_results(root).items()
    }


def assert_superset(root: Path, *, chains: bool = False) -> tuple[int, int]:
    """lint-imports' direct imports and hops are archverify's, with the same lines (and its
    chains, with ``chains``); the two chain counts, for the caller."""
    theirs = lint_imports_chains(root)
    ours = archverify_chains(root)
    for name, found in theirs.items():
        mine = ours.get(name, set())
        direct = {c for c in found if len(c) == 1} - mine
        assert not direct, f"{name}: lint-imports reports {sorted(direct)}, archverify does not"
        hops = {hop for chain in found for hop in chain} - {h for c in mine for h in c}
        assert not hops, f"{name}: lint-imports shows {sorted(hops)}, archverify does not"
        if chains:
            missing = found - mine
            assert not missing, f"{name}: lint-imports reports {sorted(missing)}, not archverify"
    return sum(map(len, theirs.values())), sum(map(len, ours.values()))


def write_importlinter(root: Path, package: str, contracts_: list[dict[str, object]]) -> None:
    lines = ["[importlinter]", f"root_package = {package}", "include_external_packages = True"]
    for index, options in enumerate(contracts_):
        lines += ["", f"[importlinter:contract:c{index}]", f"name = c{index}"]
        lines += option_lines(options)
    (root / ".importlinter").write_text("\n".join(lines) + "\n")


# ----- (a) packages installed in the venv -------------------------------------------------------

# Contracts over the packages' own subpackages and modules, chosen to be broken (asserted).
INSTALLED: dict[str, list[dict[str, object]]] = {
    "_pytest": [
        {"type": "layers", "layers": ["_pytest.main", "_pytest.config", "_pytest._code"]},
        {"type": "layers", "layers": ["_pytest.python", "_pytest.fixtures", "_pytest.nodes"]},
        {
            "type": "forbidden",
            "source_modules": ["_pytest._code", "_pytest.assertion"],
            "forbidden_modules": ["_pytest.config", "_pytest.main"],
        },
        {"type": "independence", "modules": ["_pytest.mark", "_pytest.python", "_pytest.runner"]},
        {
            "type": "protected",
            "protected_modules": ["_pytest.config"],
            "allowed_importers": ["_pytest.main"],
        },
    ],
    "rich": [
        {"type": "layers", "layers": ["rich.console", "rich.text", "rich.style", "rich.color"]},
        {
            "type": "forbidden",
            "source_modules": ["rich.text", "rich.segment"],
            "forbidden_modules": ["rich.console"],
        },
        {"type": "independence", "modules": ["rich.table", "rich.panel", "rich.live"]},
    ],
}


def _installed(package: str) -> Path | None:
    spec = __import__("importlib.util").util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.mark.parametrize("package", sorted(INSTALLED))
def test_installed_packages_chains_are_a_superset(tmp_path: Path, package: str) -> None:
    source = _installed(package)
    if source is None:
        pytest.skip(f"{package} is not installed")
    shutil.copytree(source, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    write_importlinter(tmp_path, package, INSTALLED[package])
    results = archverify_results(tmp_path)
    assert all(not r.kept for r in results.values()), "every contract here must be broken"
    theirs, ours = assert_superset(tmp_path)
    # More than one chain per broken pair: the single shortest chain would not do.
    pairs = sum(len(r.violations) for r in results.values())
    assert theirs > pairs and ours >= theirs


# ----- (b) every route shape ---------------------------------------------------------------------

# low.a imports high.b twice (a direct import, two lines); low.x and low.y import mid.m (shared
# heads, y twice), m imports high.z and high.w (shared tails); low.deep goes through two middle
# modules (links); side.s imports high.b directly for the protected contract.
SHAPES: dict[str, str] = {
    "app/__init__.py": "",
    "app/low/__init__.py": "",
    "app/low/a.py": "import app.high.b\nfrom app.high import b\n",
    "app/low/x.py": "import app.mid.m\n",
    "app/low/y.py": "import app.mid.m\n\nimport app.mid.m as again\n",
    "app/low/deep.py": "from app.mid import n\n",
    "app/mid/__init__.py": "",
    "app/mid/m.py": "import app.high.z\nimport app.high.w\n",
    "app/mid/n.py": "import app.util\n",
    "app/util.py": "import app.high.w\nimport app.side.s\n",
    "app/high/__init__.py": "",
    "app/high/b.py": "",
    "app/high/z.py": "",
    "app/high/w.py": "import app.side\n",
    "app/side/__init__.py": "",
    "app/side/s.py": "def f():\n    import app.high.b\n    from app.high import b\n",
}
SHAPE_CONTRACTS: list[dict[str, object]] = [
    {"type": "layers", "layers": ["app.high", "app.mid", "app.low"]},
    {"type": "layers", "layers": ["app.high", "app.low"]},
    {"type": "forbidden", "source_modules": ["app.low"], "forbidden_modules": ["app.high"]},
    {
        "type": "forbidden",
        "source_modules": ["app.low"],
        "forbidden_modules": ["app.high"],
        "allow_indirect_imports": "True",
    },
    {"type": "independence", "modules": ["app.low", "app.high", "app.side"]},
    {"type": "protected", "protected_modules": ["app.high"], "allowed_importers": ["app.low"]},
]


def test_every_route_shape(tmp_path: Path) -> None:
    for name, text in SHAPES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    write_importlinter(tmp_path, "app", SHAPE_CONTRACTS)
    assert_superset(tmp_path, chains=True)
    chains = archverify_chains(tmp_path)
    direct = (("app.low.a", "app.high.b", (1, 2)),)
    via_m = [("app.low.x", "app.mid.m", (1,)), ("app.low.y", "app.mid.m", (1, 3))]
    tails = [("app.mid.m", "app.high.z", (1,)), ("app.mid.m", "app.high.w", (2,))]
    # Every head with every tail of the shared route, and the direct import with both lines.
    assert direct in chains["c1"]
    assert {(h, t) for h in via_m for t in tails} <= chains["c1"]
    assert (
        ("app.low.deep", "app.mid.n", (1,)),
        ("app.mid.n", "app.util", (1,)),
        ("app.util", "app.high.w", (1,)),
    ) in chains["c1"]
    # allow_indirect_imports: the direct import only.
    assert chains["c3"] == {direct}
    # protected: every illegal import with all its lines, a function-level one included.
    assert (("app.side.s", "app.high.b", (2, 3)),) in chains["c5"]


# ----- (c) random projects ----------------------------------------------------------------------


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_projects_chains_are_a_superset(tmp_path: Path, data: st.DataObject) -> None:
    assert_superset(random_project(tmp_path, data))
