"""SARIF 2.1.0: schema-valid, GitHub-ready, stable fingerprints, baselined results kept."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from archverify.processors.formats import sarif
from tests.helpers.sample_reports import clean_report, finding, nasty_report, sample_report

_VENDORED = json.loads(
    (Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text("utf-8")
)
# This copy keeps the log's own shape under definitions/Root and states nothing at the top, so
# validating against the file as it is would accept anything: point at Root explicitly.
SCHEMA = {**_VENDORED, "$ref": "#/definitions/Root"}


def _log(report: Any, **kwargs: Any) -> dict[str, Any]:
    text = sarif.render(report, **kwargs)
    data: dict[str, Any] = json.loads(text)
    jsonschema.validate(data, SCHEMA)
    return data


@pytest.mark.parametrize("make", [sample_report, clean_report, nasty_report])
def test_every_report_is_schema_valid(make: Any) -> None:
    data = _log(make())
    assert data["version"] == "2.1.0"
    assert len(data["runs"]) == 1


def test_schema_validation_catches_a_broken_log() -> None:
    data = _log(sample_report())
    data["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_driver_rules_and_rule_index_agree() -> None:
    run = _log(sample_report())["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "archverify"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted(set(ids))
    assert "mypy/arg-type" in ids  # baselined findings keep their rule
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels["contracts/unmatched"] == "warning"
    assert levels["ruff/F401"] == "note"


def test_result_location_message_and_level() -> None:
    run = _log(sample_report())["runs"][0]
    first = next(r for r in run["results"] if r["ruleId"] == "purity/io-call")
    assert first["level"] == "error"
    assert first["message"]["text"].endswith("Hint: pass the data in instead of reading it")
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "src/pkg/core/model.py",
        "uriBaseId": "%SRCROOT%",
    }
    assert physical["region"] == {"startLine": 12, "startColumn": 5}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///work/project/"


def test_finding_without_path_has_no_location_unless_anchored() -> None:
    report = sample_report()
    loose = _log(report)["runs"][0]["results"]
    unmatched = next(r for r in loose if r["ruleId"] == "contracts/unmatched")
    assert "locations" not in unmatched
    anchored = _log(report, anchor_path="pyproject.toml")["runs"][0]["results"]
    # GitHub refuses the whole upload if any result has no location.
    assert all(r["locations"] for r in anchored)
    moved = next(r for r in anchored if r["ruleId"] == "contracts/unmatched")
    assert moved["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pyproject.toml"


def test_line_zero_gives_no_region_and_column_zero_no_start_column() -> None:
    report = clean_report()
    report.findings = [finding(line=0, column=0), finding(path="b.py", line=4, column=0)]
    results = _log(report)["runs"][0]["results"]
    assert "region" not in results[0]["locations"][0]["physicalLocation"]
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 4}


def test_uri_is_percent_encoded_relative_path() -> None:
    results = _log(nasty_report())["runs"][0]["results"]
    uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "src/p%2Ck%3Ag/we%20ird%25.py"


def test_fingerprint_ignores_line_but_not_message_rule_or_path() -> None:
    def key(f: Any) -> str:
        report = clean_report()
        report.findings = [f]
        result = _log(report)["runs"][0]["results"][0]
        value: str = result["partialFingerprints"][sarif.FINGERPRINT_KEY]
        return value

    base = finding()
    assert key(base) == key(replace(base, line=99, column=1))
    assert key(base) != key(replace(base, message="other"))
    assert key(base) != key(replace(base, rule="purity/other"))
    assert key(base) != key(replace(base, path="src/other.py"))


def test_baselined_results_are_unchanged_and_suppressed() -> None:
    results = _log(sample_report())["runs"][0]["results"]
    states = {r["ruleId"]: r["baselineState"] for r in results}
    assert states["mypy/arg-type"] == "unchanged"
    assert states["purity/io-call"] == "new"
    old = next(r for r in results if r["ruleId"] == "mypy/arg-type")
    assert old["suppressions"][0]["status"] == "accepted"
    assert all("suppressions" not in r for r in results if r["baselineState"] == "new")


def test_invocation_reports_step_errors() -> None:
    invocation = _log(sample_report())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    levels = [n["level"] for n in invocation["toolExecutionNotifications"]]
    assert "step mypy could not run: mypy crashed: INTERNAL ERROR" in texts
    assert levels.count("error") == 1
    clean = _log(clean_report())["runs"][0]["invocations"][0]
    assert clean == {"executionSuccessful": True}


def test_rule_docs_fill_help_and_descriptions() -> None:
    doc = "# purity/io-call\n\nA pure package must not do I/O.\n\nMore text."
    rules = _log(sample_report(), rule_docs={"purity/io-call": doc})["runs"][0]["tool"]["driver"][
        "rules"
    ]
    rule = next(r for r in rules if r["id"] == "purity/io-call")
    assert rule["help"] == {"text": doc, "markdown": doc}
    assert rule["shortDescription"]["text"] == "A pure package must not do I/O."
    other = next(r for r in rules if r["id"] == "ruff/F401")
    assert "help" not in other
    assert other["shortDescription"]["text"]  # GitHub shows it at the top of the alert


# Determinism between runs (hash seeds) is proved by tests/golden, in two fresh interpreters.


def test_relative_root_does_not_crash() -> None:
    report = sample_report(root="relative/dir")
    run = _log(report)["runs"][0]
    assert "originalUriBaseIds" not in run


def test_a_cut_is_related_locations_after_those_already_there() -> None:
    imports = [
        {"importer": "pkg.low.a", "imported": "pkg.high.b", "path": "src/pkg/low/a.py", "line": 3},
        {"importer": "pkg.low.c", "imported": "pkg.high.b", "path": "src/pkg/low/c.py", "line": 9},
    ]
    cut = {"method": "min-cut", "exact": True, "size": 2, "lower_bound": 2, "imports": imports}
    noted = replace(finding(step="contracts", rule="contracts/cut"), extra={"cut": cut})
    result = sarif._result(noted, {"contracts/cut": 0}, "new", "")
    assert [(r["id"], r["message"]["text"]) for r in result["relatedLocations"]] == [
        (0, "remove this import (pkg.low.a -> pkg.high.b)"),
        (1, "remove this import (pkg.low.c -> pkg.high.b)"),
    ]
    region = result["relatedLocations"][1]["physicalLocation"]["region"]
    assert region == {"startLine": 9}
    assert result["properties"]["cut"] == {
        "method": "min-cut",
        "exact": True,
        "size": 2,
        "lower_bound": 2,
    }
    before = {"relatedLocations": [{"id": 0}], "properties": {}}
    sarif._add_cut(before, noted)
    assert [r["id"] for r in before["relatedLocations"]] == [0, 1, 2]
    report = replace(clean_report(), findings=[noted])
    (logged,) = _log(report)["runs"][0]["results"]
    assert len(logged["relatedLocations"]) == 2


def test_existing_results_are_unchanged_without_a_suppression() -> None:
    report = sample_report()
    old = finding("ruff", "ruff/F401", "app/old.py", 3)
    changed = replace(
        report, existing=[old], summary={**report.summary, "changed_since": {"ref": "HEAD"}}
    )
    results = _log(changed)["runs"][0]["results"]
    [existing] = [r for r in results if r.get("properties", {}).get("change")]
    assert existing["baselineState"] == "unchanged"
    assert existing["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/old.py"
    assert "suppressions" not in existing
