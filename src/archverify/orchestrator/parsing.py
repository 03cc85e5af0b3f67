"""Read every file once and turn it into facts, in a process pool, reusing cached facts."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields, replace
from pathlib import Path

from archverify.core.extract import (
    DEPTH_DOUBT,
    NO_TREE_REASON,
    TOO_DEEP,
    TREE_TOO_DEEP,
    extract_rows,
    is_depth_verdict,
)
from archverify.core.fact_rows import NO_ROWS, with_rows
from archverify.core.facts import CompileError, FileFacts
from archverify.core.facts_pack import Record, decode, encode_rows
from archverify.core.project import SourceFile
from archverify.executors.compile import compiles_in_fresh_interpreter
from archverify.orchestrator.cache.facts import (
    FactsCache,
    FileStat,
    StatTable,
    facts_key,
    file_stat,
    recordable,
)

# Below this many files to parse, a process pool costs more to start than it saves.
_POOL_THRESHOLD = 48
# Tasks per worker: enough that a worker slowed by other load on the machine hands its share
# to the others, few enough that the round trips stay negligible.
_TASKS_PER_WORKER = 16

# Depth verdicts confirmed in a fresh interpreter per run (refusals, and files compiled only
# within a few levels of the limit); beyond, the extraction's own (computed as deep as
# ``python -c`` runs) stands.
_MAX_CONFIRMED = 32

# (absolute path, relative path, module, is_package, with the public API)
_Job = tuple[str, str, str, bool, bool]


def _read(job: _Job) -> bytes | FileFacts:
    file, path, module, is_package, _ = job
    try:
        with open(file, "rb") as handle:
            return handle.read()
    except OSError as error:
        return _unreadable(path, module, is_package, error)


def _extract(job: _Job) -> FileFacts:
    source = _read(job)
    if isinstance(source, FileFacts):
        return source
    return with_rows(*extract_rows(source, *job[1:4], api=job[4]))


def _extract_packed(jobs: Sequence[_Job]) -> list[Record]:
    # Workers send compact records: building and pickling a hundred thousand small facts
    # objects would cost more in the parent than the parsing saves.
    records: list[Record] = []
    for job in jobs:
        source = _read(job)
        if isinstance(source, FileFacts):
            records.append(encode_rows(source, NO_ROWS))
        else:
            records.append(encode_rows(*extract_rows(source, *job[1:4], api=job[4])))
    return records


def _unreadable(path: str, module: str, is_package: bool, error: OSError) -> FileFacts:
    reason = error.strerror or str(error)
    return FileFacts(
        path=path,
        module=module,
        is_package=is_package,
        content_hash="",
        compile_error=CompileError(kind="read", line=0, column=0, message=f"cannot read: {reason}"),
    )


def parse_files(
    root: Path,
    files: Sequence[SourceFile],
    *,
    jobs: int,
    cache: FactsCache,
    clock: Callable[[], int] = time.time_ns,
    api: bool = True,
) -> dict[str, FileFacts]:
    """Facts for every file, by module name; cache misses are parsed in parallel.

    Stat first: a file whose stat is the one the pack recorded (``FactsCache.known_hash``) is
    neither read nor hashed; another is read and hashed when the pack can hold its facts. With
    an empty cache nothing is read here: the workers read the files themselves. ``clock`` gives
    the run's start in ns (``cache.facts.recordable`` judges each stat against it).
    ``api=False`` (no step of the run reads the public API) leaves it out of the facts parsed
    here; cached facts with it serve as well.
    """
    started_ns = clock()
    found: dict[str, FileFacts] = {}
    todo: list[_Job] = []
    stats: dict[str, FileStat] = {}
    keys: dict[str, str] = {}  # the pack key of each cached file's facts
    lookup = cache.has_entries()
    for source in files:
        file = os.path.join(root, source.path)
        stat = _stat(file)  # before the read: a change after it shows in the next run's stat
        if stat is not None:
            stats[source.path] = stat
        if lookup:
            digest = cache.known_hash(source.path, stat) if stat is not None else None
            if digest is None:
                try:
                    with open(file, "rb") as handle:
                        digest = hashlib.sha256(handle.read()).hexdigest()
                except OSError as error:
                    found[source.path] = _unreadable(
                        source.path, source.module, source.is_package, error
                    )
                    continue
            hit = _cached(cache, digest, source, api)
            if hit is not None:
                keys[source.path], found[source.path] = hit
                continue
        todo.append((file, source.path, source.module, source.is_package, api))
    confirmed = 0
    for facts in _run_jobs(todo, jobs, stats):
        if _depends_on_depth(facts) and confirmed < _MAX_CONFIRMED:
            # A fresh interpreter per file: bounded, so a tree of deep files cannot stall a run.
            confirmed += 1
            facts = _confirm_depth_verdict(root, facts)
        found[facts.path] = facts
    # In discovery order, so that the last of two files claiming one module wins, always.
    results = {found[s.path].module: found[s.path] for s in files if s.path in found}
    kept = [f for f in results.values() if f.content_hash]
    recorded: StatTable = {
        f.path: (stats[f.path], f.content_hash)
        for f in kept
        if f.path in stats and recordable(stats[f.path], started_ns)
    }
    entries = {
        keys.get(f.path) or facts_key(f.content_hash, f.path, f.module, f.is_package, api=api): f
        for f in kept
    }
    cache.save(entries, recorded)
    return results


def _cached(
    cache: FactsCache, digest: str, source: SourceFile, api: bool
) -> tuple[str, FileFacts] | None:
    """The pack's key and facts for this content, path and module: with the public API, or,
    when the run needs none, without it first."""
    for with_api in (True,) if api else (False, True):
        key = facts_key(digest, source.path, source.module, source.is_package, api=with_api)
        cached = cache.get(key)
        if cached is not None:
            return key, cached
    return None


def _depends_on_depth(facts: FileFacts) -> bool:
    """True for facts whose compile verdict was found near CPython's nesting limit."""
    verdict = facts.compile_error
    return (verdict is not None and is_depth_verdict(verdict)) or DEPTH_DOUBT in facts.extra


