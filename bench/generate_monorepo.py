"""Writes the synthetic monorepo of the sharding bench: layered packages, a test suite that
costs real CPU, and a few real findings; the same arguments always write the same tree.

Run: python bench/generate_monorepo.py DEST [--modules 20000] [--test-modules 400]
     [--test-cpu-s 0.3]

The package ``mono`` has four layers, highest first (``mono.apps`` > ``mono.services`` >
``mono.domain`` > ``mono.base``), each of ``packages_per_layer`` subpackages of equal size.
A module imports one earlier module of its own subpackage and one or two modules of the layers
below, so the imports follow the layers and the graph is acyclic, except for what is planted:

- ``VIOLATIONS`` modules of ``mono.base`` import a module of ``mono.apps`` (upward: the layers
  contract reports each one);
- ``CYCLES`` pairs of modules import each other (inside a function, so that importing works);
- ``RUFF_FINDINGS`` modules import ``os`` without using it (ruff F401);
- ``BANDIT_FINDINGS`` modules call ``eval`` (bandit B307, medium).

Each test module imports a few modules and spends ``test_cpu_s`` of CPU (process time, in three
tests) computing a checksum of what they return; one test fails. Nothing is random: module i's
imports are a function of i.
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

LAYERS = ("apps", "services", "domain", "base")
PACKAGE = "mono"
VIOLATIONS = 3
CYCLES = 2
RUFF_FINDINGS = 5
BANDIT_FINDINGS = 4
STAMP = "monorepo.json"


@dataclass(frozen=True)
class Shape:
    """What the generator is asked for; written to ``monorepo.json`` in the tree."""

    modules: int = 20_000
    test_modules: int = 400
    test_cpu_s: float = 0.3
    packages_per_layer: int = 25

    @property
    def per_package(self) -> int:
        return max(1, self.modules // (len(LAYERS) * self.packages_per_layer))


def module_name(layer: int, package: int, index: int) -> str:
    return f"{PACKAGE}.{LAYERS[layer]}.p{package:02d}.m{index:04d}"


def _planted(shape: Shape) -> dict[str, list[tuple[int, int, int]]]:
    """Which modules carry which planted finding: spread over the tree, fixed by the shape."""
    per, packages = shape.per_package, shape.packages_per_layer
    base = len(LAYERS) - 1

    # A cycle pairs a module with the next one: never the last of its package.
    room = max(per - 1, 1)

    def spots(layer: int, count: int, offset: int) -> list[tuple[int, int, int]]:
        found: list[tuple[int, int, int]] = []
        for k in range(packages * room):
            spot = (layer, (offset + 7 * k) % packages, (3 + 11 * k) % room)
            if spot not in found:
                found.append(spot)
            if len(found) == count:
                break
        return found

    return {
        "violations": spots(base, VIOLATIONS, 1),
        "cycles": spots(2, CYCLES, 2),
        "ruff": spots(1, RUFF_FINDINGS, 3),
        "bandit": spots(0, BANDIT_FINDINGS, 4),
    }


def _imports(shape: Shape, layer: int, package: int, index: int) -> list[str]:
    """The layered imports of one module: an earlier sibling, then one or two lower modules."""
    per, packages = shape.per_package, shape.packages_per_layer
    found: list[str] = []
    if index > 0:
        found.append(module_name(layer, package, (index * 7 + 3) % index))
    for step in (1, 2) if layer + 2 < len(LAYERS) else (1,):
        if layer + step < len(LAYERS):
            target = (package * 3 + index + step) % packages
            found.append(module_name(layer + step, target, (index * 13 + step) % per))
    return found


def module_source(shape: Shape, layer: int, package: int, index: int) -> str:
    planted = _planted(shape)
    spot = (layer, package, index)
    imports = _imports(shape, layer, package, index)
    lines = [f'"""Module {index} of {LAYERS[layer]}.p{package:02d}."""', ""]
    if spot in planted["ruff"]:
        lines += ["import os", ""]
    upward = module_name(0, package, index) if spot in planted["violations"] else ""
    # Sorted, as isort would (ruff's I001 is not one of the planted findings).
    lines += [f"import {name}" for name in sorted({*imports, upward} - {""})]
    calls = " + ".join(f"{name}.value(n - 1)" for name in imports) or "0"
    lines += [
        "",
        f"WEIGHT = {index % 17 + 1}",
        "",
        "",
        "def value(n: int) -> int:",
        f'    """Module {index}\'s share of a checksum."""',
        "    if n <= 0:",
        "        return WEIGHT",
        f"    return (WEIGHT * n + {calls}) % 1_000_003",
        "",
        "",
        "def label() -> str:",
        f'    return "{LAYERS[layer]}-{package}-{index}"',
    ]
    if upward:
        lines += ["", "", "def upward() -> str:", f"    return {upward}.label()"]
    for other in (index + 1, index - 1):
        if (layer, package, min(index, other)) in planted["cycles"]:
            partner = module_name(layer, package, other)
            lines += ["", "", "def partner() -> str:", f"    import {partner}", ""]
            lines.append(f"    return {partner}.label()")
    if spot in planted["bandit"]:
        lines += ["", "", "def evaluate(text: str) -> object:", "    return eval(text)"]
    return "\n".join(lines) + "\n"


