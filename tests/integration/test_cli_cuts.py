"""What to cut, through the real CLI: removing the imports a report names keeps the contracts and
breaks the cycles, and every format shows them (SARIF valid against the 2.1.0 schema)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from tests.helpers.cli import run_cli
from tests.helpers.tree import write_tree

_VENDORED = json.loads(
    (Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text("utf-8")
)
# The vendored copy keeps the log's shape under definitions/Root (see tests/processors/test_sarif).
SCHEMA = {**_VENDORED, "$ref": "#/definitions/Root"}

PYPROJECT = """
[tool.archverify]
packages = ["app"]
steps = ["contracts", "cycles"]

[[tool.archverify.contracts]]
name = "Three layers"
type = "layers"
layers = ["app.high", "app.mid", "app.low"]

[[tool.archverify.contracts]]
name = "Apart"
type = "independence"
modules = ["app.high.one", "app.high.two"]

[[tool.archverify.contracts]]
name = "No ui in util"
type = "forbidden"
source_modules = ["app.util"]
forbidden_modules = ["app.high"]
ignore_imports = ["app.util.shim -> app.high.one"]
"""

FILES = {
    "pyproject.toml": PYPROJECT,
    "app/__init__.py": "",
    "app/high/__init__.py": "",
    "app/high/one.py": "from app.high import two\nfrom app.low import base\n",
    "app/high/two.py": "from app.mid import m\n",
    "app/mid/__init__.py": "",
    "app/mid/m.py": "import app.low.base\nfrom app.util import helpers\n",
    "app/low/__init__.py": "",
    "app/low/base.py": "import app.util.helpers\n",
    "app/low/up.py": "from app.high import one\nfrom app.high.one import base\nimport app.mid.m\n",
    "app/low/via.py": "import app.util.bridge\n",
    "app/util/__init__.py": "",
    "app/util/helpers.py": "def f() -> None:\n    import app.mid.m\n",
    "app/util/bridge.py": "import app.high.two\n",
    "app/util/shim.py": "import app.high.one\n",
    "app/cyc/__init__.py": "",
    "app/cyc/a.py": "import app.cyc.b\n",
    "app/cyc/b.py": "import app.cyc.c\nfrom app.cyc import a\n",
    "app/cyc/c.py": "import app.cyc.a\n",
}


def run_json(root: Path) -> dict[str, Any]:
    done = run_cli(["run", ".", "--no-cache", "--format", "json"], cwd=root)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def cuts(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f["extra"]["cut"] for f in report["findings"] if "cut" in f["extra"]]


def remove(root: Path, imports: list[dict[str, Any]]) -> None:
    """Each named import statement replaced by ``pass``: the lines below keep their numbers."""
    for record in imports:
        path = root / record["path"]
        lines = path.read_text(encoding="utf-8").splitlines()
        line = lines[record["line"] - 1]
        lines[record["line"] - 1] = line[: len(line) - len(line.lstrip())] + "pass"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_removing_every_reported_cut_keeps_every_contract_and_breaks_every_cycle(
    tmp_path: Path,
) -> None:
    root = write_tree(tmp_path / "p", FILES)
    before = run_json(root)
    rules = {f["rule"] for f in before["findings"]}
    assert {"contracts/layers", "contracts/independence", "contracts/forbidden"} <= rules
    notes = [f for f in before["findings"] if f["rule"] == "contracts/cut"]
    assert sorted(f["extra"]["contract"] for f in notes) == [
        "Apart",
        "No ui in util",
        "Three layers",
    ]
    assert all(f["severity"] == "note" for f in notes)
    cycle_cuts = [f["extra"]["cut"] for f in before["findings"] if f["step"] == "cycles"]
    assert cycle_cuts and all(c["imports"] for c in cycle_cuts)
    for cut in cuts(before):
        assert cut["size"] == len(cut["imports"]) >= cut["lower_bound"] >= 1
        assert cut["exact"] == (cut["size"] == cut["lower_bound"])
        # The ignored import is never part of a cut.
        assert {"importer": "app.util.shim", "imported": "app.high.one"} not in [
            {"importer": i["importer"], "imported": i["imported"]} for i in cut["imports"]
        ]
    for cut in cuts(before):
        remove(root, cut["imports"])
    after = run_json(root)
    assert [f["rule"] for f in after["findings"]] == []
    assert {s["id"]: s["status"] for s in after["steps"]} == {
        "contracts": "passed",
        "cycles": "passed",
    }


def test_each_contract_cut_alone_keeps_its_contract(tmp_path: Path) -> None:
    first = run_json(write_tree(tmp_path / "first", FILES))
    for note in (f for f in first["findings"] if f["rule"] == "contracts/cut"):
        root = write_tree(tmp_path / note["extra"]["contract"].replace(" ", "-"), FILES)
        remove(root, note["extra"]["cut"]["imports"])
        broken = {
            f["extra"].get("contract")
            for f in run_json(root)["findings"]
            if f["step"] == "contracts"
        }
        assert note["extra"]["contract"] not in broken


def test_cuts_in_text_sarif_and_html(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", FILES)
    done = run_cli(
        ["run", ".", "--no-cache", "--format", "text", "--format", "sarif=out.sarif"]
        + ["--format", "html=out.html"],
        cwd=root,
    )
    assert done.returncode == 1
    assert "contracts/cut (note) remove these " in done.stdout
    assert "to keep 'Three layers' (" in done.stdout
    assert "    cut: remove " in done.stdout
    assert "to break every cycle among the 3 modules tangled with it (minimum, " in done.stdout
    log = json.loads((root / "out.sarif").read_text(encoding="utf-8"))
    jsonschema.validate(log, SCHEMA)
    results = log["runs"][0]["results"]
    with_cut = [r for r in results if "cut" in r["properties"]]
    assert {r["ruleId"] for r in with_cut} == {
        "contracts/cut",
        "cycles/import-cycle",
        "cycles/lazy-cycle",
    }
    for result in with_cut:
        related = result["relatedLocations"]
        assert len(related) == result["properties"]["cut"]["size"]
        assert [r["id"] for r in related] == list(range(len(related)))
        assert all(r["message"]["text"].startswith("remove this import (") for r in related)
    page = (root / "out.html").read_text(encoding="utf-8")
    assert '<h2 id="cuts">What to cut (5)</h2>' in page
    # The picture's edges carry their kind and then the highlight's class ("edge violation cut").
    cut_edges = re.findall(r'<path [^>]*class="edge [a-z ]*\bcut"', page)
    assert cut_edges and "an import to cut" in page


def test_no_cut_is_advised_for_a_contract_whose_violations_are_all_suppressed(
    tmp_path: Path,
) -> None:
    # The project accepted the one violation with a reason: "remove this import to keep
    # 'Apart'" beside a passing run would contradict it.
    accepted = "from app.high import two  # archverify: ignore[contracts/independence] for now\n"
    files = {**FILES, "app/high/one.py": accepted + "from app.low import base\n"}
    report = run_json(write_tree(tmp_path / "p", files))
    notes = {f["extra"]["contract"] for f in report["findings"] if f["rule"] == "contracts/cut"}
    assert "Apart" not in notes
    assert {"Three layers", "No ui in util"} <= notes  # still broken: their cuts stay
    assert report["summary"]["suppressed"] == 1


def test_a_cut_of_a_larger_component_says_it_breaks_every_cycle_there(tmp_path: Path) -> None:
    # The message names the shortest cycle (a -> b -> a); the cut breaks c's cycle too. A
    # component that is its cycle (x <-> y) keeps the short advice.
    files = {
        "pyproject.toml": '[tool.archverify]\npackages = ["app"]\nsteps = ["cycles"]\n',
        "app/__init__.py": "",
        "app/a.py": "from app import b\n",
        "app/b.py": "from app import a\nfrom app import c\n",
        "app/c.py": "from app import a\n",
        "app/x.py": "from app import y\n",
        "app/y.py": "from app import x\n",
    }
    root = write_tree(tmp_path / "p", files)
    done = run_cli(
        ["run", ".", "--no-cache", "--format", "text", "--format", "html=out.html"], cwd=root
    )
    assert "import cycle: app.a -> app.b -> app.a" in done.stdout
    goal = "to break every cycle among the 3 modules tangled with it (minimum, "
    assert f"    cut: remove this import {goal}" in done.stdout
    assert goal in (root / "out.html").read_text(encoding="utf-8")
    assert "app.x -> app.y -> app.x" in done.stdout
    assert "    cut: remove this import to break the cycle (minimum, " in done.stdout
