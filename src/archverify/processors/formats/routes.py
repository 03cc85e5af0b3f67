"""The routes of a contract finding (``extra.routes``) as lines a person reads, for every format.

One route is one chain as import-linter prints it, each hop with all its import lines::

    - app.low.a -> app.high.b (app/low/a.py:3, 7)
    - app.low.x -> app.mid (app/low/x.py:2)
      & app.low.y -> app.mid (app/low/y.py:4)
      app.mid -> app.high.z (app/mid.py:9)
      & app.mid -> app.high.w (app/mid.py:11)

The first line of a route is its first head; the heads it shares follow with ``&``, then the
links through the middle, then its tails (the first plain, the others with ``&``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archverify.core.findings import Finding

ROUTE_PREFIX = "- "
# Routes through the imports the shortest chains leave out, shown per finding by the text and
# JUnit reports (on Django they are most of the routes); HTML, JSON and SARIF show them all.
COVERING_SHOWN = 10
CONTINUATION = "  "


def routes_of(finding: Finding) -> list[Mapping[str, Any]]:
    """The finding's routes as recorded, [] for a finding that has none (records without a
    head are not routes of this shape and are left out)."""
    found = finding.extra.get("routes") if finding.extra else None
    if not isinstance(found, list):
        return []
    return [r for r in found if isinstance(r, Mapping) and isinstance(r.get("heads"), list)]


def hop_text(hop: Mapping[str, Any]) -> str:
    """``a -> b (a.py:3, 7)``: every line, grouped by file (a sibling hop spans several)."""
    by_path: dict[str, list[str]] = {}
    for record in hop.get("imports") or ():
        by_path.setdefault(str(record.get("path", "")), []).append(str(record.get("line", "?")))
    places = "; ".join(
        f"{path}:{', '.join(lines)}" if path else ", ".join(lines)
        for path, lines in by_path.items()
    )
    text = f"{hop.get('importer', '?')} -> {hop.get('imported', '?')}"
    return f"{text} ({places})" if places else text


def route_lines(route: Mapping[str, Any]) -> list[str]:
    """One route: its first line starts with ``- ``, the others are indented under it."""
    heads = list(route.get("heads") or ())
    if not heads:
        return []
    lines = [ROUTE_PREFIX + hop_text(heads[0])]
    lines += [f"{CONTINUATION}& {hop_text(h)}" for h in heads[1:]]
    lines += [CONTINUATION + hop_text(h) for h in route.get("links") or ()]
    tails = list(route.get("tails") or ())
    if tails:
        lines.append(CONTINUATION + hop_text(tails[0]))
        lines += [f"{CONTINUATION}& {hop_text(h)}" for h in tails[1:]]
    return lines


def evidence_lines(finding: Finding, limit: int = 0, *, covering: int = -1) -> list[str]:
    """Every route of the finding, then how many are left out: beyond the first ``limit``
    when it is set, and beyond ``covering`` routes that cover the imports the shortest chains
    leave out when it is not negative."""
    routes = routes_of(finding)
    shown = routes
    if covering >= 0:
        others = [r for r in routes if r.get("covering")]
        shown = [r for r in routes if not r.get("covering")] + others[:covering]
    if limit:
        shown = shown[:limit]
    lines = [line for route in shown for line in route_lines(route)]
    left = len(routes) - len(shown)
    if left:
        lines.append(f"\u2026and {left} more route{'s' if left != 1 else ''} (see the JSON report)")
    return lines


def routes_summary(finding: Finding) -> str:
    """``"3 routes: 1 direct, 2 indirect"``, or "" for a finding without routes."""
    routes = routes_of(finding)
    if not routes:
        return ""
    direct = sum(1 for r in routes if r.get("direct"))
    covering = sum(1 for r in routes if r.get("covering"))
    word = "route" if len(routes) == 1 else "routes"
    text = f"{len(routes)} {word}: {direct} direct, {len(routes) - direct - covering} indirect"
    if covering:
        text += f", {covering} covering the remaining imports"
    return text


def route_title(route: Mapping[str, Any]) -> str:
    """``"direct: a -> b"`` or ``"indirect: a -> m -> b"``, naming the first chain's modules."""
    heads = list(route.get("heads") or ())
    if not heads:
        return "route"
    modules = [str(heads[0].get("importer", "?")), *(str(m) for m in route.get("middle") or ())]
    tails = list(route.get("tails") or ())
    modules.append(str((tails[0] if tails else heads[0]).get("imported", "?")))
    return f"{'direct' if route.get('direct') else 'indirect'}: {' -> '.join(modules)}"
