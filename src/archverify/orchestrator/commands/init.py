"""``archverify init``: writes a ``[tool.archverify]`` inferred from the project as it is today."""

from __future__ import annotations

import argparse
import configparser
import importlib.metadata
import json
import os
import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archverify.core.config.errors import ConfigError
from archverify.core.init_files import (
    PRE_COMMIT_PATH,
    WORKFLOW_PATH,
    ArchverifyTable,
    WorkflowInstall,
    add_pre_commit_hook,
    describe_cycles,
    describe_demo_imports,
    has_archverify_hook,
    render_table,
    render_workflow,
)
from archverify.orchestrator.atomic_write import write_atomic
from archverify.orchestrator.config.importlinter import load_importlinter_contracts
from archverify.orchestrator.config.loader import load_config
from archverify.orchestrator.report_outputs import UsageError
from archverify.orchestrator.write_guard import folder_leaves_root
from archverify.processors.formats.common import safe_text

if TYPE_CHECKING:
    from archverify.orchestrator.commands.init_survey import Survey

PYPROJECT = "pyproject.toml"
# Where projects keep what their tests need: an extra of the project, or a requirements file.
_TEST_EXTRAS = ("tests", "test", "testing")
_TEST_REQUIREMENTS = (
    "requirements/tests.txt",
    "requirements/test.txt",
    "requirements-tests.txt",
    "requirements-test.txt",
    "test-requirements.txt",
    "tests/requirements.txt",
)
_ARCHVERIFY_LINE = re.compile(r"^\s*archverify\b(?![-_.\w])", re.IGNORECASE)
# Files init edits in place (the others it writes whole).
_EDITED = frozenset({PYPROJECT, PRE_COMMIT_PATH})
_EPILOG = """\
examples:
  archverify init --dry-run              show what would be written
  archverify init                        add [tool.archverify] to pyproject.toml
  archverify init --ci github --pre-commit
  archverify init --ci github            on a configured project: adds the workflow only
  archverify init --ci github --shards 4 four shard jobs with their caches, one merge job
"""


class InitError(Exception):
    """A file init must read is malformed, or a target exists without --force."""


