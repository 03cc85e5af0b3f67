"""Validating the archverify table: every error names its key and its line (no disk).

Validation is pure (``core.config.schema.build_config`` over a ``FieldReader`` that locates keys
in the text), so each case is a TOML text, the file it stands for, and the error it must give.
Errors of reading and parsing the file itself stay in tests/orchestrator/test_config_loader.py.
"""

from __future__ import annotations

import tomllib
from typing import Any, NamedTuple

import pytest

from archverify.core.config.errors import ConfigError
from archverify.core.config.fields import FieldReader
from archverify.core.config.locate import TomlLocator
from archverify.core.config.schema import build_config

PYPROJECT = "pyproject.toml"


def validation_error(body: str, file: str = PYPROJECT) -> ConfigError:
    """The error of validating ``body`` as ``file`` (pyproject.toml: its [tool.archverify])."""
    base = ("tool", "archverify") if file == PYPROJECT else ()
    table: Any = tomllib.loads(body)
    for key in base:
        table = table.get(key, {})
    reader = FieldReader(file, TomlLocator(body), base)
    with pytest.raises(ConfigError) as caught:
        build_config(table, reader, "/project", file, lambda relative: None)
    return caught.value


class Case(NamedTuple):
    body: str
    line: int
    # Each check is (how, text): the message equals, starts with or contains the text.
    checks: tuple[tuple[str, str], ...]
    file: str = PYPROJECT


def _has(*texts: str) -> tuple[tuple[str, str], ...]:
    return tuple(("in", text) for text in texts)


_CONTRACT = '[[tool.archverify.contracts]]\nname = "a"\ntype = "independence"\nmodules = []\n'
_ONE = '[[tool.archverify.contracts]]\nname = "a"\ntype = "independence"\nmodules = ["a"]\n'

