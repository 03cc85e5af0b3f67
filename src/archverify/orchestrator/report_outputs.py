"""Turn a run's report into the requested formats and write each where it was asked to go."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archverify.core.config import Config
from archverify.core.project import Project
from archverify.core.report import RunReport
from archverify.orchestrator.outputs import write_atomic


class UsageError(Exception):
    """A command-line mistake: exit code 2."""


@dataclass(frozen=True)
class OutputRequest:
    format: str
    destination: str | None  # None: stdout


@dataclass
class RenderInputs:
    """What some formats need beyond the report: the picture needs the graph and the layers."""

    report: RunReport
    project: Project | None = None
    config: Config | None = None
    colour: bool = False
    rule_docs: Mapping[str, str] = field(default_factory=dict)


def _text(inputs: RenderInputs) -> str:
    from archverify.processors import text_report

    return text_report.render(inputs.report, colour=inputs.colour)


def _json(inputs: RenderInputs) -> str:
    from archverify.processors import json_report

    return json_report.render(inputs.report)


def _sarif(inputs: RenderInputs) -> str:
    from archverify.processors import sarif

    # GitHub code scanning rejects a result without a location; project-wide findings are
    # anchored at the configuration file that states the rule.
    anchor = ""
    if inputs.config is not None and inputs.config.config_file:
        anchor = _relative(inputs.config.config_file, inputs.report.root)
    return sarif.render(inputs.report, inputs.rule_docs, anchor_path=anchor)


def _junit(inputs: RenderInputs) -> str:
    from archverify.processors import junit

    return junit.render(inputs.report)


def _markdown(inputs: RenderInputs) -> str:
    from archverify.processors import markdown

    return markdown.render(inputs.report)


def _github(inputs: RenderInputs) -> str:
    from archverify.processors import github

    return github.workflow_commands(inputs.report)


def _html(inputs: RenderInputs) -> str:
    from archverify.processors import html_report

    return html_report.render(inputs.report, architecture_svg(inputs))


def architecture_svg(inputs: RenderInputs) -> str:
    from archverify.processors.architecture_layout import build_layout
    from archverify.processors.architecture_svg import render_svg

    if inputs.project is None or inputs.config is None:
        return ""
    return render_svg(build_layout(inputs.project, inputs.config, inputs.report.findings))


_RENDERERS: dict[str, Callable[[RenderInputs], str]] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "junit": _junit,
    "markdown": _markdown,
    "github": _github,
    "html": _html,
}


def known_formats() -> list[str]:
    return sorted(_RENDERERS)


def parse_requests(formats: Sequence[str] | None, output: str | None) -> list[OutputRequest]:
    """``--format json --output r.json`` or ``--format sarif=out.sarif`` (repeatable)."""
    raw = list(formats or ["text"])
    requests: list[OutputRequest] = []
    for item in raw:
        name, _, destination = item.partition("=")
        name = name.strip().lower()
        if name not in _RENDERERS:
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
        # GitHub annotations are read from the log wherever they appear, so they may share it.
        if len([r for r in to_stdout if r.format != "github"]) > 1:
            raise UsageError(
                "only one format can go to stdout; give the others a file (FORMAT=FILE)"
            )
    return requests


def write_reports(inputs: RenderInputs, requests: Sequence[OutputRequest]) -> None:
    """Render everything first, then write: an error in one renderer leaves no file behind."""
    rendered: list[tuple[OutputRequest, str]] = []
    for request in requests:
        colour = inputs.colour and request.destination is None
        view = RenderInputs(inputs.report, inputs.project, inputs.config, colour, inputs.rule_docs)
        rendered.append((request, _RENDERERS[request.format](view)))
    if _on_github_actions() and not any(r.format == "github" for r in requests):
        # On GitHub Actions the annotations are shown on the pull request even when only the
        # text report was asked for; JSON on stdout stays clean.
        if all(r.format == "text" for r in requests if r.destination is None):
            rendered.append((OutputRequest("github", None), _github(inputs)))
    for request, text in rendered:
        if request.destination is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_atomic(Path(request.destination), text)
    if _on_github_actions():
        _append_step_summary(inputs.report)


def _on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _append_step_summary(report: RunReport) -> None:
    from archverify.processors import github

    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(github.step_summary(report))
    except OSError as error:
        print(f"archverify: cannot write the step summary: {error}", file=sys.stderr)


def _relative(path: str, root: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root)).as_posix()
    except ValueError:
        return ""