@dataclass
class _Files:
    """Every file to write (path relative to the root -> text), decided before any is written."""

    writes: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def add_init_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser(
        "init",
        help="write a [tool.archverify] inferred from the project",
        description="Detect the layout, packages (test packages left out) and tool settings of "
        "PATH, infer layers from today's imports and write [tool.archverify] into "
        "PATH/pyproject.toml. On a project that has one, --ci and --pre-commit add only their "
        "files.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("path", nargs="?", default=".", help="project directory (default: .)")
    init.add_argument("--dry-run", action="store_true", help="print, write nothing")
    init.add_argument(
        "--force",
        action="store_true",
        help="replace an existing workflow; without --ci/--pre-commit, an existing "
        "[tool.archverify]",
    )
    init.add_argument(
        "--ci",
        choices=["github"],
        help="also write .github/workflows/archverify.yml (a configured project keeps its "
        "[tool.archverify])",
    )
    init.add_argument(
        "--shards",
        type=_shard_count,
        default=1,
        metavar="N",
        help="with --ci github: split the run over a matrix of N jobs (`run --shard I/N`), each "
        "with its own actions/cache, and merge their reports in one more job (docs/ci.md); "
        "1, the default, writes one job",
    )
    init.add_argument(
        "--pre-commit", action="store_true", help="also add the hook to .pre-commit-config.yaml"
    )
    init.set_defaults(handler=init_from_args)


def _shard_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to 256, not {text!r}")
    return value


def init_from_args(args: argparse.Namespace) -> int:
    root = Path(args.path).resolve()
    if not root.is_dir():
        print(f"archverify: error: {args.path}: no such directory", file=sys.stderr)
        return 2
    # Imported here so that building the CLI parser does not load the parser pool and tomlkit.
    from archverify.orchestrator.commands.init_survey import survey_project

    ci, pre_commit = args.ci or "", args.pre_commit
    if args.shards != 1 and not ci:
        print("archverify: error: --shards needs --ci github", file=sys.stderr)
        return 2
    try:
        # Before any is read: a linked pyproject.toml is refused, not reported as configured.
        refuse_destinations(root, _destinations(ci=ci, pre_commit=pre_commit))
        keep = bool(ci or pre_commit) and _has_table(root / PYPROJECT)
        if keep:
            # A configured project gets the workflow or the hook only: its table is the user's.
            config = load_config(root)
            files = plan_extras(
                root,
                "tests" in config.steps,
                force=args.force,
                ci=ci,
                pre_commit=pre_commit,
                shards=args.shards,
            )
            files.notes.insert(0, f"{PYPROJECT} already has [tool.archverify]: kept as it is")
        else:
            survey = survey_project(root, detect_test_paths(root))
            if not survey.packages:
                raise InitError(
                    f"no Python package (a folder with __init__.py) under {args.path} or its "
                    "src/: nothing to configure"
                )
            table = build_table(root, survey)
            files = plan_files(
                root, table, force=args.force, ci=ci, pre_commit=pre_commit, shards=args.shards
            )
    except (InitError, ConfigError, UsageError) as error:
        print(f"archverify: error: {safe_text(str(error), multiline=True)}", file=sys.stderr)
        return 1 if isinstance(error, InitError) else 2
    if not keep:
        _print_summary(survey, table)
    if args.dry_run:
        for path, text in files.writes.items():
            print(f"\n--- {path} (not written: --dry-run)\n{text}", end="")
        _print_notes(files.notes)
        return 0
    for path, text in files.writes.items():
        # Replaced atomically, keeping its mode; a link there is replaced, never written through.
        write_atomic(root / path, text)
        print(f"wrote {path}")
    _print_notes(files.notes)
    load_config(root)  # what was written must load; a ConfigError here is a bug in init
    print("next: archverify run")
    return 0


def _destinations(*, ci: str, pre_commit: bool) -> list[str]:
    """Every file init may write with these options (relative to the root)."""
    return [
        PYPROJECT,
        *([WORKFLOW_PATH] if ci == "github" else []),
        *([PRE_COMMIT_PATH] if pre_commit else []),
    ]


def refuse_destinations(root: Path, writes: Iterable[str]) -> None:
    """Raise ``UsageError`` (exit 2) before anything is written when a file init would write
    is not a plain file inside the root: its folder leads out of the root through a link
    (``.github/workflows -> ../outside``), or a file init edits (pyproject.toml, the pre-commit
    configuration) is a symbolic link. Writing through that link would change a file elsewhere,
    perhaps outside the project or shared by several; replacing it would silently turn the
    user's deliberate link into a private copy. Either is the user's call, not init's. (The
    workflow, which init writes whole, only with --force over an existing one, is a new file:
    a link there is replaced like a report's.)"""
    for name in writes:
        named = root / name
        if folder_leaves_root(named, root):
            raise UsageError(
                f"cannot write {name}: a symbolic link leads its folder out of the project"
            )
        if name in _EDITED and named.is_symlink():
            raise UsageError(
                f"cannot edit {name}: it is a symbolic link (to {os.readlink(named)}); "
                "edit its target by hand, or replace the link by a file and run init again"
            )


def build_table(root: Path, survey: Survey) -> ArchverifyTable:
    """The ``[tool.archverify]`` content for ``root``, from the survey and the tool settings."""
    importlinter = load_importlinter_contracts(root)
    return ArchverifyTable(
        source_roots=survey.source_roots,
        packages=survey.packages,
        pure=survey.pure_packages,
        not_pure=tuple((c.module, c.reason) for c in survey.pure_candidates if c.reason),
        plans=survey.layer_plans,
        importlinter_file=importlinter.file if importlinter is not None else "",
        detected=tuple(detect_tool_settings(root)),
        test_paths=detect_test_paths(root),
    )


def plan_files(
    root: Path,
    table: ArchverifyTable,
    *,
    force: bool,
    ci: str,
    pre_commit: bool,
    shards: int = 1,
) -> _Files:
    """The new text of every file to write; raises ``InitError`` rather than overwrite."""
    text = _pyproject_text(root / PYPROJECT, render_table(table), force)
    files = plan_extras(
        root, bool(table.test_paths), force=force, ci=ci, pre_commit=pre_commit, shards=shards
    )
    files.writes = {PYPROJECT: text, **files.writes}
    return files


def plan_extras(
    root: Path, runs_tests: bool, *, force: bool, ci: str, pre_commit: bool, shards: int = 1
) -> _Files:
    """The workflow (of ``shards`` jobs and a merge job when more than one) and the pre-commit
    hook; raises ``InitError`` rather than overwrite."""
    files = _Files()
    if ci == "github":
        if os.path.lexists(root / WORKFLOW_PATH) and not force:
            raise InitError(f"{WORKFLOW_PATH} exists; use --force to replace it")
        install = workflow_install(root, runs_tests)
        files.writes[WORKFLOW_PATH] = render_workflow(install, shards)
    if pre_commit:
        current = _read(root / PRE_COMMIT_PATH) if (root / PRE_COMMIT_PATH).exists() else ""
        if has_archverify_hook(current):
            files.notes.append(f"{PRE_COMMIT_PATH} already runs the archverify hook: kept")
        else:
            updated = add_pre_commit_hook(current)
            if updated is None:
                raise InitError(
                    f"{PRE_COMMIT_PATH}: `repos` is not a block list; add the archverify "
                    "hook by hand (see docs/init.md)"
                )
            files.writes[PRE_COMMIT_PATH] = updated
    return files


def workflow_install(root: Path, runs_tests: bool) -> WorkflowInstall:
    """How CI installs archverify (the project's own requirement line when it has one, else
    where this archverify came from) and the project, with its test extra or test
    requirements when the tests step runs."""
    pyproject = _toml(root / PYPROJECT)
    project = pyproject.get("project", {})
    extras = project.get("optional-dependencies", {}) if isinstance(project, dict) else {}
    extras = extras if isinstance(extras, dict) else {}
    installable = bool(project) or (root / "setup.py").is_file() or (root / "setup.cfg").is_file()
    requirement, source = _project_requirement(root, pyproject)
    if not requirement:
        requirement, source = _installed_requirement()
    wanted = [e for e in _TEST_EXTRAS if e in extras][:1] if runs_tests else []
    files: tuple[str, ...] = ()
    if runs_tests and not wanted:
        files = tuple(name for name in _TEST_REQUIREMENTS if (root / name).is_file())[:1]
    target = f".[{wanted[0]}]" if wanted else "."
    return WorkflowInstall(requirement, source, target if installable else "", files)


def _project_requirement(root: Path, pyproject: dict[str, Any]) -> tuple[str, str]:
    """The project's own requirement line for archverify and where it is, or ("", "")."""
    project = pyproject.get("project", {})
    places: list[tuple[str, Any]] = []
    if isinstance(project, dict) and isinstance(project.get("optional-dependencies"), dict):
        for extra, lines in project["optional-dependencies"].items():
            places.append((f"{PYPROJECT} [project.optional-dependencies] {extra}", lines))
    groups = pyproject.get("dependency-groups", {})
    if isinstance(groups, dict):
        places += [(f"{PYPROJECT} [dependency-groups] {g}", lines) for g, lines in groups.items()]
    files = sorted(root.glob("requirements*.txt")) + sorted(root.glob("requirements/*.txt"))
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        places.append((path.relative_to(root).as_posix(), lines))
    for where, lines in places:
        for line in lines if isinstance(lines, list) else ():
            if isinstance(line, str) and _ARCHVERIFY_LINE.match(line):
                return line.split("#", 1)[0].strip(), f"the archverify requirement of {where}"
    return "", ""


def _installed_requirement() -> tuple[str, str]:
    """A requirement for the archverify running now: its VCS or archive URL when pip recorded
    one (PEP 610), else its version by name."""
    try:
        distribution = importlib.metadata.distribution("archverify")
    except importlib.metadata.PackageNotFoundError:
        return "archverify", "archverify by name"
    version = distribution.version
    try:
        origin = json.loads(distribution.read_text("direct_url.json") or "{}")
    except ValueError:
        origin = {}
    url = origin.get("url", "") if isinstance(origin, dict) else ""
    vcs = origin.get("vcs_info") if isinstance(origin, dict) else None
    if isinstance(vcs, dict) and url:
        commit = vcs.get("requested_revision") or vcs.get("commit_id") or ""
        at = f"@{commit}" if commit else ""
        return f"archverify @ {vcs.get('vcs', 'git')}+{url}{at}", "where this archverify came from"
    if url.startswith(("https://", "http://")):
        return f"archverify @ {url}", "where this archverify came from"
    where = "a local folder" if url else "an index"
    return (
        f"archverify=={version}",
        f"the version init ran with (installed from {where}, which CI may not reach)",
    )


def _has_table(path: Path) -> bool:
    tool = _toml(path).get("tool")
    return isinstance(tool, dict) and "archverify" in tool


def _pyproject_text(path: Path, table_text: str, force: bool) -> str:
    """The pyproject with ``table_text`` appended; its other lines and comments stay as they
    are. An existing ``[tool.archverify]`` is only removed with ``force``."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    if not path.exists():
        return table_text
    text = _read(path)
    try:
        document = tomlkit.parse(text)
    except ParseError as error:
        raise ConfigError(f"invalid TOML: {error}", PYPROJECT, error.line) from None
    tool: Any = document.get("tool")
    if tool is not None and "archverify" in tool:
        if not force:
            raise InitError(f"{PYPROJECT} already has [tool.archverify]; use --force to replace it")
        del tool["archverify"]
        if not tool:
            del document["tool"]
        text = tomlkit.dumps(document)
    text = text.rstrip("\n")
    return f"{text}\n\n{table_text}" if text else table_text


def detect_tool_settings(root: Path) -> list[str]:
    """Where ruff, mypy, bandit and pytest are configured today, as short phrases (each
    starting with the tool's name)."""
    pyproject = _toml(root / PYPROJECT)
    tool = pyproject.get("tool", {}) if isinstance(pyproject.get("tool"), dict) else {}
    found: list[str] = []
    if "ruff" in tool:
        found.append(f"ruff settings in {PYPROJECT} [tool.ruff]")
    found += [f"ruff settings in {n}" for n in ("ruff.toml", ".ruff.toml") if (root / n).is_file()]
    if "mypy" in tool:
        found.append(f"mypy settings in {PYPROJECT} [tool.mypy]")
    found += [f"mypy settings in {n}" for n in ("mypy.ini", ".mypy.ini") if (root / n).is_file()]
    if "mypy" in _ini_sections(root / "setup.cfg"):
        found.append("mypy settings in setup.cfg [mypy]")
    if "bandit" in tool:
        found.append(f"bandit settings in {PYPROJECT} [tool.bandit]")
    if (root / ".bandit").is_file():
        found.append("bandit settings in .bandit")
    pytest_source = _pytest_source(root, tool)
    if pytest_source:
        found.append(f"pytest settings in {pytest_source}")
    return found


def detect_test_paths(root: Path) -> tuple[str, ...]:
    """pytest's ``testpaths`` when configured, else ``tests``/``test`` when present, else ()."""
    pyproject = _toml(root / PYPROJECT)
    options = pyproject.get("tool", {}).get("pytest", {}).get("ini_options", {})
    configured = options.get("testpaths") if isinstance(options, dict) else None
    if isinstance(configured, str):
        configured = configured.split()
    if not configured:
        for name, section in (("pytest.ini", "pytest"), ("setup.cfg", "tool:pytest")):
            value = _ini_sections(root / name).get(section, {}).get("testpaths", "")
            if value.split():
                configured = value.split()
                break
    if configured and all(isinstance(p, str) for p in configured):
        existing = tuple(p for p in configured if (root / p).exists())
        if existing:
            return existing
    return tuple(name for name in ("tests", "test") if (root / name).is_dir())[:1]


def _pytest_source(root: Path, tool: dict[str, Any]) -> str:
    if "pytest" in tool:
        return f"{PYPROJECT} [tool.pytest.ini_options]"
    for name, section in (("pytest.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        if section in _ini_sections(root / name):
            return f"{name} [{section}]"
    return ""


def _toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(_read(path))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"invalid TOML: {error}", path.name) from None


def _ini_sections(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_read(path), source=path.name)
    except configparser.Error as error:
        line = getattr(error, "lineno", 0) or 0
        raise ConfigError(f"invalid INI: {error.message}", path.name, line) from None
    return {name: dict(parser[name]) for name in parser.sections()}


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise InitError(f"{path.name}: cannot read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ConfigError("not valid UTF-8", path.name) from None


def _print_notes(notes: list[str]) -> None:
    for note in notes:
        print(note)


def _print_summary(survey: Survey, table: ArchverifyTable) -> None:
    layout = "src layout" if "src" in survey.source_roots else "flat layout"
    packages = ", ".join(survey.packages) or "none found"
    print(f"archverify init: {layout}, packages: {packages}")
    if survey.test_packages:
        tests = ", ".join(survey.test_packages)
        print(f"  tests: {tests} (run by the tests step; not verified as production code)")
    for plan in survey.layer_plans:
        print(f"  layers of {plan.package}: {' > '.join(plan.expressions())}")
        for line in (*describe_cycles(plan), *describe_demo_imports(plan)):
            print(f"    {line}")
    for module in table.pure:
        print(f"  pure: {module} (no I/O today)")
    for module, why in table.not_pure:
        print(f"  not pure today: {module}: {why}")
    for what in table.detected:
        print(f"  found {what}")
    if table.importlinter_file:
        print(
            f"  import-linter configuration in {table.importlinter_file}: archverify reads its "
            "contracts as they are, so init writes no contracts"
        )
    for problem in survey.problems:
        print(f"  note: {problem}")
