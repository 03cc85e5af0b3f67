"""The step catalogue: its invariants, and the lists and defaults that derive from it."""

from __future__ import annotations

from typing import Any

import pytest

from archverify.core.config import STATIC_STEPS, STEP_ORDER, Config, ToolConfig
from archverify.core.config.errors import ConfigError
from archverify.core.config.fields import FieldReader
from archverify.core.config.locate import TomlLocator
from archverify.core.config.schema import TOP_LEVEL_KEYS, build_config
from archverify.core.steps import BY_ID, STEPS, StepOption, default


def _config(data: dict[str, Any]) -> Config:
    reader = FieldReader("pyproject.toml", TomlLocator(""), ("tool", "archverify"))
    return build_config(data, reader, "/root", "pyproject.toml", lambda path: None)


def test_the_runbook_order_and_the_static_steps_are_the_catalogues() -> None:
    assert STEP_ORDER == (
        "compile",
        "purity",
        "contracts",
        "ruff",
        "mypy",
        "boundaries",
        "snapshots",
        "cycles",
        "imports",
        "bandit",
        "tests",
    )
    assert STATIC_STEPS == ("compile", "purity", "contracts", "boundaries", "snapshots", "cycles")
    assert len(BY_ID) == len(STEPS)


def test_only_the_steps_that_run_something_have_a_priority_each_their_own() -> None:
    for spec in STEPS:
        assert (spec.priority is None) == spec.static, spec.id
    priorities = [spec.priority for spec in STEPS if spec.priority is not None]
    assert len(set(priorities)) == len(priorities)


def test_static_steps_run_no_project_code() -> None:
    assert {spec.id for spec in STEPS if spec.runs_project_code} == {"imports", "tests"}
    assert not any(spec.static and spec.runs_project_code for spec in STEPS)


def test_every_step_with_a_section_is_a_top_level_key_and_no_other_step() -> None:
    sections = {spec.id for spec in STEPS if spec.section != "none"}
    assert sections == set(STEP_ORDER) - {"compile"}
    assert sections <= TOP_LEVEL_KEYS
    assert "compile" not in TOP_LEVEL_KEYS


def test_a_choice_defaults_to_its_first_value() -> None:
    choices = [option for spec in STEPS for option in spec.options if option.kind == "choice"]
    assert choices
    for option in choices:
        assert option.default == option.choices[0]


def test_a_required_option_has_no_default_and_is_required() -> None:
    required = {(spec.id, o.key) for spec in STEPS for o in spec.options if o.required}
    assert required == {("boundaries", "name"), ("boundaries", "packages")}
    for spec in STEPS:
        for option in spec.options:
            assert (option.default is None) == option.required, (spec.id, option.key)
    with pytest.raises(ConfigError, match="missing required key 'packages'"):
        _config({"boundaries": [{"name": "x", "forbid_calls": ["open"]}]})


def test_without_a_section_each_tool_step_gets_its_filled_in_defaults() -> None:
    config = _config({})
    for spec in STEPS:
        if spec.section != "options":
            assert spec.id not in config.tools
            continue
        tool = config.tool(spec.id)
        assert tool.args == ()
        expected = {o.key: o.default for o in spec.options if o.filled and o.key != "args"}
        assert dict(tool.options) == expected, spec.id


def _toml_value(option: StepOption) -> Any:
    value = option.default
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("spec", [s for s in STEPS if s.section == "options"], ids=str)
def test_every_declared_default_is_a_value_the_schema_accepts(spec: Any) -> None:
    # Stating each default explicitly changes nothing but the options the step applies itself.
    table = {option.key: _toml_value(option) for option in spec.options}
    tool = _config({spec.id: table}).tool(spec.id)
    assert tool == ToolConfig(
        args=default(spec.id, "args") if "args" in table else (),
        options={o.key: o.default for o in spec.options if o.key != "args"},
    )


def test_an_unknown_key_of_a_step_lists_the_declared_keys() -> None:
    with pytest.raises(ConfigError) as caught:
        _config({"tests": {"timeout": 5}})
    assert str(caught.value) == (
        "pyproject.toml:0: tool.archverify.tests.timeout: unknown key (did you mean "
        "'timeout_s'? known keys: args, coverage_min, paths, timeout_s, workers)"
    )


def test_a_tool_timeout_left_out_stays_out_and_the_step_applies_the_default() -> None:
    from archverify.executors.tools.common import timeout_for
    from archverify.executors.tools.ruff import DEFAULT_TIMEOUT_S

    tool = _config({"ruff": {}}).tool("ruff")
    assert "timeout_s" not in tool.options
    assert timeout_for(tool, DEFAULT_TIMEOUT_S) == default("ruff", "timeout_s") == 600.0
    assert _config({"ruff": {"timeout_s": 5}}).tool("ruff").options == {"timeout_s": 5.0}


def test_the_public_default_names_are_the_catalogues_values() -> None:
    from archverify.core.config import DEFAULT_FORBIDDEN_CALLS, PurityConfig
    from archverify.core.snapshots import DEFAULT_FILE

    assert DEFAULT_FILE == default("snapshots", "file") == "contracts.snapshot.json"
    assert default("tests", "paths") == ("tests",)
    assert default("imports", "timeout_s") == 10.0
    assert BY_ID["bandit"].option("severity").choices == ("medium", "low", "high")
    timed = {s.id for s in STEPS for o in s.options if o.key == "timeout_s" and not o.filled}
    assert timed == {"ruff", "mypy", "bandit", "tests"}
    assert (
        PurityConfig().forbid_calls == DEFAULT_FORBIDDEN_CALLS == default("purity", "forbid_calls")
    )


def test_an_unknown_option_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        BY_ID["ruff"].option("severity")


def test_a_rule_s_step_is_its_family_s_owner_in_the_catalogue() -> None:
    from archverify.core.findings import Rule, Severity
    from archverify.core.steps import step_of_rule

    assert Rule("coverage/below-minimum", Severity.ERROR).step == "tests"
    assert Rule("purity/io-call", Severity.ERROR).step == "purity"
    # Families of the run, not of one step, stay themselves.
    assert step_of_rule("process/leftover") == "process"


@pytest.mark.parametrize(
    ("step_id", "key", "good", "bad"),
    [
        ("imports", "memory_mb", [1, 2048], [0, -1, 1.5, True, "1024"]),
        ("imports", "timeout_s", [0.5, 10], [0, "soon", float("nan"), float("inf")]),
        ("imports", "fork", [True, False], [1, "yes"]),
        ("tests", "coverage_min", [0, 85.5, 100], [-1, 101, False]),
        ("tests", "paths", [("tests",)], [(), ("tests", 1), "tests"]),
        ("bandit", "severity", ["low", "high"], ["LOW", 1]),
    ],
)
def test_an_option_accepts_what_its_declaration_allows(
    step_id: str, key: str, good: list[object], bad: list[object]
) -> None:
    option = BY_ID[step_id].option(key)
    assert all(option.accepts(value) for value in good)
    assert not any(option.accepts(value) for value in bad)
