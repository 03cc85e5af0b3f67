"""Builds throwaway projects for the imports step tests: files on disk plus minimal facts."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from archverify.core.config import Config, ToolConfig
from archverify.core.facts import CompileError, FileFacts, ImportFact
from archverify.core.project import Project, SourceFile
from archverify.executors.base import KeyValueCache, NullCache, StepContext


def module_name(relative: str, source_root: str) -> tuple[str, bool]:
    inner = relative if source_root == "." else relative[len(source_root) + 1 :]
    parts = inner[: -len(".py")].split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def make_context(
    root: Path,
    files: Mapping[str, str],
    *,
    source_root: str = ".",
    imports: Mapping[str, Sequence[ImportFact]] | None = None,
    broken: Sequence[str] = (),
    options: Mapping[str, Any] | None = None,
    jobs: int = 2,
    order: Sequence[str] | None = None,
    cache: KeyValueCache | None = None,
    cache_tests: bool = False,
) -> StepContext:
    """Write ``files`` (relative path -> source) under ``root`` and describe them as a Project.

    ``imports`` gives ImportFacts by module; ``broken`` names modules with a compile error;
    ``order`` overrides the path order of ``Project.files`` (to test order independence).
    ``cache`` and ``cache_tests`` are the run's cache and its ``--cache-tests`` switch.
    """
    sources: list[SourceFile] = []
    facts: dict[str, FileFacts] = {}
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written only when it differs: a rewrite changes the modification time, which replay
        # records for a file an import read (a failed import's modules).
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        module, is_package = module_name(relative, source_root)
        sources.append(SourceFile(relative, module, is_package, source_root))
        facts[module] = FileFacts(
            path=relative,
            module=module,
            is_package=is_package,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            compile_error=CompileError("syntax", 1, 1, "invalid syntax")
            if module in broken
            else None,
            imports=tuple((imports or {}).get(module, ())),
        )
    sources.sort(key=lambda s: s.path)
    if order is not None:
        sources.sort(key=lambda s: list(order).index(s.module))
    packages = tuple(sorted({s.module.split(".")[0] for s in sources}))
    config = Config(
        root=str(root),
        source_roots=(source_root,),
        packages=packages,
        tools={"imports": ToolConfig(options=dict(options or {"timeout_s": 2}))},
    )
    project = Project(root=str(root), packages=packages, files=tuple(sources), facts=facts)
    return StepContext(
        root=root,
        config=config,
        project=project,
        jobs=jobs,
        cache=cache or NullCache(),
        options={"cache_tests": cache_tests},
    )
