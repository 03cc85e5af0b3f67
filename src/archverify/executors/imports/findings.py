"""Turning the import server's verdicts into ``imports/*`` findings, once per root cause."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from archverify.core.findings import Finding, Rule, Severity

STEP = "imports"
# Its hint says how to reproduce the failure, or how to allocate less: given per finding.
IMPORT_ERROR = Rule("imports/error", Severity.ERROR)
EXIT = Rule(
    "imports/exit",
    Severity.ERROR,
    "importing a module must not end the process: move this into a function or a main block",
)
TIMEOUT = Rule(
    "imports/timeout",
    Severity.ERROR,
    "move long-running work out of import time (into a function or a main block), "
    "or raise [tool.archverify.imports] timeout_s",
)
# Its hint names the distribution to install: given per finding.
MISSING_DEPENDENCY = Rule("imports/missing-dependency", Severity.WARNING)
LEFTOVER_PROCESS = Rule(
    "imports/leftover-process",
    Severity.WARNING,
    "start processes from a function the program calls, not at import time",
)
CHANGED_TREE = Rule(
    "imports/changed-tree",
    Severity.WARNING,
    "importing a module must not write, delete or change files of the project",
)

_EXIT_OUTCOMES = frozenset({"exit", "os_exit", "signal", "died", "server"})
# How native code ends when malloc fails: abort() (Rust, C++ std::bad_alloc), or a NULL use.
_ALLOCATION_CRASHES = frozenset({"SIGABRT", "SIGSEGV", "SIGBUS"})
_LISTED_DEPENDENTS = 5


@dataclass(frozen=True)
class ProjectIndex:
    """Which file is which module, to map traceback frames back to the project."""

    modules: Mapping[str, str]  # module -> relative posix path
    by_file: Mapping[str, str]  # absolute normalised path -> module
    broken: frozenset[str]  # modules with a compile error (never imported)
    tops: frozenset[str]  # top-level names that belong to the project

    def module_of(self, filename: str) -> str | None:
        found = self.by_file.get(os.path.normpath(filename))
        if found is None:
            found = self.by_file.get(os.path.realpath(filename))
        return found


@dataclass
class Verdicts:
    """The findings and the counts that go into the step's stats."""

    findings: list[Finding] = field(default_factory=list)
    failed: int = 0
    blocked: int = 0  # failures whose cause is a file that does not compile


def build_findings(results: Mapping[str, Mapping[str, Any]], index: ProjectIndex) -> Verdicts:
    """One finding per root cause; modules failing because of another are its dependents.

    ``results`` maps every imported (or skipped) module to the server's record; a skipped
    module's record is ``{"outcome": "skipped", "cause": module}``.
    """
    failed = {m for m, r in results.items() if r.get("outcome") != "ok"}
    causes = {m: _cause(m, results[m], index, failed) for m in sorted(failed)}
    skipped = {m for m in failed if results[m].get("outcome") == "skipped"}
    dependents: dict[str, list[str]] = {}
    verdicts = Verdicts(failed=len(failed))
    for module in sorted(failed):
        root = _root(module, causes, skipped)
        if root != module:
            dependents.setdefault(root, []).append(module)
    for module in sorted(failed):
        if module in index.broken:
            continue
        root = _root(module, causes, skipped)
        if root in index.broken:
            verdicts.blocked += 1
        elif root == module:
            verdicts.findings.append(
                _finding(module, results[module], index, dependents.get(module, []))
            )
    for module in sorted(results):
        if module in index.modules:
            verdicts.findings += _side_effects(module, results[module], index)
    return verdicts


def _side_effects(module: str, result: Mapping[str, Any], index: ProjectIndex) -> list[Finding]:
    """Warnings for what the import left behind: processes still running, files changed."""
    found: list[Finding] = []
    path = index.modules[module]
    leftovers = result.get("leftovers")
    for process in leftovers if isinstance(leftovers, list) else []:
        if not isinstance(process, dict):
            continue
        message = (
            f"importing {module} left process {process.get('pid')} running "
            f"({process.get('command') or '?'}); it was killed"
        )
        extra = {"module": module, "pid": process.get("pid"), "command": process.get("command")}
        found.append(LEFTOVER_PROCESS.at(path, 1, 0, message, extra=extra))
    changed = result.get("changed")
    files = [str(f) for f in changed] if isinstance(changed, list) else []
    if files:
        shown = ", ".join(files[:_LISTED_DEPENDENTS]) + (
            ", ..." if len(files) > _LISTED_DEPENDENTS else ""
        )
        message = f"importing {module} changed files of the project: {shown}"
        found.append(CHANGED_TREE.at(path, 1, 0, message, extra={"module": module, "files": files}))
    return found


def _cause(
    module: str, result: Mapping[str, Any], index: ProjectIndex, failed: set[str]
) -> str | None:
    """The other failing project module that made ``module`` fail, when there is one."""
    if result.get("outcome") == "skipped":
        cause = str(result.get("cause", ""))
        return cause or None
    candidate: str | None = None
    for frame in reversed(_frames(result)):
        found = index.module_of(str(frame[0]))
        if found is not None:
            candidate = found
            break
    if candidate in (None, module):
        name = result.get("name")
        candidate = name if isinstance(name, str) and name in index.modules else None
    if candidate is None or candidate == module:
        return None
    if candidate in failed or candidate in index.broken:
        return candidate
    return None


