"""The JSON report: the machine-readable contract that users' scripts parse.

Schema 1 is public. Later versions may add keys, never remove or rename one. Output is
deterministic: the same tree gives byte-identical JSON apart from ``duration_s``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from archverify.core.findings import Finding
from archverify.core.project import printable_path
from archverify.core.report import RunReport
from archverify.processors.formats.base import ReportFormat, report_only

SCHEMA_VERSION = 1


def report_to_dict(report: RunReport) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "errors": report.errors,
        "warnings": report.warnings,
        **{k: v for k, v in sorted(report.summary.items()) if k not in ("errors", "warnings")},
    }
    if report.baselined:
        summary["baselined"] = len(report.baselined)
    changed = "changed_since" in report.summary
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "tool": report.tool,
        "version": report.version,
        # The root folder's name may not be valid UTF-8: shown escaped, never a crash.
        "root": printable_path(report.root),
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
        "findings": [_finding(finding, "new", changed) for finding in report.findings],
        "summary": summary,
        # What the run could not verify or had nothing to check (skipped files, shadowed
        # modules when compile did not run, no rules): a script must see it too.
        "notices": list(report.notices),
    }
    if changed:
        # --changed-since: the findings the change did not reach (they do not fail the run).
        data["existing"] = [_finding(finding, "existing", changed) for finding in report.existing]
    return data


def _finding(finding: Finding, change: str, changed: bool) -> dict[str, Any]:
    """A finding's record; under ``--changed-since`` with ``"change": "new"`` or ``"existing"``."""
    record = finding.to_dict()
    if changed:
        record["change"] = change
    return record


# ``ensure_ascii=False`` keeps names readable, but leaves these raw: DEL and C1 controls (a
# terminal may act on them), lone surrogates (an undecodable file name: they cannot be encoded to
# UTF-8 at all) and the line separators. They only occur inside strings, so spelling them as
# JSON escapes is lossless: a reader decodes exactly the original text.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\ud800-\udfff\u2028\u2029]")


def _ascii_controls(text: str) -> str:
    # "##[" anywhere in a CI log line is a workflow command to GitHub's runner; it can only
    # stand inside a JSON string, where "\u005b" reads back as the same "[".
    escaped = _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return escaped.replace("##[", "##\\u005b")


def render(report: RunReport) -> str:
    """Indented JSON, one finding per line.

    ``indent`` makes ``json`` fall back to its pure-Python encoder, which takes a third of a
    second on a few thousand findings; each finding is encoded compactly by the C encoder
    instead, and the document stays valid JSON that reads well in a diff.
    """
    data = report_to_dict(report)
    findings = data.pop("findings")
    head = _ascii_controls(json.dumps(data, indent=2, ensure_ascii=False))
    rows = ",\n".join("    " + _ascii_controls(json.dumps(f, ensure_ascii=False)) for f in findings)
    body = f'"findings": [\n{rows}\n  ]' if rows else '"findings": []'
    # Put "findings" back where the schema documents it: after "steps", before "summary".
    before, _, after = head.rpartition(',\n  "summary": ')
    return f'{before},\n  {body},\n  "summary": {after}\n'


FORMAT = ReportFormat(
    name="json",
    description="scripts: the public contract, schema 1",
    suffix=".json",
    render=report_only(render),
)
