"""The architecture picture as data: layer bands, boxes and the imports between them."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from archverify.core.config import Config
from archverify.core.findings import Finding, Severity
from archverify.core.graph import ImportGraph
from archverify.core.project import Project, existing_names, in_package
from archverify.processors.formats.common import file_anchor, finding_anchor

ALLOWED = "allowed"
VIOLATION = "violation"
CYCLE = "cycle"
_PRIORITY = {ALLOWED: 0, CYCLE: 1, VIOLATION: 2}
# Past this many boxes a picture stops being readable: each layer member with more than one
# box inside becomes one package box, drawn in a picture of its own (the drill-down).
MAX_BOXES = 30
# Drill-downs inside drill-downs stop here; deeper packages stay one box.
MAX_DEPTH = 3
OTHER_BAND = "other"


@dataclass(frozen=True)
class LayoutBand:
    """One horizontal band: a layer, with sibling layer members side by side in ``groups``.
    ``independent`` is import-linter's ``|`` (the members may not import each other) against
    ``:`` (they may); ``contract`` names the layers contract the band comes from, if any."""

    name: str
    groups: tuple[str, ...]
    independent: bool = True
    contract: str = ""


@dataclass(frozen=True)
class LayoutBox:
    """A package or module drawn as a box; ``id`` is its dotted name. ``drill`` is the anchor
    of the picture of its inside when the box stands for a collapsed package."""

    id: str
    label: str
    kind: str  # "package" | "module"
    band: int
    group: str
    findings: int = 0
    errors: int = 0
    href: str = ""  # "#file-..." of its first file with findings, "#pkg-..." when collapsed
    drill: str = ""


@dataclass(frozen=True)
class LayoutEdge:
    """Imports from one box to another; ``kind`` is allowed, violation or cycle.
    ``classes`` are the CSS classes of the highlights (``Highlight``) the edge carries."""

    source: str
    target: str
    kind: str
    count: int = 1
    href: str = ""
    title: str = ""
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Highlight:
    """Imports to mark in the picture with a CSS class and a legend entry (e.g. cut edges):
    ``pairs`` are (importer, imported) module names; they are drawn on the boxes holding them."""

    pairs: frozenset[tuple[str, str]]
    css_class: str
    label: str


@dataclass(frozen=True)
class ArchitectureLayout:
    title: str
    bands: tuple[LayoutBand, ...]
    boxes: tuple[LayoutBox, ...]
    edges: tuple[LayoutEdge, ...]
    # The pictures of the collapsed packages, every level flattened, each with its ``scope``.
    drilldowns: tuple[ArchitectureLayout, ...] = ()
    scope: str = ""
    highlights: tuple[Highlight, ...] = field(default=())

    def box(self, box_id: str) -> LayoutBox | None:
        return next((b for b in self.boxes if b.id == box_id), None)

    @property
    def anchor(self) -> str:
        return drill_anchor(self.scope) if self.scope else "architecture"


def drill_anchor(package: str) -> str:
    """The id of the picture of a collapsed package, in the HTML page and the standalone SVG."""
    return "pkg-" + re.sub(r"[^A-Za-z0-9_-]", "-", package)


@dataclass(frozen=True)
class _Hop:
    importer: str
    imported: str
    kind: str
    finding: Finding | None


@dataclass
class _Tree:
    """The names above the modules: which are packages, and the names one level below each."""

    packages: set[str]
    children: dict[str, set[str]]

    @classmethod
    def of(cls, modules: Iterable[str]) -> _Tree:
        children: dict[str, set[str]] = {}
        for module in modules:
            parts = module.split(".")
            for depth in range(1, len(parts)):
                children.setdefault(".".join(parts[:depth]), set()).add(
                    ".".join(parts[: depth + 1])
                )
        return cls(set(children), children)

    def kind(self, name: str) -> str:
        return "package" if name in self.packages else "module"


@dataclass
class _Context:
    modules: list[str]
    busy: set[str]
    hops: list[_Hop]  # grey imports first, then the red hops of the findings
    findings: list[Finding]
    path_module: dict[str, str]
    nested: dict[str, list[LayoutBand]]
    highlights: tuple[Highlight, ...]
    tree: _Tree
    drilldowns: list[ArchitectureLayout] = field(default_factory=list)
    # The hops by the innermost package holding both ends, so a drill-down reads only its own.
    by_scope: dict[str, list[_Hop]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for hop in self.hops:
            self.by_scope.setdefault(_common(hop.importer, hop.imported), []).append(hop)

    def inside(self, scope: str) -> list[str]:
        """The modules in ``scope`` (all for ""): a slice of the sorted names, as "." sorts
        just before "/", and no module name holds a character between them."""
        if not scope:
            return self.modules
        start = bisect_left(self.modules, scope)
        return self.modules[start : bisect_left(self.modules, scope + "/", start)]

    def hops_in(self, scope: str) -> list[_Hop]:
        if not scope:
            return self.hops
        return [h for key, hops in self.by_scope.items() if in_package(key, scope) for h in hops]


def _common(a: str, b: str) -> str:
    """The longest dotted name both ``a`` and ``b`` are inside of, or ""."""
    common: list[str] = []
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        common.append(x)
    return ".".join(common)


def build_layout(
    project: Project,
    config: Config,
    findings: Sequence[Finding],
    highlights: Sequence[Highlight] = (),
) -> ArchitectureLayout:
    """Bands from every ``layers`` contract (or layers of subpackages ranked by their imports),
    boxes for the packages and modules inside, grey allowed imports, and red exactly the hops
    of the reported violations and cycles. Beyond ``MAX_BOXES`` boxes, layer members collapse
    to one box each, with their own picture in ``drilldowns``."""
    modules = sorted(project.modules)
    # Demo code under ``if __name__ == "__main__":`` is no part of the architecture.
    graph = ImportGraph.build(
        project.iter_facts(),
        include_type_checking=config.include_type_checking_imports,
        include_main_guarded=False,
    )
    path_module = {f.path: f.module for f in project.iter_facts()}
    ordered = sorted(findings, key=Finding.sort_key)
    hops = [_Hop(e.importer, e.imported, ALLOWED, None) for e in graph.edges()]
    hops += [
        _Hop(a, b, kind, finding)
        for finding in ordered
        for a, b, kind in _red_hops(finding, path_module)
    ]
    # A package's own __init__ gets a box only when it matters: it imports or is imported, or
    # it has findings. Most are empty and would only crowd the picture.
    busy = {h.importer for h in hops} | {h.imported for h in hops}
    busy |= {path_module[f.path] for f in ordered if f.path in path_module}
    busy &= set(modules)
    bands, nested = _claim(_contract_bands(config, modules))
    context = _Context(
        modules, busy, hops, ordered, path_module, nested, tuple(highlights), _Tree.of(modules)
    )
    grouped = [g for band in bands for g in band.groups]
    if not bands:
        groups = _package_groups(project.packages or _tops(modules), modules)
        bands = _ranked_bands(groups, context.hops)
        grouped = list(groups)
    other = sorted(
        name
        for name in {
            _child(m, _top(m)) for m in modules if not any(in_package(m, g) for g in grouped)
        }
        if name in busy or not any(in_package(g, name) for g in grouped)
    )
    if other:
        bands = [LayoutBand(OTHER_BAND, (OTHER_BAND,)), *bands]
    title = ", ".join(project.packages) or "architecture"
    main = _picture(context, title, "", bands, other, 0)
    return ArchitectureLayout(
        main.title,
        main.bands,
        main.boxes,
        main.edges,
        tuple(context.drilldowns),
        "",
        tuple(highlights),
    )


def _picture(
    context: _Context,
    title: str,
    scope: str,
    bands: list[LayoutBand],
    other: list[str],
    depth: int,
) -> ArchitectureLayout:
    modules = context.inside(scope)
    placed = _place(bands, context.tree, other, context.busy, scope)
    collapse = {g for g in context.nested if any(p[3] == g for p in placed)}
    if len(placed) > MAX_BOXES:
        collapse |= {p[3] for p in placed if p[0] != p[3] and p[3] != OTHER_BAND}
    if depth >= MAX_DEPTH:
        collapse = set()
    if collapse:
        placed = _collapsed(placed, collapse)
    placed = _unique_labels(placed)
    ids = {p[0] for p in placed}
    module_box = {m: b for m in modules if (b := _box_of(m, ids)) is not None}
    boxes = _boxes(placed, collapse, context, module_box)
    edges = _edges(context, context.hops_in(scope), module_box)
    layout = ArchitectureLayout(
        title, tuple(bands), boxes, edges, scope=scope, highlights=context.highlights
    )
    order = [b.id for b in boxes]
    for group in sorted(collapse, key=order.index):
        # Each package's picture before the pictures of the packages inside it.
        position = len(context.drilldowns)
        inner = _drilldown(context, group, depth + 1)
        context.drilldowns.insert(position, inner)
    return layout


def _drilldown(context: _Context, package: str, depth: int) -> ArchitectureLayout:
    """The picture of one collapsed package: its own layers contracts' bands, or its children
    ranked by their imports."""
    bands = list(context.nested.get(package, ()))
    grouped = [g for band in bands for g in band.groups]
    inside = context.inside(package)
    rest = sorted(
        {_child(m, package) for m in inside if not any(in_package(m, g) for g in grouped)}
        - {package}
    )
    bands += _ranked_bands(rest, context.hops_in(package))
    own = [package] if package in context.busy else []
    if own:
        bands = [LayoutBand("__init__", (OTHER_BAND,)), *bands]
    return _picture(context, package, package, bands, own, depth)


def _collapsed(
    placed: list[tuple[str, str, int, str, str]], collapse: set[str]
) -> list[tuple[str, str, int, str, str]]:
    out: list[tuple[str, str, int, str, str]] = []
    for item in placed:
        box_id, _kind_, band, group, _label = item
        if group not in collapse:
            out.append(item)
        elif not any(p[0] == group for p in out):
            out.append((group, "package", band, group, _last(group)))
    return out


def _contract_bands(config: Config, modules: list[str]) -> list[LayoutBand]:
    """The bands of every layers contract, for every container, in the configuration's order."""
    bands: list[LayoutBand] = []
    existing = existing_names(modules)
    for contract in config.contracts:
        if contract.type != "layers":
            continue
        layers = contract.options.get("layers", ())
        if not isinstance(layers, list | tuple):
            continue
        containers = contract.options.get("containers") or [""]
        if isinstance(containers, str):
            containers = [containers]
        for container in containers if isinstance(containers, list | tuple) else [""]:
            for layer in layers:
                # import-linter writes independent siblings "a | b", dependent ones "a : b",
                # and an optional layer in parentheses.
                text = str(layer)
                independent = ":" not in text
                names = [n.strip().strip("()").strip() for n in re.split(r"[|:]", text)]
                full = [f"{container}.{n}" if container else n for n in names if n]
                present = tuple(n for n in full if n in existing)
                if present:
                    bands.append(_band(present, independent, contract.name))
    return bands


