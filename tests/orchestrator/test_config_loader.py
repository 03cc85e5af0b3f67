"""Loading and validating [tool.archverify]: sources, every key, every error with its line."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archverify.core.config import DEFAULT_FORBIDDEN_CALLS, STEP_ORDER, Config
from archverify.orchestrator.config.loader import (
    ConfigError,
    config_error,
    layout_note,
    load_config,
)


def _pyproject(tmp_path: Path, body: str) -> Config:
    (tmp_path / "pyproject.toml").write_text(body, encoding="utf-8")
    return load_config(tmp_path)


def _error(tmp_path: Path, body: str, name: str = "pyproject.toml") -> ConfigError:
    (tmp_path / name).write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    return caught.value


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


FULL = """\
[project]
name = "demo"

[tool.archverify]
source_roots = ["./src/"]
packages = ["app"]
exclude = ["**/migrations/**"]
steps = ["cycles", "compile", "purity"]
include_type_checking_imports = true
contracts_file = "contracts/importlinter.ini"
baseline = "archverify-baseline.json"

[tool.archverify.purity]
packages = ["app.core"]
forbid_calls = ["open", "requests.**", "connect"]
extend_forbid_calls = ["print", "app.adapters.*"]
allow_main_block = true

[[tool.archverify.contracts]]
name = "layers"
type = "layers"
layers = ["app.cli", "app.services | app.adapters", "app.core"]
containers = []
exhaustive = false
exhaustive_ignores = []
closed = true
ignore_imports = ["app.cli -> app.core.*"]
unmatched_ignore_imports_alerting = "warn"

[[tool.archverify.contracts]]
name = "no requests in core"
type = "forbidden"
source_modules = ["app.core"]
forbidden_modules = ["requests"]
allow_indirect_imports = true
as_packages = false

[[tool.archverify.contracts]]
name = "independent"
type = "independence"
modules = ["app.a", "app.b"]
include_type_checking_imports = true

[[tool.archverify.contracts]]
name = "protected"
type = "protected"
protected_modules = ["app.db"]
allowed_importers = ["app.repo"]
as_packages = true

[[tool.archverify.contracts]]
name = "siblings"
type = "acyclic_siblings"
ancestors = ["app"]
skip_descendants = ["app.tests"]

[[tool.archverify.contracts]]
name = "only repo imports db"
type = "only_allow"
modules = ["app.db"]
allowed_importers = ["app.repo"]

[[tool.archverify.boundaries]]
name = "provider"
packages = ["app.services"]
forbid_calls = ["get_provider"]
forbid_imports = ["app.orchestrator"]
except_modules = ["app.services.factory"]

[tool.archverify.cycles]
packages = ["app.core"]

[tool.archverify.ruff]
args = ["--select", "E"]

[tool.archverify.mypy]
args = ["--strict"]

[tool.archverify.bandit]
severity = "high"
args = ["-s", "B101"]

[tool.archverify.tests]
paths = ["tests/unit"]
args = ["-x"]
coverage_min = 85.5

[tool.archverify.imports]
timeout_s = 2

[tool.archverify.snapshots]
packages = ["app.core"]
file = "api.json"
"""


_IMPORTLINTER_INI = """\
[importlinter]
root_package = app

[importlinter:contract:one]
name = App layers
type = layers
layers =
    app.api
    app.core
