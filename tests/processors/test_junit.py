"""JUnit XML: one case per step, failures list error findings, everything escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from archverify.processors.formats import junit
from tests.helpers.sample_reports import NASTY, clean_report, finding, nasty_report, sample_report


def _cases(text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "archverify"
    return {case.get("name", ""): case for case in suite.iter("testcase")}


def test_one_case_per_step_with_classname_and_time() -> None:
    cases = _cases(junit.render(sample_report()))
    assert list(cases) == ["compile", "purity", "contracts", "ruff", "mypy", "bandit"]
    assert cases["purity"].get("classname") == "archverify.purity"
    assert cases["purity"].get("time") == "0.250"


def test_failure_lists_error_findings_only() -> None:
    cases = _cases(junit.render(sample_report()))
    failure = cases["purity"].find("failure")
    assert failure is not None
    assert failure.get("message") == "2 errors"
    lines = (failure.text or "").splitlines()
    assert lines[0].startswith("src/pkg/core/model.py:12:5 purity/io-call call to builtins.open")
    assert lines[1] == "src/pkg/core/model.py:30:1 purity/io-call call to json.load"
    contracts = cases["contracts"]
    failure = contracts.find("failure")
    assert failure is not None and "contracts/unmatched" not in (failure.text or "")
    out = contracts.find("system-out")
    assert out is not None and "(project) contracts/unmatched (warning)" in (out.text or "")
    # a note alone does not fail the step
    assert cases["ruff"].find("failure") is None


def test_error_and_skipped_steps() -> None:
    text = junit.render(sample_report())
    cases = _cases(text)
    error = cases["mypy"].find("error")
    assert error is not None and error.get("message") == "mypy crashed: INTERNAL ERROR"
    skipped = cases["bandit"].find("skipped")
    assert skipped is not None and skipped.get("message") == "bandit is not installed"
    assert cases["compile"].find("failure") is None and cases["compile"].find("error") is None
    suite = ET.fromstring(text).find("testsuite")
    assert suite is not None
    counts = [suite.get(key) for key in ("tests", "failures", "errors", "skipped")]
    assert counts == ["6", "2", "1", "1"]


def test_nasty_text_is_escaped_and_well_formed() -> None:
    text = junit.render(nasty_report())
    assert "\x1b" not in text
    case = _cases(text)["boundaries"]
    error = case.find("error")
    assert error is not None
    assert '<script>alert("x")</script>' in (error.get("message") or "")
    assert "\\x1b[31m" in (error.get("message") or "")
    failure = case.find("failure")
    assert failure is not None and NASTY.split("\r")[0] in (failure.text or "")


def test_finding_of_unlisted_step_still_fails() -> None:
    report = clean_report()
    report.findings = [finding(step="cycles", rule="cycles/cycle")]
    cases = _cases(junit.render(report))
    assert cases["cycles"].find("failure") is not None


def test_clean_report_has_no_failures() -> None:
    suite = ET.fromstring(junit.render(clean_report())).find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and suite.get("errors") == "0"