def _band(groups: tuple[str, ...], independent: bool, contract: str = "") -> LayoutBand:
    separator = " | " if independent else " : "
    name = separator.join(g.rpartition(".")[2] for g in groups)
    return LayoutBand(name, groups, independent, contract)


def _claim(bands: list[LayoutBand]) -> tuple[list[LayoutBand], dict[str, list[LayoutBand]]]:
    """The bands of the main picture, and the bands that belong inside one of its groups (a
    contract of a subpackage): they become the bands of that group's own picture."""
    claimed: list[str] = []
    top: list[LayoutBand] = []
    nested: dict[str, list[LayoutBand]] = {}
    for band in bands:
        free = tuple(g for g in band.groups if not any(_overlaps(g, c) for c in claimed))
        if free:
            top.append(_band(free, band.independent, band.contract))
            claimed += free
        inner: dict[str, list[str]] = {}
        for group in band.groups:
            owner = next((c for c in claimed if in_package(group, c) and c != group), None)
            if owner is not None and group not in free:
                inner.setdefault(owner, []).append(group)
        for owner, groups in inner.items():
            nested.setdefault(owner, []).append(
                _band(tuple(groups), band.independent, band.contract)
            )
    for owner, inner_bands in nested.items():
        nested[owner] = list(_claim(inner_bands)[0])
    return top, nested


