"""Turn a run's report into the requested formats and write each where it was asked to go.

The formats themselves are ``processors.formats.FORMATS``; this module only parses the
requests, refuses bad destinations and writes what the formats render.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from archverify.core.report import RunReport
from archverify.orchestrator.atomic_write import as_written, write_atomic
from archverify.orchestrator.write_guard import overwrite_problem
from archverify.processors.formats import DEFAULT_FORMAT, FORMATS, github
from archverify.processors.formats import RenderInputs as RenderInputs  # for the commands

# Workflow commands: never two reports on stdout with it, and added by itself on GitHub Actions.
GITHUB = github.FORMAT.name


class UsageError(Exception):
    """A command-line mistake: exit code 2."""


@dataclass(frozen=True)
class OutputRequest:
    format: str
    destination: str | None  # None: stdout


def known_formats() -> list[str]:
    return sorted(FORMATS)


def format_help() -> str:
    """The ``--format`` help, listing the formats in ``FORMATS`` order."""
    names = [
        f"{name} (default)"
        if name == DEFAULT_FORMAT
        else f"{name} ({fmt.help_note})"
        if fmt.help_note
        else name
        for name, fmt in FORMATS.items()
    ]
    listed = ", ".join(names[:-1]) + " or " + names[-1]
    return (
        f"report format: {listed}; repeat for several, each with its own file as FORMAT=FILE "
        "(a format without a file goes to stdout, or to --output)"
    )


def parse_requests(formats: Sequence[str] | None, output: str | None) -> list[OutputRequest]:
    """``--format json --output r.json`` or ``--format sarif=out.sarif`` (repeatable)."""
    raw = list(formats or [DEFAULT_FORMAT])
    requests: list[OutputRequest] = []
    for item in raw:
        name, _, destination = item.partition("=")
        name = name.strip().lower()
        if name not in FORMATS:
            raise UsageError(f"unknown --format {name!r}; choose from {', '.join(known_formats())}")
        requests.append(OutputRequest(name, destination or None))
    to_stdout = [r for r in requests if r.destination is None]
    if output is not None:
        if len(to_stdout) != 1:
            raise UsageError("--output needs exactly one --format without its own =FILE")
        requests = [OutputRequest(r.format, output) if r is to_stdout[0] else r for r in requests]
    elif len(to_stdout) > 1:
        # GitHub annotations are read from the log wherever they appear, so they may share it.
        if len([r for r in to_stdout if r.format != GITHUB]) > 1:
            raise UsageError(
                "only one format can go to stdout; give the others a file (FORMAT=FILE)"
            )
    return requests


def refuse_destinations(
    requests: Sequence[OutputRequest], root: Path, protected: Iterable[Path]
) -> None:
    """Raise ``UsageError`` (exit 2, before any step runs) for a report destination that would
    destroy something or silently lose a report: what ``overwrite_problem`` refuses (a file the
    run reads, ``protected`` among them, a folder, version-control metadata, a folder linked
    out of the root), a path named twice, or a place that cannot be written. Paths are compared
    with their symbolic links followed, so no link can make two of them differ. (A link at the
    destination itself is replaced by the report, never written through.)"""
    kept = list(protected)
    seen: dict[Path, str] = {}
    for request in requests:
        if request.destination is None:
            continue
        given = request.destination
        target = as_written(given).resolve()
        problem = overwrite_problem(Path(given).absolute(), root, kept) or _unwritable(target)
        if problem is None and target in seen:
            problem = f"named twice (also for --format {seen[target]})"
        if problem is not None:
            raise UsageError(f"cannot write the {request.format} report to {given}: {problem}")
        seen[target] = request.format


def _unwritable(target: Path) -> str | None:
    if not target.parent.is_dir():
        return "its folder does not exist"
    if not os.access(target.parent, os.W_OK | os.X_OK):
        return "its folder cannot be written"
    return None


def write_reports(inputs: RenderInputs, requests: Sequence[OutputRequest]) -> None:
    """Render everything first, then write: an error in one renderer leaves no file behind."""
    rendered: list[tuple[OutputRequest, str]] = []
    for request in requests:
        colour = inputs.colour and request.destination is None
        view = replace(inputs, colour=colour)
        rendered.append((request, FORMATS[request.format].render(view)))
    if _on_github_actions() and not any(r.format == GITHUB for r in requests):
        # On GitHub Actions the annotations are shown on the pull request even when only the
        # text report was asked for; JSON on stdout stays clean.
        if all(r.format == DEFAULT_FORMAT for r in requests if r.destination is None):
            rendered.append((OutputRequest(GITHUB, None), FORMATS[GITHUB].render(inputs)))
    for request, text in rendered:
        if request.destination is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            # Not resolved: a link at the destination is replaced, its target left alone.
            write_atomic(as_written(request.destination), text)
    if _on_github_actions():
        _append_step_summary(inputs.report)


def _on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _append_step_summary(report: RunReport) -> None:
    from archverify.processors.formats import github

    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(github.step_summary(report))
    except OSError as error:
        print(f"archverify: cannot write the step summary: {error}", file=sys.stderr)
