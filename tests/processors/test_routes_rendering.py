"""Every format shows a contract finding's routes, each hop with all its lines; SARIF makes them
(and cycles) code flows that validate against the 2.1.0 schema."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # nosec B405 - parsing our own output
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema

from archverify.core.findings import Finding, StepOutcome, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats import github, html, junit, markdown, sarif, text
from archverify.processors.formats.routes import evidence_lines, routes_summary
from tests.helpers.sample_reports import finding

_VENDORED = json.loads(
    (Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text("utf-8")
)
SCHEMA = {**_VENDORED, "$ref": "#/definitions/Root"}


def hop(importer: str, imported: str, *lines: int) -> dict[str, Any]:
    path = importer.replace(".", "/") + ".py"
    imports = [{"path": path, "line": n} for n in lines]
    return {"importer": importer, "imported": imported, "lines": list(lines), "imports": imports}


def route(
    heads: list[Any], middle: Sequence[str] = (), tails: Sequence[Any] = (), **kw: Any
) -> dict[str, Any]:
    return {
        "direct": not middle,
        "covering": kw.get("covering", False),
        "heads": heads,
        "middle": list(middle),
        "links": kw.get("links", []),
        "tails": list(tails),
    }


ROUTES = [
    route([hop("app.low.a", "app.high.b", 3, 7)]),
    route(
        [hop("app.low.x", "app.mid.m", 2), hop("app.low.y", "app.mid.m", 4)],
        ["app.mid.m", "app.mid.n"],
        [hop("app.mid.n", "app.high.z", 9), hop("app.mid.n", "app.high.w", 11)],
        links=[hop("app.mid.m", "app.mid.n", 5)],
    ),
]
CONTRACT = replace(
    finding(
        step="contracts",
        rule="contracts/layers",
        path="app/low/a.py",
        line=3,
        column=1,
        message="contract 'c' broken: app.low is not allowed to import app.high",
    ),
    extra={"routes": ROUTES},
)
CYCLE_EDGES = [
    {"importer": "app.a", "imported": "app.b", "path": "app/a.py", "line": 1},
    {"importer": "app.a", "imported": "app.b", "path": "app/a.py", "line": 6},
    {"importer": "app.b", "imported": "app.a", "path": "app/b.py", "line": 2},
]
CYCLE = replace(
    finding(step="cycles", rule="cycles/import-cycle", path="app/a.py", line=1, column=1),
    message="import cycle: app.a -> app.b -> app.a",
    extra={"chain": [CYCLE_EDGES[0], CYCLE_EDGES[2]], "edges": CYCLE_EDGES},
)
EXPECTED = [
    "- app.low.a -> app.high.b (app/low/a.py:3, 7)",
    "- app.low.x -> app.mid.m (app/low/x.py:2)",
    "  & app.low.y -> app.mid.m (app/low/y.py:4)",
    "  app.mid.m -> app.mid.n (app/mid/m.py:5)",
    "  app.mid.n -> app.high.z (app/mid/n.py:9)",
    "  & app.mid.n -> app.high.w (app/mid/n.py:11)",
]


def report(*found: Finding) -> RunReport:
    steps = [
        StepOutcome(s, StepStatus.FAILED, [f for f in found if f.step == s])
        for s in {f.step for f in found}
    ]
    return RunReport("archverify", "0.1.0", "/work/project", steps, list(found))


def test_routes_as_lines() -> None:
    assert evidence_lines(CONTRACT) == EXPECTED
    assert routes_summary(CONTRACT) == "2 routes: 1 direct, 1 indirect"
    assert evidence_lines(CONTRACT, 1)[-1] == "\u2026and 1 more route (see the JSON report)"
    assert evidence_lines(CYCLE) == [] and routes_summary(CYCLE) == ""


def test_covering_routes_are_counted_and_capped_in_text() -> None:
    many = [
        route([hop("app.low.a", f"app.m{i}", i)], [f"app.m{i}"], [], covering=True)
        for i in range(12)
    ]
    found = replace(CONTRACT, extra={"routes": ROUTES + many})
    assert routes_summary(found).endswith(", 12 covering the remaining imports")
    rendered = text.render(report(found))
    assert "app.m9" in rendered and "app.m10 " not in rendered
    assert "\u2026and 2 more routes (see the JSON report)" in rendered


def test_every_human_format_shows_every_hop_and_line() -> None:
    run = report(CONTRACT)
    rendered = {
        "text": text.render(run),
        "markdown": markdown.render(run),
        "github": github.workflow_commands(run).replace("%0A", "\n"),
        "html": html.render(run).replace("&amp;", "&").replace("&gt;", ">"),
    }
    junit_text = "".join(ET.fromstring(junit.render(run).split("\n", 1)[1]).itertext())
    rendered["junit"] = junit_text
    for name, output in rendered.items():
        for line in EXPECTED:
            assert line.strip() in output, (name, line)
    assert "<details><summary>2 routes: 1 direct, 1 indirect</summary>" in rendered["markdown"]


def _log(run: RunReport) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sarif.render(run))
    jsonschema.validate(data, SCHEMA)
    return data


def _walk(flow: dict[str, Any]) -> list[tuple[str, int, str]]:
    (thread,) = flow["threadFlows"]
    return [
        (
            step["location"]["physicalLocation"]["artifactLocation"]["uri"],
            step["location"]["physicalLocation"]["region"]["startLine"],
            step["location"]["message"]["text"],
        )
        for step in thread["locations"]
    ]


def test_sarif_code_flows_walk_every_route_and_validate() -> None:
    (result,) = _log(report(CONTRACT))["runs"][0]["results"]
    flows = result["codeFlows"]
    # The direct import; the indirect route's first chain, its other head, its other tail.
    assert [f["message"]["text"] for f in flows] == [
        "direct: app.low.a -> app.high.b",
        "indirect: app.low.x -> app.mid.m -> app.mid.n -> app.high.z",
        "indirect: app.low.x -> app.mid.m -> app.mid.n -> app.high.z",
        "indirect: app.low.x -> app.mid.m -> app.mid.n -> app.high.z",
    ]
    assert _walk(flows[0]) == [("app/low/a.py", 3, "app.low.a -> app.high.b (app/low/a.py:3, 7)")]
    assert [(uri, line) for uri, line, _ in _walk(flows[1])] == [
        ("app/low/x.py", 2),
        ("app/mid/m.py", 5),
        ("app/mid/n.py", 9),
    ]
    assert _walk(flows[2])[0][:2] == ("app/low/y.py", 4)
    assert _walk(flows[3])[-1][:2] == ("app/mid/n.py", 11)


def test_sarif_code_flow_of_a_cycle_names_every_line_of_its_hops() -> None:
    (result,) = _log(report(CYCLE))["runs"][0]["results"]
    (flow,) = result["codeFlows"]
    assert _walk(flow) == [
        ("app/a.py", 1, "app.a -> app.b (app/a.py:1, 6)"),
        ("app/b.py", 2, "app.b -> app.a (app/b.py:2)"),
    ]


def test_schema_rejects_a_broken_code_flow() -> None:
    data = _log(report(CONTRACT))
    data["runs"][0]["results"][0]["codeFlows"][0]["threadFlows"] = []
    try:
        jsonschema.validate(data, SCHEMA)
    except jsonschema.ValidationError:
        return
    raise AssertionError("a code flow without thread flows must not validate")


def test_findings_without_routes_have_no_code_flows() -> None:
    (result,) = _log(report(finding()))["runs"][0]["results"]
    assert "codeFlows" not in result


def test_sarif_code_flows_stop_at_githubs_budget() -> None:
    many = [
        route([hop(f"app.low.m{i}", "app.high.b", 1)]) for i in range(sarif.MAX_FLOW_LOCATIONS + 5)
    ]
    (result,) = _log(report(replace(CONTRACT, extra={"routes": many})))["runs"][0]["results"]
    assert len(result["codeFlows"]) == sarif.MAX_FLOW_LOCATIONS
    assert result["properties"]["codeFlowsLeftOut"] == 5
