"""Builds small on-disk projects and their StepContext for the tool step tests."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archverify.core.config import Config, ToolConfig
from archverify.core.facts import FileFacts
from archverify.core.project import Project, SourceFile
from archverify.executors.base import KeyValueCache, NullCache, StepContext
from tests.helpers.tree import write_tree


def write_files(root: Path, files: Mapping[str, str]) -> None:
    write_tree(root, files)


def make_context(
    root: Path,
    *,
    source_root: str = ".",
    packages: tuple[str, ...] = ("pkg",),
    tools: Mapping[str, ToolConfig] | None = None,
    cache: KeyValueCache | None = None,
    cache_dir: Path | None = None,
    jobs: int = 1,
    options: Mapping[str, Any] | None = None,
) -> StepContext:
    """A context over every .py file below ``root/source_root`` (like discovery would give)."""
    base = root / source_root
    sources: list[SourceFile] = []
    facts: dict[str, FileFacts] = {}
    for file in sorted(base.rglob("*.py")):
        rel_in_root = file.relative_to(base)
        if rel_in_root.parts[0] not in {p.split(".")[0] for p in packages}:
            continue
        parts = list(rel_in_root.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        module = ".".join(parts)
        path = file.relative_to(root).as_posix()
        sources.append(SourceFile(path, module, is_package, source_root))
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        facts[module] = FileFacts(path, module, is_package, content_hash=digest)
    project = Project(root=str(root), packages=packages, files=tuple(sources), facts=facts)
    config = Config(
        root=str(root),
        source_roots=(source_root,),
        packages=packages,
        tools=dict(tools or {}),
    )
    return StepContext(
        root=root,
        config=config,
        project=project,
        cache=cache if cache is not None else NullCache(),
        cache_dir=cache_dir,
        jobs=jobs,
        options=dict(options or {}),
    )
