"""docs/configuration.md's table of step options says what the step catalogue declares."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from archverify.core.steps import STEPS

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
_ROW = re.compile(r"^\| (`\[tool\.archverify\.(\w+)\]`)? *\| `(\w+)` \| .* \| `([^`]*)` \|$")


def documented() -> dict[tuple[str, str], str]:
    """(step, key) -> the default the table shows, for the rows of the step-options table."""
    rows: dict[tuple[str, str], str] = {}
    section = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        found = _ROW.match(line)
        if found is None:
            continue
        section = found.group(2) or section
        rows[(section, found.group(3))] = found.group(4)
    return rows


def shown(value: Any) -> str:
    """A default as the table writes it (TOML-ish: ``[]``, ``true``, ``600``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return str(value)


def test_the_table_lists_every_option_of_the_option_sections_with_its_default() -> None:
    declared = {
        (spec.id, option.key): shown(option.default)
        for spec in STEPS
        if spec.section == "options"
        for option in spec.options
    }
    assert documented() == declared
