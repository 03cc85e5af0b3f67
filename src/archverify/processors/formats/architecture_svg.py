"""The architecture picture drawn: SVG for the HTML report, DOT and Mermaid for ``graph``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape as html_escape

from archverify.processors.formats.architecture_layout import (
    ALLOWED,
    CYCLE,
    ArchitectureLayout,
    LayoutBox,
    LayoutEdge,
)
from archverify.processors.formats.common import safe_text

BOX_W, BOX_H, GAP = 150, 30, 14
LABEL_W, PAD, HEADER = 120, 10, 18
MAX_COLUMNS = 5  # boxes per row across a band: wider pictures need scrolling
CHAR_W = 7.0  # average width of a 12px sans-serif character, for cutting labels
GREY, RED, AMBER = "#9aa4b2", "#d1242f", "#bf8700"


@dataclass(frozen=True)
class _Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


def render_svg(layout: ArchitectureLayout, *, cut: frozenset[tuple[str, str]] = frozenset()) -> str:
    """A standalone SVG: bands top to bottom, boxes linking to their findings, red edges on top.
    Edges in ``cut`` ((source, target) boxes a cut removes imports from) get class "cut"."""
    boxes, groups, bands, width, height = _geometry(layout)
    legend_y = height + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="architecture" width="{width:.0f}" '
        f'height="{legend_y + 24:.0f}" viewBox="0 0 {width:.0f} {legend_y + 24:.0f}" '
        f'role="img" aria-label="{_attr("architecture of " + layout.title)}" '
        'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" '
        'font-size="12">',
        "<defs>",
        *(_marker(name, colour) for name, colour in (("grey", GREY), ("red", RED))),
        "</defs>",
    ]
    for index, band in enumerate(layout.bands):
        rect = bands[index]
        fill = "#f6f8fa" if index % 2 == 0 else "#eef1f5"
        out.append(_rect(rect, f'fill="{fill}"'))
        out.append(_text(PAD, rect.y + rect.h / 2 + 4, _cut(band.name, LABEL_W - PAD), "band"))
        for group in band.groups:
            box = groups.get((index, group))
            if box is not None and len(band.groups) > 1:
                out.append(_rect(box, 'fill="none" stroke="#c8d1dc" stroke-dasharray="4 3"'))
                out.append(_text(box.x + 6, box.y + 13, _cut(group.rpartition(".")[2], box.w)))
    grey = [e for e in layout.edges if e.kind == ALLOWED]
    red = [e for e in layout.edges if e.kind != ALLOWED]
    out += [_edge(e, boxes, cut) for e in grey if e.source in boxes and e.target in boxes]
    out += [_box(b, boxes[b.id]) for b in layout.boxes]
    out += [_edge(e, boxes, cut) for e in red if e.source in boxes and e.target in boxes]
    out.append(_legend(legend_y))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _geometry(
    layout: ArchitectureLayout,
) -> tuple[dict[str, _Rect], dict[tuple[int, str], _Rect], list[_Rect], float, float]:
    boxes: dict[str, _Rect] = {}
    groups: dict[tuple[int, str], _Rect] = {}
    bands: list[_Rect] = []
    y = 0.0
    width = float(LABEL_W + BOX_W + 2 * GAP)
    for index, band in enumerate(layout.bands):
        members = [
            [b for b in layout.boxes if b.band == index and b.group == g] for g in band.groups
        ]
        columns = max(1, MAX_COLUMNS // max(1, len(band.groups)))
        header = HEADER if len(band.groups) > 1 else 0
        x = float(LABEL_W)
        tallest = 0.0
        for group, inside in zip(band.groups, members, strict=True):
            cols = max(1, min(len(inside), columns))
            rows = max(1, math.ceil(len(inside) / cols))
            frame = _Rect(
                x, y + PAD, cols * (BOX_W + GAP) + GAP, header + rows * (BOX_H + GAP) + GAP
            )
            groups[(index, group)] = frame
            for n, box in enumerate(inside):
                row, col = divmod(n, cols)
                bx = frame.x + GAP + col * (BOX_W + GAP)
                by = frame.y + header + GAP + row * (BOX_H + GAP)
                boxes[box.id] = _Rect(bx, by, BOX_W, BOX_H)
            x += frame.w + GAP
            tallest = max(tallest, frame.h)
        bands.append(_Rect(0, y, 0, tallest + 2 * PAD))
        width = max(width, x)
        y += tallest + 2 * PAD
    bands = [_Rect(0, b.y, width, b.h) for b in bands]
    return boxes, groups, bands, width, y


def _box(box: LayoutBox, rect: _Rect) -> str:
    if box.errors:
        stroke, fill = RED, "#ffebe9"
    elif box.findings:
        stroke, fill = AMBER, "#fff8c5"
    else:
        stroke, fill = "#57606a", "#ffffff"
    radius = 7 if box.kind == "package" else 2
    weight = ' font-weight="600"' if box.kind == "package" else ""
    tip = box.id + (f" ({box.findings} findings)" if box.findings else "")
    shape = (
        f"<title>{escape(tip)}</title>"
        + _rect(rect, f'rx="{radius}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"')
        + f'<text x="{rect.cx:.1f}" y="{rect.y + 19:.1f}" text-anchor="middle"{weight}>'
        + f"{escape(_cut(box.label, BOX_W - 12))}</text>"
    )
    if box.findings:
        shape += (
            f'<text x="{rect.x + rect.w - 5:.1f}" y="{rect.y + 11:.1f}" text-anchor="end" '
            f'font-size="9" fill="{stroke}">{box.findings}</text>'
        )
    if box.href:
        return f'<a href="{_attr(box.href)}" class="box"><g>{shape}</g></a>'
    return f'<g class="box">{shape}</g>'


def _edge(
    edge: LayoutEdge, boxes: dict[str, _Rect], cut: frozenset[tuple[str, str]] = frozenset()
) -> str:
    a, b = boxes[edge.source], boxes[edge.target]
    if abs(a.y - b.y) < 1:  # same row: arc above the boxes
        x1, y1, x2, y2 = a.cx, a.y, b.cx, b.y
        lift = 18 + abs(x2 - x1) / 8
        path = _curve(x1, y1, y1 - lift, y2 - lift, x2, y2)
    else:
        down = b.y > a.y
        x1, y1 = a.cx, a.y + a.h if down else a.y
        x2, y2 = b.cx, b.y if down else b.y + b.h
        bend = (y2 - y1) / 2
        path = _curve(x1, y1, y1 + bend, y2 - bend, x2, y2)
    if edge.kind == ALLOWED:
        style = (
            f'stroke="{GREY}" stroke-opacity="0.55" stroke-width="1" marker-end="url(#arrow-grey)"'
        )
    else:
        dash = ' stroke-dasharray="6 3"' if edge.kind == CYCLE else ""
        style = f'stroke="{RED}" stroke-width="2.2"{dash} marker-end="url(#arrow-red)"'
    tip = f"{edge.source} \u2192 {edge.target} ({edge.kind}, {edge.count} import(s))"
    if edge.title:
        tip += f": {edge.title}"
    if (edge.source, edge.target) in cut:
        style = f'class="cut" {style}'
    line = f'<path d="{path}" fill="none" {style}><title>{escape(tip)}</title></path>'
    if edge.href:
        return f'<a href="{_attr(edge.href)}" class="edge {edge.kind}">{line}</a>'
    return line


def _curve(x1: float, y1: float, c1: float, c2: float, x2: float, y2: float) -> str:
    """A cubic curve leaving and arriving vertically, so arrows meet the boxes square."""
    return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{c1:.1f} {x2:.1f},{c2:.1f} {x2:.1f},{y2:.1f}"


def _legend(y: float) -> str:
    items = [("allowed import", GREY, ""), ("violation", RED, ""), ("cycle", RED, "6 3")]
    parts = ['<g class="legend" font-size="11">']
    x = float(PAD)
    for label, colour, dash in items:
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x:.0f}" y1="{y + 8:.0f}" x2="{x + 28:.0f}" y2="{y + 8:.0f}" '
            f'stroke="{colour}" stroke-width="2"{dashed}/>'
        )
        parts.append(_text(x + 34, y + 12, label))
        x += 44 + len(label) * CHAR_W
    parts.append("</g>")
    return "".join(parts)


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>'
    )


def _rect(rect: _Rect, style: str) -> str:
    return (
        f'<rect x="{rect.x:.1f}" y="{rect.y:.1f}" width="{rect.w:.1f}" '
        f'height="{rect.h:.1f}" {style}/>'
    )


def _text(x: float, y: float, text: str, css: str = "") -> str:
    klass = f' class="{css}" font-weight="600"' if css else ' fill="#57606a"'
    return f'<text x="{x:.1f}" y="{y:.1f}"{klass}>{escape(text)}</text>'


def escape(text: str, quote: bool = True) -> str:
    """HTML escaping of a name from the project's configuration, its controls spelled out."""
    return html_escape(safe_text(text), quote=quote)


