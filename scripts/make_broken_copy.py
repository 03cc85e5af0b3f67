"""Copy the policy_orchestrator example and inject exactly one violation per archverify rule.

Usage: python scripts/make_broken_copy.py SRC DEST

DEST must not exist (or be empty). Each injection is written so that it produces exactly one
finding and nothing else: no knock-on cycle, boundary, lint, typing or coverage finding. What was
injected is printed and written to DEST/injected.json as a list of
``{"rule": ..., "path": ..., "line": ..., "what": ...}`` (paths relative to DEST, lines 1-based),
which tests/integration/test_broken_example.py compares with archverify's report.

The example's tests/test_boundaries.py re-checks the layers and the provider rule by reading the
source; in the copy it exempts the two files holding those injections, so that each violation is
reported once, by archverify's own rule, rather than a second time as a failing test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

EXIT_OK = 0
EXIT_ERROR = 2
LISTING = "injected.json"
# Tool and build state of a working copy: none of it is part of the example.
IGNORED = shutil.ignore_patterns(
    ".venv",
    ".archverify_cache",
    "__pycache__",
    "*.pyc",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".coverage",
    ".coverage.*",
    "build",
    "dist",
    "*.egg-info",
)

PKG = "src/policy_orchestrator"
Mode = Literal["after", "replace", "append", "create"]
# The conditions of the example's own layer and provider tests (tests/test_boundaries.py).
_LAYERS_TEST = "        if _layer_of(module) in set(LAYERS) - allowed"
_PROVIDER_TEST = '        if "get_questionnaire_provider" in path.read_text(encoding="utf-8")'


class InjectionError(Exception):
    """The example does not look as expected; the message names the file and the text sought."""


@dataclass(frozen=True)
class Edit:
    """One change to one file.

    ``after`` inserts ``text`` after the line ``anchor``, ``replace`` replaces that line,
    ``append`` adds ``text`` at the end and ``create`` writes a new file. ``anchor`` is a whole
    line without its end of line, and must occur exactly once.
    """

    path: str
    mode: Mode
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Injection:
    """One violation: the finding it must cause is ``rule`` at the line holding ``marker``."""

    rule: str
    path: str
    marker: str
    what: str
    edits: tuple[Edit, ...]


INJECTIONS: tuple[Injection, ...] = (
    Injection(
        rule="purity/io-call",
        path=f"{PKG}/core/chunking.py",
        marker="with open(path",
        what="open() in the pure core",
        edits=(
            Edit(
                f"{PKG}/core/chunking.py",
                "append",
                "\n\n"
                "def _read_plan(path: str) -> str:\n"
                "    # Injected purity/io-call: the pure core reads a file itself.\n"
                '    with open(path, encoding="utf-8") as handle:\n'
                "        return handle.read()\n",
            ),
        ),
    ),
    Injection(
        rule="purity/main-block",
        path=f"{PKG}/core/figures.py",
        marker='if __name__ == "__main__":',
        what="a __main__ block in the pure core",
        edits=(
            Edit(
                f"{PKG}/core/figures.py",
                "append",
                "\n\n"
                'if __name__ == "__main__":\n'
                "    # Injected purity/main-block: a pure module doubling as a script.\n"
                '    percentages("12 %")\n',
            ),
        ),
    ),
    Injection(
        rule="purity/environment",
        path=f"{PKG}/core/figures.py",
        marker='environ.get("FIGURES_LOCALE"',
        # Without an ``import os``: the example's own tests forbid importing it in the core.
        what="the pure core reading the environment",
        edits=(
            Edit(
                f"{PKG}/core/figures.py",
                "append",
                "\n\n"
                "def _locale() -> str:\n"
                "    # Injected purity/environment: a pure result that depends on the machine.\n"
                '    return str(__import__("os").environ.get("FIGURES_LOCALE", "en"))\n',
            ),
        ),
    ),
    Injection(
        rule="contracts/layers",
        path=f"{PKG}/executors/presence.py",
        marker="from policy_orchestrator.processors.aggregate import build_report",
        what="an executor importing the processors layer (test_boundaries.py exempts it)",
        edits=(
            Edit(
                f"{PKG}/executors/presence.py",
                "after",
                "from policy_orchestrator.processors.aggregate import build_report\n",
                anchor="from policy_orchestrator.core.scoring import ratio",
            ),
            Edit(
                "tests/test_boundaries.py",
                "replace",
                "        # Broken copy: the injected upward import is left to archverify alone.\n"
                f'{_LAYERS_TEST} and path.name != "presence.py"\n',
                anchor=_LAYERS_TEST,
            ),
            Edit(
                f"{PKG}/executors/presence.py",
                "append",
                "\n\n"
                "def _single_report(question: Question, chunks: Sequence[Chunk]) -> object:\n"
                "    # Injected contracts/layers: an executor reaching up into processors.\n"
                '    return build_report("plan", "single", (question,), '
                "(answer(question, chunks),))\n",
            ),
        ),
    ),
    Injection(
        rule="boundaries/forbidden-call",
        path=f"{PKG}/executors/budget.py",
        marker="registry.get_questionnaire_provider()",
        what="an executor calling the provider (test_boundaries.py exempts it)",
        edits=(
            Edit(
                f"{PKG}/executors/budget.py",
                "after",
                "from typing import Any\n",
                anchor="from collections.abc import Sequence",
            ),
            Edit(
                "tests/test_boundaries.py",
                "replace",
                "        # Broken copy: the injected provider call is left to archverify alone.\n"
                '        if path.name != "budget.py"\n'
                f"        and {_PROVIDER_TEST.lstrip()[3:]}\n",
                anchor=_PROVIDER_TEST,
            ),
            Edit(
                f"{PKG}/executors/budget.py",
                "append",
                "\n\n"
                "def _provider(registry: Any) -> object:\n"
                "    # Injected boundaries/forbidden-call: no import of the orchestrator needed,\n"
                "    # so this breaks the call rule and nothing else.\n"
                "    return registry.get_questionnaire_provider()\n",
            ),
        ),
    ),
    Injection(
        rule="cycles/import-cycle",
        # The cycle is reported at its first module's import (modules sorted by name).
        path=f"{PKG}/processors/highlights.py",
        marker="from policy_orchestrator.processors import summary",
        what="processors.highlights and processors.summary import each other",
        edits=(
            Edit(
                f"{PKG}/processors/highlights.py",
                "create",
                '"""Injected cycles/import-cycle: highlights and summary import each other."""\n'
                "\n"
                "from __future__ import annotations\n"
                "\n"
                "from policy_orchestrator.core.contracts import Report\n"
                "from policy_orchestrator.processors import summary\n"
                "\n"
                "\n"
                "def headline(report: Report) -> str:\n"
                "    return summary.summary(report).upper()\n",
            ),
            Edit(
                f"{PKG}/processors/summary.py",
                "create",
                '"""The other half of the injected import cycle (see highlights.py)."""\n'
                "\n"
                "from __future__ import annotations\n"
                "\n"
                "from policy_orchestrator.core.contracts import Report\n"
                "from policy_orchestrator.processors import highlights\n"
                "\n"
                "\n"
                "def summary(report: Report) -> str:\n"
                '    return f"{report.plan}: {report.overall:.2f} ({report.band})"\n'
                "\n"
                "\n"
                "def shout(report: Report) -> str:\n"
                "    return highlights.headline(report)\n",
            ),
        ),
    ),
    Injection(
        rule="imports/error",
        path=f"{PKG}/processors/legacy_format.py",
        marker="raise RuntimeError(",
        what="a module that raises when imported (nothing imports it)",
        edits=(
            Edit(
                f"{PKG}/processors/legacy_format.py",
                "create",
                '"""Injected imports/error: this module fails as soon as it is imported."""\n'
                "\n"
                'raise RuntimeError("legacy_format was removed: use processors.render")\n',
            ),
        ),
    ),
    Injection(
        rule="ruff/F401",
        path=f"{PKG}/orchestrator/cli.py",
        marker="import os",
        what="an unused import (in sorted position, so no isort finding)",
        edits=(
            Edit(f"{PKG}/orchestrator/cli.py", "after", "import os\n", anchor="import argparse"),
        ),
    ),
    Injection(
        rule="mypy/return-value",
        path=f"{PKG}/processors/render.py",
        marker='return [*lines, ""]',
        what="_table declared to return a tuple but returning a list (callers only unpack it)",
        edits=(
            Edit(
                f"{PKG}/processors/render.py",
                "replace",
                "def _table(title: str, groups: Sequence[GroupScore]) -> tuple[str, ...]:\n",
                anchor="def _table(title: str, groups: Sequence[GroupScore]) -> list[str]:",
            ),
        ),
    ),
    Injection(
        rule="bandit/B307",
        path=f"{PKG}/orchestrator/cli.py",
        marker="return float(eval(text))",
        what="eval() of command-line text (medium severity)",
        edits=(
            Edit(
                f"{PKG}/orchestrator/cli.py",
                "append",
                "\n\n"
                "def _weight(text: str) -> float:\n"
                "    # Injected bandit/B307: evaluates whatever the user typed.\n"
                "    return float(eval(text))\n",
            ),
        ),
    ),
    Injection(
        rule="tests/failed",
        path="tests/test_injected.py",
        marker="assert ratio(1, 4) == 0.2",
        what="a test with a wrong expectation",
        edits=(
            Edit(
                "tests/test_injected.py",
                "create",
                '"""Injected tests/failed: a test whose expectation is wrong."""\n'
                "\n"
                "from policy_orchestrator.core.scoring import ratio\n"
                "\n"
                "\n"
                "def test_quarter_ratio() -> None:\n"
                "    assert ratio(1, 4) == 0.2\n",
            ),
        ),
    ),
    Injection(
        rule="snapshots/changed",
        path=f"{PKG}/core/scoring.py",
        marker="def ratio(part: float, whole: float) -> float:",
        what="ratio() signature changed from int to float parameters (in the snapshot)",
        edits=(
            Edit(
                f"{PKG}/core/scoring.py",
                "replace",
                "def ratio(part: float, whole: float) -> float:\n",
                anchor="def ratio(part: int, whole: int) -> float:",
            ),
        ),
    ),
)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InjectionError(f"{file}: cannot read: {exc}") from None


def _write(file: Path, text: str) -> None:
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InjectionError(f"{file}: cannot write: {exc}") from None


def _only_line(lines: list[str], wanted: str, file: Path, exact: bool) -> int:
    """The 0-based index of the one line equal to (or containing) ``wanted``."""
    found = [
        i
        for i, line in enumerate(lines)
        if (line.rstrip("\r\n") == wanted if exact else wanted in line)
    ]
    if len(found) != 1:
        where = "not found" if not found else f"found {len(found)} times"
        raise InjectionError(f"{file}: {wanted!r} {where}; has the example changed?")
    return found[0]


def apply_edit(root: Path, edit: Edit) -> None:
    """Apply ``edit`` to the copy at ``root``; raises InjectionError when it cannot."""
    file = root / edit.path
    if edit.mode == "create":
        if file.exists():
            raise InjectionError(f"{file}: already exists; has the example changed?")
        _write(file, edit.text)
        return
    text = _read(file)
    if edit.mode == "append":
        _write(file, text + ("" if not text or text.endswith("\n") else "\n") + edit.text)
        return
    lines = text.splitlines(keepends=True)
    index = _only_line(lines, edit.anchor, file, exact=True)
    if edit.mode == "after":
        lines.insert(index + 1, edit.text)
    else:
        lines[index] = edit.text
    _write(file, "".join(lines))


def locate(root: Path, injection: Injection) -> dict[str, object]:
    """Where ``injection``'s finding must be: its rule, path and 1-based line."""
    file = root / injection.path
    line = _only_line(_read(file).splitlines(), injection.marker, file, exact=False) + 1
    return {"rule": injection.rule, "path": injection.path, "line": line, "what": injection.what}


