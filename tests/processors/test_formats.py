"""The registry of report formats: each format module declares one ``FORMAT``, listed once in
``FORMATS``; the ``--format`` parser, its help, the writer and docs/reports.md follow it."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import archverify.processors.formats as formats_package
from archverify.orchestrator.cli import build_parser
from archverify.orchestrator.report_outputs import OutputRequest, parse_requests, write_reports
from archverify.processors.formats import DEFAULT_FORMAT, FORMATS, RenderInputs, ReportFormat
from tests.helpers.sample_reports import sample_report

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reports.md"


def _declared() -> dict[str, ReportFormat]:
    """Every ``FORMAT`` found in a module of the package, by module name."""
    found = {}
    for info in pkgutil.iter_modules(formats_package.__path__):
        module = importlib.import_module(f"{formats_package.__name__}.{info.name}")
        value = getattr(module, "FORMAT", None)
        if value is not None:
            found[info.name] = value
    return found


def test_every_declared_format_is_registered_once_under_its_name() -> None:
    declared = _declared()
    assert sorted(f.name for f in declared.values()) == sorted(FORMATS)
    for name, value in FORMATS.items():
        assert isinstance(value, ReportFormat) and value.name == name
    assert DEFAULT_FORMAT in FORMATS


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_a_format_declares_one_line_of_description_and_a_suffix(name: str) -> None:
    value = FORMATS[name]
    assert value.description.strip() and "\n" not in value.description
    assert value.suffix == "" or re.fullmatch(r"\.[a-z]+", value.suffix)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_renders_the_report_alone_and_goes_through_the_writer(
    name: str, tmp_path: Path
) -> None:
    inputs = RenderInputs(sample_report())
    text = FORMATS[name].render(inputs)
    assert text.endswith("\n") and "purity/io-call" in text
    target = tmp_path / f"report{FORMATS[name].suffix}"
    write_reports(inputs, parse_requests([f"{name}={target}"], None))
    assert target.read_text(encoding="utf-8") == text


def test_the_format_option_lists_every_format_and_accepts_each() -> None:
    parser = build_parser()
    run = next(
        action.choices["run"]
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    option = next(a for a in run._actions if "--format" in a.option_strings)
    assert option.help is not None
    names = option.help.split(";")[0].removeprefix("report format:")
    listed = re.findall(r"\b[a-z]+\b", re.sub(r"\([^)]*\)", "", names))  # notes left out
    assert [n for n in listed if n != "or"] == list(FORMATS)
    for name in FORMATS:
        assert parse_requests([name.upper()], None) == [OutputRequest(name, None)]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_docs_reports_has_a_row_and_a_section_for_each_format(name: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    row = rf"^\| `{name}` +\| .* \| {re.escape(FORMATS[name].description)} +\|$"
    assert re.search(row, text, re.MULTILINE), f"no table row with the description of {name}"
    if name == DEFAULT_FORMAT:
        return  # the terminal report has no section of its own
    suffix = re.escape(FORMATS[name].suffix)
    heading = rf"^## .*\(`--format {name}(=[\w.-]*{suffix})?`\)$"
    assert re.search(heading, text, re.MULTILINE), f"no section for --format {name}"
