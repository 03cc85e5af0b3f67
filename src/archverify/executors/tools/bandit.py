"""The bandit step: security lint of the verified files, reported as ``bandit/<test id>``."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from archverify.core.findings import Finding, Rule, Severity
from archverify.core.steps import default
from archverify.executors.base import StepContext
from archverify.executors.runtime.children import current_step, enter_step
from archverify.executors.runtime.environment import environment_variables
from archverify.executors.runtime.process import ToolFailure, error_line, relative_path, run_checked
from archverify.executors.runtime.scratch import scratch
from archverify.executors.tools import bandit_ruff
from archverify.executors.tools.cache import BANDIT_CONFIGS, tool_version
from archverify.executors.tools.common import PerFileTool, ToFinding, timeout_for

STEP_ID = "bandit"
DEFAULT_TIMEOUT_S: float = default(STEP_ID, "timeout_s")  # declared in core.steps
SEVERITY_RANK = {"undefined": 0, "low": 1, "medium": 2, "high": 3}
# Below this many files per shard a second bandit process costs more than it saves.
SHARD_MIN_FILES = 40

# A file bandit could not parse; every other rule id is bandit's own test id (``bandit/B602``).
PARSE_ERROR = Rule("bandit/parse-error", Severity.WARNING)


class BanditStep(PerFileTool):
    """bandit with the project's ``.bandit`` / ``[tool.bandit]``, only on files that changed.

    Issues at or above ``options.severity`` (low|medium|high, default medium) are errors,
    lower ones warnings. ``options.engine = "ruff"`` runs ruff's flake8-bandit rules instead
    (``bandit_ruff``), reported under the same ids.
    """

    id = STEP_ID
    configs = BANDIT_CONFIGS

    def __init__(self, module: str = "bandit", distribution: str = "bandit") -> None:
        super().__init__(module, distribution)

    def version(self, context: StepContext) -> str:
        if engine(context) == "bandit":
            return tool_version(self.distribution)
        # ruff reads its RUFF_* variables even when isolated: they are part of what ran.
        variables = environment_variables(("RUFF_",))
        return f"ruff-engine {tool_version('ruff')} {variables}"

    def finding_maker(self, context: StepContext) -> ToFinding:
        threshold = severity_threshold(context)
        if engine(context) == "ruff":
            bandit_ruff.selection(context, context.config.tool(self.id).args)  # fails early
        return lambda path, record: _finding(path, record, threshold)

    def check_files(
        self, context: StepContext, paths: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        if engine(context) == "ruff":
            tool = context.config.tool(self.id)
            chosen = bandit_ruff.selection(context, tool.args)
            timeout_s = timeout_for(tool, DEFAULT_TIMEOUT_S)
            return bandit_ruff.check_files(context, paths, chosen, timeout_s=timeout_s)
        return self._check_all(context, split_shards(list(paths), context.jobs))

    def run_stats(self, context: StepContext, checked: Sequence[str]) -> Mapping[str, Any]:
        if engine(context) == "ruff":
            return {"engine": "ruff"}  # one ruff process, parallel inside
        return {"shards": len(split_shards(list(checked), context.jobs))}

    def filter_inputs(self, context: StepContext) -> Sequence[str]:
        return _assert_free_folders(context)

    def record_filter(self, context: StepContext) -> Callable[[str, Any], bool] | None:
        """B101 (``assert``) is how tests say what they check: skipped in the tests step's
        paths, unless the bandit args name B101."""
        folders = _assert_free_folders(context)
        if not folders:
            return None

        def keep(path: str, record: Any) -> bool:
            if not isinstance(record, dict) or record.get("test_id") != "B101":
                return True
            return not any(path == f or path.startswith(f + "/") for f in folders if f)

        return keep

    def _check_all(
        self, context: StepContext, shards: list[list[str]]
    ) -> dict[str, list[dict[str, Any]]]:
        fresh: dict[str, list[dict[str, Any]]] = {}
        if len(shards) == 1:
            fresh.update(self._check(context, shards[0]))
            return fresh
        # Threads only wait on the bandit processes; the work happens in the children, which
        # carry this step's tag like any other (see executors.runtime.children).
        with ThreadPoolExecutor(
            max_workers=len(shards), initializer=enter_step, initargs=(current_step(),)
        ) as pool:
            for part in pool.map(lambda shard: self._check(context, shard), shards):
                fresh.update(part)
        return fresh

    def _check(self, context: StepContext, paths: Sequence[str]) -> dict[str, list[Any]]:
        tool = context.config.tool(self.id)
        with scratch("bandit") as tmp:
            # The report goes to a file of ours: an ``output`` in the project's .bandit would
            # otherwise send it elsewhere.
            report = Path(tmp) / "report.json"
            args = [
                *("-f", "json", "-q", "-o", str(report)),
                *_config_args(context),
                *tool.args,
                *("-r", "--", *paths),
            ]
            run = run_checked(
                self.module,
                args,
                cwd=context.root,
                timeout_s=timeout_for(tool, DEFAULT_TIMEOUT_S),
                ok_codes=(0, 1),
            )
            written = report.read_text("utf-8", errors="replace") if report.is_file() else ""
        data = _load_report(written or run.stdout or run.stderr)
        fresh: dict[str, list[Any]] = {path: [] for path in paths}
        for issue in data.get("results") or ():
            path = relative_path(context.root, str(issue.get("filename", "")))
            fresh.setdefault(path, []).append(_issue_record(issue))
        for error in data.get("errors") or ():
            path = relative_path(context.root, str(error.get("filename", "")))
            reason = str(error.get("reason") or "bandit could not check this file")
            fresh.setdefault(path, []).append({"kind": "error", "message": reason})
        return fresh


def _assert_free_folders(context: StepContext) -> tuple[str, ...]:
    """The tests step's paths, where B101 is not reported; none when the bandit args name it."""
    if any("B101" in arg for arg in context.config.tool(STEP_ID).args):
        return ()
    paths = context.config.tool("tests").options.get("paths", default("tests", "paths"))
    return tuple(str(p).strip("/").removeprefix("./") for p in paths)


