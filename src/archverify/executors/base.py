"""What every step receives and returns: the step protocol and its context.

A step is an object with an ``id`` and a ``run(context)`` that returns a ``StepOutcome``.
Steps never parse source again: the facts of the one parse are in ``context.project``.
The orchestrator hands in the edge services (a key-value cache, the cache folder) so that a
step stays testable without the command line.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from archverify.core.config import Config
from archverify.core.facts import FACTS_SCHEMA
from archverify.core.facts_pack import imports_text
from archverify.core.findings import Finding, StepOutcome, StepStatus, status_for
from archverify.core.graph import ImportGraph, ImportTable
from archverify.core.project import Project
from archverify.core.rerooting import unrooted_text


class KeyValueCache(Protocol):
    """JSON-serialisable values by string key, kept between runs (or not at all)."""

    def get(self, namespace: str, key: str) -> Any | None: ...

    def put(self, namespace: str, key: str, value: Any) -> None: ...


class NullCache:
    """A cache that remembers nothing (``--no-cache``, and tests)."""

    def get(self, namespace: str, key: str) -> Any | None:
        return None

    def put(self, namespace: str, key: str, value: Any) -> None:
        return None


@dataclass
class StepContext:
    """Everything a step may use.

    ``root`` is the verified directory. ``cache_dir`` is archverify's own cache folder: a
    tool's private cache (mypy's incremental data, say) goes below it, never into the tree.
    ``options`` carries run-wide switches such as ``cache_tests``.
    """

    root: Path
    config: Config
    project: Project
    cache: KeyValueCache = field(default_factory=NullCache)
    cache_dir: Path | None = None
    jobs: int = 1
    debug: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    _graphs: dict[tuple[bool, ...], ImportGraph] = field(
        default_factory=dict, init=False, repr=False
    )
    _table: ImportTable | None = field(default=None, init=False, repr=False)
    _graph_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _graph_key: str | None = field(default=None, init=False, repr=False)

    def import_graph(
        self,
        *,
        include_type_checking: bool = False,
        include_function_level: bool = True,
        include_external: bool = False,
        include_main_guarded: bool = True,
        include_implicit: bool = False,
    ) -> ImportGraph:
        """The project's import graph, built once per set of options and shared by the steps
        (contracts, cycles and the architecture picture ask for the same few); all of them
        filter one ``ImportTable``."""
        key = (
            include_type_checking,
            include_function_level,
            include_external,
            include_main_guarded,
            include_implicit,
        )
        with self._graph_lock:
            graph = self._graphs.get(key)
            if graph is None:
                if self._table is None:
                    # Every graph of the run from one resolution of the imports.
                    self._table = ImportTable(self.project.iter_facts())
                graph = self._table.graph(
                    include_type_checking=include_type_checking,
                    include_function_level=include_function_level,
                    include_external=include_external,
                    include_main_guarded=include_main_guarded,
                    include_implicit=include_implicit,
                )
                self._graphs[key] = graph
            return graph

    def config_text(self) -> str:
        """The configuration as key material: its ``repr`` with the root's path (``root``, the
        configuration file's path) as a mark (``core.rerooting``), so that the same project in
        another folder has the same keys."""
        return unrooted_text(repr(self.config), [str(self.root), self.config.root])

    def import_graph_key(self) -> str:
        """A digest of everything the import graph is built from (each file's path, module and
        imports) and of the configuration: the cache key of the steps that read only the graph
        (contracts, cycles), so an edit that changes no import replays them. Imports are
        hashed as packed, without decoding them."""
        with self._graph_lock:
            if self._graph_key is None:
                digest = hashlib.sha256(f"graph-{FACTS_SCHEMA}\n{self.config_text()}\n".encode())
                digest.update(f"{self.project.packages!r}\n".encode())
                for facts in self.project.iter_facts():
                    digest.update(f"{facts.path}\0{facts.module}\0".encode())
                    digest.update(imports_text(facts))
                    digest.update(b"\n")
                self._graph_key = digest.hexdigest()
            return self._graph_key


class Step(Protocol):
    """One step of the runbook."""

    id: str

    def run(self, context: StepContext) -> StepOutcome: ...


class CacheableStep(Step, Protocol):
    """A step whose outcome depends only on inputs it can name.

    ``cache_key`` returns a digest of every input (file contents it reads, its config, the
    tool's version); the scheduler replays the stored outcome when the key is unchanged.
    ``None`` means "do not replay this time".
    """

    def cache_key(self, context: StepContext) -> str | None: ...


def finished(
    step_id: str,
    findings: Iterable[Finding],
    started: float | None = None,
    stats: Mapping[str, Any] | None = None,
    *,
    message: str = "",
) -> StepOutcome:
    """A step that ran to the end: findings in report order, failed when any is an error.

    ``started`` is the ``time.monotonic()`` the step began at (None: no duration of its own;
    the scheduler times every step anyway); ``message`` is a note such as a package that
    matched nothing.
    """
    ordered = sorted(findings, key=Finding.sort_key)
    return StepOutcome(
        step=step_id,
        status=status_for(ordered),
        findings=ordered,
        duration_s=_since(started),
        message=message,
        stats=dict(stats or {}),
    )


def skipped(step_id: str, why: str) -> StepOutcome:
    """A step with nothing to check (nothing configured, say): ``why`` says so."""
    return StepOutcome(step=step_id, status=StepStatus.SKIPPED, message=why)


def failed_to_run(step_id: str, message: str, started: float | None = None) -> StepOutcome:
    """A step that could not run or could not understand its tool (status ``error``)."""
    return StepOutcome(
        step=step_id, status=StepStatus.ERROR, message=message, duration_s=_since(started)
    )


def _since(started: float | None) -> float:
    return 0.0 if started is None else time.monotonic() - started
