"""Builds a StepContext around hand-built facts for the static step tests (no disk)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from archverify.core.config import Config
from archverify.core.facts import FileFacts
from archverify.core.project import Project, SourceFile
from archverify.executors.base import StepContext


def module_facts(module: str, is_package: bool = False, **fields: Any) -> FileFacts:
    """Facts of ``module`` at its conventional path, with the given fields."""
    path = module.replace(".", "/") + ("/__init__.py" if is_package else ".py")
    return replace(FileFacts(path, module, is_package, "h"), **fields)


def context_of(facts: Sequence[FileFacts], config: Config | None = None) -> StepContext:
    files = tuple(
        sorted(
            (SourceFile(f.path, f.module, f.is_package, ".") for f in facts),
            key=lambda s: s.path,
        )
    )
    project = Project(
        root="/project",
        packages=tuple(sorted({f.module.split(".")[0] for f in facts})),
        files=files,
        facts={f.module: f for f in facts},
    )
    return StepContext(
        root=Path("/project"), config=config or Config(root="/project"), project=project
    )