CASES = {
    "unknown key in a sub-table": Case(
        '[tool.archverify]\n\n[tool.archverify.purity]\npackages = ["a"]\nforbid_call = []\n',
        5,
        (("startswith", "tool.archverify.purity.forbid_call: unknown key"),),
    ),
    "unknown key in archverify.toml has no tool prefix": Case(
        "[purity]\nallow_main = true\n",
        2,
        (("startswith", "purity.allow_main: unknown key"),),
        file="archverify.toml",
    ),
    "a list expected": Case(
        '[tool.archverify]\n\npackages = "app"\n',
        3,
        (("==", "tool.archverify.packages: must be a list of strings, got a string"),),
    ),
    "a wrong type inside a list": Case(
        '[tool.archverify.purity]\nforbid_calls = ["open", 3]\n',
        2,
        _has("tool.archverify.purity.forbid_calls", "an integer"),
    ),
    "a wrong type for a dotted key written inline": Case(
        "[tool.archverify]\nsteps = []\npurity.allow_main_block = 1\n",
        3,
        _has("tool.archverify.purity.allow_main_block: must be true or false"),
    ),
    "a wrong type for a table": Case(
        '[tool.archverify]\nsteps = []\npurity = "yes"\n',
        3,
        (("==", "tool.archverify.purity: must be a table, got a string"),),
    ),
    "an unknown step, at the item's own line inside a multi-line list": Case(
        '[tool.archverify]\nsteps = [\n  "compile",\n  "compyle",\n]\n',
        4,
        _has("tool.archverify.steps: unknown step 'compyle'"),
    ),
    "a bad severity": Case(
        '[tool.archverify.bandit]\nargs = []\nseverity = "extreme"\n',
        3,
        _has("tool.archverify.bandit.severity: must be one of medium, low, high"),
    ),
    "an unknown bandit engine": Case(
        '[tool.archverify.bandit]\nengine = "semgrep"\n',
        2,
        _has("tool.archverify.bandit.engine: must be one of bandit, ruff"),
    ),
    "coverage_min above 100": Case(
        "[tool.archverify.tests]\ncoverage_min = 101\n", 2, _has("between 0 and 100")
    ),
    "coverage_min below 0": Case(
        "[tool.archverify.tests]\ncoverage_min = -1\n", 2, _has("between 0 and 100")
    ),
    "coverage_min a string": Case(
        '[tool.archverify.tests]\ncoverage_min = "90"\n',
        2,
        _has("must be a number, got a string"),
    ),
    "coverage_min a boolean": Case(
        "[tool.archverify.tests]\ncoverage_min = true\n",
        2,
        _has("must be a number, got a boolean"),
    ),
    "workers zero": Case(
        "[tool.archverify.tests]\nworkers = 0\n", 2, _has("tests.workers: must be between 1")
    ),
    "workers a word other than auto": Case(
        '[tool.archverify.tests]\nworkers = "many"\n',
        2,
        _has("tests.workers: must be a whole number or \"auto\", got 'many'"),
    ),
    "workers a float": Case(
        "[tool.archverify.tests]\nworkers = 2.5\n", 2, _has("must be a whole number, got 2.5")
    ),
    "workers a boolean": Case(
        "[tool.archverify.tests]\nworkers = true\n", 2, _has("must be a number, got a boolean")
    ),
    "timeout_s zero": Case("[tool.archverify.imports]\ntimeout_s = 0\n", 2, _has("greater than 0")),
    "timeout_s negative": Case(
        "[tool.archverify.imports]\ntimeout_s = -2.5\n", 2, _has("greater than 0")
    ),
    "an unknown key in a tool section": Case(
        "[tool.archverify.imports]\nargs = []\n",
        2,
        _has("tool.archverify.imports.args: unknown key"),
    ),
    "an absolute source root": Case(
        '[tool.archverify]\nsource_roots = ["/abs/src"]\n', 2, _has("relative path")
    ),
    "a source root above the root": Case(
        '[tool.archverify]\nsource_roots = ["../outside"]\n', 2, _has("relative path")
    ),
    "a package name that is not a dotted name": Case(
        '[tool.archverify]\npackages = ["my-app"]\n',
        2,
        _has("'my-app' is not a dotted module name"),
    ),
    "an unknown contract key, at its line in the second element": Case(
        "[[tool.archverify.contracts]]\n"
        'name = "a"\ntype = "independence"\nmodules = ["x", "y"]\n'
        "\n[[tool.archverify.contracts]]\n"
        'name = "b"\ntype = "forbidden"\nsource_modules = ["x"]\nforbidden_modules = ["y"]\n'
        "layers = []\n",
        11,
        (("startswith", "tool.archverify.contracts[1].layers: unknown key"),),
    ),
    "a contract without a required key": Case(
        '[[tool.archverify.contracts]]\nname = "a"\ntype = "layers"\n',
        1,
        _has("tool.archverify.contracts[0]: missing required key 'layers'"),
    ),
    "an unknown contract type": Case(
        '[[tool.archverify.contracts]]\nname = "a"\ntype = "layered"\n',
        3,
        _has("tool.archverify.contracts[0].type: must be one of layers"),
    ),
    "a bad alerting value": Case(
        _CONTRACT + 'unmatched_ignore_imports_alerting = "loud"\n',
        5,
        _has("must be one of error, warn, none"),
    ),
    "a contract boolean that is a string": Case(
        _CONTRACT + 'include_type_checking_imports = "yes"\n', 5, _has("must be true or false")
    ),
    "a duplicate contract name": Case(_ONE + _ONE, 6, _has("duplicate contract name 'a'")),
    "contracts that are not an array of tables": Case(
        '[tool.archverify]\ncontracts = ["a"]\n', 2, _has("must be an array of tables")
    ),
    "a boundary without packages": Case(
        '[[tool.archverify.boundaries]]\nname = "b"\nforbid_calls = []\n',
        1,
        _has("tool.archverify.boundaries[0]: missing required key 'packages'"),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_validation_error_names_its_key_and_line(name: str) -> None:
    case = CASES[name]
    error = validation_error(case.body, case.file)
    assert (error.path, error.line) == (case.file, case.line)
    for how, text in case.checks:
        if how == "==":
            assert error.message == text
        elif how == "startswith":
            assert error.message.startswith(text)
        else:
            assert how == "in"
            assert text in error.message


def test_an_unknown_top_level_key_suggests_the_close_one() -> None:
    error = validation_error('[tool.archverify]\npackages = ["app"]\npackagez = ["x"]\n')
    assert error.line == 3
    assert error.path == "pyproject.toml"
    assert "tool.archverify.packagez: unknown key" in error.message
    assert "did you mean 'packages'" in error.message
    assert str(error).startswith("pyproject.toml:3: tool.archverify.packagez")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e300", "86400.5", "0"])
def test_no_timeout_turns_a_gate_off_or_overflows(value: str) -> None:
    for step in ("ruff", "mypy", "bandit", "tests", "imports"):
        error = validation_error(f"[{step}]\ntimeout_s = {value}\n", "archverify.toml")
        assert error.line == 2 and f"{step}.timeout_s: must be" in error.message


def _tests_options(body: str) -> dict[str, Any]:
    """The tests step's options read from ``body`` as archverify.toml."""
    reader = FieldReader("archverify.toml", TomlLocator(body), ())
    config = build_config(
        tomllib.loads(body), reader, "/project", "archverify.toml", lambda _: None
    )
    return dict(config.tool("tests").options)


@pytest.mark.parametrize(("text", "value"), [("2", 2), ('"auto"', "auto"), ("1", 1)])
def test_tests_workers_are_a_count_or_auto(text: str, value: object) -> None:
    assert _tests_options(f"[tests]\nworkers = {text}\n")["workers"] == value


def test_tests_workers_stay_absent_when_not_given() -> None:
    # Absent from the options, so the tests step's cache keys are those of before the key.
    assert "workers" not in _tests_options("[tests]\ncoverage_min = 1\n")
