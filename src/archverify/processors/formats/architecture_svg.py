"""The architecture picture drawn: SVG for the HTML report and ``graph``, DOT and Mermaid."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape as html_escape

from archverify.processors.formats.architecture_layout import (
    ALLOWED,
    CYCLE,
    OTHER_BAND,
    ArchitectureLayout,
    LayoutBox,
    LayoutEdge,
)
from archverify.processors.formats.common import safe_text

BOX_W, BOX_H, GAP = 150, 30, 14
LABEL_W, PAD, HEADER = 120, 10, 18
BAND_PAD = 4  # above and below a band's boxes, beyond the gap the edges run in
# Width of the boxes' area: a wider band wraps onto more rows (the page is 1400 px wide).
ROW_W = 1200
LANE = 3.0  # distance between parallel vertical edge runs
MARGIN = 24  # free strip right of the boxes, a lane for edges that find no gap
LINE_H = 14  # a band label's line pitch
CHAR_W = 7.0  # average width of a 12px sans-serif character, for cutting labels
GREY, RED, AMBER = "#9aa4b2", "#d1242f", "#bf8700"
HIGHLIGHT_COLOURS = ("#0969da", "#8250df", "#1a7f37")
Point = tuple[float, float]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    def crossed_by(self, a: Point, b: Point, inset: float = 0.5) -> bool:
        """True when the axis-parallel segment a-b enters the inside of the rectangle."""
        left, right = min(a[0], b[0]), max(a[0], b[0])
        top, bottom = min(a[1], b[1]), max(a[1], b[1])
        return (
            left < self.x + self.w - inset
            and right > self.x + inset
            and top < self.y + self.h - inset
            and bottom > self.y + inset
        )


@dataclass(frozen=True)
class Geometry:
    """Where everything goes: boxes, the frames of layer members, bands, and each edge's
    route, a polyline of axis-parallel segments that keeps to the gaps between boxes."""

    boxes: dict[str, Rect]
    frames: dict[tuple[int, str], Rect]
    bands: list[Rect]
    routes: dict[tuple[str, str], list[Point]]
    width: float
    height: float


def render_svg(layout: ArchitectureLayout, *, ident: str = "", links: bool = True) -> str:
    """One picture as an SVG element: bands top to bottom, boxes linking to their findings
    (``links``; the HTML report has those anchors), red edges on top, a legend below. ``ident``
    prefixes the SVG's own ids, so several pictures can share one page."""
    geometry = compute_geometry(layout)
    body, height = _body(layout, geometry, ident, links)
    return (
        "\n".join([_open(layout, geometry.width, height), _defs(layout, ident), *body, "</svg>"])
        + "\n"
    )


def render_standalone_svg(layout: ArchitectureLayout) -> str:
    """The picture and the pictures of its collapsed packages in one file, stacked. Every link
    resolves inside the file: a collapsed package links to the ``<view>`` of its picture,
    each drill-down back to the whole; links to the HTML report's findings are left out."""
    pictures = [layout, *layout.drilldowns]
    parts: list[str] = []
    views: list[str] = []
    y = 0.0
    width = 0.0
    for picture in pictures:
        geometry = compute_geometry(picture)
        body, height = _body(picture, geometry, "", links=False)
        top = y
        if picture.scope:
            y += 16
            parts.append(
                f'<text x="{PAD}" y="{y:.0f}" font-weight="600" font-size="14">'
                f"{escape(picture.scope)}</text>"
                f'<a href="#architecture"><text x="{PAD + 14 + len(picture.scope) * 8.5:.0f}" '
                f'y="{y:.0f}" fill="#0969da">\u2191 whole picture</text></a>'
            )
            y += 10
        parts.append(f'<g transform="translate(0,{y:.0f})">')
        parts += body
        parts.append("</g>")
        y += height
        width = max(width, geometry.width)
        views.append(f'<view id="{picture.anchor}" viewBox="0 {top:.0f} {{W}} {y - top:.0f}"/>')
        y += 24
    text = "\n".join([_open(layout, width, y), _defs(layout, ""), *views, *parts, "</svg>"])
    return text.replace("{W}", f"{width:.0f}") + "\n"


