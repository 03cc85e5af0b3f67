"""The baseline edge: reading the file, source lines, folding processors into a report, and the
``archverify baseline`` command end to end."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from archverify.core.config import Config
from archverify.core.facts import Definition, FileFacts, Suppression
from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus
from archverify.core.project import Project, SourceFile
from archverify.core.report import RunReport
from archverify.orchestrator.commands.baseline import add_baseline_parser, baseline_from_args
from archverify.orchestrator.config.loader import ConfigError
from archverify.orchestrator.finding_filters import SourceIndex, apply_processors, load_baseline
from archverify.processors.baseline import dump, entries_for

PATH = "pkg/core/model.py"
SOURCE = """\
def load(path):
    return open(path).read()


def save(path, text):
    return len(text)
"""


def io_call(line: int) -> Finding:
    return Finding("purity", "purity/io-call", Severity.ERROR, PATH, line, 12, "call to open")


def project(root: Path, source: str, *suppressions: Suppression) -> Project:
    """Facts as the extractor would give them for ``source``: top-level functions only."""
    (root / "pkg" / "core").mkdir(parents=True, exist_ok=True)
    (root / PATH).write_text(source, encoding="utf-8")
    lines = source.splitlines()
    starts = [n for n, text in enumerate(lines, start=1) if text.startswith("def ")]
    ends = [*(s - 1 for s in starts[1:]), len(lines)]
    definitions = tuple(
        Definition(lines[s - 1][4:].split("(")[0], "function", s, e)
        for s, e in zip(starts, ends, strict=True)
    )
    facts = FileFacts(
        PATH, "pkg.core.model", False, "x", definitions=definitions, suppressions=suppressions
    )
    files = (SourceFile(PATH, "pkg.core.model", False, "."),)
    return Project(str(root), ("pkg",), files, {"pkg.core.model": facts})


def report(root: Path, *findings: Finding) -> RunReport:
    steps = [StepOutcome("purity", StepStatus.FAILED, list(findings))]
    return RunReport("archverify", "0", str(root), steps, sorted(findings, key=Finding.sort_key))


def record(root: Path, proj: Project, *findings: Finding) -> None:
    index = SourceIndex(root, proj.facts.values())
    entries = entries_for(findings, symbol_at=index.symbol_at, line_text=index.line_text)
    (root / "archverify-baseline.json").write_text(dump(entries), encoding="utf-8")


def test_a_recorded_finding_is_baselined_after_lines_are_inserted(tmp_path: Path) -> None:
    record(tmp_path, project(tmp_path, SOURCE), io_call(2))
    moved = project(tmp_path, "import os\n\n\n" + SOURCE)
    result = apply_processors(report(tmp_path, io_call(5)), moved, Config(str(tmp_path)))
    assert result.findings == [] and result.baselined == [io_call(5)]
    assert not result.failed
    assert result.summary["stale"] == 0 and result.summary["suppressed"] == 0
    [purity] = result.steps
    assert purity.status is StepStatus.PASSED and purity.findings == []


def test_a_new_finding_in_another_function_fails_and_a_fixed_one_is_stale(tmp_path: Path) -> None:
    record(tmp_path, project(tmp_path, SOURCE), io_call(2))
    changed = SOURCE.replace("open(path).read()", "path.upper()").replace(
        "len(text)", "open(path).write(text)"
    )
    result = apply_processors(
        report(tmp_path, io_call(6)), project(tmp_path, changed), Config(str(tmp_path))
    )
    assert result.findings == [io_call(6)] and result.baselined == []
    assert result.failed
    assert [(s.status, len(s.findings)) for s in result.steps] == [(StepStatus.FAILED, 1)]
    assert result.summary["stale"] == 1
    assert result.summary["stale_entries"][0]["symbol"] == "load"
    assert any("return open(path).read()" in n for n in result.notices)


def test_no_baseline_shows_every_finding(tmp_path: Path) -> None:
    proj = project(tmp_path, SOURCE)
    record(tmp_path, proj, io_call(2))
    result = apply_processors(
        report(tmp_path, io_call(2)), proj, Config(str(tmp_path)), use_baseline=False
    )
    assert result.findings == [io_call(2)] and result.baselined == []
    assert "stale" not in result.summary


def test_suppressions_are_applied_and_counted(tmp_path: Path) -> None:
    proj = project(
        tmp_path,
        SOURCE,
        Suppression(2, ("purity/io-call",), "the path is validated upstream"),
        Suppression(6, ("purity",), ""),
    )
    result = apply_processors(report(tmp_path, io_call(2)), proj, Config(str(tmp_path)))
    assert result.findings[0].rule == "suppressions/missing-reason"
    assert [f.rule for f in result.findings] == ["suppressions/missing-reason"]
    assert result.summary["suppressed"] == 1
    assert [s.step for s in result.steps] == ["purity", "suppressions"]
    assert not result.failed


@pytest.mark.parametrize("text", ["{not json", '{"schema": 1, "entries": {}}', ""])
def test_a_corrupted_baseline_is_a_config_error_naming_the_file(tmp_path: Path, text: str) -> None:
    (tmp_path / "archverify-baseline.json").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_baseline(tmp_path, Config(str(tmp_path)))
    assert str(raised.value).startswith("archverify-baseline.json:")
    assert "corrupted baseline" in str(raised.value)


def test_a_missing_default_baseline_is_no_baseline_but_a_configured_one_is_an_error(
    tmp_path: Path,
) -> None:
    assert load_baseline(tmp_path, Config(str(tmp_path))) is None
    with pytest.raises(ConfigError, match="not found"):
        load_baseline(tmp_path, Config(str(tmp_path), baseline="accepted.json"))


def test_the_configured_file_name_is_used(tmp_path: Path) -> None:
    (tmp_path / "accepted.json").write_text('{"schema": 1, "entries": []}', encoding="utf-8")
    (tmp_path / "archverify-baseline.json").write_text("broken", encoding="utf-8")
    assert load_baseline(tmp_path, Config(str(tmp_path), baseline="accepted.json")) == []


def test_source_lines_follow_python_line_numbering(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"x = 1\r\ny = '\x0c'\rz = 3\n")
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\ns = '\xe9'\n")
    index = SourceIndex(tmp_path)
    assert [index.line_text("a.py", n) for n in (1, 2, 3, 4)] == [
        "x = 1",
        "y = '\x0c'",
        "z = 3",
        "",
    ]
    assert index.line_text("latin.py", 2) == "s = '\u00e9'"
    assert index.line_text("gone.py", 1) == "" and index.line_text("", 0) == ""
    assert index.symbol_at("gone.py", 1) == ""


def _tree(root: Path, model: str) -> None:
    (root / "pkg" / "core").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pkg" / "core" / "__init__.py").write_text("", encoding="utf-8")
    (root / PATH).write_text(model, encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[tool.archverify]\npackages = ["pkg"]\nsteps = ["compile", "purity"]\n\n'
        '[tool.archverify.purity]\npackages = ["pkg.core"]\n',
        encoding="utf-8",
    )


def _run(root: Path) -> RunReport:
    from archverify.orchestrator.commands.run import RunOptions, execute

    result = execute(RunOptions(path=str(root), no_cache=True, jobs=1))
    return apply_processors(result.report, result.project, result.config)


def _baseline_parser(root: Path) -> argparse.ArgumentParser:
    """``archverify baseline``'s parser, for a project written at ``root`` with ``SOURCE``."""
    pytest.importorskip("archverify.core.extract", reason="the run pipeline needs the extractor")
    _tree(root, SOURCE)
    parser = argparse.ArgumentParser()
    add_baseline_parser(parser.add_subparsers(dest="command"))
    return parser


