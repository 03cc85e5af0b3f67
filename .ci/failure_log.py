"""A pytest plugin for CI: the traceback of every failing test, appended to a file.

archverify's tests step reports a failing test by name, file, line and the first line of its
message; a log also needs the traceback. ``.ci/with_tracebacks`` (what ``make test`` runs)
loads this plugin into the one test session that archverify's tests step starts
(``PYTEST_PLUGINS=failure_log``, this folder on ``PYTHONPATH``) and prints the file when the
run fails: the suite still runs once.
"""

from __future__ import annotations

import os

import pytest

_FILE = os.environ.pop("ARCHVERIFY_CI_FAILURES", "")
_HERE = os.path.dirname(os.path.abspath(__file__))

# Loaded by the top test session only: the test sessions that archverify's own tests start (on
# fixture projects, some failing on purpose) inherit neither the plugin nor this folder, so they
# see the environment a run outside CI gives them.
if os.environ.get("PYTEST_PLUGINS") == __name__:
    del os.environ["PYTEST_PLUGINS"]
_PATH = [
    entry
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if entry and os.path.abspath(entry) != _HERE
]
if _PATH:
    os.environ["PYTHONPATH"] = os.pathsep.join(_PATH)
else:
    os.environ.pop("PYTHONPATH", None)


def _write(nodeid: str, when: str, text: str) -> None:
    if not _FILE:
        return
    with open(_FILE, "a", encoding="utf-8") as out:
        out.write(f"{'_' * 20} {nodeid} ({when}) {'_' * 20}\n{text}\n\n")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _write(report.nodeid, report.when, report.longreprtext)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _write(report.nodeid or "collection", "collect", report.longreprtext)
