"""The SARIF 2.1.0 report, shaped for GitHub code scanning."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from archverify.core.findings import Finding, Severity, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats.base import RenderInputs, ReportFormat
from archverify.processors.formats.common import cut_of, one_line, partial_fingerprint
from archverify.processors.formats.routes import hop_text, route_title, routes_of

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://pypi.org/project/archverify/"
SRCROOT = "%SRCROOT%"
# Versioned, as SARIF asks of partialFingerprints keys, so a future scheme can sit beside it.
FINGERPRINT_KEY = "archverifyFindingHash/v1"

# Thread-flow locations per result: GitHub code scanning keeps the first 1,000 of a result.
MAX_FLOW_LOCATIONS = 1000

_SEVERITY_RANK = {Severity.NOTE: 0, Severity.WARNING: 1, Severity.ERROR: 2}
# GitHub reads ``problem.severity`` for non-security rules; "note" is "recommendation" there.
_PROBLEM_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "recommendation",
}


def render(
    report: RunReport,
    rule_docs: Mapping[str, str] | None = None,
    *,
    anchor_path: str = "",
) -> str:
    """The report as a SARIF log with one run.

    ``rule_docs`` maps a rule id to its Markdown help. ``anchor_path`` (relative, such as
    "pyproject.toml") is where findings without a file are placed: GitHub code scanning rejects
    a whole upload when any result has no location, so pass it when the log goes to GitHub.
    Without it such results have no location, which SARIF itself allows.
    """
    return json.dumps(sarif_log(report, rule_docs, anchor_path=anchor_path), indent=2) + "\n"


def sarif_log(
    report: RunReport,
    rule_docs: Mapping[str, str] | None = None,
    *,
    anchor_path: str = "",
) -> dict[str, Any]:
    docs = rule_docs or {}
    every = [*report.findings, *report.baselined, *report.existing]
    rules = _rules(every, docs)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [_result(f, index, "new", anchor_path) for f in report.findings]
    results += [_result(f, index, "unchanged", anchor_path) for f in report.baselined]
    # --changed-since: present before the change and still present, not accepted by anyone.
    results += [_result(f, index, _EXISTING, anchor_path) for f in report.existing]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": report.tool or "archverify",
                "version": report.version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [_invocation(report)],
        "results": results,
    }
    base = _root_uri(report.root)
    if base:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": base}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _rules(findings: list[Finding], docs: Mapping[str, str]) -> list[dict[str, Any]]:
    worst: dict[str, Finding] = {}
    for finding in findings:
        seen = worst.get(finding.rule)
        if seen is None or _SEVERITY_RANK[finding.severity] > _SEVERITY_RANK[seen.severity]:
            worst[finding.rule] = finding
    return [_rule(rule_id, worst[rule_id], docs.get(rule_id)) for rule_id in sorted(worst)]


def _rule(rule_id: str, example: Finding, doc: str | None) -> dict[str, Any]:
    summary = _summary(doc) or f"archverify {example.step} rule {rule_id}"
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": _pascal(rule_id),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": summary},
        "defaultConfiguration": {"level": example.severity.value},
        "properties": {
            "tags": sorted({"archverify", example.step}),
            "precision": "high",
            "problem.severity": _PROBLEM_SEVERITY[example.severity],
        },
    }
    if doc:
        rule["help"] = {"text": doc, "markdown": doc}
    return rule


def _summary(doc: str | None) -> str:
    """The first prose line of a rule's Markdown help: headings and fences are not prose."""
    for line in (doc or "").splitlines():
        text = line.strip()
        if text and not text.startswith(("#", "```", "---", "|")):
            return one_line(text, 240)
    return ""


def _pascal(rule_id: str) -> str:
    # SARIF wants ``name`` to be an identifier-like word ("PurityIoCall"), not the id.
    words = [w for w in "".join(c if c.isalnum() else " " for c in rule_id).split() if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"


# A finding ``--changed-since`` did not reach: ``baselineState`` "unchanged", no suppression.
_EXISTING = "existing"


def _result(
    finding: Finding, index: Mapping[str, int], state: str, anchor_path: str
) -> dict[str, Any]:
    text = finding.message.strip() or finding.rule
    if finding.hint:
        text += f"\nHint: {finding.hint}"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": finding.severity.value,
        "message": {"text": text},
        "partialFingerprints": {FINGERPRINT_KEY: partial_fingerprint(finding)},
        "baselineState": "unchanged" if state == _EXISTING else state,
        "properties": {"step": finding.step},
    }
    flows = code_flows(finding)
    kept = _within_budget(flows)
    if kept:
        result["codeFlows"] = kept
    if len(kept) < len(flows):
        result["properties"]["codeFlowsLeftOut"] = len(flows) - len(kept)
    if finding.path:
        result["locations"] = [_location(finding.path, finding.line, finding.column)]
    elif anchor_path:
        # GitHub needs a region too; line 1 of the anchor says "the project as a whole".
        result["locations"] = [_location(anchor_path, 1, 0)]
        result["properties"]["anchored"] = True
    _add_cut(result, finding)
    if state == _EXISTING:
        result["properties"]["change"] = "existing"
    if state == "unchanged":
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": "in the baseline"}
        ]
    return result


