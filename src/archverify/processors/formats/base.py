"""What a report format is: a name, a line of help, a file suffix and one ``render(inputs)``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from archverify.core.config import Config
from archverify.core.project import Project
from archverify.core.report import RunReport


@dataclass(frozen=True)
class RenderInputs:
    """Everything a format may read. The report always; the others for the formats that need
    them (the picture needs the project and the layers, SARIF the rule docs and the config
    file that anchors project-wide findings). A library caller may pass the report alone.
    Rendering reads nothing else: no file, no clock."""

    report: RunReport
    project: Project | None = None
    config: Config | None = None
    colour: bool = False  # ANSI colours: only for a terminal, never for a file
    rule_docs: Mapping[str, str] = field(default_factory=dict)  # rule id -> its Markdown help
    # The configuration file relative to the root ("" when none or outside): where SARIF
    # anchors project-wide findings. Worked out at the edge (it follows links).
    config_anchor: str = ""
    # ``--errors-only``: the formats a person reads (text, Markdown) list errors alone.
    errors_only: bool = False


@dataclass(frozen=True)
class ReportFormat:
    """One report format, declared once in its module as ``FORMAT`` and listed in ``FORMATS``
    (``processors/formats/__init__.py``); the CLI and the orchestrator read it from there."""

    name: str  # what ``--format NAME`` takes
    description: str  # one line: what it is made for (docs/reports.md says the same)
    suffix: str  # the usual file suffix, "" for a format read on stdout or in a log
    render: Callable[[RenderInputs], str]  # pure: returns the whole text, writes nothing
    # A word or two the ``--format`` help adds after the name, where the name alone says little.
    help_note: str = ""


def report_only(render: Callable[[RunReport], str]) -> Callable[[RenderInputs], str]:
    """The ``render`` of a format that reads nothing but the report."""
    return lambda inputs: render(inputs.report)