def test_source(shape: Shape, number: int) -> str:
    """A test module: three tests that spend ``test_cpu_s`` of CPU between them."""
    per, packages = shape.per_package, shape.packages_per_layer
    layer = number % len(LAYERS)
    targets = [
        module_name(layer, (number + k) % packages, (number * 5 + k * 31) % per) for k in (0, 1)
    ]
    share = shape.test_cpu_s / 3
    lines = [
        f'"""Test module {number}."""',
        "",
        "import time",
        "",
        *(f"import {name}" for name in sorted(set(targets))),
        "",
        "",
        "def _burn(seconds: float, seed: int) -> int:",
        "    total, end = seed, time.process_time() + seconds",
        "    while time.process_time() < end:",
        "        for _ in range(2000):",
        "            total = (total * 31 + 7) % 1_000_003",
        "    return total",
        "",
    ]
    for test, name in enumerate(targets):
        lines += [
            "",
            f"def test_value_{test}() -> None:",
            f"    assert {name}.value(3) >= 0",
            f"    assert _burn({share!r}, {test}) >= 0",
            "",
        ]
    compare = "<" if number == 0 else ">="  # one failing test in the suite
    lines += [
        "",
        "def test_labels() -> None:",
        f"    assert {targets[0]}.label()",
        f"    assert _burn({share!r}, 2) {compare} 0",
        "",
    ]
    return "\n".join(lines)


CONFIG = """# Written by bench/generate_monorepo.py.
source_roots = ["src"]
packages = ["mono"]
steps = ["compile", "purity", "contracts", "ruff", "boundaries", "cycles", "imports", "bandit",
         "tests"]

[purity]
packages = ["mono.base"]

[[contracts]]
name = "layers"
type = "layers"
layers = ["mono.apps", "mono.services", "mono.domain", "mono.base"]

[cycles]

[tests]
paths = ["tests"]
"""


def packages_for(modules: int) -> int:
    """Subpackages per layer for ``modules`` modules: 25, fewer for a small tree (each of at
    least 10 modules, so that every planted finding has its place)."""
    return max(1, min(Shape.packages_per_layer, modules // (len(LAYERS) * 10)))


def generate(dest: Path, shape: Shape) -> int:
    """Write the tree into ``dest`` (emptied first); the number of files written."""
    if shape.per_package < 2 or shape.test_modules < 1:
        raise ValueError(f"too small a shape: {shape}")
    if dest.exists():
        shutil.rmtree(dest)
    src = dest / "src" / PACKAGE
    written = 0

    def write(path: Path, text: str) -> None:
        nonlocal written
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written += 1

    write(src / "__init__.py", '"""The synthetic monorepo."""\n')
    for layer, name in enumerate(LAYERS):
        write(src / name / "__init__.py", f'"""Layer {name}."""\n')
        for package in range(shape.packages_per_layer):
            folder = src / name / f"p{package:02d}"
            write(folder / "__init__.py", f'"""{name}.p{package:02d}."""\n')
            for index in range(shape.per_package):
                write(folder / f"m{index:04d}.py", module_source(shape, layer, package, index))
    tests = dest / "tests"
    write(tests / "__init__.py", "")
    for number in range(shape.test_modules):
        write(tests / f"test_t{number:04d}.py", test_source(shape, number))
    write(dest / "archverify.toml", CONFIG)
    write(dest / STAMP, json.dumps(asdict(shape), indent=2) + "\n")
    return written


def parse_args(argv: list[str] | None) -> tuple[Path, Shape]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--modules", type=int, default=Shape.modules)
    parser.add_argument("--test-modules", type=int, default=Shape.test_modules)
    parser.add_argument("--test-cpu-s", type=float, default=Shape.test_cpu_s)
    parser.add_argument("--packages-per-layer", type=int, help="default: 25, fewer when small")
    args = parser.parse_args(argv)
    packages = args.packages_per_layer or packages_for(args.modules)
    shape = Shape(args.modules, args.test_modules, args.test_cpu_s, packages)
    return args.dest, shape


def main(argv: list[str] | None = None) -> int:
    dest, shape = parse_args(argv)
    count = generate(dest, shape)
    print(f"wrote {count} files into {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
