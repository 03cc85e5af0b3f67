"""Surveys a project for ``archverify init``: its packages, inferred layers and pure candidates."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from archverify.core.config import Config, PurityConfig
from archverify.core.facts import FileFacts
from archverify.core.graph import ImportGraph
from archverify.core.init_files import is_test_package
from archverify.core.layer_inference import (
    LayerPlan,
    direct_children,
    infer_layers,
    main_guarded_upward,
)
from archverify.core.project import in_any_package, in_package
from archverify.core.purity import PurityChecker
from archverify.orchestrator.cache.facts import FactsCache, cache_stamp
from archverify.orchestrator.discovery import discover
from archverify.orchestrator.parsing import parse_files

# Subpackage names that, by convention, hold the domain: init proposes them as pure.
PURE_CANDIDATE_NAMES: frozenset[str] = frozenset({"core", "domain", "model", "models"})


@dataclass(frozen=True)
class PureCandidate:
    """A core/domain/model(s) subpackage; ``reason`` says why it is not proposed ("" when it is)."""

    module: str
    reason: str = ""


@dataclass(frozen=True)
class Survey:
    """What init learnt from the code as it is today."""

    source_roots: tuple[str, ...]
    packages: tuple[str, ...]
    layer_plans: tuple[LayerPlan, ...]  # only packages with two children or more
    pure_candidates: tuple[PureCandidate, ...]
    problems: tuple[str, ...]  # discovery notes and files that do not compile
    test_packages: tuple[str, ...] = ()  # top-level packages that are the tests: not verified

    @property
    def pure_packages(self) -> tuple[str, ...]:
        return tuple(c.module for c in self.pure_candidates if not c.reason)


def survey_project(root: Path, test_paths: tuple[str, ...] = (), *, jobs: int = 1) -> Survey:
    """Discover and parse ``root`` as ``archverify run`` would with no configuration, then infer
    each package's layers and which domain-named subpackages do no I/O. Caches nothing.

    Test packages (``tests``/``test``, or a folder in ``test_paths``) are the tests step's, not
    production code: they get no layers, no purity and no place in ``packages``."""
    discovery = discover(root, Config(root=str(root), source_roots=()), allow_empty=True)
    tests = tuple(
        package
        for package in discovery.packages
        if is_test_package(package, _folder(discovery.source_roots, package, root), test_paths)
    )
    packages = tuple(p for p in discovery.packages if p not in tests)
    files = [s for s in discovery.files if in_any_package(s.module, packages)]
    facts = parse_files(root, files, jobs=jobs, cache=FactsCache(None, cache_stamp()))
    ordered = [facts[s.module] for s in files if s.module in facts]
    problems = list(discovery.problems)
    problems.extend(
        f"{f.path}:{f.compile_error.line}: does not compile ({f.compile_error.message}); "
        "its imports are not in the inferred layers"
        for f in ordered
        if f.compile_error is not None
    )
    # Demo code under ``if __name__ == "__main__":`` says nothing about the layers; the
    # contract still counts it, so what of it points up is named for ``ignore_imports``.
    graph = ImportGraph.build(ordered, include_main_guarded=False)
    with_demos = ImportGraph.build(ordered)
    plans = []
    candidates: list[PureCandidate] = []
    for package in packages:
        plan = infer_layers(graph, package)
        if len(direct_children(graph, package)) >= 2:
            demos = tuple(main_guarded_upward(with_demos, plan))
            plans.append(replace(plan, main_guarded_upward=demos))
        for child in direct_children(graph, package):
            if child.rpartition(".")[2] in PURE_CANDIDATE_NAMES:
                candidates.append(_pure_candidate(child, ordered))
    return Survey(
        source_roots=discovery.source_roots,
        packages=packages,
        layer_plans=tuple(plans),
        pure_candidates=tuple(candidates),
        problems=tuple(problems),
        test_packages=tests,
    )


def _folder(source_roots: tuple[str, ...], package: str, root: Path) -> str:
    """The folder of top-level ``package`` relative to the root (the first source root with it)."""
    for source_root in source_roots:
        folder = package if source_root == "." else f"{source_root}/{package}"
        if (root / folder).exists() or (root / f"{folder}.py").exists():
            return folder
    return package


def _pure_candidate(module: str, facts: list[FileFacts]) -> PureCandidate:
    checker = PurityChecker(PurityConfig(packages=(module,)))
    for file_facts in facts:
        if not in_package(file_facts.module, module):
            continue
        if file_facts.compile_error is not None:
            return PureCandidate(module, f"{file_facts.path} does not compile")
        found = checker.check(file_facts)
        if found:
            first = found[0]
            return PureCandidate(module, f"{first.path}:{first.line}: {first.message}")
    return PureCandidate(module)