def _overlaps(a: str, b: str) -> bool:
    return in_package(a, b) or in_package(b, a)


def _package_groups(packages: Iterable[str], modules: list[str]) -> list[str]:
    groups: list[str] = []
    for package in sorted(packages):
        inside = {_child(m, package) for m in modules if in_package(m, package)} - {package}
        subpackages = sorted(c for c in inside if _kind(c, modules) == "package")
        groups += subpackages or [package]
    return groups


def _ranked_bands(groups: list[str], hops: Sequence[_Hop]) -> list[LayoutBand]:
    """Importers above what they import; groups with no import path between them share a band
    (``|`` when they do not import each other at all)."""
    if not groups:
        return []
    weight: dict[tuple[str, str], int] = {}
    owner = _owners(groups)
    for hop in hops:
        if hop.kind != ALLOWED:
            continue
        source, target = owner(hop.importer), owner(hop.imported)
        if source and target and source != target:
            weight[(source, target)] = weight.get((source, target), 0) + 1
    order = _top_down(groups, weight)
    position = {g: i for i, g in enumerate(order)}
    rank: dict[str, int] = {}
    for group in order:
        above = [rank[s] + 1 for (s, t) in weight if t == group and position[s] < position[group]]
        rank[group] = max(above, default=0)
    bands: list[LayoutBand] = []
    for level in range(max(rank.values()) + 1):
        members = tuple(g for g in order if rank[g] == level)
        if not members:
            continue
        independent = not any((a, b) in weight for a in members for b in members)
        bands.append(_band(members, independent))
    return bands


