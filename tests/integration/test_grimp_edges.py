"""archverify's import edges and lines equal grimp's, apart from the documented differences.

The comparison is ``bench/compare_grimp_edges.py`` (docs/internal/graph-engine.md, "Differences
from grimp"): on pure-Python packages installed in the venv and on a hand-written tricky package.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import compare_grimp_edges  # noqa: E402
from compare_grimp_edges import EXPLAINERS, classify, compare, main  # noqa: E402

SELF_IMPORT, NAMESPACE, NAME_LINE = EXPLAINERS

# The tricky package: every import form whose resolution could differ between the engines.
TRICKY: dict[str, str] = {
    "trk/__init__.py": (
        "from .alpha import thing\n"
        "from trk.sub import beta as beta_mod\n"
        "from . import gamma\n"
        "from trk.build import tool\n"
    ),
    "trk/alpha.py": (
        "thing = 1\n"
        "import trk.sub.deep.leaf as leaf\n"
        "import trk.sub.deep.leaf\n"
        "import trk.sub.beta.not_a_module\n"
        "from trk.sub.beta import helper, gamma_like\n"
        "from trk.sub import beta, nothing_here\n"
        "from trk import *\n"
        "import trk.nonexistent\n"
        "from trk.ns.inner import mod_a\n"
        "from trk.ns import inner\n"
        "import trk.missing.deeper\n"
        "from trk.missing import attr\n"
        "from trk.sub.missing import *\n"
        "from trk.sub.deep import *\n"
    ),
    "trk/gamma.py": (
        "import typing\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from trk.alpha import thing\n"
        "if typing.TYPE_CHECKING:\n"
        "    import trk.sub\n"
        "try:\n"
        "    import trk.sub.deep\n"
        "except ImportError:\n"
        "    trk = None\n"
        "try:\n"
        "    from trk._speedups import fast\n"
        "except (ImportError, AttributeError):\n"
        "    fast = None\n"
        "import sys\n"
        "if sys.version_info >= (3, 12):\n"
        "    from trk.sub import beta\n"
        "else:\n"
        "    from trk.sub.deep import leaf\n"
        "def late():\n"
        "    from .sub.deep import leaf\n"
        "    class Inner:\n"
        "        from . import alpha\n"
        "    return leaf\n"
        "import importlib\n"
        "only_dynamic = importlib.import_module('trk.sub.flow')\n"
        "relative = importlib.import_module('.build.tool', 'trk')\n"
        "lam = lambda: __import__('trk.alpha')\n"
    ),
    "trk/sub/__init__.py": "",
    "trk/sub/beta.py": (
        "helper = 1\n"
        "from .. import alpha\n"
        "from ..alpha import thing\n"
        "from . import deep\n"
        "from .deep.leaf import value\n"
        "from ...outside import nope\n"
        "from .deep import (\n"
        "    leaf as leaf2,\n"
        ")\n"
        "from \\\n"
        "  trk.gamma import late\n"
        "x = 1; import trk.alpha\n"
    ),
    "trk/sub/deep/__init__.py": (
        "from ... import gamma\nfrom ...sub import beta\nfrom .leaf import *\n"
    ),
    "trk/sub/deep/leaf.py": (
        "value = 1\nfrom .... import toofar\nfrom . import __init__\nimport trk.sub.deep\n"
    ),
    "trk/sub/flow.py": (
        "import os, \\\n"
        "    trk.alpha\n"
        "import sys\n"
        "match sys.argv:\n"
        "    case [_, 'x']:\n"
        "        from trk import gamma\n"
        "    case _:\n"
        "        pass\n"
        "while False:\n"
        "    import trk.sub.deep.leaf\n"
        "with open(os.devnull) as fh:\n"
        "    from trk.sub import beta\n"
        "for _ in ():\n"
        "    import trk.sub\n"
        "else:\n"
        "    from . import deep\n"
        "async def co():\n"
        "    import trk.ns2.mod_b\n"
        "    async with fh:\n"
        "        from .deep import leaf\n"
        "try:\n"
        "    pass\n"
        "except* ValueError:\n"
        "    import trk.sub.beta\n"
        "finally:\n"
        "    from trk.sub.beta import helper\n"
        "def outer():\n"
        "    def inner():\n"
        "        from trk import alpha\n"
        "    return inner\n"
        "def __getattr__(name):\n"
        "    import trk.gamma\n"
        "    return getattr(trk.gamma, name)\n"
        "class K:\n"
        "    import trk.sub.deep\n"
        "    def m(self):\n"
        "        from .. import gamma as g\n"
        "from trk.sub import flow\n"
        "from trk import build\n"
    ),
    # Folders without __init__.py inside a regular package: Python imports them as namespace
    # packages; grimp skips them.
    "trk/ns/inner/mod_a.py": (
        "from . import mod_c\nfrom .. import inner\nfrom ...alpha import thing\n"
    ),
    "trk/ns/inner/mod_c.py": "import trk.ns.inner.mod_a\n",
    "trk/ns2/mod_b.py": "x = 1\nfrom trk.ns import inner\nimport trk.ns\n",
    # A subpackage named like a build folder is still a subpackage: both engines see it.
    "trk/build/__init__.py": "",
    "trk/build/tool.py": "from trk import alpha\n",
}

# Every difference the tricky package must show, with the documented reason for each.
TRICKY_DIFFERENCES: dict[tuple[str, str, str], str] = {
    ("missing-in-archverify", "trk.sub.flow", "trk.sub.flow"): SELF_IMPORT,
    ("extra-in-archverify", "trk.alpha", "trk.ns.inner.mod_a"): NAMESPACE,
    ("extra-in-archverify", "trk.ns.inner.mod_a", "trk.alpha"): NAMESPACE,
    ("extra-in-archverify", "trk.ns.inner.mod_a", "trk.ns.inner.mod_c"): NAMESPACE,
    ("extra-in-archverify", "trk.ns.inner.mod_c", "trk.ns.inner.mod_a"): NAMESPACE,
    ("extra-in-archverify", "trk.ns2.mod_b", "trk"): NAMESPACE,
    ("extra-in-archverify", "trk.sub.flow", "trk.ns2.mod_b"): NAMESPACE,
    ("lines", "trk.sub.flow", "trk.alpha"): NAME_LINE,
}

# Edges both engines must find: the comparison alone would pass if both missed them.
TRICKY_EDGES: dict[tuple[str, str], frozenset[int]] = {
    ("trk", "trk.gamma"): frozenset({3}),
    ("trk", "trk.sub.beta"): frozenset({2}),
    ("trk.alpha", "trk"): frozenset({7, 8}),
    ("trk.alpha", "trk.sub.beta"): frozenset({4, 5, 6}),
    ("trk.alpha", "trk.sub"): frozenset({6}),
    ("trk.alpha", "trk.sub.deep"): frozenset({14}),
    ("trk.alpha", "trk.sub.deep.leaf"): frozenset({2, 3}),
    ("trk.gamma", "trk.alpha"): frozenset({4, 23}),
    ("trk.gamma", "trk.sub"): frozenset({6}),
    ("trk.gamma", "trk.sub.deep.leaf"): frozenset({19, 21}),
    ("trk.sub.beta", "trk.gamma"): frozenset({10}),
    ("trk.sub.beta", "trk.sub.deep.leaf"): frozenset({5, 7}),
    ("trk.sub.deep.leaf", "trk.sub.deep"): frozenset({3, 4}),
    ("trk.sub.flow", "trk.gamma"): frozenset({6, 32, 37}),
}

PURE_PYTHON_PACKAGES = ("_pytest", "tomlkit", "hypothesis", "jsonschema", "bandit")


def write_tricky(root: Path) -> None:
    for relative, source in TRICKY.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


@pytest.mark.parametrize("package", PURE_PYTHON_PACKAGES)
def test_installed_packages_match_grimp(package: str) -> None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{package} is not installed as a package")
    folder = Path(next(iter(spec.submodule_search_locations)))
    context, differences = compare(folder.parent, [package])
    assert len(context.ours.modules) > 5 and len(context.ours.edges) > 10
    unexplained = [d for d in differences if not d.reason]
    assert unexplained == [], [f"{d.kind} {d.importer} -> {d.imported}" for d in unexplained]


def test_tricky_package_differs_only_as_documented(tmp_path: Path) -> None:
    write_tricky(tmp_path)
    context, differences = compare(tmp_path, ["trk"])
    found = {(d.kind, d.importer, d.imported): d.reason for d in differences}
    assert found == TRICKY_DIFFERENCES
    for pair, lines in TRICKY_EDGES.items():
        assert context.ours.edges.get(pair) == lines, pair
        assert context.theirs.edges.get(pair) == lines, pair


def test_tricky_package_left_out_edges(tmp_path: Path) -> None:
    write_tricky(tmp_path)
    context, _ = compare(tmp_path, ["trk"])
    ours = context.ours.edges
    # Names two levels below a module, or below a module not in the sources, reach no
    # ancestor: ``trk._speedups.fast``, ``trk.missing.deeper``, ``from trk.sub.missing import *``.
    assert ("trk.gamma", "trk") not in ours
    assert ours[("trk.alpha", "trk")] == frozenset({7, 8})
    assert ours[("trk.alpha", "trk.sub")] == frozenset({6})
    # Dynamic imports are left out; two pairs are reached by them only (one of them
    # ``import_module('.build.tool', 'trk')``).
    assert context.ours.dynamic_only == 2
    assert ("trk.gamma", "trk.sub.flow") not in ours


def test_an_unexplained_difference_fails_the_comparison(tmp_path: Path) -> None:
    write_tricky(tmp_path)
    context, _ = compare(tmp_path, ["trk"])
    edges = dict(context.ours.edges)
    edges[("trk.alpha", "trk.gamma")] = frozenset({99})
    edges[("trk.sub.beta", "trk.gamma")] = frozenset({10, 11})
    del edges[("trk", "trk.gamma")]
    broken = replace(context, ours=replace(context.ours, edges=edges))
    unexplained = {
        (d.kind, d.importer, d.imported) for d in classify(broken, EXPLAINERS) if not d.reason
    }
    assert unexplained == {
        ("extra-in-archverify", "trk.alpha", "trk.gamma"),
        ("lines", "trk.sub.beta", "trk.gamma"),
        ("missing-in-archverify", "trk", "trk.gamma"),
    }


def test_script_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tricky(tmp_path)
    assert main([str(tmp_path), "trk"]) == 0
    assert "unexplained: 0" in capsys.readouterr().out
    monkeypatch.setattr(compare_grimp_edges, "EXPLAINERS", {})
    assert main([str(tmp_path), "trk"]) == 1
    assert "UNEXPLAINED" in capsys.readouterr().out
    assert main([]) == 2
