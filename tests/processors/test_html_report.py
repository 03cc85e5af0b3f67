"""HTML report: self-contained, escaped, findings anchored per file, picture embedded."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from archverify.core.findings import StepOutcome, StepStatus
from archverify.core.report import RunReport
from archverify.processors.formats import html as html_report
from archverify.processors.formats.architecture_layout import build_layout
from archverify.processors.formats.architecture_svg import render_svg
from archverify.processors.formats.common import file_anchor, finding_anchor
from tests.helpers import sample_project
from tests.helpers.sample_reports import clean_report, nasty_report, sample_report


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.scripts = 0
        self.remote: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(values["id"] or "")
        if values.get("href"):
            self.hrefs.append(values["href"] or "")
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if (values.get(key) or "").startswith(("http:", "https:", "//")):
                self.remote.append(values[key] or "")


def _parse(text: str) -> _Collect:
    collector = _Collect()
    collector.feed(text)
    return collector


def test_script_in_a_message_is_escaped() -> None:
    text = html_report.render(nasty_report())
    assert '<script>alert("x")</script>' not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    # only our own filter script, no injected one
    assert _parse(text).scripts == 1


def test_self_contained_without_network() -> None:
    project = sample_project.project()
    layout = build_layout(project, sample_project.config(), sample_project.findings())
    text = html_report.render(sample_report(), render_svg(layout))
    parsed = _parse(text)
    assert parsed.remote == []
    assert "@import" not in text and "url(http" not in text
    assert "<style>" in text and "<svg" in text


def test_findings_grouped_per_file_with_anchors() -> None:
    report = sample_report()
    parsed = _parse(html_report.render(report))
    assert file_anchor("src/pkg/core/model.py") in parsed.ids
    assert file_anchor("") in parsed.ids  # project-wide findings get a section too
    for finding in report.findings:
        assert finding_anchor(finding) in parsed.ids
    assert len(parsed.ids) == len(set(parsed.ids))


def test_baselined_findings_in_a_collapsed_section_without_anchors() -> None:
    report = sample_report()
    text = html_report.render(report)
    assert "<details><summary>Accepted by the baseline</summary>" in text
    assert finding_anchor(report.baselined[0]) not in _parse(text).ids


def test_step_table_and_verdict() -> None:
    text = html_report.render(sample_report())
    assert '<header class="failed"><h1>archverify failed</h1>' in text
    assert re.search(r'<tr class="error"><td>mypy</td><td class="status">error</td>', text)
    assert "mypy crashed: INTERNAL ERROR" in text
    clean = html_report.render(clean_report())
    assert '<header class="passed">' in clean and "<script>" not in clean


def test_picture_links_resolve_to_findings_in_the_page() -> None:
    findings = sample_project.findings()
    report = clean_report()
    report.findings = sorted(findings, key=lambda f: f.sort_key())
    layout = build_layout(sample_project.project(), sample_project.config(), findings)
    parsed = _parse(html_report.render(report, render_svg(layout)))
    links = [h[1:] for h in parsed.hrefs if h.startswith("#")]
    assert links
    assert set(links) <= set(parsed.ids)


def test_a_passing_page_says_what_the_run_checked_as_text_and_markdown_do() -> None:
    stats = {"contracts_kept": 4}
    steps = [StepOutcome("contracts", StepStatus.PASSED, duration_s=0.1, stats=stats)]
    page = html_report.render(RunReport("archverify", "0.1.0", "/work/project", steps, []))
    assert "0 errors, 0 warnings; checked: 4 contracts kept" in page
