"""The picture through the CLI on a project past the readable size: two layers contracts, a
lazy cycle inside a larger component, packages collapsed with their own pictures."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from archverify.orchestrator.cli import main
from tests.helpers.tree import write_tree

SVG = "{http://www.w3.org/2000/svg}"

CONFIG = """\
[tool.archverify]
packages = ["app", "lib"]

[[tool.archverify.contracts]]
name = "app layers"
type = "layers"
containers = ["app"]
layers = ["top", "mid", "low"]

[[tool.archverify.contracts]]
name = "lib layers"
type = "layers"
layers = ["lib.api : lib.impl"]
"""


def _project(root: Path) -> Path:
    files: dict[str, str] = {"app/__init__.py": "", "lib/__init__.py": ""}
    for layer, below in (("top", "mid"), ("mid", "low"), ("low", "")):
        files[f"app/{layer}/__init__.py"] = ""
        for n in range(12):
            body = f"from app.{below} import m{n}\n" if below else ""
            files[f"app/{layer}/m{n}.py"] = body
    # a, b, c import each other all round, b -> a only inside a function: one component of
    # six imports, and the cycles step reports one cycle path through it
    files["app/low/m0.py"] = "import app.low.m1\nimport app.low.m2\n"
    files["app/low/m1.py"] = "import app.low.m2\ndef f():\n    import app.low.m0\n"
    files["app/low/m2.py"] = "def g():\n    import app.low.m0\n    import app.low.m1\n"
    files["lib/api.py"] = "import lib.impl\n"
    files["lib/impl.py"] = ""
    write_tree(root, files)
    (root / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    return root


def test_graph_svg_holds_every_picture_and_its_links_resolve(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    out = tmp_path / "picture.svg"
    assert main(["graph", str(root), "--output", str(out), "--no-cache"]) == 0
    svg = ET.fromstring(out.read_text(encoding="utf-8"))
    ids = {e.get("id") for e in svg.iter()} - {None}
    links = [a.get("href", "") for a in svg.iter(f"{SVG}a")]
    assert {"#pkg-app-top", "#pkg-app-mid", "#pkg-app-low"} <= set(links)
    assert all(link.startswith("#") and link[1:] in ids for link in links)
    labels = {t.text for t in svg.iter(f"{SVG}text")}
    # bands of both contracts, `:` kept
    assert {"top", "mid", "low", "api : impl"} <= labels


def test_html_red_edges_follow_the_reported_cycle_only(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    page = tmp_path / "report.html"
    report = tmp_path / "report.json"
    main(
        [
            "run",
            str(root),
            "--steps",
            "compile,contracts,cycles",
            "--no-cache",
            "--format",
            f"html={page}",
            "--format",
            f"json={report}",
        ]
    )
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    cycles = [f for f in findings if f["step"] == "cycles"]
    assert len(cycles) == 1
    reported = {(h["importer"], h["imported"]) for h in cycles[0]["extra"]["chain"]}
    text = page.read_text(encoding="utf-8")
    section = re.search(r'<details id="pkg-app-low">.*?</details>', text, re.S)
    assert section is not None
    red = re.findall(r'<path d="[^"]*" class="edge cycle[^"]*"[^>]*><title>([^<]*)', section[0])
    drawn = {tuple(t.split(" (")[0].split(" \u2192 ")) for t in red}
    assert drawn == reported and len(drawn) < 6