def _owners(groups: list[str]) -> Callable[[str], str | None]:
    exact = set(groups)
    cache: dict[str, str | None] = {}

    def owner(module: str) -> str | None:
        if module not in cache:
            cache[module] = _box_of(module, exact)
        return cache[module]

    return owner


def _top_down(groups: list[str], weight: Mapping[tuple[str, str], int]) -> list[str]:
    """Importers above what they import. A cycle is broken the greedy way (Eades): the group
    that imports the others most, net of being imported, goes first."""
    importers: dict[str, set[str]] = {}
    for source, target in weight:
        importers.setdefault(target, set()).add(source)
    order: list[str] = []
    left = set(groups)
    while left:
        ready = sorted(g for g in left if not (importers.get(g, set()) & left) - {g})
        if ready:
            pick = ready[0]
        else:

            def net(g: str) -> tuple[int, str]:
                out = sum(weight.get((g, o), 0) for o in left)
                into = sum(weight.get((o, g), 0) for o in left)
                return (into - out, g)

            pick = min(left, key=net)
        order.append(pick)
        left.discard(pick)
    return order


def _place(
    bands: list[LayoutBand],
    tree: _Tree,
    other: list[str],
    busy: set[str],
    scope: str = "",
) -> list[tuple[str, str, int, str, str]]:
    """(box id, kind, band index, group, label) for every box, in drawing order. In the
    picture of package ``scope``, the package's own ``__init__`` is one of the ``other``."""
    placed: list[tuple[str, str, int, str, str]] = []
    for index, band in enumerate(bands):
        for group in band.groups:
            if group == OTHER_BAND:
                placed += [
                    (m, "module", index, group, "__init__")
                    if m == scope
                    else (m, tree.kind(m), index, group, _last(m))
                    for m in other
                ]
                continue
            inside = sorted(tree.children.get(group, ()))
            if not inside:
                placed.append((group, tree.kind(group), index, group, _last(group)))
                continue
            if group in busy:
                placed.append((group, "module", index, group, "__init__"))
            placed += [(c, tree.kind(c), index, group, _last(c)) for c in inside]
    return placed


def _boxes(
    placed: list[tuple[str, str, int, str, str]],
    collapse: set[str],
    context: _Context,
    module_box: Mapping[str, str],
) -> tuple[LayoutBox, ...]:
    mine: dict[str, list[Finding]] = {}
    for finding in context.findings:
        owner = module_box.get(context.path_module.get(finding.path, ""))
        if owner is not None:
            mine.setdefault(owner, []).append(finding)
    boxes: list[LayoutBox] = []
    for box_id, kind, band, group, label in placed:
        found = mine.get(box_id, [])
        drill = drill_anchor(box_id) if box_id in collapse else ""
        if drill:
            href = f"#{drill}"
        else:
            href = f"#{file_anchor(found[0].path)}" if found else ""
        boxes.append(
            LayoutBox(
                id=box_id,
                label=label,
                kind=kind,
                band=band,
                group=group,
                findings=len(found),
                errors=sum(1 for f in found if f.severity is Severity.ERROR),
                href=href,
                drill=drill,
            )
        )
    return tuple(boxes)


