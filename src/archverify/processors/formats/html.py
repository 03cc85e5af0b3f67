"""The HTML report: one self-contained page with steps, the architecture picture and findings."""

from __future__ import annotations

from html import escape

from archverify.core.findings import Finding, Severity
from archverify.core.project import printable_path
from archverify.core.report import RunReport
from archverify.processors.formats.architecture_layout import (
    ArchitectureLayout,
    Highlight,
    build_layout,
)
from archverify.processors.formats.architecture_svg import render_svg
from archverify.processors.formats.base import RenderInputs, ReportFormat
from archverify.processors.formats.common import (
    CUT_RULE,
    PROJECT_LABEL,
    counts_text,
    cut_advice,
    cut_of,
    file_anchor,
    finding_anchor,
    group_by_path,
    location,
    safe_text,
    verdict_counts,
    verdict_word,
)
from archverify.processors.formats.routes import evidence_lines, routes_summary
from archverify.processors.formats.summary import step_note

# Inline only: the page must open from a CI artifact with no network.
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;
 margin:0;color:#1f2328;background:#fff}
header{padding:16px 24px;color:#fff}header.passed{background:#1a7f37}
header.failed{background:#cf222e}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;opacity:.9}main{padding:8px 24px 40px;max-width:1400px}
h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 4px;font-family:ui-monospace,Menlo,Consolas,monospace}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;
 border-bottom:1px solid #eaeef2;vertical-align:top}th{background:#f6f8fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.status{font-weight:600}.passed .status{color:#1a7f37}.failed .status,.error .status{
 color:#cf222e}.skipped .status{color:#9a6700}
.sev{display:inline-block;min-width:56px;padding:0 6px;border-radius:10px;font-size:12px;
 text-align:center;color:#fff}.sev.error{background:#cf222e}.sev.warning{background:#9a6700}
.sev.note{background:#57606a}code,.loc{font-family:ui-monospace,Menlo,Consolas,monospace;
 font-size:12.5px}.hint{color:#57606a}.picture{overflow-x:auto;border:1px solid #d0d7de;
 padding:8px}tr:target,section:target h3{background:#fff8c5}
#filter{padding:4px 8px;width:320px;margin:4px 0 8px}a{color:#0969da}
ul.cuts li{margin:2px 0}
.notice{color:#57606a}table.found{table-layout:fixed}.found td.loc{width:72px}
.found td.sevc{width:84px}.found td.rule{width:240px;overflow-wrap:anywhere}
.drill summary{cursor:pointer;font-weight:600;margin:6px 0}.drill .picture{margin-bottom:8px}
.drill .drill{margin-left:20px}
.drill details:target>summary{background:#fff8c5}
.routes pre{margin:4px 0;font-size:12px;overflow-x:auto}
"""
_JS = """
document.getElementById('filter').addEventListener('input',function(e){
 var q=e.target.value.toLowerCase();
 document.querySelectorAll('section.file').forEach(function(s){
  var shown=0;s.querySelectorAll('tbody tr').forEach(function(r){
   var ok=!q||r.textContent.toLowerCase().indexOf(q)>=0;r.hidden=!ok;if(ok)shown++;});
  s.hidden=shown===0;});});
"""
# A collapsed package's box links to its <details>: open it when the link is followed.
_PICTURE_JS = """
function openDrill(){var d=location.hash&&document.getElementById(location.hash.slice(1));
 if(!d||d.tagName!=='DETAILS')return;
 for(var e=d;e;e=e.parentElement){if(e.tagName==='DETAILS')e.open=true;}d.scrollIntoView();}
window.addEventListener('hashchange',openDrill);openDrill();
"""


def render(report: RunReport, svg: str = "", drilldowns: str = "") -> str:
    """The page. ``svg`` is archverify's own picture (``architecture_svg.render_svg``) and
    ``drilldowns`` the pictures of its collapsed packages (``drilldown_sections``), already
    escaped there, so they are embedded as they are; every other text is escaped here."""
    verdict = verdict_word(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>archverify {verdict}: {_e(counts_text(report))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f'<header class="{verdict}"><h1>archverify {verdict}</h1>',
        f"<p>{_e(verdict_counts(report))} \u00b7 {_e(_scope(report))}</p>",
        f"<p><code>{_e(printable_path(report.root))}</code> \u00b7 "
        f"{_e(report.tool)} {_e(report.version)}</p>",
        "</header><main>",
    ]
    parts += [f'<p class="notice">{_e(n)}</p>' for n in report.notices if n.strip()]
    parts += _steps(report)
    if svg.strip():
        parts += ['<h2 id="architecture">Architecture</h2>', f'<div class="picture">{svg}</div>']
        parts += [drilldowns, f"<script>{_PICTURE_JS}</script>" if drilldowns else ""]
    parts += _cuts(report.findings)
    parts += _findings("Findings", "findings", report.findings, filter_box=True)
    if report.baselined:
        parts += ["<details><summary>Accepted by the baseline</summary>"]
        parts += _findings("Baselined findings", "baselined", report.baselined, anchors=False)
        parts += ["</details>"]
    if report.existing:
        parts += ["<details><summary>Existing before the change (--changed-since)</summary>"]
        parts += _findings("Existing findings", "existing", report.existing, anchors=False)
        parts += ["</details>"]
    parts += ["</main>", f"<script>{_JS}</script>" if report.findings else "", "</body></html>"]
    return "\n".join(p for p in parts if p) + "\n"


def _steps(report: RunReport) -> list[str]:
    rows = [
        '<h2 id="steps">Steps</h2><table><thead><tr><th>Step</th><th>Status</th>'
        '<th class="num">Findings</th><th class="num">Errors</th><th class="num">Warnings</th>'
        '<th class="num">Seconds</th><th>Note</th></tr></thead><tbody>'
    ]
    for step in report.steps:
        note = step_note(step)
        if step.cached:
            note = f"cached {note}".strip()
        rows.append(
            f'<tr class="{step.status.value}"><td>{_e(step.step)}</td>'
            f'<td class="status">{step.status.value}</td>'
            f'<td class="num">{len(step.findings)}</td><td class="num">{step.errors}</td>'
            f'<td class="num">{step.warnings}</td><td class="num">{step.duration_s:.2f}</td>'
            f"<td>{_e(note)}</td></tr>"
        )
    rows.append("</tbody></table>")
    return rows


def _findings(
    title: str,
    ident: str,
    findings: list[Finding],
    *,
    filter_box: bool = False,
    anchors: bool = True,
) -> list[str]:
    parts = [f'<h2 id="{ident}">{_e(title)} ({len(findings)})</h2>']
    if not findings:
        return [*parts, "<p>None.</p>"]
    if filter_box:
        parts.append('<input id="filter" type="search" placeholder="Filter findings\u2026">')
    used: set[str] = set()
    for path, group in group_by_path(findings):
        section = f' id="{file_anchor(path)}"' if anchors else ""
        parts.append(f'<section class="file"{section}><h3>{_e(path or PROJECT_LABEL)}</h3>')
        parts.append('<table class="found"><tbody>')
        for finding in group:
            anchor = finding_anchor(finding)
            # Identical findings share an anchor; the first one keeps the id.
            row_id = f' id="{anchor}"' if anchors and anchor not in used else ""
            used.add(anchor)
            hint = f'<div class="hint">{_e(finding.hint)}</div>' if finding.hint else ""
            parts.append(
                f'<tr{row_id}><td class="loc">{_e(_line_col(finding))}</td>'
                f'<td class="sevc"><span class="sev {finding.severity.value}">'
                f"{finding.severity.value}</span></td>"
                f'<td class="rule"><code>{_e(finding.rule)}</code></td>'
                f"<td>{_e(finding.message)}{_routes(finding)}{hint}</td></tr>"
            )
        parts.append("</tbody></table></section>")
    return parts


def _routes(finding: Finding) -> str:
    """A contract finding's routes, folded: every hop with all its lines."""
    summary = routes_summary(finding)
    if not summary:
        return ""
    body = "\n".join(evidence_lines(finding))
    return (
        f'<details class="routes"><summary>{_e(summary)}</summary><pre>{_e(body)}</pre></details>'
    )


def _cuts(findings: list[Finding]) -> list[str]:
    """ "What to cut": per broken contract and per cycle, the imports whose removal mends it."""
    cut = [(f, c) for f in sorted(findings, key=Finding.sort_key) if (c := cut_of(f)) is not None]
    if not cut:
        return []
    parts = [f'<h2 id="cuts">What to cut ({len(cut)})</h2><ul class="cuts">']
    for finding, record in cut:
        said = cut_advice(finding) or finding.message
        head, _, _ = said.partition("): ")
        parts.append(f'<li><a href="#{finding_anchor(finding)}">{_e(head)})</a><ul>')
        parts += [
            f'<li><code class="loc">{_e(str(i.get("path", "")))}:{_e(str(i.get("line", 0)))}'
            f"</code> {_e(str(i.get('importer', '')))} \u2192 {_e(str(i.get('imported', '')))}</li>"
            for i in record["imports"]
        ]
        parts.append("</ul></li>")
    parts.append("</ul>")
    return parts


def _line_col(finding: Finding) -> str:
    return location(finding).removeprefix(finding.path).lstrip(":") if finding.path else ""


def _scope(report: RunReport) -> str:
    summary = report.summary
    return f"{summary.get('files', 0)} files, {summary.get('modules', 0)} modules"


def _e(text: str) -> str:
    # Controls first: HTML cannot show a NUL or an ESC, and an undecodable name cannot be encoded.
    # Newlines and tabs stay: HTML shows them as spaces, as it did.
    return escape(safe_text(text, multiline=True), quote=True)


def architecture_layout(inputs: RenderInputs) -> ArchitectureLayout | None:
    """The picture of the layers as data; None without the project and its config."""
    if inputs.project is None or inputs.config is None:
        return None
    findings = inputs.report.findings
    return build_layout(
        inputs.project, inputs.config, findings, highlights=_cut_highlights(findings)
    )


def _cut_highlights(findings: list[Finding]) -> list[Highlight]:
    """The imports a cut removes, marked in the picture (class "cut"): the cuts of errors
    (import-time cycles) and of broken contracts (their ``contracts/cut`` notes). A warning's
    cut (a lazy cycle's: 71 imports on Django) would flood the picture; it stays in "What to
    cut"."""
    pairs = frozenset(
        (str(record.get("importer", "")), str(record.get("imported", "")))
        for finding in findings
        if finding.severity is Severity.ERROR or finding.rule == CUT_RULE
        for record in (cut_of(finding) or {}).get("imports", ())
    )
    return [Highlight(pairs, "cut", "an import to cut")] if pairs else []


def architecture_picture(inputs: RenderInputs) -> str:
    """The SVG of the layers for the page; empty without the project and its config."""
    layout = architecture_layout(inputs)
    return render_svg(layout) if layout is not None else ""


def drilldown_sections(layout: ArchitectureLayout) -> str:
    """One folded section per collapsed package, with its own picture, the sections of the
    packages collapsed inside it nested in it; the package's box links to its section. Each
    SVG gets its own id prefix (one page, unique ids)."""
    numbers = {id(p): n for n, p in enumerate(layout.drilldowns, start=1)}
    inner: dict[str, list[ArchitectureLayout]] = {}
    stack: list[str] = []
    for picture in layout.drilldowns:  # each package's picture comes before those inside it
        while stack and not picture.scope.startswith(stack[-1] + "."):
            stack.pop()
        inner.setdefault(stack[-1] if stack else "", []).append(picture)
        stack.append(picture.scope)

    def sections(scope: str) -> str:
        parts: list[str] = []
        for picture in inner.get(scope, []):
            found = sum(b.findings for b in picture.boxes)
            about = f"{len(picture.boxes)} boxes" + (f", {found} findings" if found else "")
            svg = render_svg(picture, ident=f"d{numbers[id(picture)]}-")
            parts.append(
                f'<details id="{_e(picture.anchor)}"><summary><code>{_e(picture.scope)}</code> '
                f'\u00b7 {_e(about)}</summary><div class="picture">{svg}</div>'
                f"{sections(picture.scope)}</details>"
            )
        return f'<div class="drill">{"".join(parts)}</div>' if parts else ""

    return sections("")


def _render(inputs: RenderInputs) -> str:
    layout = architecture_layout(inputs)
    if layout is None:
        return render(inputs.report)
    return render(inputs.report, render_svg(layout), drilldown_sections(layout))


FORMAT = ReportFormat(
    name="html",
    description="one self-contained page with the layers' picture, to open or attach",
    suffix=".html",
    render=_render,
)