def _open(layout: ArchitectureLayout, width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="architecture" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-label="{_attr("architecture of " + layout.title)}" '
        'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" '
        'font-size="12">'
    )


def _defs(layout: ArchitectureLayout, ident: str) -> str:
    markers = [_marker(f"{ident}arrow-{n}", c) for n, c in (("grey", GREY), ("red", RED))]
    style = ""
    if layout.highlights:
        rules = "".join(
            f"path.{h.css_class}{{stroke:{_colour(i)};stroke-opacity:1;stroke-width:2.6}}"
            for i, h in enumerate(layout.highlights)
        )
        style = f"<style>{rules}</style>"
    return "<defs>" + "".join(markers) + style + "</defs>"


def _colour(index: int) -> str:
    return HIGHLIGHT_COLOURS[index % len(HIGHLIGHT_COLOURS)]


def _body(
    layout: ArchitectureLayout, geometry: Geometry, ident: str, links: bool
) -> tuple[list[str], float]:
    out: list[str] = []
    for index, band in enumerate(layout.bands):
        rect = geometry.bands[index]
        fill = "#f6f8fa" if index % 2 == 0 else "#eef1f5"
        out.append(_rect(rect, f'fill="{fill}"'))
        if band.groups == (OTHER_BAND,):
            tip = "modules in no layer" if band.name == OTHER_BAND else "the package's own module"
        else:
            tip = f"layer {band.name}" + (f" of contract {band.contract}" if band.contract else "")
        lines = _band_lines(band.name, " | " if band.independent else " : ", rect.h)
        out.append(
            f"<g><title>{escape(tip)}</title>"
            + "".join(
                _text(PAD, rect.y + 20 + n * LINE_H, line, "band") for n, line in enumerate(lines)
            )
            + "</g>"
        )
        for group in band.groups:
            frame = geometry.frames.get((index, group))
            if frame is not None:
                out.append(_rect(frame, 'fill="none" stroke="#c8d1dc" stroke-dasharray="4 3"'))
                out.append(
                    _text(frame.x + 6, frame.y + 13, _cut(group.rpartition(".")[2], frame.w))
                )
    drawn = [e for e in layout.edges if (e.source, e.target) in geometry.routes]
    grey = [e for e in drawn if e.kind == ALLOWED]
    red = [e for e in drawn if e.kind != ALLOWED]
    # Many grey imports would read as fog: the more there are, the fainter each.
    faint = 0.55 if len(grey) <= 100 else 0.3
    out += [_edge(e, geometry.routes[(e.source, e.target)], ident, links, faint) for e in grey]
    out += [_box(b, geometry.boxes[b.id], links) for b in layout.boxes if b.id in geometry.boxes]
    out += [_edge(e, geometry.routes[(e.source, e.target)], ident, links) for e in red]
    legend, legend_h = _legend(layout, geometry, geometry.height + 8)
    out.append(legend)
    return out, geometry.height + 8 + legend_h


