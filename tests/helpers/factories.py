"""Factories for the values most tests start from: import facts, file facts, a project, a
step's context, and an in-memory cache.

Every builder has the defaults a test would otherwise spell out (a module's conventional path,
line 1, column 1); a test names only what it is about::

    context_of([module_facts("app.core", imp("json"), package=True)])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from archverify.core.config import Config
from archverify.core.facts import FileFacts, ImportFact
from archverify.core.project import Project, SourceFile
from archverify.executors.base import StepContext

ROOT = "/project"


def imp(
    module: str,
    *names: str,
    line: int = 1,
    column: int = 1,
    in_function: bool = False,
    type_checking: bool = False,
    **fields: Any,
) -> ImportFact:
    """``from module import names`` (``import module`` without names) at ``line``."""
    return ImportFact(
        module,
        line,
        column,
        names,
        in_function=in_function,
        type_checking=type_checking,
        **fields,
    )


def module_path(module: str, package: bool = False) -> str:
    """The conventional path of ``module`` below the root: ``a/b.py`` or ``a/b/__init__.py``."""
    return module.replace(".", "/") + ("/__init__.py" if package else ".py")


def module_facts(
    module: str,
    *imports: ImportFact | str,
    package: bool = False,
    path: str = "",
    content_hash: str = "h",
    **fields: Any,
) -> FileFacts:
    """Facts of ``module`` at its conventional path (or ``path``).

    ``imports`` are ImportFacts, or module names for plain imports on lines 1, 2, 3...
    Other FileFacts fields (``calls``, ``compile_error``...) are passed by keyword.
    """
    facts = tuple(
        imp(item, line=n + 1) if isinstance(item, str) else item for n, item in enumerate(imports)
    )
    if "imports" in fields:
        assert not facts, "give the imports positionally or as imports=, not both"
        facts = tuple(fields.pop("imports"))
    return FileFacts(
        path=path or module_path(module, package),
        module=module,
        is_package=package,
        content_hash=content_hash,
        imports=facts,
        **fields,
    )


def project_of(
    facts: Iterable[FileFacts],
    *,
    root: str = ROOT,
    packages: Sequence[str] | None = None,
    source_root: str = ".",
) -> Project:
    """A project of exactly ``facts``; ``packages`` default to their top-level names."""
    every = list(facts)
    files = tuple(
        sorted(
            (SourceFile(f.path, f.module, f.is_package, source_root) for f in every),
            key=lambda s: s.path,
        )
    )
    tops = sorted({f.module.split(".")[0] for f in every}) if packages is None else packages
    return Project(root=root, packages=tuple(tops), files=files, facts={f.module: f for f in every})


def context_of(
    facts: Iterable[FileFacts] | Project,
    config: Config | None = None,
    **fields: Any,
) -> StepContext:
    """A step's context over ``facts`` (or a ready project), without a disk.

    Other StepContext fields (``cache``, ``jobs``, ``options``...) are passed by keyword.
    """
    project = facts if isinstance(facts, Project) else project_of(facts)
    return StepContext(
        root=Path(project.root),
        config=config or Config(root=project.root),
        project=project,
        **fields,
    )


class MemoryCache:
    """A KeyValueCache in a dict: tests look at ``entries`` to see what a step stored."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], Any] = {}

    def get(self, namespace: str, key: str) -> Any | None:
        return self.entries.get((namespace, key))

    def put(self, namespace: str, key: str, value: Any) -> None:
        self.entries[(namespace, key)] = value
