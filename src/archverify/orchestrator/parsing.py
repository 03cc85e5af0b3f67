"""Read every file once and turn it into facts, in a process pool, reusing cached facts."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from archverify.core.extract import extract_facts
from archverify.core.facts import CompileError, FileFacts
from archverify.core.project import SourceFile
from archverify.orchestrator.facts_cache import FactsCache, facts_key

# Below this many files to parse, a process pool costs more to start than it saves.
_POOL_THRESHOLD = 48

_Job = tuple[bytes, str, str, bool]


def _extract(job: _Job) -> FileFacts:
    source, path, module, is_package = job
    return extract_facts(source, path, module, is_package)


def _extract_many(jobs: Sequence[_Job]) -> list[FileFacts]:
    return [_extract(job) for job in jobs]


def _unreadable(source: SourceFile, error: OSError) -> FileFacts:
    reason = error.strerror or str(error)
    return FileFacts(
        path=source.path,
        module=source.module,
        is_package=source.is_package,
        content_hash="",
        compile_error=CompileError(kind="read", line=0, column=0, message=f"cannot read: {reason}"),
    )


def parse_files(
    root: Path, files: Sequence[SourceFile], *, jobs: int, cache: FactsCache
) -> dict[str, FileFacts]:
    """Facts for every file, by module name; cache misses are parsed in parallel."""
    results: dict[str, FileFacts] = {}
    keys: dict[str, str] = {}
    todo: list[_Job] = []
    for source in files:
        try:
            data = (root / source.path).read_bytes()
        except OSError as error:
            results[source.module] = _unreadable(source, error)
            continue
        digest = hashlib.sha256(data).hexdigest()
        key = facts_key(digest, source.path, source.module, source.is_package)
        keys[source.module] = key
        cached = cache.get(key)
        if cached is not None:
            results[source.module] = cached
        else:
            todo.append((data, source.path, source.module, source.is_package))
    for facts in _run_jobs(todo, jobs):
        results[facts.module] = facts
    cache.save({keys[m]: f for m, f in results.items() if m in keys})
    return results


def _run_jobs(todo: list[_Job], jobs: int) -> list[FileFacts]:
    if jobs <= 1 or len(todo) < _POOL_THRESHOLD:
        return _extract_many(todo)
    # Big files first, dealt round-robin, so that workers finish at about the same time.
    todo.sort(key=lambda job: len(job[0]), reverse=True)
    chunks = [todo[i :: jobs * 4] for i in range(jobs * 4)]
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        return [facts for chunk in pool.map(_extract_many, chunks) for facts in chunk]