def compute_geometry(layout: ArchitectureLayout) -> Geometry:
    """Bands stacked; inside a band the layer members' frames flow left to right and wrap past
    ``ROW_W``; every frame of one frame row starts at the same height with the same row pitch,
    so the gap below (or above) any row of boxes is free across the whole picture."""
    boxes: dict[str, Rect] = {}
    frames: dict[tuple[int, str], Rect] = {}
    bands: list[Rect] = []
    y = 0.0
    width = float(LABEL_W + BOX_W + 2 * GAP)
    max_cols = max(1, (ROW_W - GAP) // (BOX_W + GAP))
    by_group: dict[tuple[int, str], list[LayoutBox]] = {}
    for box in layout.boxes:
        by_group.setdefault((box.band, box.group), []).append(box)
    for index, band in enumerate(layout.bands):
        members = [(g, by_group.get((index, g), [])) for g in band.groups]
        framed = {
            g
            for g, inside in members
            if len(band.groups) > 1 and (len(inside) > 1 or (inside and inside[0].id != g))
        }
        header = HEADER if framed else 0
        x, top, tallest = float(LABEL_W), y + BAND_PAD, 0.0
        for group, inside in members:
            if not inside:
                continue
            cols = min(len(inside), max_cols)
            rows = math.ceil(len(inside) / cols)
            w = cols * (BOX_W + GAP) + GAP
            h = header + rows * (BOX_H + GAP) + GAP
            if x > LABEL_W and x + w > LABEL_W + ROW_W:
                top, x, tallest = top + tallest + GAP, float(LABEL_W), 0.0
            if group in framed:
                frames[(index, group)] = Rect(x, top, w, h)
            for n, box in enumerate(inside):
                row, col = divmod(n, cols)
                bx = x + GAP + col * (BOX_W + GAP)
                boxes[box.id] = Rect(bx, top + header + GAP + row * (BOX_H + GAP), BOX_W, BOX_H)
            x += w + GAP
            tallest = max(tallest, h)
            width = max(width, x)
        height = top + tallest + BAND_PAD - y
        bands.append(Rect(0, y, 0, max(height, BOX_H + 2 * GAP + 2 * BAND_PAD)))
        y += bands[-1].h
    width += MARGIN
    bands = [Rect(0, b.y, width, b.h) for b in bands]
    return Geometry(boxes, frames, bands, _routes(layout, boxes, width), width, y)


def _routes(
    layout: ArchitectureLayout, boxes: dict[str, Rect], width: float
) -> dict[tuple[str, str], list[Point]]:
    """Each edge leaves its box through the gap beside it, runs along that gap to a vertical
    lane free of boxes, along the lane to the gap beside the target, and into the target.
    Ends are spread along a box's side so arrows do not pile up on one point."""
    edges = [e for e in layout.edges if e.source in boxes and e.target in boxes]
    sides: dict[tuple[str, str], list[tuple[float, int, str]]] = {}
    directions: list[str] = []
    for number, edge in enumerate(edges):
        a, b = boxes[edge.source], boxes[edge.target]
        direction = "down" if b.y > a.y + 1 else "up" if b.y < a.y - 1 else "across"
        directions.append(direction)
        out_side = "bottom" if direction == "down" else "top"
        in_side = "bottom" if direction == "up" else "top"
        sides.setdefault((edge.source, out_side), []).append((b.cx, number, "out"))
        sides.setdefault((edge.target, in_side), []).append((a.cx, number, "in"))
    port: dict[tuple[int, str], float] = {}
    for (box_id, _side), ends in sides.items():
        rect = boxes[box_id]
        ends.sort()
        for k, (_x, number, role) in enumerate(ends):
            port[(number, role)] = rect.x + 6 + (rect.w - 12) * (k + 1) / (len(ends) + 1)
    rects = sorted(boxes.values(), key=lambda r: r.y)
    used: list[tuple[float, float, float]] = []
    routes: dict[tuple[str, str], list[Point]] = {}
    for number, (edge, direction) in enumerate(zip(edges, directions, strict=True)):
        a, b = boxes[edge.source], boxes[edge.target]
        shift = ((number % 5) - 2) * 1.5
        x1, x2 = port[(number, "out")], port[(number, "in")]
        if direction == "across":
            yc = a.y - GAP / 2 + shift
            points = [(x1, a.y), (x1, yc), (x2, yc), (x2, b.y)]
        else:
            if direction == "down":
                y1, y2 = a.y + a.h, b.y
                ya, yb = y1 + GAP / 2 + shift, y2 - GAP / 2 + shift
            else:
                y1, y2 = a.y, b.y + b.h
                ya, yb = y1 - GAP / 2 + shift, y2 + GAP / 2 + shift
            lane = _lane(min(ya, yb), max(ya, yb), x2, rects, used, width)
            points = [(x1, y1), (x1, ya), (lane, ya), (lane, yb), (x2, yb), (x2, y2)]
        routes[(edge.source, edge.target)] = _simplified(points)
    return routes


def _lane(
    lo: float,
    hi: float,
    want: float,
    rects: Sequence[Rect],
    used: list[tuple[float, float, float]],
    width: float,
) -> float:
    """An x where a vertical run from ``lo`` to ``hi`` meets no box, near ``want``, apart from
    the runs already laid over the same heights."""
    if hi - lo < 1:
        return want
    blocked = sorted((r.x - 4, r.x + r.w + 4) for r in rects if r.y < hi and r.y + r.h > lo)
    free: list[tuple[float, float]] = []
    cursor = LABEL_W - 8.0
    for start, stop in blocked:
        if start > cursor:
            free.append((cursor, start))
        cursor = max(cursor, stop)
    free.append((cursor, max(cursor, width - 4)))
    near = sorted(free, key=lambda span: abs(min(max(want, span[0]), span[1]) - want))[:3]
    taken = [x for x, ulo, uhi in used if ulo < hi and uhi > lo]
    best: tuple[float, float] | None = None
    for start, stop in near:
        base = min(max(want, start), stop)
        for step in range(16):
            candidate = base + ((step + 1) // 2) * LANE * (1 if step % 2 else -1)
            if start <= candidate <= stop and all(abs(candidate - t) >= LANE - 0.01 for t in taken):
                if best is None or abs(candidate - want) < best[0]:
                    best = (abs(candidate - want), candidate)
                break
    x = best[1] if best is not None else min(max(want, near[0][0]), near[0][1])
    used.append((x, lo, hi))
    return x


def _simplified(points: list[Point]) -> list[Point]:
    """Without repeated points and without middle points of straight runs."""
    out: list[Point] = []
    for point in points:
        if out and abs(out[-1][0] - point[0]) < 0.05 and abs(out[-1][1] - point[1]) < 0.05:
            continue
        if len(out) >= 2:
            (ax, ay), (bx, by) = out[-2], out[-1]
            if (abs(ax - bx) < 0.05 and abs(bx - point[0]) < 0.05) or (
                abs(ay - by) < 0.05 and abs(by - point[1]) < 0.05
            ):
                out[-1] = point
                continue
        out.append(point)
    return out


def _box(box: LayoutBox, rect: Rect, links: bool) -> str:
    if box.errors:
        stroke, fill = RED, "#ffebe9"
    elif box.findings:
        stroke, fill = AMBER, "#fff8c5"
    else:
        stroke, fill = "#57606a", "#ffffff"
    radius = 7 if box.kind == "package" else 2
    weight = ' font-weight="600"' if box.kind == "package" else ""
    tip = box.id + (f" ({box.findings} findings)" if box.findings else "")
    if box.drill:
        tip += ": a package of its own picture, click to open it"
    shape = f"<title>{escape(tip)}</title>"
    if box.drill:  # a stack of cards: there is more inside
        behind = Rect(rect.x + 3, rect.y - 3, rect.w, rect.h)
        shape += _rect(behind, f'rx="{radius}" fill="#ffffff" stroke="{stroke}" stroke-width="1"')
    label = box.label + (" \u25b8" if box.drill else "")
    shape += (
        _rect(rect, f'rx="{radius}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"')
        + f'<text x="{rect.cx:.1f}" y="{rect.y + 19:.1f}" text-anchor="middle"{weight}>'
        + f"{escape(_cut(label, BOX_W - 12))}</text>"
    )
    if box.findings:
        shape += (
            f'<text x="{rect.x + rect.w - 5:.1f}" y="{rect.y + 11:.1f}" text-anchor="end" '
            f'font-size="9" fill="{stroke}">{box.findings}</text>'
        )
    href = box.href if links or box.drill else ""
    if href:
        return f'<a href="{_attr(href)}" class="box"><g>{shape}</g></a>'
    return f'<g class="box">{shape}</g>'


def _edge(
    edge: LayoutEdge, route: list[Point], ident: str, links: bool, faint: float = 0.55
) -> str:
    path = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in route)
    if edge.kind == ALLOWED:
        style = (
            f'stroke="{GREY}" stroke-opacity="{faint}" stroke-width="1" '
            f'marker-end="url(#{ident}arrow-grey)"'
        )
    else:
        dash = ' stroke-dasharray="6 3"' if edge.kind == CYCLE else ""
        style = f'stroke="{RED}" stroke-width="2.2"{dash} marker-end="url(#{ident}arrow-red)"'
    tip = f"{edge.source} \u2192 {edge.target} ({edge.kind}, {edge.count} import(s))"
    if edge.title:
        tip += f": {edge.title}"
    classes = " ".join(("edge", edge.kind, *edge.classes))
    line = (
        f'<path d="{path}" class="{_attr(classes)}" fill="none" {style}>'
        f"<title>{escape(tip)}</title></path>"
    )
    if edge.href and links:
        return f'<a href="{_attr(edge.href)}" class="edge {edge.kind}">{line}</a>'
    return line


def _legend(layout: ArchitectureLayout, geometry: Geometry, y: float) -> tuple[str, float]:
    """One entry for every colour, shape and line style the picture uses."""
    width = geometry.width
    boxes, edges = layout.boxes, layout.edges
    kinds = {e.kind for e in edges}
    items: list[tuple[str, str]] = []  # (swatch, label)
    if any(b.kind == "module" and not b.findings for b in boxes):
        items.append((_swatch_box("#ffffff", "#57606a", 2), "module"))
    if any(b.kind == "package" and not b.drill for b in boxes):
        items.append((_swatch_box("#ffffff", "#57606a", 7), "package"))
    if any(b.drill for b in boxes):
        items.append(
            (
                _swatch_box("#ffffff", "#57606a", 7, stacked=True),
                "package: click for its own picture",
            )
        )
    if any(b.findings and not b.errors for b in boxes):
        items.append((_swatch_box("#fff8c5", AMBER, 2), "has warnings"))
    if any(b.errors for b in boxes):
        items.append((_swatch_box("#ffebe9", RED, 2), "has errors"))
    if ALLOWED in kinds:
        items.append((_swatch_line(GREY, ""), "allowed import"))
    if kinds - {ALLOWED, CYCLE}:
        items.append((_swatch_line(RED, ""), "reported violation"))
    if CYCLE in kinds:
        items.append((_swatch_line(RED, "6 3"), "reported cycle"))
    for index, highlight in enumerate(layout.highlights):
        if any(highlight.css_class in e.classes for e in edges):
            items.append((_swatch_line(_colour(index), ""), highlight.label))
    if geometry.frames:
        items.append(
            (
                '<rect x="0" y="1" width="28" height="14" fill="none" stroke="#c8d1dc" '
                'stroke-dasharray="4 3"/>',
                "layer member; a | b: may not import each other, a : b: may",
            )
        )
    parts = ['<g class="legend" font-size="11">']
    x, row = float(PAD), 0
    for swatch, label in items:
        w = 44 + len(label) * 6.2
        if x > PAD and x + w > width:
            x, row = float(PAD), row + 1
        top = y + row * 22
        parts.append(f'<g transform="translate({x:.0f},{top:.0f})">{swatch}</g>')
        parts.append(_text(x + 34, top + 12, label))
        x += w
    parts.append("</g>")
    return "".join(parts), (row + 1) * 22 + 4


def _swatch_box(fill: str, stroke: str, radius: int, *, stacked: bool = False) -> str:
    card = (
        f'<rect x="0" y="2" width="28" height="13" rx="{radius // 2}" fill="{fill}" '
        f'stroke="{stroke}"/>'
    )
    if stacked:
        card = card.replace('x="0" y="2"', 'x="3" y="-1"') + card
    return card


def _swatch_line(colour: str, dash: str) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<line x1="0" y1="8" x2="28" y2="8" stroke="{colour}" stroke-width="2"{dashed}/>'


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>'
    )


def _rect(rect: Rect, style: str) -> str:
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


def _band_lines(name: str, separator: str, height: float) -> list[str]:
    """A band's label on as many lines as its height holds, broken after a separator ("api |",
    "web"): a wide layer reads "_decoders |" / "_urlparse", not "_decoders | _u...". What
    does not fit ends the last line with an ellipsis."""
    fits = max(3, int((LABEL_W - PAD) / CHAR_W))
    room = max(1, int((height - 20 - BAND_PAD) // LINE_H) + 1)
    names = name.split(separator)
    lines: list[str] = []
    for index, part in enumerate(names):
        piece = part + (separator.rstrip() if index < len(names) - 1 else "")
        joined = f"{lines[-1]} {piece}" if lines else piece
        if lines and len(joined) <= fits:
            lines[-1] = joined
        else:
            lines.append(piece)
    if len(lines) > room:
        lines = [*lines[: room - 1], _cut(" ".join(lines[room - 1 :]) + " \u2026", fits * CHAR_W)]
    return [_cut(line, LABEL_W - PAD) for line in lines]


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
