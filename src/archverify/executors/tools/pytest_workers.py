"""A pytest plugin the tests step loads with pytest-xdist workers
(``-p archverify.executors.tools.pytest_workers``): each worker measures its own coverage, and
starts the way the session itself did.

Under ``coverage run -m pytest -n N`` coverage measures the controller only, which loads the
plugins and the conftest files but runs no test. So each worker starts a ``Coverage`` of its own
when this module is imported (before the project's plugins and conftest files are loaded), with
the session's ``--source`` (``ARCHVERIFY_WORKER_COVERAGE_SOURCE``) and the project's coverage
configuration, and saves it when its session ends to ``<ARCHVERIFY_WORKER_COVERAGE>.<worker>``;
the tests step combines those files with the controller's before it totals them, so the figure
is a one-process run's. The affected-tests plugin's dynamic contexts are switched on the
worker's ``Coverage`` (``Coverage.current()``), so a worker's data says which test module ran
which line as a one-process session's does.

The workers start in isolated mode (``-I -B``, as the tools' launcher starts the session: no
file of the project can stand in for pytest, xdist or coverage), and xdist hands them the
controller's ``sys.path`` as it was when the launcher had put the project's folders on it.
Nothing happens unless ``ARCHVERIFY_WORKER_COVERAGE`` is set.
"""

from __future__ import annotations

import importlib
import os
import shlex
import sys
from typing import Any

import pytest

WORKER_COVERAGE_VARIABLE = "ARCHVERIFY_WORKER_COVERAGE"
SOURCE_VARIABLE = "ARCHVERIFY_WORKER_COVERAGE_SOURCE"
# The controller's pid: a worker is a process xdist started (PYTEST_XDIST_WORKER) whose parent
# is that controller, not a pytest that a test started inside a worker (which inherits both).
CONTROLLER_VARIABLE = "ARCHVERIFY_XDIST_CONTROLLER"

# The launcher has put the project's folders first by the time pytest imports this plugin.
_START_PATH = list(sys.path)
_running: list[Any] = []


def is_worker() -> bool:
    """Whether this process is one of the session's xdist workers."""
    return bool(os.environ.get("PYTEST_XDIST_WORKER")) and os.environ.get(
        CONTROLLER_VARIABLE
    ) == str(os.getppid())


def _start_coverage(target: str) -> None:
    import coverage

    source = os.environ.get(SOURCE_VARIABLE)
    measured = coverage.Coverage(
        data_file=target,
        data_suffix=os.environ["PYTEST_XDIST_WORKER"],
        source=source.split(",") if source else None,
    )
    measured.start()
    _running.append(measured)


if os.environ.get(WORKER_COVERAGE_VARIABLE):
    if is_worker():
        _start_coverage(os.environ[WORKER_COVERAGE_VARIABLE])
    else:
        os.environ[CONTROLLER_VARIABLE] = str(os.getpid())


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """In the controller: local workers start isolated, with the session's ``sys.path``."""
    if is_worker() or not os.environ.get(WORKER_COVERAGE_VARIABLE):
        return
    try:
        plugin = importlib.import_module("xdist.plugin")
    except ImportError:
        return
    frozen = getattr(plugin, "_sys_path", None)
    specs = getattr(config.option, "tx", None)
    # xdist gives local workers the copy of sys.path it took when it was imported (before the
    # launcher added the project's folders); without that copy to update, the workers keep
    # xdist's own way of starting (PYTHONPATH, the working directory first).
    if not isinstance(frozen, list) or not isinstance(specs, list):
        return
    frozen[:] = _START_PATH
    python = f"{shlex.quote(sys.executable)} -I"
    config.option.tx = [
        f"popen//python={python}//dont_write_bytecode" if spec == "popen" else spec
        for spec in specs
    ]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a worker: the data is saved before xdist tells the controller the worker is done."""
    while _running:
        measured = _running.pop()
        measured.stop()
        measured.save()