def _confirm_depth_verdict(root: Path, facts: FileFacts) -> FileFacts:
    """Facts whose verdict near CPython's nesting limit a fresh interpreter agrees with.

    How deep CPython parses and compiles depends on the frames below the call (and on 3.12+
    on whether the call site ran before); the extraction retries as deep as ``python -c``
    runs, but only a fresh interpreter is the reference. The file is compiled there (never
    run) when the extraction found it too deep to compile, or compiling only within a few
    levels of the limit (``DEPTH_DOUBT``). If it compiles, it is no compile error, and when its
    syntax tree could not be built here either, a ``compile/too-deep`` warning says its facts
    are missing; if it does not, the error stands, or for a doubt the error raised with less
    room (the same limit, reached a few levels sooner).
    """
    if not _depends_on_depth(facts):
        return facts
    doubt = facts.extra.get(DEPTH_DOUBT)
    compiles = compiles_in_fresh_interpreter(root, facts.path)
    dropped = (TREE_TOO_DEEP, DEPTH_DOUBT)
    extra = {key: value for key, value in facts.extra.items() if key not in dropped}
    if isinstance(doubt, list) and facts.compile_error is None:
        if compiles is False:
            # A file that does not compile is a syntax error, not one too deep to analyse.
            extra.pop(TOO_DEEP, None)
            line, column, message = doubt
            refused = CompileError("syntax", int(line), int(column), str(message))
            return _plain(facts, refused, extra)
        return _plain(facts, None, extra)
    error = facts.compile_error
    if not compiles:  # None: no second opinion to be had, the verdict found here stands
        return _plain(facts, error, extra)
    if facts.extra.get(TREE_TOO_DEEP):
        extra[TOO_DEEP] = NO_TREE_REASON
    return _plain(facts, None, extra)


def _plain(facts: FileFacts, error: CompileError | None, extra: dict[str, object]) -> FileFacts:
    """``facts`` (packed or plain) as plain facts with this compile error and extra."""
    plain = FileFacts(**{f.name: getattr(facts, f.name) for f in fields(FileFacts)})
    return replace(plain, compile_error=error, extra=extra)


def _run_jobs(todo: list[_Job], jobs: int, stats: dict[str, FileStat]) -> list[FileFacts]:
    if jobs <= 1 or len(todo) < _POOL_THRESHOLD:
        return [_extract(job) for job in todo]
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    tasks = _chunks(todo, jobs * _TASKS_PER_WORKER, stats)
    # Never more workers than tasks: ``--jobs 300`` on 60 files must not fork 300 processes.
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        chunks = pool.map(_extract_packed, tasks)
        return [decode(entry, segments) for chunk in chunks for entry, segments in chunk]


def _chunks(todo: list[_Job], count: int, stats: dict[str, FileStat]) -> list[list[_Job]]:
    """Biggest files first, in runs of about equal bytes: the last tasks are short, so that
    the workers finish at about the same time."""
    sizes = {job: stats[job[1]][0] if job[1] in stats else 0 for job in todo}
    ordered = sorted(todo, key=sizes.__getitem__, reverse=True)
    budget = max(1, sum(sizes.values()) // count)
    chunks: list[list[_Job]] = [[]]
    filled = 0
    for job in ordered:
        if filled >= budget:
            chunks.append([])
            filled = 0
        chunks[-1].append(job)
        filled += sizes[job]
    return chunks


def _stat(file: str) -> FileStat | None:
    try:
        return file_stat(os.stat(file))
    except OSError:
        return None  # the read (here or in a worker) says why