def test_the_baseline_command_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = _baseline_parser(tmp_path)
    args = parser.parse_args(["baseline", str(tmp_path)])
    assert baseline_from_args(args) == 0
    assert "recorded 1 finding(s)" in capsys.readouterr().out
    written = json.loads((tmp_path / "archverify-baseline.json").read_text(encoding="utf-8"))
    assert [(e["rule"], e["symbol"]) for e in written["entries"]] == [("purity/io-call", "load")]

    _tree(tmp_path, "import os\n\n" + SOURCE)
    moved = _run(tmp_path)
    assert moved.errors == 0 and len(moved.baselined) == 1

    _tree(tmp_path, SOURCE + "\n\ndef more(path):\n    return open(path)\n")
    grown = _run(tmp_path)
    assert [(f.rule, f.line) for f in grown.findings] == [("purity/io-call", 10)]

    (tmp_path / "archverify-baseline.json").write_text("{", encoding="utf-8")
    broken = parser.parse_args(["baseline", str(tmp_path), "--file", str(tmp_path / "b.json")])
    assert baseline_from_args(broken) == 0  # recording never reads the old, corrupted file
    with pytest.raises(ConfigError, match="corrupted baseline"):
        _run(tmp_path)


def test_a_file_that_stopped_compiling_keeps_its_baseline_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = _baseline_parser(tmp_path)
    assert baseline_from_args(parser.parse_args(["baseline", str(tmp_path)])) == 0
    capsys.readouterr()

    _tree(tmp_path, SOURCE + "\n\ndef broken(:\n")
    report = _run(tmp_path)
    # The compile error is new; the accepted io-call is neither reported as fixed nor dropped.
    assert [f.rule for f in report.findings] == ["compile/syntax-error"]
    assert report.summary["stale"] == 0 and "stale_entries" not in report.summary
    assert report.summary["kept_not_compiling"] == 1
    assert not any("no longer occur" in n for n in report.notices)
    assert any(f"{PATH}, which does not compile, are kept" in n for n in report.notices)

    # Recording the baseline meanwhile keeps the entry too: once the file compiles again the
    # old finding is still accepted.
    assert baseline_from_args(parser.parse_args(["baseline", str(tmp_path)])) == 0
    written = json.loads((tmp_path / "archverify-baseline.json").read_text(encoding="utf-8"))
    assert ("purity/io-call", "load") in [(e["rule"], e.get("symbol")) for e in written["entries"]]
    _tree(tmp_path, SOURCE)
    fixed = _run(tmp_path)
    assert fixed.findings == [] and len(fixed.baselined) == 1
    assert fixed.summary["stale"] == 1  # the compile error's entry: fixed, to be dropped
