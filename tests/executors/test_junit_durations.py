"""Each test module's seconds from pytest's JUnit XML (``JUnitResults.module_seconds``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archverify.executors.tools.junit_results import read_junit
from tests.helpers.tree import write_tree

# pytest's xunit1 report: ``time`` is a case's setup, call and teardown together.
REPORT = """\
<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="4" time="3.5">
<testcase classname="tests.test_a" name="test_one" file="tests/test_a.py" line="1" time="1.250"/>
<testcase classname="tests.test_a" name="test_two" file="tests/test_a.py" line="5" time="0.5">
<failure message="assert False">tests/test_a.py:6: AssertionError</failure></testcase>
<testcase classname="test_b" name="test_b" file="test_b.py" line="0" time="2"/>
<testcase classname="tests.test_c" name="test_c" file="tests/test_c.py" line="0" time="nan?"/>
</testsuite></testsuites>
"""


def test_each_modules_cases_are_summed_under_its_path_from_the_root(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "p",
        {"tests/test_a.py": "", "tests/test_b.py": "", "tests/test_c.py": ""},
    )
    report = tmp_path / "junit.xml"
    report.write_text(REPORT, "utf-8")
    results = read_junit(report, root, ["tests"])
    # test_b.py is named relative to pytest's rootdir (the test path): found under it.
    assert results.module_seconds == {
        "tests/test_a.py": pytest.approx(1.75),
        "tests/test_b.py": 2.0,
        "tests/test_c.py": 0.0,
    }
    assert results.tests == 4 and len(results.failed) == 1