def _edges(
    context: _Context, hops: Sequence[_Hop], module_box: Mapping[str, str]
) -> tuple[LayoutEdge, ...]:
    found: dict[tuple[str, str], LayoutEdge] = {}
    marks: dict[tuple[str, str], set[str]] = {}
    for hop in hops:
        source, target = module_box.get(hop.importer), module_box.get(hop.imported)
        if source is None or target is None or source == target:
            continue
        key = (source, target)
        seen = found.get(key)
        if seen is not None and _PRIORITY[seen.kind] > _PRIORITY[hop.kind]:
            continue
        if seen is not None and seen.kind == hop.kind:
            found[key] = LayoutEdge(source, target, hop.kind, seen.count + 1, seen.href, seen.title)
            continue
        finding = hop.finding
        href = f"#{finding_anchor(finding)}" if finding else ""
        found[key] = LayoutEdge(
            source, target, hop.kind, 1, href, finding.message if finding else ""
        )
    for highlight in context.highlights:
        for importer, imported in highlight.pairs:
            key = (module_box.get(importer, ""), module_box.get(imported, ""))
            if key in found:
                marks.setdefault(key, set()).add(highlight.css_class)
    return tuple(
        replace(found[key], classes=tuple(sorted(marks[key]))) if key in marks else found[key]
        for key in sorted(found)
    )


def red_pairs(layout: ArchitectureLayout) -> set[tuple[str, str]]:
    """The (source, target) box pairs drawn red."""
    return {(e.source, e.target) for e in layout.edges if e.kind != ALLOWED}


def _red_hops(finding: Finding, path_module: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The imports a finding reports: a broken contract's chain, a cycle's own path (not every
    edge of its component, which the picture would otherwise paint red), a forbidden import."""
    extra = finding.extra
    if finding.step == "contracts":
        return [(a, b, VIOLATION) for a, b in _records(extra.get("chain"))]
    if finding.step == "cycles":
        return [(a, b, CYCLE) for a, b in _records(extra.get("chain") or extra.get("edges"))]
    if finding.rule == "boundaries/forbidden-import" and isinstance(extra.get("import"), str):
        importer = path_module.get(finding.path, "")
        return [(importer, str(extra["import"]), VIOLATION)] if importer else []
    return []


def _records(value: Any) -> list[tuple[str, str]]:
    """Hops from edge records ({"importer", "imported"}), pairs, or a list of module names."""
    if not isinstance(value, list | tuple):
        return []
    if value and all(isinstance(v, str) for v in value):
        return list(zip(value, value[1:], strict=False))
    hops: list[tuple[str, str]] = []
    for item in value:
        if isinstance(item, Mapping) and "importer" in item and "imported" in item:
            hops.append((str(item["importer"]), str(item["imported"])))
        elif isinstance(item, list | tuple) and len(item) >= 2:
            hops.append((str(item[0]), str(item[1])))
    return hops


def _box_of(module: str, boxes: Mapping[str, str] | set[str]) -> str | None:
    """The box drawing ``module``: itself or its nearest ancestor that has a box."""
    name = module
    while name:
        if name in boxes:
            return boxes[name] if isinstance(boxes, Mapping) else name
        name = name.rpartition(".")[0]
    return None


def _kind(name: str, modules: list[str]) -> str:
    prefix = name + "."
    return "package" if any(m.startswith(prefix) for m in modules) else "module"


def _child(module: str, parent: str) -> str:
    """The name one level below ``parent`` on the way to ``module``."""
    if module == parent:
        return module
    rest = module[len(parent) + 1 :]
    return f"{parent}.{rest.partition('.')[0]}"


def _unique_labels(
    placed: list[tuple[str, str, int, str, str]],
) -> list[tuple[str, str, int, str, str]]:
    """``placed`` with each box labelled by as many trailing parts of its dotted name as make
    it unique within the picture (``attr.converters`` and ``attrs.converters``, not twice
    ``converters``); a package's own ``__init__`` box keeps its label."""
    named = [p[0] for p in placed if p[4] == _last(p[0])]
    depth = dict.fromkeys(named, 1)

    def label(box_id: str) -> str:
        return ".".join(box_id.split(".")[-depth[box_id] :])

    while True:
        holders: dict[str, list[str]] = {}
        for box_id in named:
            holders.setdefault(label(box_id), []).append(box_id)
        longer = [
            box_id
            for same in holders.values()
            if len(same) > 1
            for box_id in same
            if depth[box_id] < box_id.count(".") + 1
        ]
        if not longer:
            break
        for box_id in longer:
            depth[box_id] += 1
    return [
        (box_id, kind, band, group, label(box_id) if box_id in depth else text)
        for box_id, kind, band, group, text in placed
    ]


def _last(name: str) -> str:
    return name.rpartition(".")[2]


def _top(module: str) -> str:
    return module.partition(".")[0]


def _tops(modules: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({_top(m) for m in modules}))