def _root(module: str, causes: Mapping[str, str | None], skipped: set[str]) -> str:
    """Follow the causes to the module to blame.

    Causes can loop (a package whose import hung in a submodule that was skipped because of
    the package): every member of a loop then blames the same one, preferring a module that
    was really imported.
    """
    path = [module]
    while True:
        cause = causes.get(path[-1])
        if cause is None:
            return path[-1]
        if cause in path:
            cycle = path[path.index(cause) :]
            ran = [m for m in cycle if m not in skipped]
            return min(ran or cycle)
        path.append(cause)


def _frames(result: Mapping[str, Any]) -> list[list[Any]]:
    frames = result.get("frames")
    if not isinstance(frames, list):
        return []
    return [f for f in frames if isinstance(f, list) and len(f) == 3]


def _finding(
    module: str, result: Mapping[str, Any], index: ProjectIndex, dependents: list[str]
) -> Finding:
    path = index.modules[module]
    project_frames = []
    line = 0
    for filename, frame_line, function in _frames(result):
        owner = index.module_of(str(filename))
        if owner is None:
            continue
        project_frames.append(
            {"path": index.modules[owner], "line": int(frame_line), "function": str(function)}
        )
        if owner == module:
            line = int(frame_line)
    rule, message, hint = _describe(module, result, index)
    if _refused_itself(module, result, index) and line:
        # rich._win32_console raises ImportError on anything but Windows: on purpose, so the
        # way out is a suppression on that line, not a fix.
        hint = (
            f"{hint or rule.hint}; the module raised it itself (line {line}): if it is meant "
            "for another platform or interpreter, suppress it there with "
            f"`# archverify: ignore[{rule.id}] the reason`"
        )
    if dependents:
        names = ", ".join(dependents[:_LISTED_DEPENDENTS])
        more = "" if len(dependents) <= _LISTED_DEPENDENTS else ", ..."
        count = len(dependents)
        plural = "module fails" if count == 1 else "modules fail"
        message += f" ({count} dependent {plural} because of it: {names}{more})"
    extra: dict[str, Any] = {
        "module": module,
        "traceback": project_frames,
        "output": str(result.get("output", "")),
        "dependents": list(dependents),
    }
    if "exception" in result:
        extra["exception"] = result["exception"]
    if int(result.get("output_bytes", 0) or 0) > len(extra["output"].encode()):
        extra["output_truncated"] = True
    return rule.at(path, line or 1, 0, message, hint=hint, extra=extra)


def _refused_itself(module: str, result: Mapping[str, Any], index: ProjectIndex) -> bool:
    """The import failed with an ImportError the module's own code raised (its innermost frame
    is the module itself, and no module is named: not an import statement that found nothing)."""
    if result.get("exception") != "ImportError" or result.get("name"):
        return False
    frames = _frames(result)
    return bool(frames) and index.module_of(str(frames[-1][0])) == module


def reproduce_command(module: str, path: str | None) -> str:
    """The command that imports ``module`` as the step did: from its source root (the working
    directory, first on ``sys.path``), e.g. ``cd src && python -c "import app.x"``."""
    command = f'python -c "import {module}"'
    if not path:
        return command
    parts = path.split("/")
    # ``app/x.py`` is ``app.x``; ``app/__init__.py`` is ``app``: one more part.
    depth = module.count(".") + 1 + (parts[-1] == "__init__.py")
    root = "/".join(parts[:-depth]) if len(parts) > depth else ""
    return f"cd {shlex.quote(root)} && {command}" if root else command


def _describe(
    module: str, result: Mapping[str, Any], index: ProjectIndex
) -> tuple[Rule, str, str | None]:
    """The rule, the message and the hint of a failed import (None: the rule's own hint)."""
    outcome = result.get("outcome")
    reproduce = f"reproduce with `{reproduce_command(module, index.modules.get(module))}`"
    if outcome == "timeout":
        message = f"importing {module} did not finish within {result.get('timeout_s', '?')} s"
        return TIMEOUT, message, None
    if outcome in _EXIT_OUTCOMES:
        return EXIT, _exit_message(module, result), None
    exception = str(result.get("exception", "Exception"))
    missing = result.get("name")
    if exception == "ModuleNotFoundError" and isinstance(missing, str) and missing:
        top = missing.split(".")[0]
        if top not in index.tops:
            return (
                MISSING_DEPENDENCY,
                f"importing {module} needs {top!r}, which is not installed",
                f"pip install {top} (the distribution's name may differ from the import name)",
            )
    text = str(result.get("text", ""))
    message = f"importing {module} raised {exception}" + (f": {text}" if text else "")
    if result.get("memory_mb"):
        message += (
            f" (the import reached the memory cap of {result['memory_mb']} MB, "
            "[tool.archverify.imports] memory_mb)"
        )
        reproduce = "allocate less at import time, or raise [tool.archverify.imports] memory_mb"
    return IMPORT_ERROR, message, reproduce


def _exit_message(module: str, result: Mapping[str, Any]) -> str:
    outcome = result.get("outcome")
    code = result.get("code")
    if outcome == "exit":
        return f"importing {module} called sys.exit({'' if code is None else repr(code)})"
    if outcome == "os_exit":
        return f"importing {module} called os._exit({code})"
    if outcome == "signal":
        name = result.get("signal", "a signal")
        message = f"importing {module} was killed by {name}"
        cap = result.get("memory_mb_cap")
        if cap and name in _ALLOCATION_CRASHES:
            message += (
                f" (if this was native code denied an allocation: the import's "
                f"memory is capped at {cap} MB, [tool.archverify.imports] memory_mb)"
            )
        return message
    if outcome == "server":
        return f"importing {module} killed the import server"
    return f"importing {module} ended the process with status {code} before reporting"
