"""The architecture picture as data: layer bands, boxes and the imports between them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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
# Past this many boxes the picture stops being readable: each layer member becomes one box.
MAX_BOXES = 80
OTHER_BAND = "other"


@dataclass(frozen=True)
class LayoutBand:
    """One horizontal band: a layer, with sibling layer members side by side in ``groups``."""

    name: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class LayoutBox:
    """A package or module drawn as a box; ``id`` is its dotted name."""

    id: str
    label: str
    kind: str  # "package" | "module"
    band: int
    group: str
    findings: int = 0
    errors: int = 0
    href: str = ""  # "#file-..." of its first file with findings, or ""


@dataclass(frozen=True)
class LayoutEdge:
    """Imports from one box to another; ``kind`` is allowed, violation or cycle."""

    source: str
    target: str
    kind: str
    count: int = 1
    href: str = ""
    title: str = ""


@dataclass(frozen=True)
class ArchitectureLayout:
    title: str
    bands: tuple[LayoutBand, ...]
    boxes: tuple[LayoutBox, ...]
    edges: tuple[LayoutEdge, ...]

    def box(self, box_id: str) -> LayoutBox | None:
        return next((b for b in self.boxes if b.id == box_id), None)


def build_layout(
    project: Project, config: Config, findings: Sequence[Finding]
) -> ArchitectureLayout:
    """Bands from the first ``layers`` contract (or one per top-level subpackage), boxes for
    the packages and modules inside, grey allowed imports and red violations and cycles."""
    modules = sorted(project.modules)
    # Demo code under ``if __name__ == "__main__":`` is no part of the architecture.
    graph = ImportGraph.build(
        project.iter_facts(),
        include_type_checking=config.include_type_checking_imports,
        include_main_guarded=False,
    )
    bands = _layer_bands(config, modules)
    if not bands:
        bands = _package_bands(project.packages or _tops(modules), modules, graph)
    grouped = [g for band in bands for g in band.groups]
    path_module = {f.path: f.module for f in project.iter_facts()}
    # A package's own __init__ gets a box only when it matters: it imports or is imported, or
    # it has findings. Most are empty and would only crowd the picture.
    busy = {e.importer for e in graph.edges()} | {e.imported for e in graph.edges()}
    busy |= {path_module[f.path] for f in findings if f.path in path_module}
    other = sorted(
        name
        for name in {
            _child(m, _top(m)) for m in modules if not any(in_package(m, g) for g in grouped)
        }
        if name in busy or not any(in_package(g, name) for g in grouped)
    )
    if other:
        bands = [LayoutBand(OTHER_BAND, (OTHER_BAND,)), *bands]
    placed = _place(bands, modules, other, busy)
    ids = {p[0] for p in placed}
    module_box = {m: b for m in modules if (b := _box_of(m, ids)) is not None}
    boxes = _boxes(placed, findings, path_module, module_box)
    edges = _edges(graph, findings, path_module, module_box)
    title = ", ".join(project.packages) or "architecture"
    return ArchitectureLayout(title, tuple(bands), boxes, edges)


def _layer_bands(config: Config, modules: list[str]) -> list[LayoutBand]:
    contract = next((c for c in config.contracts if c.type == "layers"), None)
    if contract is None:
        return []
    layers = contract.options.get("layers", ())
    containers = contract.options.get("containers") or [""]
    container = str(containers[0]) if isinstance(containers, list | tuple) else str(containers)
    if not isinstance(layers, list | tuple):
        return []
    bands: list[LayoutBand] = []
    existing = existing_names(modules)
    for layer in layers:
        # import-linter writes independent siblings "a | b", dependent ones "a : b", and an
        # optional layer in parentheses.
        names = [n.strip().strip("()").strip() for n in str(layer).replace(":", "|").split("|")]
        full = [f"{container}.{n}" if container else n for n in names if n]
        present = tuple(n for n in full if n in existing)
        if present:
            bands.append(LayoutBand(" | ".join(n.rpartition(".")[2] for n in present), present))
    return bands


def _package_bands(
    packages: Iterable[str], modules: list[str], graph: ImportGraph
) -> list[LayoutBand]:
    groups: list[str] = []
    for package in sorted(packages):
        inside = {_child(m, package) for m in modules if in_package(m, package)} - {package}
        subpackages = sorted(c for c in inside if _kind(c, modules) == "package")
        groups += subpackages or [package]
    return [LayoutBand(g.rpartition(".")[2], (g,)) for g in _top_down(groups, graph)]


def _top_down(groups: list[str], graph: ImportGraph) -> list[str]:
    """Importers above what they import. A cycle is broken the greedy way (Eades): the group
    that imports the others most, net of being imported, goes first."""
    weight: dict[tuple[str, str], int] = {}
    for edge in graph.edges():
        source = next((g for g in groups if in_package(edge.importer, g)), None)
        target = next((g for g in groups if in_package(edge.imported, g)), None)
        if source and target and source != target:
            weight[(source, target)] = weight.get((source, target), 0) + 1
    order: list[str] = []
    left = set(groups)
    while left:
        ready = sorted(g for g in left if not any((o, g) in weight for o in left if o != g))
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
    bands: list[LayoutBand], modules: list[str], other: list[str], busy: set[str]
) -> list[tuple[str, str, int, str, str]]:
    """(box id, kind, band index, group, label) for every box, in drawing order."""
    placed: list[tuple[str, str, int, str, str]] = []
    for index, band in enumerate(bands):
        for group in band.groups:
            if group == OTHER_BAND:
                placed += [(m, _kind(m, modules), index, group, _last(m)) for m in other]
                continue
            inside = sorted({_child(m, group) for m in modules if in_package(m, group)} - {group})
            if not inside:
                placed.append((group, _kind(group, modules), index, group, _last(group)))
            elif group in modules and group in busy:
                placed.append((group, "module", index, group, "__init__"))
            placed += [(c, _kind(c, modules), index, group, _last(c)) for c in inside]
    if len(placed) > MAX_BOXES:
        return [p for p in placed if p[3] == OTHER_BAND] + [
            (g, "package", i, g, _last(g))
            for i, band in enumerate(bands)
            for g in band.groups
            if g != OTHER_BAND
        ]
    return placed


def _boxes(
    placed: list[tuple[str, str, int, str, str]],
    findings: Sequence[Finding],
    path_module: Mapping[str, str],
    module_box: Mapping[str, str],
) -> tuple[LayoutBox, ...]:
    mine: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=Finding.sort_key):
        owner = module_box.get(path_module.get(finding.path, ""))
        if owner is not None:
            mine.setdefault(owner, []).append(finding)
    boxes: list[LayoutBox] = []
    for box_id, kind, band, group, label in placed:
        found = mine.get(box_id, [])
        boxes.append(
            LayoutBox(
                id=box_id,
                label=label,
                kind=kind,
                band=band,
                group=group,
                findings=len(found),
                errors=sum(1 for f in found if f.severity is Severity.ERROR),
                href=f"#{file_anchor(found[0].path)}" if found else "",
            )
        )
    return tuple(boxes)


def _edges(
    graph: ImportGraph,
    findings: Sequence[Finding],
    path_module: Mapping[str, str],
    module_box: Mapping[str, str],
) -> tuple[LayoutEdge, ...]:
    found: dict[tuple[str, str], LayoutEdge] = {}

    def add(importer: str, imported: str, kind: str, finding: Finding | None) -> None:
        source, target = _box_of(importer, module_box), _box_of(imported, module_box)
        if source is None or target is None or source == target:
            return
        seen = found.get((source, target))
        if seen is not None and _PRIORITY[seen.kind] > _PRIORITY[kind]:
            return
        if seen is not None and seen.kind == kind:
            found[(source, target)] = LayoutEdge(
                source, target, kind, seen.count + 1, seen.href, seen.title
            )
            return
        href = f"#{finding_anchor(finding)}" if finding else ""
        found[(source, target)] = LayoutEdge(
            source, target, kind, 1, href, finding.message if finding else ""
        )

    for edge in graph.edges():
        add(edge.importer, edge.imported, ALLOWED, None)
    for finding in sorted(findings, key=Finding.sort_key):
        for importer, imported, kind in _red_hops(finding, path_module):
            add(importer, imported, kind, finding)
    return tuple(found[key] for key in sorted(found))


def _red_hops(finding: Finding, path_module: Mapping[str, str]) -> list[tuple[str, str, str]]:
    extra = finding.extra
    if finding.step == "contracts":
        return [(a, b, VIOLATION) for a, b in _records(extra.get("chain"))]
    if finding.step == "cycles":
        return [(a, b, CYCLE) for a, b in _records(extra.get("edges") or extra.get("chain"))]
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


def _last(name: str) -> str:
    return name.rpartition(".")[2]


def _top(module: str) -> str:
    return module.partition(".")[0]


def _tops(modules: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({_top(m) for m in modules}))
