"""A small layered project with a violation and a cycle, for the architecture-picture tests."""

from __future__ import annotations

from collections.abc import Mapping

from archverify.core.config import Config, ContractConfig
from archverify.core.facts import FileFacts, ImportFact
from archverify.core.findings import Finding, Severity
from archverify.core.project import Project, SourceFile

# module -> modules it imports
IMPORTS: dict[str, tuple[str, ...]] = {
    "shop": (),
    "shop.__main__": ("shop.orchestrator.cli",),
    "shop.orchestrator": (),
    "shop.orchestrator.cli": ("shop.api.routes", "shop.web.views", "json"),
    "shop.api": (),
    "shop.api.routes": ("shop.core.model",),
    "shop.web": (),
    "shop.web.views": ("shop.core.model", "shop.core.rules"),
    "shop.core": (),
    "shop.core.model": ("shop.core.rules", "shop.orchestrator.cli"),
    "shop.core.rules": ("shop.core.model",),
}
ROOT = "/work/shop"
PACKAGES = {"shop", "shop.orchestrator", "shop.api", "shop.web", "shop.core"}
LAYERS = ["shop.orchestrator", "shop.api | shop.web", "shop.core"]


def path_of(module: str) -> str:
    base = "src/" + module.replace(".", "/")
    return base + "/__init__.py" if module in PACKAGES else base + ".py"


def project(imports: Mapping[str, tuple[str, ...]] = IMPORTS) -> Project:
    """The project of ``imports`` (module -> modules it imports), ``IMPORTS`` by default."""
    facts = {
        module: FileFacts(
            path=path_of(module),
            module=module,
            is_package=module in PACKAGES,
            content_hash=module,
            imports=tuple(
                ImportFact(target, line=n + 1, column=1) for n, target in enumerate(deps)
            ),
        )
        for module, deps in imports.items()
    }
    files = tuple(
        sorted(
            (SourceFile(f.path, f.module, f.is_package, "src") for f in facts.values()),
            key=lambda s: s.path,
        )
    )
    return Project(root=ROOT, packages=("shop",), files=files, facts=facts)


def config(layers: bool = True) -> Config:
    contracts = (ContractConfig("layers", "layers", {"layers": LAYERS}),) if layers else ()
    return Config(root=ROOT, packages=("shop",), contracts=contracts)


def findings() -> list[Finding]:
    hop = {"importer": "shop.core.model", "imported": "shop.orchestrator.cli", "line": 2}
    cycle = [
        {"importer": "shop.core.model", "imported": "shop.core.rules", "line": 1},
        {"importer": "shop.core.rules", "imported": "shop.core.model", "line": 1},
    ]
    return [
        Finding(
            "contracts",
            "contracts/layers",
            Severity.ERROR,
            path_of("shop.core.model"),
            2,
            1,
            "contract 'layers' broken: shop.core.model imports shop.orchestrator.cli",
            extra={"chain": [hop]},
        ),
        Finding(
            "cycles",
            "cycles/import-cycle",
            Severity.ERROR,
            path_of("shop.core.model"),
            1,
            1,
            "import cycle: shop.core.model -> shop.core.rules -> shop.core.model",
            extra={"edges": cycle},
        ),
        Finding(
            "boundaries",
            "boundaries/forbidden-import",
            Severity.ERROR,
            path_of("shop.web.views"),
            2,
            1,
            "boundary 'web': imports shop.core.rules",
            extra={"import": "shop.core.rules"},
        ),
        Finding(
            "ruff",
            "ruff/E501",
            Severity.WARNING,
            path_of("shop.api.routes"),
            9,
            101,
            "line too long <script>alert(1)</script>",
        ),
    ]