def make_broken_copy(source: Path, dest: Path) -> list[dict[str, object]]:
    """Copy ``source`` to ``dest`` (which must not exist or be empty) and inject every violation.

    Returns the listing also written to ``dest/injected.json``. Raises InjectionError, after
    removing a half-made copy, when the source or the destination is not usable.
    """
    if not (source / "pyproject.toml").is_file():
        raise InjectionError(f"{source}: not a project folder (no pyproject.toml)")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InjectionError(f"{dest}: already exists and is not an empty folder")
    try:
        shutil.copytree(source, dest, ignore=IGNORED, dirs_exist_ok=True)
    except (OSError, shutil.Error) as exc:
        raise InjectionError(f"cannot copy {source} to {dest}: {exc}") from None
    try:
        for injection in INJECTIONS:
            for edit in injection.edits:
                apply_edit(dest, edit)
        # Lines are read after every edit, so two injections may share a file.
        listing = [locate(dest, injection) for injection in INJECTIONS]
        _write(dest / LISTING, json.dumps(listing, indent=2) + "\n")
    except InjectionError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return listing


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make_broken_copy.py",
        description="Copy the policy_orchestrator example and inject one violation per rule.",
    )
    parser.add_argument("source", type=Path, help="the example (examples/policy_orchestrator)")
    parser.add_argument("dest", type=Path, help="where to write the broken copy (must not exist)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        listing = make_broken_copy(args.source, args.dest)
    except InjectionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"{args.dest}: {len(listing)} violations injected (listed in {LISTING}):")
    for item in listing:
        print(f"  {item['rule']:<26} {item['path']}:{item['line']}  {item['what']}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
