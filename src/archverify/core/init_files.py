"""The files ``archverify init`` writes: the ``[tool.archverify]`` text, the workflow, the hook."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from archverify.core.config import STEP_ORDER
from archverify.core.layer_inference import LayerPlan
from archverify.core.steps import default

WORKFLOW_PATH = ".github/workflows/archverify.yml"
PRE_COMMIT_PATH = ".pre-commit-config.yaml"

# What both workflows start with: when they run, their rights, how they install archverify.
_WORKFLOW_HEAD = """\
name: archverify

on:
  push:
    branches: [main]
  pull_request:

permissions:
  contents: read
  security-events: write  # upload-sarif shows the findings in the Security tab

env:
  # How CI installs archverify: edit this requirement to install it another way.
  # It is {requirement_from}.
  ARCHVERIFY_REQUIREMENT: {requirement}
"""
GITHUB_WORKFLOW = (
    "# Written by `archverify init --ci github`.\n"
    + _WORKFLOW_HEAD
    + """\

jobs:
  archverify:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
{install}\
      - run: archverify run --format github --format sarif=archverify.sarif
      - uses: github/codeql-action/upload-sarif@v3
        if: always()  # findings are most useful exactly when the run failed
        with:
          sarif_file: archverify.sarif
"""
)


@dataclass(frozen=True)
class WorkflowInstall:
    """How the workflow installs archverify and the project, decided from the project's files.

    ``requirement`` is a pip requirement for archverify (the project's own line when it has
    one); ``requirement_from`` says where it came from, for the comment above it. ``project``
    is the project's install target (``.`` or ``.[tests]``), "" when it is not installable;
    ``requirement_files`` are ``-r`` files the steps need (the tests' requirements).
    """

    requirement: str
    requirement_from: str
    project: str = ""
    requirement_files: tuple[str, ...] = ()


# The sharded workflow (``init --ci github --shards N``, N > 1): N shard jobs in a matrix, each
# with its own cache, then one merge job. See docs/ci.md.
GITHUB_SHARDED_WORKFLOW = (
    "# Written by `archverify init --ci github --shards {shards}` (docs/ci.md explains it).\n"
    + _WORKFLOW_HEAD
    + """\
  # The shards' caches are trusted only with one secret on every runner: add a random value as
  # the repository secret ARCHVERIFY_CACHE_SECRET (`openssl rand -hex 32`). Without it (and on
  # pull requests from forks, which get no secrets) every restored entry is a miss: the run is
  # as slow as a cold one, and never trusts what it restored.
  ARCHVERIFY_CACHE_SECRET: ${{{{ secrets.ARCHVERIFY_CACHE_SECRET }}}}

jobs:
  shard:
    name: archverify shard ${{{{ matrix.shard }}}}/{shards}
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false  # every shard's findings belong in the merged report
      matrix:
        shard: [{shard_list}]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        id: python
        with:
          python-version: "3.11"
{install}\
      # Restored and saved by hand: actions/cache saves only after a job that passed, and a
      # run with findings fails. The key names the runner's OS, the Python, the dependencies
      # and the shard; a fresh key per commit, so each run saves what it computed.
      - uses: actions/cache/restore@v4
        with:
          path: .archverify_cache
          key: {cache_key}-${{{{ github.sha }}}}
          restore-keys: |
            {cache_key}-
            {cache_deps}-
            {cache_prefix}-
      # The durations the last merge recorded: the split is balanced from them when there are
      # some (the first run splits by size). One key for every shard of a run, so each restores
      # the same file; when a concurrent run's merge saves between two shards' restores, the
      # shards split differently and the merge refuses them (exit 2), never merges them wrong.
{restore_durations}      - run: |
          durations=()
          if [ -f {durations} ]; then durations=(--durations {durations}); fi
          archverify run . --shard ${{{{ matrix.shard }}}}/{shards} \\
            --partial archverify-partial-${{{{ matrix.shard }}}}.json "${{durations[@]}}"
      - uses: actions/upload-artifact@v4
        if: always()  # a shard with findings exits 1; the merge needs its partial all the same
        with:
          name: archverify-partial-${{{{ matrix.shard }}}}
          path: archverify-partial-${{{{ matrix.shard }}}}.json
          if-no-files-found: ignore  # the merge then reports the shard as missing
      - uses: actions/cache/save@v4
        if: always()
        with:
          path: .archverify_cache
          key: {cache_key}-${{{{ github.sha }}}}

  merge:
    needs: shard
    if: always()  # merge whatever the shards found, and report a shard that did not finish
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4  # the configuration and the baseline the merge applies
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install "$ARCHVERIFY_REQUIREMENT"
      - uses: actions/download-artifact@v4
        with:
          pattern: archverify-partial-*
          path: partials
          merge-multiple: true
      # The older record, so that what this run did not measure keeps its seconds.
{restore_durations}      - run: >-
          archverify merge partials/*.json --format github --format sarif=archverify.sarif
          --format markdown=archverify.md --durations-out {durations}
      # What the shards measured, for the next run's split (a key per run: caches are immutable).
      - uses: actions/cache/save@v4
        if: always() && hashFiles('{durations}') != ''
        with:
          path: {durations}
          key: {durations_key}
      - if: always()
        run: cat archverify.md >> "$GITHUB_STEP_SUMMARY" || true
      - uses: github/codeql-action/upload-sarif@v3
        if: always()  # findings are most useful exactly when the run failed
        with:
          sarif_file: archverify.sarif
"""
)
# The durations file the merge job writes and the shard jobs restore (``run --durations``),
# under one key per run (caches are immutable); a job restores the newest by the prefix.
DURATIONS_FILE = "archverify-durations.json"
_DURATIONS_PREFIX = "archverify-durations-"
_DURATIONS_KEY = _DURATIONS_PREFIX + "${{ github.run_id }}-${{ github.run_attempt }}"
_RESTORE_DURATIONS = f"""\
      - uses: actions/cache/restore@v4
        with:
          path: {DURATIONS_FILE}
          key: {_DURATIONS_KEY}
          restore-keys: |
            {_DURATIONS_PREFIX}
"""
# What restores a shard's cache: the same dependencies on the same OS and Python.
_CACHE_PREFIX = "archverify-${{ runner.os }}-py${{ steps.python.outputs.python-version }}"
_CACHE_DEPENDENCIES = "${{ hashFiles('pyproject.toml', '**/*.lock', '**/requirements*.txt') }}"


def render_workflow(install: WorkflowInstall, shards: int = 1) -> str:
    """The GitHub workflow: archverify from ``install.requirement`` (one line to edit), then the
    project with what its steps import, then the run; with ``shards`` > 1 a matrix of that many
    shard jobs, each restoring and saving its own cache, and a merge job (``docs/ci.md``)."""
    lines = ['      - run: pip install "$ARCHVERIFY_REQUIREMENT"\n']
    if install.project:
        # The imports, mypy and tests steps import the project, so its dependencies must be there.
        lines.append(f"      - run: pip install -e {json.dumps(install.project)}\n")
    lines.extend(
        f"      - run: pip install -r {json.dumps(f)}\n" for f in install.requirement_files
    )
    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    if shards == 1:
        return GITHUB_WORKFLOW.format(
            requirement_from=install.requirement_from,
            requirement=json.dumps(install.requirement),
            install="".join(lines),
        )
    prefix = _CACHE_PREFIX
    return GITHUB_SHARDED_WORKFLOW.format(
        shards=shards,
        shard_list=", ".join(str(i) for i in range(1, shards + 1)),
        requirement_from=install.requirement_from,
        requirement=json.dumps(install.requirement),
        install="".join(lines),
        cache_prefix=prefix,
        cache_deps=f"{prefix}-{_CACHE_DEPENDENCIES}",
        cache_key=f"{prefix}-{_CACHE_DEPENDENCIES}-shard${{{{ matrix.shard }}}}",
        durations=DURATIONS_FILE,
        durations_key=_DURATIONS_KEY,
        restore_durations=_RESTORE_DURATIONS,
    )


# A local hook: it needs no repository URL or revision, only archverify on the PATH.
PRE_COMMIT_ENTRY = """\
- repo: local
  hooks:
    - id: archverify
      name: archverify
      entry: archverify run
      language: system
      pass_filenames: false
      always_run: true
"""
_HOOK_PRESENT = re.compile(r"^\s*-?\s*id:\s*['\"]?archverify['\"]?\s*$", re.MULTILINE)
_TOP_LEVEL_KEY = re.compile(r"^[^\s#-][^:]*:")


# Tool steps init turns on only when the project has settings for the tool.
CONFIGURED_TOOL_STEPS: tuple[str, ...] = ("ruff", "mypy", "bandit")


def _why_left_out(steps: list[str]) -> str:
    tools = [step for step in steps if step != "tests"]
    parts = [f"{', '.join(tools)} (no settings of the project's own)"] if tools else []
    if "tests" in steps:
        parts.append("tests (none found)")
    return "; ".join(parts)


# Top-level package names that hold a project's tests by convention (pytest's own examples).
TEST_PACKAGE_NAMES: frozenset[str] = frozenset({"tests", "test"})


def is_test_package(package: str, folder: str, test_paths: Sequence[str]) -> bool:
    """True when top-level ``package`` (in ``folder``, relative to the root) holds tests, not
    production code: it is named ``tests``/``test``, or pytest collects it (``folder`` is, or is
    inside, one of ``test_paths``)."""
    if package in TEST_PACKAGE_NAMES:
        return True
    for path in test_paths:
        path = path.strip("/").removeprefix("./")
        if path and (folder == path or folder.startswith(path + "/")):
            return True
    return False


@dataclass(frozen=True)
class ArchverifyTable:
    """What goes into ``[tool.archverify]``; every field is already decided by the caller."""

    source_roots: tuple[str, ...]
    packages: tuple[str, ...]
    pure: tuple[str, ...]
    not_pure: tuple[tuple[str, str], ...]  # (module, why)
    plans: tuple[LayerPlan, ...]
    importlinter_file: str  # "" when the project has no import-linter configuration
    detected: tuple[str, ...]  # "ruff: [tool.ruff] in pyproject.toml", ...
    test_paths: tuple[str, ...]  # () when the project has no tests


def render_table(table: ArchverifyTable) -> str:
    """``[tool.archverify]`` and its sub-tables as TOML text, with one-line why-comments (the
    details, such as each cycle's imports, are printed by init, not written)."""
    lines = [
        "[tool.archverify]",
        "# Written by `archverify init` from today's code; `archverify explain RULE` tells more.",
    ]
    if table.source_roots != (".",):
        lines.append(f"source_roots = {_list(table.source_roots)}")
    lines.append(f"packages = {_list(table.packages)}")
    configured = dict.fromkeys(what.split(" ", 1)[0] for what in table.detected)
    # A tool the project gives no settings would check rules nobody chose (its defaults).
    left_out = [step for step in CONFIGURED_TOOL_STEPS if step not in configured]
    if not table.test_paths:
        left_out.append("tests")
    if left_out:
        lines.append(f"# Left out: {_why_left_out(left_out)}; add to steps to run them.")
        lines.append(f"steps = {_list(tuple(s for s in STEP_ORDER if s not in left_out))}")
    if configured:
        lines.append(f"# The steps use the project's own {', '.join(configured)} settings.")
    if table.test_paths and table.test_paths != default("tests", "paths"):
        lines += ["", "[tool.archverify.tests]", f"paths = {_list(table.test_paths)}"]
    lines += _purity_lines(table)
    lines += _contract_lines(table)
    return "\n".join(lines) + "\n"


def _purity_lines(table: ArchverifyTable) -> list[str]:
    if not table.pure and not table.not_pure:
        return []
    lines = ["", "[tool.archverify.purity]"]
    if table.pure:
        lines.append("# No I/O here today: keep it that way.")
    if table.not_pure:
        names = ", ".join(module for module, _ in table.not_pure)
        lines.append(f"# Not pure today (init said why): {names}.")
    lines.append(f"packages = {_list(table.pure)}")
    return lines


def _contract_lines(table: ArchverifyTable) -> list[str]:
    if table.importlinter_file:
        return [
            "",
            f"# Contracts: archverify reads those of {table.importlinter_file} as they are.",
        ]
    lines: list[str] = []
    for plan in table.plans:
        lines += [
            "",
            "# From today's imports: a layer imports only layers below; 'a | b' not each other.",
        ]
        if plan.cycles:
            lines.append("# 'a : b' is a cycle; init printed the imports that would split it.")
        lines += [
            "[[tool.archverify.contracts]]",
            f"name = {json.dumps(plan.package + ' layers')}",
            'type = "layers"',
            "layers = [",
            *(f"    {json.dumps(expression)}," for expression in plan.expressions()),
            "]",
        ]
        lines += _demo_ignore_lines(plan)
    return lines


def _demo_ignore_lines(plan: LayerPlan) -> list[str]:
    """``ignore_imports`` for demo code that imports upward: it never runs on import, but a
    layers contract counts it (as import-linter does)."""
    pairs = sorted({(e.importer, e.imported) for e in plan.main_guarded_upward})
    if not pairs:
        return []
    return [
        '# Upward imports under `if __name__ == "__main__":` (demos, never run on import).',
        "ignore_imports = [",
        *(f"    {json.dumps(f'{a} -> {b}')}," for a, b in pairs),
        "]",
    ]


def describe_demo_imports(plan: LayerPlan) -> list[str]:
    """Where the demo imports that the contract ignores are (file:line), for the screen."""
    if not plan.main_guarded_upward:
        return []
    where = ", ".join(sorted({f"{e.path}:{e.line}" for e in plan.main_guarded_upward}))
    return [f"ignored upward imports of demo blocks: {where}"]


def describe_cycles(plan: LayerPlan) -> list[str]:
    """Plain sentences about each cycle: who shares a layer and which imports to remove."""
    lines: list[str] = []
    for cycle in plan.cycles:
        lines.append(
            f"Cycle: {', '.join(cycle.members)} import each other, so they share one layer (':')."
        )
        lines.append(f"To split it as {' > '.join(cycle.suggested)}, remove these upward imports:")
        # One line per statement: ``from pkg._internal import a, b`` reaches one child twice.
        lines.extend(
            dict.fromkeys(
                f"  {edge.path}:{edge.line} ({edge.importer} imports {edge.imported})"
                for edge in cycle.upward
            )
        )
    return lines


def has_archverify_hook(text: str) -> bool:
    return _HOOK_PRESENT.search(text) is not None


def add_pre_commit_hook(text: str) -> str | None:
    """``text`` with the archverify repo entry appended to ``repos``; None when ``repos`` is not
    a block list this can extend (a flow list ``repos: [...]``, say). Other lines are kept."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, line in enumerate(lines) if re.match(r"repos\s*:", line)), None)
    if start is None:
        return "".join(lines) + "repos:\n" + _indented(PRE_COMMIT_ENTRY, "  ")
    if lines[start].split(":", 1)[1].split("#", 1)[0].strip():
        return None
    end = start + 1
    indent: str | None = None
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if _TOP_LEVEL_KEY.match(line):
            break
        if indent is None and line.lstrip().startswith("-"):
            indent = line[: len(line) - len(line.lstrip())]
        end = index + 1
    entry = _indented(PRE_COMMIT_ENTRY, "  " if indent is None else indent)
    return "".join(lines[:end]) + entry + "".join(lines[end:])


def _indented(block: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in block.splitlines(True))


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"
