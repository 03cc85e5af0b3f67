"""The note a tool step gives when the project has no configuration for the tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from archverify.executors.tools.tool_defaults import defaults_note


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The user's own ruff and mypy files would count: a home of our own has none.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))


def _root(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo" / "project"
    root.mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("step", ["ruff", "mypy", "bandit"])
def test_no_configuration_is_said(tmp_path: Path, step: str) -> None:
    root = _root(tmp_path, {"pyproject.toml": "[tool.black]\nline-length = 99\n"})
    assert defaults_note(step, root, []).startswith(
        f"ran with {step}'s defaults: the project has no"
    )


@pytest.mark.parametrize(
    ("step", "files"),
    [
        ("ruff", {"pyproject.toml": "[tool.ruff]\nline-length = 99\n"}),
        ("ruff", {"ruff.toml": ""}),
        ("ruff", {".ruff.toml": ""}),
        ("mypy", {"pyproject.toml": "[tool.mypy]\nstrict = true\n"}),
        ("mypy", {"mypy.ini": "[mypy]\n"}),
        ("mypy", {"setup.cfg": "[mypy]\nstrict = True\n"}),
        ("bandit", {"pyproject.toml": "[tool.bandit]\nskips = []\n"}),
        ("bandit", {".bandit": "[bandit]\n"}),
    ],
)
def test_a_configuration_means_no_note(tmp_path: Path, step: str, files: dict[str, str]) -> None:
    assert defaults_note(step, _root(tmp_path, files), []) == ""


def test_a_ruff_configuration_in_a_parent_folder_counts(tmp_path: Path) -> None:
    root = _root(tmp_path, {})
    (root.parent / "ruff.toml").write_text("line-length = 99\n", encoding="utf-8")
    assert defaults_note("ruff", root, []) == ""


def test_arguments_that_choose_the_configuration_count(tmp_path: Path) -> None:
    root = _root(tmp_path, {})
    assert defaults_note("ruff", root, ["--select=E"]) == ""
    assert defaults_note("mypy", root, ["--config-file", "ci/mypy.ini"]) == ""
    assert defaults_note("bandit", root, ["-s", "B101"]) == ""
    assert defaults_note("ruff", root, ["--no-fix"]) != ""


def test_steps_that_are_not_tools_have_no_note(tmp_path: Path) -> None:
    assert defaults_note("tests", _root(tmp_path, {}), []) == ""
