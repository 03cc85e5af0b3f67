"""Golden files: every report format's whole output on one fixed report, byte for byte.

``build.py`` (beside this file) builds the report and renders each format; the files it
writes are compared whole with ``expected/``. The renders run in two fresh interpreters with
different ``PYTHONHASHSEED`` values, so output that depends on string hashing or set order
(which is fixed inside one process) fails here even when each render looks right.

Nothing is scrubbed: the report is built from fixed values (version ``0.0.0+golden``, fixed
durations, a fixed root), so nothing in it legitimately varies between runs or machines.

To regenerate after an intended change of output::

    .venv/bin/python -m pytest tests/golden --update-golden

(or set ``ARCHVERIFY_UPDATE_GOLDEN=1``), then read ``git diff tests/golden/expected``: every
changed line is a change users see.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.golden.build import RENDERS

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected"
REPO = HERE.parents[1]
SEEDS = ("0", "12345")

GOLDEN_FILES = sorted(RENDERS)


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """seed -> the folder where a fresh interpreter under that seed wrote every render."""
    out: dict[str, Path] = {}
    for seed in SEEDS:
        folder = tmp_path_factory.mktemp(f"golden-seed-{seed}")
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "tests.golden.build", str(folder)]
        subprocess.run(command, check=True, env=env, cwd=REPO)
        out[seed] = folder
    return out


def _updating(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden")) or (
        os.environ.get("ARCHVERIFY_UPDATE_GOLDEN") == "1"
    )


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_render_equals_its_golden_file(
    name: str, renders: dict[str, Path], request: pytest.FixtureRequest
) -> None:
    first, second = (renders[seed].joinpath(name).read_bytes() for seed in SEEDS)
    assert first == second, f"{name} differs between PYTHONHASHSEED={SEEDS[0]} and {SEEDS[1]}"
    golden = EXPECTED / name
    if _updating(request):
        EXPECTED.mkdir(exist_ok=True)
        golden.write_bytes(first)
    assert golden.exists(), f"no golden file {name}: run with --update-golden"
    # Compared as text first so that a failure shows a readable diff.
    assert first.decode("utf-8", "surrogateescape") == golden.read_bytes().decode(
        "utf-8", "surrogateescape"
    )
    assert first == golden.read_bytes()


def test_every_render_has_a_golden_file_and_every_golden_file_a_render(
    renders: dict[str, Path],
) -> None:
    rendered = sorted(p.name for p in renders[SEEDS[0]].iterdir())
    assert rendered == GOLDEN_FILES
    assert sorted(p.name for p in EXPECTED.iterdir() if not p.name.startswith(".")) == GOLDEN_FILES
