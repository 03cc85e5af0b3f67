"""The architecture picture: bands from the layers contract, red violations and cycles."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from archverify.processors.formats.architecture_layout import (
    ALLOWED,
    CYCLE,
    VIOLATION,
    ArchitectureLayout,
    LayoutBand,
    LayoutBox,
    build_layout,
)
from archverify.processors.formats.architecture_svg import render_svg, to_dot, to_mermaid
from tests.helpers.sample_project import IMPORTS, config, findings, project

SVG = "{http://www.w3.org/2000/svg}"


def _layout() -> ArchitectureLayout:
    return build_layout(project(), config(), findings())


def _kinds(layout: ArchitectureLayout) -> dict[tuple[str, str], str]:
    return {(e.source, e.target): e.kind for e in layout.edges}


def test_bands_follow_the_layers_contract_with_siblings_side_by_side() -> None:
    layout = _layout()
    names = [band.name for band in layout.bands]
    assert names == ["other", "orchestrator", "api | web", "core"]
    assert layout.bands[2].groups == ("shop.api", "shop.web")
    box = layout.box("shop.web.views")
    assert box is not None and box.band == 2 and box.group == "shop.web"
    # the empty top-level __init__ gets no box; __main__ (it imports) does
    assert layout.box("shop") is None and layout.box("shop.__main__") is not None


def test_allowed_violation_and_cycle_edges() -> None:
    kinds = _kinds(_layout())
    assert kinds[("shop.api.routes", "shop.core.model")] == ALLOWED
    assert kinds[("shop.core.model", "shop.orchestrator.cli")] == VIOLATION
    assert kinds[("shop.core.model", "shop.core.rules")] == CYCLE
    assert kinds[("shop.core.rules", "shop.core.model")] == CYCLE
    assert kinds[("shop.web.views", "shop.core.rules")] == VIOLATION  # boundaries finding
    assert ("shop.orchestrator.cli", "json") not in kinds  # externals are not drawn


def test_without_findings_nothing_is_red() -> None:
    layout = build_layout(project(), config(), [])
    assert {e.kind for e in layout.edges} == {ALLOWED}
    assert all(not b.href for b in layout.boxes)


def test_boxes_count_findings_and_link_to_their_file() -> None:
    box = _layout().box("shop.core.model")
    assert box is not None and box.findings == 2 and box.errors == 2
    assert box.href.startswith("#file-src-shop-core-model.py")


def test_without_contracts_subpackages_ranked_importers_first() -> None:
    layout = build_layout(project(), config(layers=False), [])
    band = {g: i for i, b in enumerate(layout.bands) for g in b.groups}
    assert layout.bands[0].name == "other"
    assert band["shop.orchestrator"] < band["shop.api"] < band["shop.core"]
    # api and web do not import each other: one `|` band, side by side
    assert band["shop.api"] == band["shop.web"]
    assert layout.bands[band["shop.api"]].independent
    assert layout.bands[band["shop.api"]].name == "api | web"


def test_svg_is_well_formed_with_links_and_red_edges() -> None:
    text = render_svg(_layout())
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    hrefs = [a.get("href", "") for a in root.iter(f"{SVG}a")]
    assert any(h.startswith("#file-") for h in hrefs)
    assert any(h.startswith("#finding-") for h in hrefs)
    red = [p for p in root.iter(f"{SVG}path") if p.get("stroke") == "#d1242f"]
    assert len(red) == 4
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert {"cli", "routes", "views", "model", "rules", "api | web"} <= labels


def test_svg_escapes_names() -> None:
    layout = _layout()
    odd = ArchitectureLayout('a<b>&"c', layout.bands, layout.boxes, layout.edges)
    svg = render_svg(odd)
    # Parsed back, the title is the name itself: escaped once, neither lost nor doubled.
    assert ET.fromstring(svg).get("aria-label") == 'architecture of a<b>&"c'
    assert "a<b>" not in svg and '&"c' not in svg


# Determinism between runs (hash seeds) is proved by tests/golden, in two fresh interpreters.


def test_dot_and_mermaid() -> None:
    dot = to_dot(_layout())
    assert dot.startswith("digraph architecture {")
    assert '"shop.core.model" -> "shop.orchestrator.cli" [color="#d1242f", penwidth=2];' in dot
    assert "style=dashed" in dot
    assert dot.count("subgraph cluster_") == 4
    mermaid = to_mermaid(_layout())
    assert mermaid.startswith("flowchart TB\n")
    assert mermaid.count("linkStyle") == 4
    assert 'subgraph band2["api | web"]' in mermaid


def test_many_modules_collapse_to_one_box_per_layer_member() -> None:
    base = project()
    extra = {f"shop.core.m{i:03}": IMPORTS["shop.core.rules"] for i in range(90)}
    big = project({**IMPORTS, **extra})
    assert len(big.facts) > len(base.facts)
    layout = build_layout(big, config(), [])
    assert {b.id for b in layout.boxes} >= {"shop.orchestrator", "shop.api", "shop.core"}
    assert len(layout.boxes) < 10


def _band_labels(name: str, groups: tuple[str, ...], independent: bool = True) -> list[str]:
    box = LayoutBox(groups[0], groups[0], "module", 0, groups[0])
    layout = ArchitectureLayout("p", (LayoutBand(name, groups, independent),), (box,), ())
    texts = ET.fromstring(render_svg(layout)).iter(f"{SVG}text")
    return [t.text or "" for t in texts if t.get("class") == "band"]


def test_a_wide_layer_label_wraps_after_its_separators() -> None:
    # One line held "_decoders | _u\u2026"; the band's height holds four.
    assert _band_labels("_decoders | _urlparse", ("p._decoders", "p._urlparse")) == [
        "_decoders |",
        "_urlparse",
    ]
    assert _band_labels("a : b", ("p.a", "p.b"), independent=False) == ["a : b"]
    many = tuple(f"p.module_{n}" for n in range(9))
    lines = _band_labels(" | ".join(m[2:] for m in many), many)
    assert lines[:3] == ["module_0 |", "module_1 |", "module_2 |"]
    assert len(lines) == 4 and lines[3].endswith("\u2026")
