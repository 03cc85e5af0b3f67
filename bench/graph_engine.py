"""Measure archverify's plain-Python graph against grimp's ImportGraph on contract queries.

Run: .venv/bin/python bench/graph_engine.py [--modules 5000]. Both engines get the same edges
(grimp through ``add_import``, no second parse) and answer the same layers question: for every
(lower, higher) layer pair, is there a chain, and which one.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import grimp

from archverify.core.config import ContractConfig
from archverify.core.contracts import check_contract
from archverify.core.facts import FileFacts, ImportFact
from archverify.core.graph import ImportGraph

LAYERS = 10


def synthetic(modules: int, seed: int = 1) -> list[FileFacts]:
    """``modules`` modules in ``LAYERS`` layers, importing mostly downwards, a few upwards."""
    rng = random.Random(seed)
    per_layer = modules // LAYERS
    names = [f"app.l{i}.m{j}" for i in range(LAYERS) for j in range(per_layer)]
    facts = [FileFacts(f"app/l{i}/__init__.py", f"app.l{i}", True, "x") for i in range(LAYERS)]
    facts.append(FileFacts("app/__init__.py", "app", True, "x"))
    for index, name in enumerate(names):
        layer = index // per_layer
        targets = []
        for _ in range(rng.randint(2, 8)):
            low = layer if rng.random() < 0.999 else 0
            targets.append(names[rng.randrange(low * per_layer, len(names))])
        imports = tuple(ImportFact(t, n + 1, 0) for n, t in enumerate(sorted(set(targets))))
        path = name.replace(".", "/") + ".py"
        facts.append(FileFacts(path, name, False, "x", imports=imports))
    return facts


def timed(label: str, action: Callable[[], object], repeat: int = 3) -> object:
    best = float("inf")
    result: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<44} {best * 1000:9.1f} ms")
    return result


def to_grimp(graph: ImportGraph) -> grimp.ImportGraph:
    built = grimp.ImportGraph()
    for module in sorted(graph.modules):
        built.add_module(module)
    for edge in graph.edges():
        built.add_import(
            importer=edge.importer, imported=edge.imported, line_number=edge.line, line_contents=""
        )
    return built


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modules", type=int, default=5000)
    args = parser.parse_args()
    facts = synthetic(args.modules)
    layers = [f"app.l{i}" for i in range(LAYERS)]
    contract = ContractConfig("layers", "layers", {"layers": layers})

    ours = timed("archverify: build ImportGraph", lambda: ImportGraph.build(facts))
    assert isinstance(ours, ImportGraph)
    print(f"  {len(ours.modules)} modules, {ours.import_count} imports")
    result = timed("archverify: layers contract (BFS)", lambda: check_contract(ours, contract))
    timed("grimp: build via add_import", lambda: to_grimp(ours))
    theirs = to_grimp(ours)
    illegal = timed(
        "grimp: find_illegal_dependencies_for_layers",
        lambda: theirs.find_illegal_dependencies_for_layers(layers=layers),
    )
    ours_pairs = {(v.importer, v.imported) for v in getattr(result, "violations", ())}
    grimp_pairs = {(d.importer, d.imported) for d in illegal}  # type: ignore[attr-defined]
    print(
        f"broken pairs: archverify {len(ours_pairs)}, grimp {len(grimp_pairs)}, "
        f"equal={ours_pairs == grimp_pairs}"
    )


if __name__ == "__main__":
    main()
