"""The command line: reports written, errors reported with exit status 2."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest
from conftest import PLANS, QUESTIONNAIRE

from policy_orchestrator.orchestrator.cli import main

PLAN = PLANS[0]


def test_writes_json_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    args = [
        str(PLAN),
        "--questionnaire",
        str(QUESTIONNAIRE),
        "--out",
        str(out),
        "--markdown",
        str(md),
    ]
    assert main(args) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["plan"] == PLAN.stem
    assert md.read_text(encoding="utf-8").startswith(f"# {PLAN.stem}: ")
    assert f"-> {out}" in capsys.readouterr().out


def test_missing_plan_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["nope.txt", "--questionnaire", str(QUESTIONNAIRE), "--out", str(tmp_path / "r.json")]
    assert main(args) == 2
    assert "nope.txt: cannot read" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_bad_questionnaire_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "q.json"
    bad.write_text('{"title": "T",\n "version": }', encoding="utf-8")
    assert main([str(PLAN), "--questionnaire", str(bad), "--out", str(tmp_path / "r.json")]) == 2
    assert f"{bad}:2:13: invalid JSON" in capsys.readouterr().err


def test_unwritable_output_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing-dir" / "r.json"
    assert main([str(PLAN), "--questionnaire", str(QUESTIONNAIRE), "--out", str(out)]) == 2
    assert "r.json: cannot write" in capsys.readouterr().err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([str(PLAN)])
    assert caught.value.code == 2
    assert "--questionnaire" in capsys.readouterr().err


def test_python_dash_m_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.json"
    argv = [
        "policy_orchestrator",
        str(PLAN),
        "--questionnaire",
        str(QUESTIONNAIRE),
        "--out",
        str(out),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as caught:
        runpy.run_module("policy_orchestrator", run_name="__main__")
    assert caught.value.code == 0
    assert out.exists()
