"""Contract types own their options: both configuration readers take them from the declarations.

Every type module declares one ``TYPE`` (core/contracts/<type>.py); archverify's TOML schema and
the import-linter reader must accept exactly its declared keys, require exactly its required
ones, and accept a type that exists nowhere but in its declaration.
"""

from __future__ import annotations

import inspect
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archverify.core.config import Config, ContractConfig
from archverify.core.config.errors import ConfigError
from archverify.core.config.fields import FieldReader
from archverify.core.config.locate import TomlLocator
from archverify.core.config.schema import build_config
from archverify.core.contracts import (
    COMMON_OPTIONS,
    REGISTRY,
    ContractOption,
    ContractType,
    Violation,
    check_contract,
    internal_only_modules,
    referenced_modules,
    rule_for,
)
from archverify.core.contracts.common import GivenOptions
from archverify.core.contracts.ignores import ALERTING
from archverify.core.findings import Rule, Severity
from archverify.core.graph import ImportEdge, ImportGraph
from archverify.orchestrator.config.importlinter import (
    ImportLinterConfig,
    load_importlinter_contracts,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def _toml(body: str) -> Config:
    data = tomllib.loads(body)["tool"]["archverify"]
    reader = FieldReader("pyproject.toml", TomlLocator(body), ("tool", "archverify"))
    return build_config(data, reader, "/r", "pyproject.toml", lambda _: None)


def _toml_error(body: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _toml(body)
    return str(caught.value)


def _importlinter(root: Path, body: str) -> ImportLinterConfig:
    (root / ".importlinter").write_text(body, encoding="utf-8")
    found = load_importlinter_contracts(root)
    assert found is not None
    return found


def _importlinter_error(root: Path, body: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _importlinter(root, body)
    return str(caught.value)


def _value(option: ContractOption) -> object:
    """A valid value of the option, as TOML holds it."""
    if option.kind == "boolean":
        return bool(option.default)  # exhaustive = true would need containers
    if option.kind == "integer":
        return 2
    if option.kind == "choice":
        return option.choices[-1]
    if option.key == "ignore_imports":
        return ["app.a -> app.b"]
    return [f"app.{option.key}"]


def _toml_contract(kind: str, options: dict[str, object]) -> str:
    lines = ["[tool.archverify]", "[[tool.archverify.contracts]]", 'name = "c"', f'type = "{kind}"']
    for key, value in options.items():
        text = str(value).lower() if isinstance(value, bool) else repr(value).replace("'", '"')
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def _ini_contract(kind: str, options: dict[str, object]) -> str:
    lines = ["[importlinter]", "root_package = app", "", "[importlinter:contract:c]", "name = c"]
    lines.append(f"type = {kind}")
    for key, value in options.items():
        if isinstance(value, list):
            lines.append(f"{key} =")
            lines.extend(f"    {item}" for item in value)
        else:
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def _declared(contract_type: ContractType[Any]) -> list[ContractOption]:
    return [*contract_type.options, *COMMON_OPTIONS]


TYPES = sorted(REGISTRY)
IMPORTLINTER_TYPES = sorted(name for name, kind in REGISTRY.items() if kind.importlinter)


@pytest.mark.parametrize("kind", TYPES)
def test_the_toml_schema_accepts_exactly_the_declared_keys(kind: str) -> None:
    declared = _declared(REGISTRY[kind])
    every = {option.key: _value(option) for option in declared}
    (contract,) = _toml(_toml_contract(kind, every)).contracts
    assert set(contract.options) == {option.key for option in declared}
    message = _toml_error(_toml_contract(kind, {**every, "undeclared_key": True}))
    known = ", ".join(sorted({option.key for option in declared} | {"name", "type"}))
    assert f"unknown key (known keys: {known})" in message


@pytest.mark.parametrize("kind", TYPES)
def test_the_toml_schema_requires_exactly_the_required_keys(kind: str) -> None:
    declared = _declared(REGISTRY[kind])
    required = {option.key: _value(option) for option in declared if option.required}
    assert required, f"{kind} declares no required option"
    assert len(_toml(_toml_contract(kind, required)).contracts) == 1
    for key in required:
        rest = {k: v for k, v in required.items() if k != key}
        assert f"missing required key {key!r}" in _toml_error(_toml_contract(kind, rest))


@pytest.mark.parametrize("kind", IMPORTLINTER_TYPES)
def test_the_importlinter_reader_reads_exactly_the_declared_keys(kind: str, tmp_path: Path) -> None:
    declared = _declared(REGISTRY[kind])
    every = {option.key: _value(option) for option in declared}
    # An import-linter file spells booleans as True/False; keys it does not know are ignored.
    given = {k: str(v) if isinstance(v, bool) else v for k, v in every.items()}
    (contract,) = _importlinter(tmp_path, _ini_contract(kind, {**given, "stray": "x"})).contracts
    read = {option.key for option in declared if option.importlinter != "ignored"}
    # Set for every contract of the file, whatever its section says.
    session = {"include_type_checking_imports", "include_external_packages"}
    assert set(contract.options) == read | session
    required = [o.key for o in declared if o.required and o.importlinter == "read"]
    assert required, f"{kind} declares no option that import-linter files must give"
    for key in required:
        rest = {k: v for k, v in given.items() if k != key}
        message = _importlinter_error(tmp_path, _ini_contract(kind, rest))
        assert f"missing required {key!r}" in message


def test_types_import_linter_does_not_have_are_refused_in_its_files(tmp_path: Path) -> None:
    only_ours = sorted(set(TYPES) - set(IMPORTLINTER_TYPES))
    assert only_ours == ["only_allow"]
    message = _importlinter_error(tmp_path, _ini_contract("only_allow", {"modules": ["app.x"]}))
    assert f"(supported: {', '.join(IMPORTLINTER_TYPES)})" in message


def test_the_declared_keys_are_what_the_tables_said_before_the_declarations() -> None:
    """The per-type key tables the readers used to keep, derived from the declarations."""
    contract_keys = {
        kind.name: (
            frozenset(option.key for option in kind.options),
            tuple(option.key for option in kind.options if option.required),
        )
        for kind in REGISTRY.values()
    }
    module_keys = {
        option.key for kind in REGISTRY.values() for option in kind.options if option.names_modules
    }
    common_keys = {"name", "type"} | {option.key for option in COMMON_OPTIONS}
    assert contract_keys == {
        "layers": (
            frozenset({"layers", "containers", "exhaustive", "exhaustive_ignores", "closed"}),
            ("layers",),
        ),
        "forbidden": (
            frozenset(
                {"source_modules", "forbidden_modules", "allow_indirect_imports", "as_packages"}
            ),
            ("source_modules", "forbidden_modules"),
        ),
        "independence": (frozenset({"modules"}), ("modules",)),
        "protected": (
            frozenset({"protected_modules", "allowed_importers", "as_packages"}),
            ("protected_modules", "allowed_importers"),
        ),
        "acyclic_siblings": (frozenset({"ancestors", "skip_descendants", "depth"}), ("ancestors",)),
        "only_allow": (
            frozenset({"modules", "allowed_importers"}),
            ("modules", "allowed_importers"),
        ),
    }
    assert list(contract_keys) == [
        "layers",
        "forbidden",
        "independence",
        "protected",
        "acyclic_siblings",
        "only_allow",
    ]
    assert module_keys == {
        "layers",
        "containers",
        "source_modules",
        "forbidden_modules",
        "modules",
        "protected_modules",
        "allowed_importers",
        "ancestors",
    }
    assert common_keys == {
        "name",
        "type",
        "ignore_imports",
        "unmatched_ignore_imports_alerting",
        "include_type_checking_imports",
    }
    assert ALERTING == ("error", "warn", "none")


@pytest.mark.parametrize("kind", TYPES)
def test_each_type_declares_its_rule_as_a_literal_in_its_own_module(kind: str) -> None:
    contract_type = REGISTRY[kind]
    assert contract_type.name == kind
    assert contract_type.rule.id == f"contracts/{kind}"
    assert contract_type.rule.severity is Severity.ERROR and contract_type.hint
    module = sys.modules[contract_type.parse.__module__]
    assert f'"contracts/{kind}"' in inspect.getsource(module)


def _documented_keys() -> dict[str, tuple[set[str], set[str]]]:
    """docs/configuration.md's "Keys per type" table: each type's keys and its bold ones."""
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("Keys per type", 1)[1].split("\n\n", 2)[1]
    found: dict[str, tuple[set[str], set[str]]] = {}
    for row in table.splitlines()[2:]:
        kind, keys = (cell.strip() for cell in row.strip("|").split("|", 1))
        named = set(re.findall(r"`(\w+)`", keys))
        bold = set(re.findall(r"\*\*`(\w+)`\*\*", keys))
        found[kind.strip("`")] = (named, bold)
    return found


def test_the_configuration_docs_list_every_declared_key() -> None:
    text = DOCS.read_text(encoding="utf-8")
    types_row = next(line for line in text.splitlines() if line.startswith("| `type` |"))
    assert re.findall(r"`(\w+)`", types_row)[1:] == list(REGISTRY)
    documented = _documented_keys()
    assert set(documented) == set(REGISTRY)
    for kind, contract_type in REGISTRY.items():
        keys, bold = documented[kind]
        assert keys == {option.key for option in contract_type.options}, kind
        assert bold == {option.key for option in contract_type.options if option.required}, kind


# A contract type that exists only here: every target module must import nothing.
@dataclass(frozen=True)
class _LonelyOptions:
    targets: tuple[str, ...]
    strict: bool


def _parse(given: GivenOptions) -> _LonelyOptions:
    return _LonelyOptions(tuple(given.strings("targets")), given.flag("strict"))


def _check(
    graph: ImportGraph, contract: ContractConfig, options: _LonelyOptions
) -> tuple[list[Violation], list[str]]:
    found = [
        Violation(target, imported, (), f"{target} imports {imported}")
        for target in options.targets
        for imported in sorted(graph.imports_of(target))
    ]
    return found, [t for t in options.targets if t not in graph.modules]


LONELY = ContractType(
    name="lonely",
    options=(
        ContractOption("targets", required=True, names_modules=True),
        ContractOption("strict", "boolean", default=False),
    ),
    rule=Rule("contracts/lonely", Severity.ERROR, "Let it import nothing."),
    parse=_parse,
    check=_check,
    referenced=lambda options: [(t, False) for t in options.targets],
)


@pytest.fixture
def lonely(monkeypatch: pytest.MonkeyPatch) -> ContractType[_LonelyOptions]:
    monkeypatch.setitem(REGISTRY, "lonely", LONELY)
    return LONELY


def test_a_type_declared_only_in_its_module_is_read_from_toml(
    lonely: ContractType[_LonelyOptions],
) -> None:
    (contract,) = _toml(_toml_contract("lonely", {"targets": ["app.x"], "strict": True})).contracts
    assert (contract.type, dict(contract.options)) == (
        "lonely",
        {"targets": ["app.x"], "strict": True},
    )
    assert referenced_modules(contract) == [("app.x", False)]
    assert internal_only_modules(contract) == []
    assert "missing required key 'targets'" in _toml_error(_toml_contract("lonely", {}))
    assert "known keys: ignore_imports, include_type_checking_imports, name, strict, targets" in (
        _toml_error(_toml_contract("lonely", {"targets": ["app.x"], "closed": True}))
    )
    assert "must be true or false" in _toml_error(
        _toml_contract("lonely", {"targets": ["app.x"], "strict": "yes"})
    )


def test_a_type_declared_only_in_its_module_is_read_from_importlinter_files(
    lonely: ContractType[_LonelyOptions], tmp_path: Path
) -> None:
    config = _importlinter(tmp_path, _ini_contract("lonely", {"targets": ["app.x"]}))
    (contract,) = config.contracts
    assert contract.type == "lonely" and contract.options["targets"] == ["app.x"]
    message = _importlinter_error(tmp_path, _ini_contract("lonely", {"strict": "True"}))
    assert "contract 'c': missing required 'targets'" in message


def test_a_type_declared_only_in_its_module_is_checked_under_its_rule(
    lonely: ContractType[_LonelyOptions],
) -> None:
    graph = ImportGraph(["app", "app.x", "app.y"], [ImportEdge("app.x", "app.y", "app/x.py", 3, 0)])
    contract = ContractConfig("c", "lonely", {"targets": ["app.x", "app.z"]})
    result = check_contract(graph, contract)
    assert [v.message for v in result.violations] == ["app.x imports app.y"]
    assert result.missing_modules == ("app.z",)
    assert rule_for(contract) is lonely.rule