def _add_cut(result: dict[str, Any], finding: Finding) -> None:
    """Each import of the finding's cut as a related location, after any already there, and
    the cut's method in the result's properties."""
    cut = cut_of(finding)
    if cut is None:
        return
    related: list[dict[str, Any]] = result.setdefault("relatedLocations", [])
    for record in cut["imports"]:
        location = _location(str(record["path"]), int(record["line"]), 0)
        location["id"] = len(related)
        text = f"remove this import ({record['importer']} -> {record['imported']})"
        location["message"] = {"text": text}
        related.append(location)
    result["properties"]["cut"] = {
        key: cut[key] for key in ("method", "exact", "size", "lower_bound") if key in cut
    }


def _location(path: str, line: int, column: int) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}
    }
    if line >= 1:
        region: dict[str, int] = {"startLine": line}
        if column >= 1:
            region["startColumn"] = column
        physical["region"] = region
    return {"physicalLocation": physical}


def code_flows(finding: Finding) -> list[dict[str, Any]]:
    """Every route of a contract finding, or the cycle of a cycles finding, as code flows: one
    location per hop, at its first import, its message naming all its lines. A route shared by
    several heads or tails gets one flow for its first chain and one for each other head and
    tail, so that every import of it can be walked to."""
    routes = routes_of(finding)
    if routes:
        return [_flow(chain, route_title(route)) for route in routes for chain in _chains(route)]
    chain = finding.extra.get("chain") if finding.extra else None
    if finding.step != "cycles" or not isinstance(chain, list) or not chain:
        return []
    every = finding.extra.get("edges") or chain
    hops = [_cycle_hop(edge, every) for edge in chain if isinstance(edge, Mapping)]
    return [_flow(hops, "import cycle")] if hops else []


def _within_budget(flows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first flows whose steps add up to at most ``MAX_FLOW_LOCATIONS`` (at least one):
    GitHub reads no more of one result, and a big contract's flows would make the log huge."""
    kept: list[dict[str, Any]] = []
    total = 0
    for flow in flows:
        total += len(flow["threadFlows"][0]["locations"])
        if kept and total > MAX_FLOW_LOCATIONS:
            break
        kept.append(flow)
    return kept


def _chains(route: Mapping[str, Any]) -> list[list[Mapping[str, Any]]]:
    heads, tails = list(route.get("heads") or ()), list(route.get("tails") or ())
    links = list(route.get("links") or ())
    if not heads:
        return []
    first_tail = tails[:1]
    found = [[heads[0], *links, *first_tail]]
    found += [[head, *links, *first_tail] for head in heads[1:]]
    found += [[heads[0], *links, tail] for tail in tails[1:]]
    return found


def _cycle_hop(edge: Mapping[str, Any], every: list[Any]) -> dict[str, Any]:
    """A cycle's hop with every statement of its pair (the component's edges hold them)."""
    pair = (edge.get("importer"), edge.get("imported"))
    same = [
        e
        for e in every
        if isinstance(e, Mapping) and (e.get("importer"), e.get("imported")) == pair
    ]
    lines = sorted(same, key=lambda e: (e.get("path") != edge.get("path"), e.get("line", 0)))
    return {
        "importer": pair[0],
        "imported": pair[1],
        "imports": [dict(edge), *(e for e in lines if e != edge)],
    }


def _flow(hops: Sequence[Mapping[str, Any]], title: str) -> dict[str, Any]:
    locations = []
    for hop in hops:
        imports = [i for i in hop.get("imports") or () if isinstance(i, Mapping)]
        first = imports[0] if imports else {}
        where = _location(str(first.get("path", "")), int(first.get("line", 0)), 0)
        where["message"] = {"text": hop_text(hop)}
        locations.append({"location": where})
    return {"message": {"text": title}, "threadFlows": [{"locations": locations}]}


def _invocation(report: RunReport) -> dict[str, Any]:
    notes: list[dict[str, Any]] = []
    for step in report.steps:
        if step.status is StepStatus.ERROR:
            reason = f"step {step.step} could not run: {step.message or 'no reason given'}"
            notes.append(_notification("error", reason, step.step))
        elif step.status is StepStatus.SKIPPED:
            reason = f": {step.message}" if step.message else ""
            notes.append(_notification("note", f"step {step.step} skipped{reason}", step.step))
    notes += [_notification("note", notice, "") for notice in report.notices if notice.strip()]
    invocation: dict[str, Any] = {
        "executionSuccessful": not any(s.status is StepStatus.ERROR for s in report.steps)
    }
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _notification(level: str, text: str, step: str) -> dict[str, Any]:
    note: dict[str, Any] = {"level": level, "message": {"text": text}}
    if step:
        note["descriptor"] = {"id": f"step/{step}"}
    return note


def _root_uri(root: str) -> str:
    if not root:
        return ""
    try:
        uri = PurePath(root).as_uri()
    except ValueError:  # a relative root has no file URI; the base is then left unstated
        return ""
    return uri if uri.endswith("/") else uri + "/"


def _render(inputs: RenderInputs) -> str:
    # GitHub code scanning rejects a result without a location; project-wide findings are
    # anchored at the configuration file that states the rule.
    return render(inputs.report, inputs.rule_docs, anchor_path=inputs.config_anchor)


FORMAT = ReportFormat(
    name="sarif",
    description="GitHub code scanning and IDE SARIF viewers, with each rule's help",
    suffix=".sarif",
    render=_render,
)
