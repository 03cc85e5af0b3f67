"""The architecture picture at scale: collapse, every contract's bands, red from the findings,
wrapped rows, edges routed around boxes, `|`/`:` labels, a legend, links that resolve."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from archverify.core.config import Config, ContractConfig
from archverify.core.facts import FileFacts
from archverify.core.findings import Finding, Severity
from archverify.core.project import Project
from archverify.core.report import RunReport
from archverify.processors.formats import html as html_report
from archverify.processors.formats.architecture_layout import (
    ALLOWED,
    CYCLE,
    MAX_BOXES,
    ArchitectureLayout,
    Highlight,
    build_layout,
    red_pairs,
)
from archverify.processors.formats.architecture_svg import (
    LABEL_W,
    MARGIN,
    ROW_W,
    compute_geometry,
    render_standalone_svg,
    render_svg,
)
from archverify.processors.formats.base import RenderInputs
from tests.helpers.factories import module_facts, project_of
from tests.helpers.sample_project import ROOT, config, findings, path_of, project
from tests.helpers.sample_reports import sample_report

SVG = "{http://www.w3.org/2000/svg}"


def _project(imports: Mapping[str, Sequence[str]], packages: set[str]) -> Project:
    facts: list[FileFacts] = [
        module_facts(m, *deps, package=m in packages) for m, deps in imports.items()
    ]
    return project_of(facts, packages=sorted({m.split(".")[0] for m in imports}))


def _layers(*contracts: tuple[str, list[str], list[str]]) -> Config:
    return Config(
        root="/project",
        packages=("app",),
        contracts=tuple(
            ContractConfig(name, "layers", {"layers": layers, **({"containers": c} if c else {})})
            for name, layers, c in contracts
        ),
    )


def _big(per_package: int = 8, packages: int = 5) -> tuple[Project, list[str]]:
    """``packages`` subpackages of ``app`` with ``per_package`` modules, each importing the
    next module and one module of the package below."""
    names = [f"app.p{i}" for i in range(packages)]
    imports: dict[str, list[str]] = {"app": []}
    for i, package in enumerate(names):
        imports[package] = []
        for j in range(per_package):
            deps = [f"{package}.m{j + 1}"] if j + 1 < per_package else []
            if i + 1 < packages:
                deps.append(f"{names[i + 1]}.m{(j * 3) % per_package}")
            imports[f"{package}.m{j}"] = deps
    return _project(imports, {"app", *names}), names


def _segments(route: list[tuple[float, float]]) -> list[tuple[tuple[float, float], ...]]:
    return list(zip(route, route[1:], strict=False))


def _assert_routed_around_boxes(layout: ArchitectureLayout) -> int:
    geometry = compute_geometry(layout)
    crossings = []
    for (source, target), route in geometry.routes.items():
        for a, b in _segments(route):
            assert a[0] == b[0] or a[1] == b[1], f"{source}->{target}: not axis-parallel"
            for box_id, rect in geometry.boxes.items():
                if box_id not in (source, target) and rect.crossed_by(a, b):
                    crossings.append((source, target, box_id))
    assert crossings == []
    return len(geometry.routes)


def test_no_edge_crosses_a_box_it_does_not_connect() -> None:
    assert _assert_routed_around_boxes(build_layout(project(), config(), findings())) >= 6
    big, names = _big()
    layout = build_layout(big, _layers(("l", names, [])), [])
    assert _assert_routed_around_boxes(layout) > 0
    for picture in layout.drilldowns:
        _assert_routed_around_boxes(picture)
    # wide and wrapped, every module its own layer member: many lanes between rows
    wide, _ = _big(per_package=1, packages=40)
    flat = build_layout(wide, _layers(("l", [" | ".join(f"app.p{i}" for i in range(40))], [])), [])
    _assert_routed_around_boxes(flat)


def test_rows_are_wrapped_to_a_bounded_width() -> None:
    imports: dict[str, list[str]] = {"app": [], **{f"app.m{i:02}": [] for i in range(52)}}
    project_ = _project(imports, {"app"})
    members = " | ".join(f"app.m{i:02}" for i in range(52))
    layout = build_layout(project_, _layers(("l", [members], [])), [])
    geometry = compute_geometry(layout)
    assert len(layout.boxes) == 52  # modules: nothing to collapse to
    assert geometry.width <= LABEL_W + ROW_W + MARGIN
    assert all(r.x + r.w <= LABEL_W + ROW_W for r in geometry.boxes.values())
    assert len({r.y for r in geometry.boxes.values()}) >= 52 // 6  # many rows, not one


def test_collapse_beyond_the_threshold_with_a_picture_per_package() -> None:
    # 5 packages x 6 modules = 30 boxes: drawn as they are
    small, names = _big(per_package=6)
    layout = build_layout(small, _layers(("l", names, [])), [])
    assert len(layout.boxes) == MAX_BOXES and not layout.drilldowns
    assert all(not b.drill for b in layout.boxes)
    # one module more: each layer member becomes one box, its inside a picture of its own
    big, names = _big(per_package=7)
    layout = build_layout(big, _layers(("l", names, [])), [])
    assert {b.id for b in layout.boxes} == set(names)
    assert all(b.drill and b.href == f"#{b.drill}" for b in layout.boxes)
    assert [d.scope for d in layout.drilldowns] == names
    inner = layout.drilldowns[0]
    assert {b.id for b in inner.boxes} == {f"app.p0.m{j}" for j in range(7)}
    # its modules import each other in a chain: one band each, importers on top
    band = {b.id: b.band for b in inner.boxes}
    assert band["app.p0.m0"] < band["app.p0.m1"] < band["app.p0.m6"]
    # edges between collapsed boxes carry the imports of their modules
    assert ("app.p0", "app.p1") in {(e.source, e.target) for e in layout.edges}


def test_every_layers_contract_gives_bands() -> None:
    imports = {
        "app": [],
        "app.a": [],
        "app.a.x": ["app.a.y"],
        "app.a.y": [],
        "app.b": [],
        "app.b.z": [],
        "lib": [],
        "lib.u": ["lib.v"],
        "lib.v": [],
    }
    packages = {"app", "app.a", "app.b", "lib"}
    project_ = _project(imports, packages)
    two = _layers(
        ("app layers", ["a", "b"], ["app"]),
        ("lib layers", ["lib.u", "lib.v"], []),
    )
    layout = build_layout(project_, two, [])
    groups = [band.groups for band in layout.bands]
    assert groups == [("app.a",), ("app.b",), ("lib.u",), ("lib.v",)]
    assert [b.contract for b in layout.bands] == ["app layers"] * 2 + ["lib layers"] * 2
    # a contract inside a layer member gives the bands of that member's own picture
    nested = _layers(("app layers", ["app.a", "app.b"], []), ("inner", ["x", "y"], ["app.a"]))
    layout = build_layout(project_, nested, [])
    assert [band.groups for band in layout.bands if band.name != "other"] == [
        ("app.a",),
        ("app.b",),
    ]
    box = layout.box("app.a")
    assert box is not None and box.drill
    inner = next(d for d in layout.drilldowns if d.scope == "app.a")
    assert [band.groups for band in inner.bands] == [("app.a.x",), ("app.a.y",)]
    assert inner.bands[0].contract == "inner"


def test_layer_labels_keep_independent_and_dependent_siblings_apart() -> None:
    imports = {"app": [], "app.a": [], "app.b": ["app.a"], "app.c": [], "app.d": []}
    project_ = _project(imports, {"app"})
    layout = build_layout(project_, _layers(("l", ["app.a : app.b", "app.c | app.d"], [])), [])
    bands = {b.groups: b for b in layout.bands}
    assert bands[("app.a", "app.b")].name == "a : b"
    assert not bands[("app.a", "app.b")].independent
    assert bands[("app.c", "app.d")].name == "c | d"
    assert bands[("app.c", "app.d")].independent
    labels = {t.text for t in ET.fromstring(render_svg(layout)).iter(f"{SVG}text")}
    assert {"a : b", "c | d"} <= labels


def _cycle_finding(chain: list[tuple[str, str]], component: list[tuple[str, str]]) -> Finding:
    return Finding(
        "cycles",
        "cycles/lazy-cycle",
        Severity.WARNING,
        "app/a.py",
        1,
        1,
        "import cycle through a function-level import",
        extra={
            "chain": [{"importer": a, "imported": b} for a, b in chain],
            "edges": [{"importer": a, "imported": b} for a, b in component],
        },
    )


def test_red_edges_are_exactly_the_reported_cycles_and_violations() -> None:
    # a, b, c import each other all round: one strongly connected component of six edges
    imports = {
        "app": [],
        "app.a": ["app.b", "app.c"],
        "app.b": ["app.a", "app.c"],
        "app.c": ["app.a", "app.b"],
    }
    project_ = _project(imports, {"app"})
    everything = [(a, b) for a, deps in imports.items() for b in deps]
    reported = _cycle_finding([("app.a", "app.b"), ("app.b", "app.a")], everything)
    violation = Finding(
        "contracts",
        "contracts/layers",
        Severity.ERROR,
        "app/c.py",
        1,
        1,
        "broken",
        extra={"chain": [{"importer": "app.c", "imported": "app.a"}]},
    )
    layout = build_layout(project_, _layers(), [reported, violation])
    assert red_pairs(layout) == {("app.a", "app.b"), ("app.b", "app.a"), ("app.c", "app.a")}
    kinds = {(e.source, e.target): e.kind for e in layout.edges}
    assert kinds[("app.a", "app.b")] == CYCLE and kinds[("app.a", "app.c")] == ALLOWED
    svg = ET.fromstring(render_svg(layout))
    red = [p for p in svg.iter(f"{SVG}path") if p.get("stroke") == "#d1242f"]
    assert len(red) == 3
    assert not red_pairs(build_layout(project_, _layers(), []))


def test_highlighted_edges_carry_their_class_and_a_legend_entry() -> None:
    mark = Highlight(frozenset({("shop.api.routes", "shop.core.model")}), "cut", "cut edge")
    layout = build_layout(project(), config(), findings(), highlights=(mark,))
    marked = [e for e in layout.edges if "cut" in e.classes]
    assert [(e.source, e.target) for e in marked] == [("shop.api.routes", "shop.core.model")]
    svg = render_svg(layout)
    paths = [p for p in ET.fromstring(svg).iter(f"{SVG}path") if "cut" in p.get("class", "")]
    assert len(paths) == 1
    assert "path.cut{" in svg and ">cut edge<" in svg


def test_the_legend_names_every_colour_and_line_style_used() -> None:
    big, names = _big(per_package=7)
    mark = Highlight(frozenset({("app.p0.m0", "app.p1.m0")}), "cut", "cut edge")
    layout = build_layout(big, _layers(("l", names, [])), findings(), highlights=(mark,))
    for picture in (build_layout(project(), config(), findings()), layout):
        root = ET.fromstring(render_svg(picture))
        legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
        shown = {(e.get("stroke"), e.get("stroke-dasharray")) for e in legend.iter()}
        shown_fills = {e.get("fill") for e in legend.iter()}
        drawn = [p for p in root.iter(f"{SVG}path") if "edge" in p.get("class", "")]
        for path in drawn:
            assert (path.get("stroke"), path.get("stroke-dasharray")) in shown
        boxes = [g for g in root.iter() if g.get("class") == "box"]
        for box in boxes:
            for rect in box.iter(f"{SVG}rect"):
                assert rect.get("fill") in shown_fills


def _ids_and_links(root: ET.Element) -> tuple[set[str], list[str]]:
    ids = {e.get("id", "") for e in root.iter()} - {""}
    links = [e.get("href", "") for e in root.iter(f"{SVG}a")]
    return ids, links


def test_standalone_svg_links_resolve_inside_the_svg() -> None:
    big, names = _big(per_package=7)
    layout = build_layout(big, _layers(("l", names, [])), findings())
    root = ET.fromstring(render_standalone_svg(layout))
    ids, links = _ids_and_links(root)
    assert len(links) >= len(names)  # every collapsed package, and the way back
    assert all(link.startswith("#") and link[1:] in ids for link in links), links
    views = [v.get("id") for v in root.iter(f"{SVG}view")]
    assert views[0] == "architecture" and len(views) == 1 + len(names)
    # the sample has findings: their HTML anchors are left out of the standalone file
    sample = ET.fromstring(render_standalone_svg(build_layout(project(), config(), findings())))
    assert _ids_and_links(sample)[1] == []


def test_html_drill_downs_are_folded_sections_the_boxes_link_to() -> None:
    big, names = _big(per_package=7)
    layout = build_layout(big, _layers(("l", names, [])), [])
    page = html_report.render(
        sample_report(), render_svg(layout), html_report.drilldown_sections(layout)
    )
    assert page.count("<details id=") == len(names)
    hrefs = set(re.findall(r'href="#([^"]+)"', page))
    ids = set(re.findall(r' id="([^"]+)"', page))
    assert {f"pkg-app-p{i}" for i in range(5)} <= hrefs
    assert hrefs <= ids, hrefs - ids
    # one page, several SVGs: their own ids stay unique
    assert len(re.findall(r' id="([^"]+)"', page)) == len(ids)
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_boxes_of_one_last_name_are_labelled_with_enough_of_their_dotted_names() -> None:
    # attrs has attr.converters and attrs.converters: "converters" twice says nothing.
    imports = {
        "attr": [],
        "attr.converters": [],
        "attr.filters": [],
        "attrs": [],
        "attrs.converters": ["attr.converters"],
    }
    project_ = _project(imports, {"attr", "attrs"})
    layout = build_layout(project_, Config(root="/project", packages=("attr", "attrs")), [])
    labels = {box.id: box.label for box in layout.boxes}
    assert labels["attr.converters"] == "attr.converters"
    assert labels["attrs.converters"] == "attrs.converters"
    assert labels["attr.filters"] == "filters"  # unique already: the last name is enough


def test_the_page_highlights_the_cuts_of_errors_and_lists_every_cut() -> None:
    # A lazy cycle's cut is advice (a warning); drawn, Django's 71 imports flooded the picture.
    def cut(importer: str, imported: str) -> dict[str, object]:
        record = {"path": path_of(importer), "line": 1, "importer": importer, "imported": imported}
        return {"method": "exact-order-dp", "exact": True, "size": 1, "lower_bound": 1,
                "imports": [record]}  # fmt: skip

    def found(rule: str, severity: Severity, importer: str, imported: str) -> Finding:
        path = path_of(importer)
        extra = {"cut": cut(importer, imported)}
        return Finding(rule.split("/")[0], rule, severity, path, 1, 1, rule, extra=extra)

    contract = found("contracts/cut", Severity.NOTE, "shop.core.model", "shop.orchestrator.cli")
    eager = found("cycles/import-cycle", Severity.ERROR, "shop.core.rules", "shop.core.model")
    lazy = found("cycles/lazy-cycle", Severity.WARNING, "shop.api.routes", "shop.core.model")
    report = RunReport("archverify", "0.1.0", ROOT, [], [contract, eager, lazy])
    inputs = RenderInputs(report, project(), config())
    layout = html_report.architecture_layout(inputs)
    assert layout is not None
    [highlight] = layout.highlights
    assert highlight.pairs == {
        ("shop.core.model", "shop.orchestrator.cli"),
        ("shop.core.rules", "shop.core.model"),
    }
    page = html_report.FORMAT.render(inputs)
    assert "What to cut (3)" in page