def _cut(text: str, width: float) -> str:
    fits = max(3, int(width / CHAR_W))
    return text if len(text) <= fits else text[: fits - 1] + "\u2026"


def _attr(text: str) -> str:
    return escape(text, quote=True)


def to_dot(layout: ArchitectureLayout) -> str:
    """Graphviz DOT: one cluster per band, red violations, dashed red cycles."""
    lines = ["digraph architecture {", '  rankdir=TB; node [shape=box, fontname="Helvetica"];']
    for index, band in enumerate(layout.bands):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f'    label={_dot(band.name)}; style=filled; color="#eef1f5";')
        for box in (b for b in layout.boxes if b.band == index):
            attrs = f"label={_dot(box.label)}"
            if box.errors:
                attrs += ', color="#d1242f"'
            if box.href:
                attrs += f", URL={_dot(box.href)}"
            lines.append(f"    {_dot(box.id)} [{attrs}];")
        lines.append("  }")
    for edge in layout.edges:
        if edge.kind == ALLOWED:
            attrs = 'color="#9aa4b2"'
        else:
            attrs = 'color="#d1242f", penwidth=2' + (", style=dashed" if edge.kind == CYCLE else "")
        lines.append(f"  {_dot(edge.source)} -> {_dot(edge.target)} [{attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot(text: str) -> str:
    flat = (
        safe_text(text, multiline=True)
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "")
    )
    return f'"{flat}"'


