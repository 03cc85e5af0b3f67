"""The JSON report: the machine-readable contract that users' scripts parse.

Schema 1 is public. Later versions may add keys, never remove or rename one. Output is
deterministic: the same tree gives byte-identical JSON apart from ``duration_s``.
"""

from __future__ import annotations

import json
from typing import Any

from archverify.core.report import RunReport

SCHEMA_VERSION = 1


def report_to_dict(report: RunReport) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "errors": report.errors,
        "warnings": report.warnings,
        **{k: v for k, v in sorted(report.summary.items()) if k not in ("errors", "warnings")},
    }
    if report.baselined:
        summary["baselined"] = len(report.baselined)
    return {
        "schema": SCHEMA_VERSION,
        "tool": report.tool,
        "version": report.version,
        "root": report.root,
        "steps": [
            {
                "id": step.step,
                "status": step.status.value,
                "findings": len(step.findings),
                "duration_s": round(step.duration_s, 3),
                "cached": step.cached,
                "message": step.message,
                "stats": step.stats,
            }
            for step in report.steps
        ],
        "findings": [finding.to_dict() for finding in report.findings],
        "summary": summary,
    }


def render(report: RunReport) -> str:
    """Indented JSON, one finding per line.

    ``indent`` makes ``json`` fall back to its pure-Python encoder, which takes a third of a
    second on a few thousand findings; each finding is encoded compactly by the C encoder
    instead, and the document stays valid JSON that reads well in a diff.
    """
    data = report_to_dict(report)
    findings = data.pop("findings")
    head = json.dumps(data, indent=2, ensure_ascii=False)
    rows = ",\n".join("    " + json.dumps(f, ensure_ascii=False) for f in findings)
    body = f'"findings": [\n{rows}\n  ]' if rows else '"findings": []'
    # Put "findings" back where the schema documents it: after "steps", before "summary".
    before, _, after = head.rpartition(',\n  "summary": ')
    return f'{before},\n  {body},\n  "summary": {after}\n'