"""


def test_every_key_of_a_full_pyproject(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "importlinter.ini").write_text(_IMPORTLINTER_INI)
    config = _pyproject(tmp_path, FULL)
    assert config.root == str(tmp_path.resolve())
    assert config.config_file == "pyproject.toml"
    assert config.source_roots == ("src",)
    assert config.packages == ("app",)
    assert config.exclude == ("**/migrations/**",)
    assert config.steps == ("compile", "purity", "cycles")  # runbook order, not as written
    assert config.include_type_checking_imports is True
    assert config.contracts_file == "contracts/importlinter.ini"
    assert config.baseline == "archverify-baseline.json"
    assert config.has_rules is True

    assert config.purity.packages == ("app.core",)
    assert config.purity.forbid_calls == (
        "builtins.open",
        "requests.**",
        "connect",
        "builtins.print",
        "app.adapters.*",
    )
    assert config.purity.allow_main_block is True

    assert [(c.name, c.type) for c in config.contracts] == [
        ("layers", "layers"),
        ("no requests in core", "forbidden"),
        ("independent", "independence"),
        ("protected", "protected"),
        ("siblings", "acyclic_siblings"),
        ("only repo imports db", "only_allow"),
        ("App layers", "layers"),  # from contracts_file, after the archverify ones
    ]
    layers = config.contracts[0]
    assert layers.options == {
        "layers": ["app.cli", "app.services | app.adapters", "app.core"],
        "containers": [],
        "exhaustive": False,
        "exhaustive_ignores": [],
        "closed": True,
        "ignore_imports": ["app.cli -> app.core.*"],
        "unmatched_ignore_imports_alerting": "warn",
    }
    assert layers.origin == f"pyproject.toml:{_line_of(FULL, '[[tool.archverify.contracts]]')}"
    assert config.contracts[5].options == {
        "modules": ["app.db"],
        "allowed_importers": ["app.repo"],
    }
    assert config.contracts[5].origin == f"pyproject.toml:{_line_of(FULL, 'only_allow') - 2}"

    (rule,) = config.boundaries
    assert rule.name == "provider"
    assert rule.packages == ("app.services",)
    assert rule.forbid_calls == ("get_provider",)  # bare names stay bare outside purity
    assert rule.forbid_imports == ("app.orchestrator",)
    assert rule.except_modules == ("app.services.factory",)
    assert rule.origin == f"pyproject.toml:{_line_of(FULL, '[[tool.archverify.boundaries]]')}"
    assert config.cycles.packages == ("app.core",)

    assert config.tool("ruff").args == ("--select", "E")
    assert config.tool("mypy").args == ("--strict",)
    assert config.tool("bandit").args == ("-s", "B101")
    assert config.tool("bandit").options == {"severity": "high"}
    assert config.tool("tests").args == ("-x",)
    assert config.tool("tests").options == {"paths": ("tests/unit",), "coverage_min": 85.5}
    assert config.tool("imports").options == {
        "timeout_s": 2,
        "output_limit": 2048,
        "fork": True,
        "memory_mb": 2048,
    }
    assert config.tool("snapshots").options == {"packages": ("app.core",), "file": "api.json"}


def test_defaults_of_a_minimal_table(tmp_path: Path) -> None:
    config = _pyproject(tmp_path, "[tool.archverify]\n")
    assert config.source_roots == ()  # discovery auto-detects
    assert config.packages == ()
    assert config.steps == STEP_ORDER
    assert config.purity.forbid_calls == DEFAULT_FORBIDDEN_CALLS
    assert config.purity.allow_main_block is False
    assert config.include_type_checking_imports is False
    assert config.contracts_file == "" and config.baseline == ""
    assert config.has_rules is False  # no purity, contracts or boundaries stated
    assert config.tool("bandit").options == {"severity": "medium"}
    assert config.tool("tests").options == {"paths": ("tests",), "coverage_min": 0}
    assert config.tool("imports").options == {
        "timeout_s": 10.0,
        "output_limit": 2048,
        "fork": True,
        "memory_mb": 2048,
    }
    assert config.tool("snapshots").options == {
        "packages": (),
        "file": "contracts.snapshot.json",
    }
    assert config.tool("ruff").args == ()


def test_extend_forbid_calls_adds_to_the_default(tmp_path: Path) -> None:
    config = _pyproject(
        tmp_path,
        '[tool.archverify.purity]\npackages = ["app"]\nextend_forbid_calls = ["eval", "x.y"]\n',
    )
    assert config.purity.forbid_calls == DEFAULT_FORBIDDEN_CALLS + ("builtins.eval", "x.y")
    assert config.has_rules is True


def test_no_config_at_all(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.has_rules is False
    assert config.steps == ("compile", "cycles")
    assert config.config_file == ""
    assert config.packages == () and config.source_roots == ()


def test_pyproject_without_the_table_is_no_config(tmp_path: Path) -> None:
    config = _pyproject(tmp_path, '[project]\nname = "x"\n[tool.ruff]\nline-length = 99\n')
    assert config.has_rules is False
    assert config.steps == ("compile", "cycles")


def test_archverify_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.archverify]\npackages = ["from_pyproject"]\n', encoding="utf-8"
    )
    (tmp_path / "archverify.toml").write_text('packages = ["from_own_file"]\n', encoding="utf-8")
    config = load_config(tmp_path)
    assert config.packages == ("from_own_file",)
    assert config.config_file == "archverify.toml"


def test_config_option_with_top_level_keys(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.archverify]\npackages = ["ignored"]\n', encoding="utf-8"
    )
    custom = tmp_path / "ci" / "strict.toml"
    custom.parent.mkdir()
    custom.write_text('packages = ["app"]\n[purity]\npackages = ["app.core"]\n', encoding="utf-8")
    config = load_config(tmp_path, custom)
    assert config.packages == ("app",)
    assert config.purity.packages == ("app.core",)
    assert config.config_file == "ci/strict.toml"


def test_config_option_named_pyproject_uses_the_tool_table(tmp_path: Path) -> None:
    other = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    other.mkdir()
    given = other / "pyproject.toml"
    given.write_text('[tool.archverify]\npackages = ["app"]\n', encoding="utf-8")
    config = load_config(tmp_path, given)
    assert config.packages == ("app",)
    assert config.config_file == str(given)  # outside the root: shown absolute


def test_config_option_pyproject_without_table_is_an_error(tmp_path: Path) -> None:
    given = tmp_path / "sub" / "pyproject.toml"
    given.parent.mkdir()
    given.write_text('[project]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no \[tool.archverify\] table"):
        load_config(tmp_path, given)


def test_config_option_of_any_name_with_a_tool_table_is_read_pyproject_style(
    tmp_path: Path,
) -> None:
    given = tmp_path / "ci" / "strict.toml"
    given.parent.mkdir()
    given.write_text(
        '[project]\nname = "x"\n\n[tool.archverify]\npackages = ["app"]\nbogus = 1\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, given)
    # The error names the key as written in that file, at its line.
    assert caught.value.message.startswith("tool.archverify") and caught.value.line == 6
    given.write_text('[tool.archverify]\npackages = ["app"]\n', encoding="utf-8")
    config = load_config(tmp_path, given)
    assert config.packages == ("app",) and config.config_table == ("tool", "archverify")
    assert layout_note(config) == "ci/strict.toml: read its [tool.archverify] table"


def test_config_option_with_top_level_keys_says_so(tmp_path: Path) -> None:
    given = tmp_path / "pyproject-ci.toml"
    given.write_text('packages = ["app"]\n', encoding="utf-8")
    config = load_config(tmp_path, given)
    assert config.packages == ("app",) and config.config_table == ()
    assert "read its top-level keys" in layout_note(config)


def test_config_option_with_pyproject_tables_but_no_archverify_table_is_an_error(
    tmp_path: Path,
) -> None:
    given = tmp_path / "other.toml"
    given.write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no \[tool.archverify\] table"):
        load_config(tmp_path, given)


def test_config_option_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, tmp_path / "nope.toml")
    assert caught.value.path == "nope.toml"
    assert "not found" in caught.value.message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    body = '[tool.archverify]\npackages = ["app"]\npackagez = ["x"]\n'
    error = _error(tmp_path, body)
    assert error.line == 3
    assert error.path == "pyproject.toml"
    assert "tool.archverify.packagez: unknown key" in error.message
    assert "did you mean 'packages'" in error.message
    assert str(error).startswith("pyproject.toml:3: tool.archverify.packagez")


def test_tool_archverify_not_a_table(tmp_path: Path) -> None:
    error = _error(tmp_path, "[tool]\narchverify = 3\n")
    assert error.line == 2
    assert "tool.archverify: must be a table" in error.message


# Validation errors (every key, its line): tests/core/test_config_validation.py, without a disk.


def test_broken_toml_reports_its_line(tmp_path: Path) -> None:
    error = _error(tmp_path, '[tool.archverify]\npackages = ["a"]\nsteps = [compile]\n')
    assert error.line == 3
    assert error.message.startswith("invalid TOML: ")
    assert "column" in error.message
    assert "(at line" not in error.message


def test_broken_toml_at_end_of_file(tmp_path: Path) -> None:
    error = _error(tmp_path, '[tool.archverify]\npackages = ["a",\n')
    assert error.line == 2
    assert "end of the file" in error.message


def test_non_utf8_pyproject_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(
        b'[project]\nname = "x"\ndescription = "caf\xe9"\n[tool.archverify]\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert (caught.value.path, caught.value.line) == ("pyproject.toml", 3)
    assert "not valid UTF-8" in caught.value.message
    assert "0xe9" in caught.value.message


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "archverify.toml").write_bytes(b'\xef\xbb\xbfpackages = ["app"]\n')
    assert load_config(tmp_path).packages == ("app",)


def test_config_error_string_form() -> None:
    assert str(ConfigError("bad", "pyproject.toml", 7)) == "pyproject.toml:7: bad"
    assert str(ConfigError("bad", "pyproject.toml")) == "pyproject.toml:0: bad"
    error = ConfigError("bad")
    assert (error.message, error.path, error.line) == ("bad", "", 0)


def test_config_error_helper_points_at_a_value(tmp_path: Path) -> None:
    config = _pyproject(
        tmp_path,
        '[tool.archverify.purity]\npackages = [\n  "app.core",\n  "app.model",\n]\n',
    )
    error = config_error(config, "purity.packages", "missing", "app.model")
    assert (error.path, error.line) == ("pyproject.toml", 4)
    assert error.message == "tool.archverify.purity.packages: missing"
    labelled = config_error(config, "purity (pure code)", "x")
    assert labelled.line == 1


def test_a_contracts_file_alone_counts_as_rules(tmp_path: Path) -> None:
    (tmp_path / "c.ini").write_text(_IMPORTLINTER_INI)
    config = _pyproject(tmp_path, '[tool.archverify]\ncontracts_file = "c.ini"\n')
    assert config.has_rules is True
    assert [c.name for c in config.contracts] == ["App layers"]
    assert config.contracts[0].origin == "c.ini:4"


def test_a_missing_contracts_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="c.ini.*not found"):
        _pyproject(tmp_path, '[tool.archverify]\ncontracts_file = "c.ini"\n')


def test_import_linter_contracts_are_read_when_archverify_states_none(tmp_path: Path) -> None:
    (tmp_path / ".importlinter").write_text(_IMPORTLINTER_INI)
    config = load_config(tmp_path)
    assert config.has_rules is True
    assert "contracts" in config.steps
    assert config.packages == ("app",)
    assert [c.type for c in config.contracts] == ["layers"]


_TOML_BITS = st.sampled_from(
    [
        "[",
        "]",
        "[[",
        "]]",
        "{",
        "}",
        '"',
        "'",
        '"""',
        "=",
        ".",
        ",",
        "#",
        "\n",
        " ",
        "tool",
        "archverify",
        "purity",
        "packages",
        "contracts",
        "1",
        "true",
        "x",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOML_BITS, max_size=40).map("".join))
def test_any_text_gives_a_config_or_a_config_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text(text, encoding="utf-8")
        try:
            load_config(root)
        except ConfigError as error:
            assert error.path == "pyproject.toml"
            assert 0 <= error.line <= text.count("\n") + 1


def test_tool_steps_take_a_bounded_timeout(tmp_path: Path) -> None:
    body = "".join(f"[{step}]\ntimeout_s = 5\n" for step in ("ruff", "mypy", "bandit", "tests"))
    (tmp_path / "archverify.toml").write_text(body, encoding="utf-8")
    config = load_config(tmp_path)
    for step in ("ruff", "mypy", "bandit", "tests"):
        assert config.tool(step).options["timeout_s"] == 5.0
    # Absent, the step's own default applies (executors/tools/common.timeout_for).
    (tmp_path / "archverify.toml").write_text("[ruff]\nargs = []\n", encoding="utf-8")
    assert "timeout_s" not in load_config(tmp_path).tool("ruff").options