def to_mermaid(layout: ArchitectureLayout) -> str:
    """A Mermaid flowchart: bands as subgraphs; red links are styled by their index."""
    ids = {box.id: f"n{i}" for i, box in enumerate(layout.boxes)}
    lines = ["flowchart TB"]
    for index, band in enumerate(layout.bands):
        lines.append(f'  subgraph band{index}["{_mermaid(band.name)}"]')
        for box in (b for b in layout.boxes if b.band == index):
            lines.append(f'    {ids[box.id]}["{_mermaid(box.label)}"]')
        lines.append("  end")
    red: list[tuple[int, str]] = []
    for number, edge in enumerate(e for e in layout.edges if e.source in ids and e.target in ids):
        arrow = "-.->" if edge.kind == CYCLE else "-->"
        lines.append(f"  {ids[edge.source]} {arrow} {ids[edge.target]}")
        if edge.kind != ALLOWED:
            red.append((number, edge.kind))
    for number, _kind in red:
        lines.append(f"  linkStyle {number} stroke:#d1242f,stroke-width:2px")
    for box in layout.boxes:
        if box.errors:
            lines.append(f"  style {ids[box.id]} stroke:#d1242f")
    return "\n".join(lines) + "\n"


def _mermaid(text: str) -> str:
    # Mermaid labels take entity codes; quotes and angle brackets would end or inject markup.
    text = safe_text(text)
    for raw, code in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(raw, code)
    return " ".join(text.split())
