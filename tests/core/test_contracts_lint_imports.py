"""Verdicts equal import-linter's: random small projects checked by both ``lint-imports`` and us."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from archverify.core.config import ContractConfig
from archverify.core.contracts import check_contract
from archverify.core.facts import FileFacts, ImportFact
from archverify.core.graph import ImportGraph
from tests.helpers.lint_imports import LINT_IMPORTS, option_lines, run_lint_imports

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")

SUBPACKAGES = ["a", "b", "c", "d"]
LEAVES = ["x", "y"]


def random_project(rng: random.Random) -> dict[str, list[str]]:
    modules = ["pkg"] + [f"pkg.{s}" for s in SUBPACKAGES]
    modules += [f"pkg.{s}.{leaf}" for s in SUBPACKAGES for leaf in LEAVES] + ["pkg.util"]
    return {
        m: sorted(rng.sample([o for o in modules if o != m], rng.choice([0, 0, 0, 0, 1, 1])))
        for m in modules
    }


def random_contracts(rng: random.Random) -> list[ContractConfig]:
    names = [f"pkg.{s}" for s in SUBPACKAGES]
    order = rng.sample(names, 4)
    ignore = [f"{rng.choice(names)}.* -> {rng.choice(names + ['pkg.util'])}"]
    return [
        ContractConfig("layers", "layers", {"layers": order[:3]}),
        ContractConfig("siblings", "layers", {"layers": [f"{order[0]} | {order[1]}", order[2]]}),
        ContractConfig("loose", "layers", {"layers": [f"{order[0]} : {order[1]}", order[2]]}),
        ContractConfig(
            "forbidden", "forbidden", {"source_modules": order[:1], "forbidden_modules": order[1:3]}
        ),
        ContractConfig(
            "direct",
            "forbidden",
            {
                "source_modules": order[:1],
                "forbidden_modules": order[1:2],
                "allow_indirect_imports": "True",
            },
        ),
        ContractConfig("independence", "independence", {"modules": order[:3]}),
        ContractConfig(
            "ignoring",
            "independence",
            {
                "modules": order[:2],
                "ignore_imports": ignore,
                "unmatched_ignore_imports_alerting": "none",
            },
        ),
        ContractConfig(
            "protected",
            "protected",
            {"protected_modules": order[:1], "allowed_importers": order[1:2]},
        ),
    ]


def write_project(
    root: Path, project: dict[str, list[str]], contracts: list[ContractConfig]
) -> None:
    for module, imports in project.items():
        path = root / Path(*module.split(".")) / "__init__.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"import {m}\n" for m in imports))
    lines = ["[importlinter]", "root_package = pkg", ""]
    for contract in contracts:
        lines += [
            f"[importlinter:contract:{contract.name}]",
            f"name = {contract.name}",
            f"type = {contract.type}",
        ]
        lines += [*option_lines(contract.options), ""]
    (root / ".importlinter").write_text("\n".join(lines))


def lint_imports_verdicts(root: Path) -> dict[str, bool]:
    done = run_lint_imports(root)
    verdicts = dict(re.findall(r"^(\w+) (KEPT|BROKEN)", done.stdout, re.MULTILINE))
    assert verdicts, done.stdout + done.stderr
    return {name: verdict == "KEPT" for name, verdict in verdicts.items()}


def our_verdicts(project: dict[str, list[str]], contracts: list[ContractConfig]) -> dict[str, bool]:
    facts = [
        FileFacts(
            path=m.replace(".", "/") + "/__init__.py",
            module=m,
            is_package=True,
            content_hash="x",
            imports=tuple(ImportFact(i, n + 1, 0) for n, i in enumerate(imports)),
        )
        for m, imports in project.items()
    ]
    graph = ImportGraph.build(facts, include_external=True)
    return {c.name: check_contract(graph, c).kept for c in contracts}


@pytest.mark.parametrize("seed", range(10))
def test_verdicts_match_lint_imports(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    project = random_project(rng)
    contracts = random_contracts(rng)
    write_project(tmp_path, project, contracts)
    assert our_verdicts(project, contracts) == lint_imports_verdicts(tmp_path)
    shutil.rmtree(tmp_path / "pkg")
