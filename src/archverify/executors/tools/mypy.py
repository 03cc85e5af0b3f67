"""The mypy step: type-checks the verified packages and reports ``mypy/<code>``."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from archverify.core.findings import Finding, Severity, StepOutcome
from archverify.core.steps import default
from archverify.core.tool_args import path_arguments
from archverify.executors.base import StepContext, failed_to_run, finished
from archverify.executors.runtime.process import ToolFailure, error_line, relative_path, run_checked
from archverify.executors.runtime.scratch import scratch
from archverify.executors.tools import mypy_daemon
from archverify.executors.tools.cache import (
    MYPY_CONFIGS,
    environment_key,
    exclusive_lock,
    folder_digest,
    step_cache_key,
    tool_config_digest,
    tool_version,
)
from archverify.executors.tools.common import package_targets, timeout_for
from archverify.executors.tools.mypy_config import UnreadableConfig
from archverify.executors.tools.mypy_daemon import Launch
from archverify.executors.tools.tool_defaults import defaults_note
from archverify.executors.tools.untrusted import left_out_reason, pinned_mypy_config

STEP_ID = "mypy"
DEFAULT_TIMEOUT_S: float = default(STEP_ID, "timeout_s")  # declared in core.steps
# ``--output json`` appeared in mypy 1.11; older versions get the line format.
JSON_SINCE = (1, 11)
# Flags that make the line format parseable whatever the project's own config says.
_PLAIN_OUTPUT = (
    "--show-column-numbers",
    "--show-error-codes",
    "--no-color-output",
    "--no-error-summary",
    "--no-pretty",
    "--hide-error-context",
)
_LINE = re.compile(
    r"^(?P<file>[^:\n]+?):(?:(?P<line>\d+):)?(?:(?P<col>\d+):)? "
    r"(?P<severity>error|warning|note): (?P<message>.*?)(?:  \[(?P<code>[\w-]+)\])?$"
)
# The authenticated digest of mypy's cache folder as the last run left it.
MYPY_CACHE_NAMESPACE = "mypy-cache"
# What the cache folder's and the daemon's states trust each verified file by (``_fools_mypy``).
_CACHE_SEEN, _DAEMON_SEEN = "seen", "daemon-seen"
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "note": Severity.NOTE}


class MypyStep:
    """mypy over the verified packages with the project's configuration.

    ``module`` and ``distribution`` name the program to run; they exist so that a test can
    point the step at a module that is not installed. ``json_output`` forces the output
    format (None: JSON when the installed mypy has it).
    """

    id = STEP_ID

    def __init__(
        self, module: str = "mypy", distribution: str = "mypy", json_output: bool | None = None
    ) -> None:
        self.module = module
        self.distribution = distribution
        self.json_output = json_output

    def cache_key(self, context: StepContext) -> str | None:
        version = tool_version(self.distribution)
        # Stubs and packages on MYPYPATH are inputs like the installed distributions.
        stubs = os.environ.get("MYPYPATH", "").split(os.pathsep)
        # What is appended to mypy's sys.path differs under --untrusted: so may the verdict.
        appended = _appended_path(context, bool(context.options.get("untrusted")))
        return step_cache_key(
            context,
            self.id,
            version,
            MYPY_CONFIGS,
            extra=(self.module, *appended),
            search_path=stubs,
        )

    def _identity(self, context: StepContext) -> str:
        """What the daemon's verdicts depend on besides its flags: a change starts a new one.

        dmypy reads the configuration files when it starts, never after: their bytes (and the
        files the arguments name) are part of it, or an edited ``[tool.mypy]`` would be checked
        with the old options.
        """
        stubs = os.environ.get("MYPYPATH", "").split(os.pathsep)
        environment = environment_key(self.id, context.root, stubs)
        config = tool_config_digest(context, self.id, MYPY_CONFIGS)
        return json.dumps([tool_version(self.distribution), environment, config], default=str)

    def run(self, context: StepContext) -> StepOutcome:
        started = time.monotonic()
        targets = package_targets(context)
        if not targets:
            return finished(self.id, [], started, {"targets": 0})
        use_json = self.json_output
        if use_json is None:
            use_json = _supports_json(tool_version(self.distribution))
        tool = context.config.tool(self.id)
        untrusted = bool(context.options.get("untrusted"))
        daemon = "off"
        try:
            # --untrusted judged one config file free of plugins: mypy reads that one.
            pinned = pinned_mypy_config(context.root, tool.args) if untrusted else []
            flags = [*_PLAIN_OUTPUT, *(("--output", "json") if use_json else ()), *tool.args]
            flags += pinned
            launch = Launch(
                cwd=context.root,
                timeout_s=timeout_for(tool, DEFAULT_TIMEOUT_S),
                env={"MYPYPATH": _mypy_path(context)},
                append_path=_appended_path(context, untrusted),
            )
            run = None
            if use_daemon(context) and context.cache_dir is not None:
                done = mypy_daemon.check(
                    f"{self.module}.dmypy",
                    flags,
                    targets,
                    launch,
                    cache_dir=context.cache_dir,
                    cache=context.cache,
                    identity=self._identity(context),
                    restart=_fools_mypy(context, _DAEMON_SEEN),
                )
                if done is not None:
                    run, daemon = done.run, done.daemon
                    _record_seen(context, _DAEMON_SEEN)
                else:
                    daemon = "busy"  # another run holds it: plain mypy, the same verdicts
            if run is None:
                with _mypy_cache(context) as cache_dir:
                    run = run_checked(
                        self.module,
                        [*flags, "--cache-dir", str(cache_dir), "--", *path_arguments(targets)],
                        ok_codes=(0, 1, 2),
                        preload=(self.module,),
                        **launch.keywords(),
                    )
            findings, unparsed = parse_output(context.root, run.stdout)
            if run.returncode != 0 and not any(f.severity is Severity.ERROR for f in findings):
                # Exit 2 without error lines is a crash or a usage error (bad flag, no files).
                detail = error_line(run.stderr or "\n".join(unparsed) or run.stdout)
                raise ToolFailure(f"mypy failed (exit {run.returncode}): {detail}")
        except (ToolFailure, UnreadableConfig) as exc:
            return failed_to_run(self.id, str(exc), started)
        stats = {"targets": len(targets), "output": "json" if use_json else "lines"}
        stats["daemon"] = daemon
        note = defaults_note(self.id, context.root, tool.args)
        return finished(self.id, findings, started, stats, message=note)


def parse_output(root: Path, stdout: str) -> tuple[list[Finding], list[str]]:
    """Findings from mypy's JSON lines or its line format, and the lines that were neither.

    A note at the place of the error just before it becomes part of that error's hint;
    other notes (``reveal_type``, say) become findings of severity note.
    """
    findings: list[Finding] = []
    unparsed: list[str] = []
    for raw in stdout.splitlines():
        line = raw.rstrip()
        if not line:
            continue
        item = _json_item(line) if line.startswith("{") else _line_item(line)
        if item is None:
            unparsed.append(line)
            continue
        item["path"] = relative_path(root, item["path"])
        last = findings[-1] if findings else None
        if (
            item["severity"] == "note"
            and last is not None
            and last.severity is Severity.ERROR
            and (last.path, last.line) == (item["path"], item["line"])
        ):
            hint = f"{last.hint}\n{item['message']}" if last.hint else item["message"]
            findings[-1] = replace(last, hint=hint)
            continue
        findings.append(_finding(item))
    return findings, unparsed


def _json_item(line: str) -> dict[str, Any] | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or "file" not in data or "message" not in data:
        return None
    column = data.get("column")
    return {
        "path": str(data["file"]),
        "line": max(int(data.get("line") or 0), 0),
        # JSON columns are 0-based (-1 when unknown); findings are 1-based.
        "column": int(column) + 1 if isinstance(column, int) and column >= 0 else 0,
        "severity": str(data.get("severity") or "error"),
        "message": str(data["message"]),
        "code": str(data.get("code") or ""),
        "hint": str(data.get("hint") or ""),
    }


def _line_item(line: str) -> dict[str, Any] | None:
    match = _LINE.match(line)
    if match is None:
        return None
    return {
        "path": match["file"],
        "line": int(match["line"] or 0),
        "column": int(match["col"] or 0),
        "severity": match["severity"],
        "message": match["message"],
        "code": match["code"] or "",
        "hint": "",
    }


def _finding(item: dict[str, Any]) -> Finding:
    severity = _SEVERITIES.get(item["severity"], Severity.WARNING)
    code = item["code"] or ("note" if severity is Severity.NOTE else "error")
    return Finding(
        step=STEP_ID,
        rule=f"mypy/{code}",
        severity=severity,
        path=item["path"],
        line=item["line"],
        column=item["column"],
        message=item["message"],
        hint=item["hint"],
    )


def _supports_json(version: str) -> bool:
    parts = re.findall(r"\d+", version)[:2]
    return len(parts) == 2 and (int(parts[0]), int(parts[1])) >= JSON_SINCE


def _mypy_path(context: StepContext) -> str:
    """Source roots for imports between verified packages (src layouts need no install)."""
    roots = [str((context.root / r).resolve()) for r in context.config.source_roots]
    extra = os.environ.get("MYPYPATH", "")
    return os.pathsep.join([*roots, extra] if extra else roots)


def _appended_path(context: StepContext, untrusted: bool) -> list[str]:
    """The folders put last on mypy's ``sys.path``: the user's ``PYTHONPATH``, absolute.

    Plain mypy finds installed packages on its ``sys.path``, ``PYTHONPATH`` included, and
    isolated mode drops it. But mypy also imports optional modules of its own from there
    (``orjson`` in ``mypy.util``), so a project file of that name would run. A folder already on
    ``MYPYPATH`` (a source root) is left out: mypy searches ``MYPYPATH`` before ``sys.path``, so
    it finds every module of that folder there anyway, and the verdict is the same. Under
    ``--untrusted`` no folder is added at all (mypy then reports packages found only through
    ``PYTHONPATH`` as missing).
    """
    if untrusted:
        return []
    on_mypy_path = {os.path.realpath(p) for p in _mypy_path(context).split(os.pathsep) if p}
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    folders = [os.path.abspath(entry) for entry in entries if entry]
    return [f for f in folders if os.path.realpath(f) not in on_mypy_path]


def use_daemon(context: StepContext) -> bool:
    """``options.daemon``, unless ``CI`` is set: a CI job runs once, on a fresh machine, and
    a daemon kept after it would serve nobody. Never under ``--untrusted`` (the option is the
    repository's to set, and the daemon outlives the run), nor when mypy would run code of the
    project's (a plugin, a ``python_executable``: ``untrusted.left_out_reason``), which a kept
    daemon would keep running after the run, out of reach of the sweep of its processes."""
    wanted = context.config.tool(STEP_ID).options.get("daemon", default(STEP_ID, "daemon"))
    in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    if wanted is not True or in_ci or context.options.get("untrusted"):
        return False
    return left_out_reason(STEP_ID, context.root, context.config) is None


@contextmanager
def _mypy_cache(context: StepContext) -> Iterator[Path]:
    """mypy's incremental cache below archverify's cache folder, or a throwaway one.

    mypy trusts its cache: a forged one (shipped in the repository's cache folder) would hide
    errors, and two mypy processes sharing one can crash (``INTERNAL ERROR``). So the folder is
    used by one run at a time, under an exclusive lock (a concurrent run takes a private folder
    rather than wait: the same verdict, only colder), and only while it is exactly what the last
    run left (its digest is an authenticated cache entry); otherwise it is emptied first.
    """
    if context.cache_dir is None:
        with _private_cache() as tmp:
            yield tmp
        return
    target = context.cache_dir / "mypy"
    with exclusive_lock(context.cache_dir / "mypy.lock") as held:
        if not held or target.is_symlink():
            with _private_cache() as tmp:
                yield tmp
            return
        try:
            stale = context.cache.get(MYPY_CACHE_NAMESPACE, "folder") != folder_digest(target)
            if stale or _fools_mypy(context, _CACHE_SEEN):
                shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ToolFailure(f"cannot create mypy's cache folder {target}: {exc}") from exc
        yield target
        # Only after mypy finished: a run cut short leaves a folder the next run empties.
        _record_seen(context, _CACHE_SEEN)
        with contextlib.suppress(OSError):
            context.cache.put(MYPY_CACHE_NAMESPACE, "folder", folder_digest(target))


def _record_seen(context: StepContext, record: str) -> None:
    """Keep, under ``record``, what the mypy state just used trusts each file by."""
    with contextlib.suppress(OSError):
        seen = json.dumps(_seen_files(context), sort_keys=True)
        context.cache.put(MYPY_CACHE_NAMESPACE, record, seen)


def _seen_files(context: StepContext) -> dict[str, list[object]]:
    """What mypy's cache will trust each verified file by (its size and whole-second mtime,
    stat taken after mypy's run), with the content hash this run parsed before mypy read it."""
    seen: dict[str, list[object]] = {}
    for facts in context.project.iter_facts():
        try:
            info = os.stat(context.root / facts.path)
        except OSError:
            continue
        seen[facts.path] = [facts.content_hash, info.st_size, info.st_mtime_ns // 1_000_000_000]
    return seen


def _fools_mypy(context: StepContext, record: str) -> bool:
    """Whether a file changed since the last mypy run in a way mypy's cache cannot see: mypy
    trusts an entry whose file has the same size and the same whole-second mtime, so a
    same-size edit within that second, or one whose mtime was put back (``touch -r``, ``tar``,
    ``rsync -t``), would be answered from the old entry. Then the cache is dropped, as git
    re-reads a racily clean index entry (the daemon, which compares the same two numbers, is
    stopped). An unreadable record counts as such a change."""
    recorded = context.cache.get(MYPY_CACHE_NAMESPACE, record)
    if recorded is None:
        return False
    try:
        seen = json.loads(recorded)
    except ValueError:
        return True
    if not isinstance(seen, dict):
        return True
    for facts in context.project.iter_facts():
        then = seen.get(facts.path)
        if then is None or then[0] == facts.content_hash and facts.content_hash:
            continue
        try:
            info = os.stat(context.root / facts.path)
        except OSError:
            continue
        if [info.st_size, info.st_mtime_ns // 1_000_000_000] == then[1:]:
            return True
    return False


@contextmanager
def _private_cache() -> Iterator[Path]:
    with scratch("mypy") as tmp:
        yield tmp