def split_shards(paths: list[str], jobs: int) -> list[list[str]]:
    """Paths in up to ``jobs`` balanced shards of at least ``SHARD_MIN_FILES`` files."""
    count = max(1, min(jobs, len(paths) // SHARD_MIN_FILES))
    return [paths[i::count] for i in range(count)]


def engine(context: StepContext) -> str:
    """``options.engine``: "bandit" or "ruff" (the schema refuses anything else)."""
    value = context.config.tool(STEP_ID).options.get("engine", default(STEP_ID, "engine"))
    if value not in ("bandit", "ruff"):
        raise ToolFailure(f'bandit options.engine must be "bandit" or "ruff", not {value!r}')
    return str(value)


def severity_threshold(context: StepContext) -> int:
    value = context.config.tool(STEP_ID).options.get("severity", default(STEP_ID, "severity"))
    rank = SEVERITY_RANK.get(str(value).lower()) if isinstance(value, str) else None
    if rank is None or rank == 0:
        raise ToolFailure(f"bandit options.severity must be low, medium or high, not {value!r}")
    return rank


def _config_args(context: StepContext) -> list[str]:
    """Point bandit at the project's configuration, which it does not find by itself."""
    args: list[str] = []
    try:
        pyproject = tomllib.loads((context.root / "pyproject.toml").read_text("utf-8"))
    except (OSError, ValueError):
        pyproject = {}
    if "bandit" in pyproject.get("tool", {}):
        args += ["-c", "pyproject.toml"]
    if (context.root / ".bandit").is_file():
        args += ["--ini", ".bandit"]
    return args


def _load_report(text: str) -> dict[str, Any]:
    # Some plugins log a line before the report: read from the first brace.
    start = text.find("{")
    try:
        data = json.loads(text[start:]) if start >= 0 else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ToolFailure(f"bandit printed no JSON: {error_line(text)}")
    return data


def _issue_record(issue: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "issue",
        "test_id": str(issue.get("test_id") or "unknown"),
        "test_name": str(issue.get("test_name") or ""),
        "severity": str(issue.get("issue_severity") or "undefined").lower(),
        "confidence": str(issue.get("issue_confidence") or "undefined").lower(),
        "line": int(issue.get("line_number") or 0),
        "column": int(issue.get("col_offset") or 0) + 1,
        "message": str(issue.get("issue_text") or ""),
        "more_info": str(issue.get("more_info") or ""),
    }


def _finding(path: str, record: dict[str, Any], threshold: int) -> Finding:
    if record.get("kind") == "error":
        return PARSE_ERROR.at(path, 0, 0, str(record["message"]))
    severity = record["severity"]
    level = Severity.ERROR if SEVERITY_RANK.get(severity, 0) >= threshold else Severity.WARNING
    extra = {"test_name": record["test_name"], "bandit_severity": severity}
    by = record.get("engine")
    if by:
        # ruff gives no severity or confidence: the severity is bandit's for this test.
        extra["engine"] = by
        detail = f"{severity} severity as bandit rates {record['test_id']}; found by {by}"
    else:
        detail = f"{severity} severity, {record['confidence']} confidence"
    return Finding(
        step=STEP_ID,
        rule=f"bandit/{record['test_id']}",
        severity=level,
        path=path,
        line=record["line"],
        column=record["column"],
        message=f"{record['message']} ({detail})",
        hint=record["more_info"],
        extra=extra,
    )
