"""Turn a run's report into the requested formats and write each where it was asked to go."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from archverify.core.report import RunReport
from archverify.orchestrator.outputs import write_atomic
from archverify.processors import json_report, text_report

Renderer = Callable[[RunReport], str]


class UsageError(Exception):
    """A command-line mistake: exit code 2."""


@dataclass(frozen=True)
class OutputRequest:
    format: str
    destination: str | None  # None: stdout


def _renderers() -> dict[str, Renderer]:
    return {
        "text": text_report.render,
        "json": json_report.render,
    }


def known_formats() -> list[str]:
    return sorted(_renderers())


def parse_requests(formats: Sequence[str] | None, output: str | None) -> list[OutputRequest]:
    """``--format json --output r.json`` or ``--format sarif=out.sarif`` (repeatable)."""
    raw = list(formats or ["text"])
    requests: list[OutputRequest] = []
    for item in raw:
        name, _, destination = item.partition("=")
        name = name.strip().lower()
        if name not in _renderers():
            raise UsageError(
                f"unknown --format {name!r}; choose from {', '.join(known_formats())}"
            )
        requests.append(OutputRequest(name, destination or None))
    to_stdout = [r for r in requests if r.destination is None]
    if output is not None:
        if len(to_stdout) != 1:
            raise UsageError("--output needs exactly one --format without its own =FILE")
        requests = [OutputRequest(r.format, output) if r is to_stdout[0] else r for r in requests]
    elif len(to_stdout) > 1:
        raise UsageError("only one format can go to stdout; give the others a file (FORMAT=FILE)")
    return requests


def write_reports(report: RunReport, requests: Sequence[OutputRequest], *, colour: bool) -> None:
    """Render everything first, then write: an error in one renderer leaves no file behind."""
    rendered: list[tuple[OutputRequest, str]] = []
    for request in requests:
        if request.format == "text":
            text = text_report.render(report, colour=colour and request.destination is None)
        else:
            text = _renderers()[request.format](report)
        rendered.append((request, text))
    for request, text in rendered:
        if request.destination is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_atomic(Path(request.destination), text)
