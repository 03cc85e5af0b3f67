"""Shared paths of the example project for its tests."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT / "data"
QUESTIONNAIRE = DATA / "questionnaire.json"
PLANS = sorted((DATA / "plans").glob("*.txt"))
GOLDEN = PROJECT / "tests" / "golden"


@pytest.fixture
def questionnaire_path() -> Path:
    return QUESTIONNAIRE
