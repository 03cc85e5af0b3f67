"""The test matrix: one session per supported Python, one at the dependency floors.

``pip install nox`` (or ``pip install -e '.[nox]'``), then ``nox -l`` to list the sessions,
``nox -s tests-3.12`` to run one, ``nox -s floors -- tests/executors`` to pass pytest arguments.
"""

from __future__ import annotations

import glob
import os

import nox

# Every Python that pyproject's ``requires-python`` and classifiers promise; archverify promises
# identical output on each of them (core/public_api text, report bytes).
PYTHONS = ["3.11", "3.12", "3.13"]

# The lowest version of each dependency that pyproject accepts: archverify parses the output of
# these tools, so their oldest supported release must pass too. Keep in step with
# [project] dependencies (a raised floor is a CHANGELOG line).
FLOORS = [
    "ruff==0.5.0",
    "mypy==1.10.0",
    "bandit==1.7.9",
    "pytest==8.0.0",
    "coverage==7.4.0",
    "tomlkit==0.12.0",
]

# The tests that read the tools' own output: what breaks first when a floor is wrong.
FLOOR_TESTS = [
    "tests/executors/test_ruff_step.py",
    "tests/executors/test_mypy_step.py",
    "tests/executors/test_bandit_step.py",
    "tests/executors/test_tests_step.py",
    "tests/integration/test_broken_example.py",
]

nox.options.sessions = ["tests", "floors"]
nox.options.error_on_missing_interpreters = False


def _add_pyenv_interpreters() -> None:
    """Put pyenv's installed versions on PATH, so that ``python3.12`` resolves without shims."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin")), reverse=True)
    if found:
        os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *found])


_add_pyenv_interpreters()


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite (or the pytest arguments given after ``--``) on one Python."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=PYTHONS[0])
def floors(session: nox.Session) -> None:
    """The tool parsers' tests with every runtime dependency at its lowest accepted version."""
    session.install("-e", ".[dev]", *FLOORS)
    session.run("python", "-m", "pip", "list", silent=False)
    session.run(
        "python", "-m", "pytest", "-p", "no:cacheprovider", *(session.posargs or FLOOR_TESTS)
    )
