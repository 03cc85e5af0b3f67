"""Boundaries: only the orchestrator reaches the questionnaire provider, at runtime and in code."""

from __future__ import annotations

import ast
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from archverify.guards import ProviderAccessError
from conftest import PROJECT

from policy_orchestrator.orchestrator import questionnaire_provider
from policy_orchestrator.orchestrator.questionnaire_provider import get_questionnaire_provider

SOURCE = PROJECT / "src" / "policy_orchestrator"
LAYERS = ["orchestrator", "processors", "executors", "core"]


@pytest.fixture
def probe() -> Iterator[object]:
    """Install a module under a given name, as if it were a file of that layer."""
    installed: list[str] = []

    def install(name: str) -> ModuleType:
        module = ModuleType(name)
        code = "from policy_orchestrator.orchestrator.questionnaire_provider import "
        code += (
            "get_questionnaire_provider\n\ndef run():\n    return get_questionnaire_provider()\n"
        )
        exec(compile(code, f"<{name}>", "exec"), module.__dict__)  # noqa: S102
        sys.modules[name] = module
        installed.append(name)
        return module

    yield install
    for name in installed:
        del sys.modules[name]


@pytest.mark.parametrize(
    "name",
    [
        "policy_orchestrator.core.probe",
        "policy_orchestrator.executors.probe",
        "policy_orchestrator.processors.probe",
        "policy_orchestrator.orchestrator_probe",
    ],
)
def test_guard_blocks_calls_from_outside_the_orchestrator(probe: object, name: str) -> None:
    module = probe(name)  # type: ignore[operator]
    with pytest.raises(ProviderAccessError) as caught:
        module.run()
    assert caught.value.caller == name
    assert caught.value.allowed == ("policy_orchestrator.orchestrator",)


def test_guard_allows_the_orchestrator(probe: object) -> None:
    module = probe("policy_orchestrator.orchestrator.probe")  # type: ignore[operator]
    assert isinstance(module.run(), questionnaire_provider.QuestionnaireProvider)


def test_guard_blocks_tests_too() -> None:
    with pytest.raises(ProviderAccessError, match="test_boundaries"):
        get_questionnaire_provider()


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "policy_orchestrator" else None


@pytest.mark.parametrize("layer", LAYERS)
def test_layers_only_import_downwards(layer: str) -> None:
    allowed = set(LAYERS[LAYERS.index(layer) :])
    violations = [
        f"{path.relative_to(SOURCE)}:{line}: {module}"
        for path in sorted((SOURCE / layer).rglob("*.py"))
        for line, module in _imports(path)
        if _layer_of(module) in set(LAYERS) - allowed
    ]
    assert violations == []


def test_no_layer_below_the_orchestrator_names_the_provider() -> None:
    offenders = [
        str(path.relative_to(SOURCE))
        for layer in LAYERS[1:]
        for path in sorted((SOURCE / layer).rglob("*.py"))
        if "get_questionnaire_provider" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_core_imports_no_io_modules() -> None:
    io_modules = {"json", "os", "pathlib", "subprocess", "shutil", "socket", "io", "sys"}
    found = [
        f"{path.name}:{line}: {module}"
        for path in sorted((SOURCE / "core").rglob("*.py"))
        for line, module in _imports(path)
        if module.split(".")[0] in io_modules
    ]
    assert found == []


def test_the_static_checks_can_see_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        textwrap.dedent("""
        import json
        from policy_orchestrator.orchestrator import cli
    """),
        encoding="utf-8",
    )
    assert [module for _, module in _imports(bad)] == ["json", "policy_orchestrator.orchestrator"]
    assert _layer_of("policy_orchestrator.orchestrator") == "orchestrator"
