"""Glue shared by the external-tool steps: their options and their targets."""

from __future__ import annotations

from pathlib import PurePosixPath

from archverify.core.config import ToolConfig
from archverify.core.project import in_package
from archverify.executors.base import StepContext


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
