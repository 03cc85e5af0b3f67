"""One module per report format, each declaring one ``ReportFormat`` that renders a report.

``FORMATS`` lists them; ``--format``, its help and the orchestrator's writer read it, so a new
format is its module plus one line here (and its docs and test: CONTRIBUTING.md).
"""

from __future__ import annotations

from archverify.processors.formats import github, html, json_report, junit, markdown, sarif, text
from archverify.processors.formats.base import RenderInputs, ReportFormat

# In the order ``--format`` help lists them.
FORMATS: dict[str, ReportFormat] = {
    f.name: f
    for f in (
        text.FORMAT,
        json_report.FORMAT,
        sarif.FORMAT,
        junit.FORMAT,
        markdown.FORMAT,
        html.FORMAT,
        github.FORMAT,
    )
}
DEFAULT_FORMAT = "text"  # what a run prints when no --format is given

__all__ = ["DEFAULT_FORMAT", "FORMATS", "RenderInputs", "ReportFormat"]
