"""The ruff step: runs ``ruff check`` on the verified files and reports ``ruff/<code>``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from archverify.core.findings import Finding, Severity
from archverify.core.steps import default
from archverify.core.tool_args import RUFF_READ_ONLY
from archverify.executors.base import StepContext
from archverify.executors.runtime.process import ToolFailure, error_line, relative_path, run_checked
from archverify.executors.tools.cache import RUFF_CONFIGS
from archverify.executors.tools.common import PerFileTool, ToFinding, timeout_for

STEP_ID = "ruff"
DEFAULT_TIMEOUT_S: float = default(STEP_ID, "timeout_s")  # declared in core.steps


class RuffStep(PerFileTool):
    """``ruff check`` with the project's own configuration, only on files that changed."""

    id = STEP_ID
    configs = RUFF_CONFIGS

    def __init__(self, module: str = "ruff", distribution: str = "ruff") -> None:
        super().__init__(module, distribution)

    def finding_maker(self, context: StepContext) -> ToFinding:
        return _finding

    def check_files(self, context: StepContext, paths: Sequence[str]) -> dict[str, list[Any]]:
        tool = context.config.tool(self.id)
        # --force-exclude: files named on the command line still obey the project's excludes.
        args = [
            "check",
            "--output-format",
            "json",
            "--no-cache",
            "--force-exclude",
            *RUFF_READ_ONLY,
            *tool.args,
            "--",
            *paths,
        ]
        run = run_checked(
            self.module,
            args,
            cwd=context.root,
            timeout_s=timeout_for(tool, DEFAULT_TIMEOUT_S),
            ok_codes=(0, 1),
        )
        try:
            data = json.loads(run.stdout)
        except ValueError:
            message = f"ruff printed no JSON: {error_line(run.stdout or run.stderr)}"
            raise ToolFailure(message) from None
        if not isinstance(data, list):
            raise ToolFailure(f"ruff printed unexpected JSON: {error_line(run.stdout)}")
        # Every file that was run gets an entry, so that clean files are cached as clean.
        fresh: dict[str, list[Any]] = {path: [] for path in paths}
        for item in data:
            path, record = _record(context, item)
            fresh.setdefault(path, []).append(record)
        return fresh


def _record(context: StepContext, item: Any) -> tuple[str, dict[str, Any]]:
    """One ruff diagnostic as a cacheable record, keyed by its path relative to the root."""
    if not isinstance(item, dict):
        raise ToolFailure(f"ruff printed an unexpected diagnostic: {str(item)[:200]}")
    location = item.get("location") or {}
    fix = item.get("fix") or {}
    hint = str(fix.get("message") or "") or str(item.get("url") or "")
    return relative_path(context.root, str(item.get("filename", ""))), {
        # Older ruff versions report syntax errors without a code; newer ones as "invalid-syntax".
        "code": str(item.get("code") or "invalid-syntax"),
        "line": int(location.get("row") or 0),
        "column": int(location.get("column") or 0),
        "message": str(item.get("message", "")),
        "hint": hint,
        "url": str(item.get("url") or ""),
    }


def _finding(path: str, record: dict[str, Any]) -> Finding:
    extra = {"url": record["url"]} if record.get("url") else {}
    return Finding(
        step=STEP_ID,
        rule=f"ruff/{record['code']}",
        severity=Severity.ERROR,
        path=path,
        line=int(record["line"]),
        column=int(record["column"]),
        message=str(record["message"]),
        hint=str(record["hint"]),
        extra=extra,
    )
