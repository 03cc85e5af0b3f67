"""The ``layers`` contract: higher layers may import lower ones, never the other way round."""

from __future__ import annotations

from dataclasses import dataclass

from archverify.core.contracts.common import (
    ContractConfig,
    ContractOption,
    ContractType,
    GivenOptions,
    Violation,
    check_module_name,
    exists,
    find_violation,
    members,
)
from archverify.core.findings import Rule, Severity
from archverify.core.graph import ImportGraph


@dataclass(frozen=True)
class LayerModule:
    name: str  # relative to the container, or absolute without containers
    optional: bool


@dataclass(frozen=True)
class Layer:
    """One line of ``layers``: ``a | b`` are independent siblings, ``a : b`` may import each
    other."""

    modules: tuple[LayerModule, ...]
    independent: bool


@dataclass(frozen=True)
class LayersOptions:
    """A ``layers`` contract's options, parsed."""

    layers: tuple[Layer, ...]
    containers: tuple[str, ...]
    exhaustive: bool
    exhaustive_ignores: tuple[str, ...]
    closed: bool


def _parse(given: GivenOptions) -> LayersOptions:
    exhaustive = given.flag("exhaustive")
    containers = tuple(given.strings("containers"))
    if exhaustive and not containers:
        # import-linter refuses the contract before building any graph; so do we.
        raise given.error(
            "The exhaustive option is not supported for contracts without containers.",
            "exhaustive",
        )
    return LayersOptions(
        layers=tuple(_layers(given)),
        containers=containers,
        exhaustive=exhaustive,
        exhaustive_ignores=tuple(given.strings("exhaustive_ignores")),
        closed=given.flag("closed"),
    )


def parse_layers(contract: ContractConfig) -> list[Layer]:
    return _layers(GivenOptions(contract, TYPE.options))


def _layers(given: GivenOptions) -> list[Layer]:
    contract = given.contract
    found: list[Layer] = []
    for text in given.strings("layers"):
        if "|" in text and ":" in text:
            raise given.error(f"layer {text!r} mixes '|' and ':'", "layers")
        independent = ":" not in text
        parts = [p.strip() for p in text.replace(":", "|").split("|")]
        modules: list[LayerModule] = []
        for part in parts:
            optional = part.startswith("(") and part.endswith(")")
            name = part[1:-1].strip() if optional else part
            modules.append(LayerModule(check_module_name(contract, name), optional))
        names = [module.name for module in modules]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            listed = ", ".join(repr(name) for name in repeated)
            raise given.error(f"Modules cannot be repeated in a layer: {listed}.", "layers")
        found.append(Layer(tuple(modules), independent))
    _check_layers_apart(given, found)
    return found


def _check_layers_apart(given: GivenOptions, layers: list[Layer]) -> None:
    """import-linter's rules: a module is in one layer only, and no layer contains another
    (``app.a`` and ``app.a.b``): the verdict of such a contract would depend on the order."""
    seen: set[str] = set()
    twice: set[str] = set()
    for layer in layers:
        names = {module.name for module in layer.modules}
        twice |= seen & names
        seen |= names
    if twice:
        listed = ", ".join(repr(name) for name in sorted(twice))
        raise given.error(f"Modules cannot be in more than one layer: {listed}.", "layers")
    contained = sorted(
        (parent, child) for parent in seen for child in seen if child.startswith(parent + ".")
    )
    if contained:
        listed = ", ".join(f"{parent!r} contains {child!r}" for parent, child in contained)
        raise given.error(f"Layers cannot contain other layers: {listed}.", "layers")


def _absolute(container: str, name: str) -> str:
    return f"{container}.{name}" if container else name


def _referenced(options: LayersOptions) -> list[tuple[str, bool]]:
    containers = options.containers or ("",)
    found: list[tuple[str, bool]] = [(c, False) for c in containers if c]
    for layer in options.layers:
        for module in layer.modules:
            found.extend((_absolute(c, module.name), module.optional) for c in containers)
    return found


def referenced(contract: ContractConfig) -> list[tuple[str, bool]]:
    return TYPE.modules(contract)


def check(graph: ImportGraph, contract: ContractConfig) -> tuple[list[Violation], list[str]]:
    """Violations of the contract, and the required modules that do not exist."""
    return TYPE.violations(graph, contract)


def _check(
    graph: ImportGraph, contract: ContractConfig, options: LayersOptions
) -> tuple[list[Violation], list[str]]:
    containers = [check_module_name(contract, c) for c in options.containers]
    violations: list[Violation] = []
    missing: list[str] = []
    for container in containers or [""]:
        if container and not exists(graph, container):
            missing.append(container)
            continue
        present: list[tuple[int, bool, str]] = []  # (layer index, independent, module)
        for index, layer in enumerate(options.layers):
            for module in layer.modules:
                name = _absolute(container, module.name)
                if exists(graph, name):
                    present.append((index, layer.independent, name))
                elif not module.optional:
                    missing.append(name)
        violations.extend(_container_violations(graph, present, options.closed))
        if options.exhaustive:
            violations.extend(_exhaustive(graph, options, container))
    return violations, missing


def _container_violations(
    graph: ImportGraph, present: list[tuple[int, bool, str]], closed: bool
) -> list[Violation]:
    found: list[Violation] = []
    member_sets = {name: members(graph, name) for _, _, name in present}
    for high_index, independent, high in present:
        for low_index, _, low in present:
            others = frozenset().union(
                *(member_sets[name] for name in member_sets if name not in (high, low))
            )
            # Independent siblings must not import each other either, in any direction.
            sibling = low_index == high_index and independent and low != high
            if low_index > high_index or sibling:
                hit = find_violation(graph, low, high, avoiding=others)
                if hit is not None:
                    found.append(hit)
            if closed and low_index > high_index + 1:
                skipped = find_violation(
                    graph, high, low, avoiding=others, verb="skips a closed layer importing"
                )
                if skipped is not None:
                    found.append(skipped)
    return found


def _exhaustive(graph: ImportGraph, options: LayersOptions, container: str) -> list[Violation]:
    listed = {m.name for layer in options.layers for m in layer.modules}
    listed |= set(options.exhaustive_ignores)
    prefix = container + "."
    children = sorted(
        m.removeprefix(prefix)
        for m in graph.modules
        if m.startswith(prefix) and "." not in m.removeprefix(prefix)
    )
    found: list[Violation] = []
    for child in children:
        if child in listed:
            continue
        module = prefix + child
        path = graph.paths.get(module, "")
        found.append(
            Violation(
                importer=module,
                imported=container,
                chain=(),
                message=f"{module} is not listed as a layer of the exhaustive container "
                f"{container}",
                path=path,
                line=1 if path else 0,
                column=1 if path else 0,
            )
        )
    return found


TYPE = ContractType(
    name="layers",
    options=(
        ContractOption("layers", required=True, names_modules=True),
        ContractOption("containers", names_modules=True),
        ContractOption("exhaustive", "boolean", default=False),
        ContractOption("exhaustive_ignores"),
        # archverify's own: a layer may import only the layer right below it.
        ContractOption("closed", "boolean", default=False, importlinter="ignored"),
    ),
    rule=Rule(
        "contracts/layers",
        Severity.ERROR,
        "Move the code down a layer, invert the dependency, or add an ignore_imports entry.",
    ),
    parse=_parse,
    check=_check,
    referenced=_referenced,
)
