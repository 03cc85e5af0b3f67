"""Glue shared by the external-tool steps: their options, their targets, and the base class of
the tools that check files one by one."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from archverify.core.config import ToolConfig
from archverify.core.findings import Finding, StepOutcome
from archverify.core.project import in_package
from archverify.executors.base import StepContext, failed_to_run, finished
from archverify.executors.runtime.process import ToolFailure
from archverify.executors.tools.cache import (
    PerFileCache,
    file_hashes,
    step_cache_key,
    tool_version,
)
from archverify.executors.tools.tool_defaults import defaults_note

# Turns one file's record from the tool into a finding.
ToFinding = Callable[[str, Any], Finding]


def timeout_for(tool: ToolConfig, default: float) -> float:
    """``options.timeout_s`` of a tool step, or ``default``.

    The configuration schema (core/config/schema.py) is the one place that validates
    it: finite, more than 0 and at most a day.
    """
    return float(tool.options.get("timeout_s", default))


def package_targets(context: StepContext) -> list[str]:
    """Each verified package's directory (a module's file when it is one), relative to the root.

    Directories let a tool apply the project's own ``exclude``; a package whose ``__init__``
    was not discovered (a namespace package) falls back to its discovered files.
    """
    targets: list[str] = []
    for package in context.project.packages:
        head = next((s for s in context.project.files if s.module == package), None)
        if head is not None:
            path = PurePosixPath(head.path)
            targets.append(str(path.parent) if head.is_package else str(path))
        else:
            targets.extend(s.path for s in context.project.files if in_package(s.module, package))
    return list(dict.fromkeys(targets))


class PerFileTool(ABC):
    """The shared shape of a tool that checks files one by one (ruff, bandit): the records of
    unchanged files come from the cache, the others from one run of the tool.

    ``module`` and ``distribution`` name the program; they exist so that a test can point a
    step at a module that is not installed. ``configs`` are the root config files that change
    the tool's verdicts and so belong in every cache key. A subclass gives ``check_files`` and
    ``finding_maker`` (and ``run_stats`` when it reports more than the file counts).
    """

    id: str
    configs: tuple[str, ...]

    def __init__(self, module: str, distribution: str) -> None:
        self.module = module
        self.distribution = distribution

    def version(self, context: StepContext) -> str:
        """What names the program that runs in the cache keys: its distribution's version (the
        bandit step's ruff engine says so and gives ruff's)."""
        return tool_version(self.distribution)

    def cache_key(self, context: StepContext) -> str | None:
        version = self.version(context)
        below = [source.path for source in context.project.files]
        extra = (self.module, *self.filter_inputs(context), *_changed_only(context))
        return step_cache_key(
            context, self.id, version, self.configs, extra=extra, config_below=below
        )

    def filter_inputs(self, context: StepContext) -> Sequence[str]:
        """What ``record_filter`` depends on besides the step's own options (which every key
        has): it joins the step's cache key, since a replay is filtered already."""
        return ()

    def run(self, context: StepContext) -> StepOutcome:
        started = time.monotonic()
        try:
            # First, so that an option the step cannot use fails before the tool runs.
            to_finding = self.finding_maker(context)
            results, misses, files = self.per_file_results(
                context, lambda paths: self.check_files(context, paths)
            )
        except ToolFailure as exc:
            return failed_to_run(self.id, str(exc), started)
        keep = self.record_filter(context)
        findings = [
            to_finding(path, record)
            for path, records in results.items()
            for record in records
            if keep is None or keep(path, record)
        ]
        stats = {"files": files, "files_run": len(misses), **self.run_stats(context, misses)}
        note = defaults_note(self.id, context.root, context.config.tool(self.id).args)
        return finished(self.id, findings, started, stats, message=note)

    @abstractmethod
    def check_files(self, context: StepContext, paths: Sequence[str]) -> dict[str, list[Any]]:
        """Run the tool on ``paths``: each path's records (raises ``ToolFailure``)."""

    @abstractmethod
    def finding_maker(self, context: StepContext) -> ToFinding:
        """How this run turns a record into a finding (raises ``ToolFailure`` for bad options)."""

    def run_stats(self, context: StepContext, checked: Sequence[str]) -> Mapping[str, Any]:
        """Counts beyond ``files`` and ``files_run`` for the report."""
        return {}

    def record_filter(self, context: StepContext) -> Callable[[str, Any], bool] | None:
        """Which (path, record) pairs this run reports, None for all. Applied after the cache,
        so the cached records stay the tool's whole answer whatever the configuration."""
        return None

    def per_file_results(
        self, context: StepContext, check: Callable[[list[str]], dict[str, list[Any]]]
    ) -> tuple[dict[str, list[Any]], list[str], int]:
        """Every file's records: cached ones reused, the rest checked by ``check`` and stored.

        Returns the records by path, the paths that were checked, and how many files there are.
        Under ``--changed-since`` only the changed files are looked at (every file when the
        change holds one of the tool's configuration files).
        """
        hashes = file_hashes(context)
        changed = narrowed_to(context, self.configs)
        if changed is not None:
            hashes = {path: h for path, h in hashes.items() if path in changed}
        cache = PerFileCache.for_tool(context, self.id, self.version(context), self.configs)
        results, misses = cache.split(hashes)
        if misses:
            fresh = check(misses)
            cache.store(hashes, fresh)
            results.update(fresh)
        return results, misses, len(hashes)


def narrowed_to(context: StepContext, configs: Sequence[str] = ()) -> frozenset[str] | None:
    """The files a ``--changed-since`` run holds, None when the step looks at every file (no
    ``--changed-since``, or a changed configuration file among ``configs``)."""
    changed = context.options.get("changed_files")
    if changed is None or set(configs) & set(changed):
        return None
    return frozenset(changed)


def _changed_only(context: StepContext) -> tuple[str, ...]:
    """What a ``--changed-since`` run's key adds: its outcome covers the changed files only."""
    changed = context.options.get("changed_files")
    return () if changed is None else ("changed-only", *sorted(changed))
