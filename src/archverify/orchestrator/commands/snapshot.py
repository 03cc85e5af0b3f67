"""``archverify snapshot``: record the configured packages' public API in the snapshot file."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archverify.core.config import Config
from archverify.core.config.errors import ConfigError
from archverify.core.facts import FileFacts
from archverify.core.project import in_any_package
from archverify.core.snapshots import (
    DEFAULT_FILE,
    STEP,
    build_snapshot,
    snapshot_file,
    snapshot_text,
)
from archverify.orchestrator.atomic_write import write_atomic
from archverify.orchestrator.cache.facts import FactsCache, cache_stamp
from archverify.orchestrator.commands.arguments import add_path_and_config
from archverify.orchestrator.config.loader import config_error, load_config
from archverify.orchestrator.discovery import (
    discover,
    missing_references,
    resolve_config_with_discovery,
)
from archverify.orchestrator.parsing import parse_files
from archverify.orchestrator.write_guard import configured_destination
from archverify.processors.formats.common import safe_text

if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

_EPILOG = """\
The file lists every public function, method, class (with its bases and fields), variable and
__all__ of [tool.archverify.snapshots] packages, without line numbers. `archverify run` then
reports every item added, removed or changed since. Commit the file with the code.

exit codes:
  0  written (or already up to date)
  1  a file in the packages does not compile, or the file cannot be written
  2  usage or configuration error
"""
_SHOWN_BROKEN = 5


class SnapshotFailure(Exception):
    """The snapshot cannot be recorded for a reason in the tree, not in the configuration."""


@dataclass(frozen=True)
class SnapshotResult:
    file: str  # relative to the root, as configured
    items: int
    modules: int
    changed: bool  # False when the file already held exactly this snapshot


def add_snapshot_parser(commands: Subcommands) -> None:
    """Register ``archverify snapshot [PATH] [--config FILE]`` on the CLI's subparsers."""
    parser = commands.add_parser(
        "snapshot",
        help="record the public API of the configured packages",
        description="Write the public API of [tool.archverify.snapshots] packages to its file "
        f"(default: {DEFAULT_FILE}), for the snapshots step to compare against.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_path_and_config(parser)
    parser.set_defaults(handler=snapshot_from_args)


def snapshot_from_args(args: argparse.Namespace) -> int:
    config_file = Path(args.config).resolve() if args.config else None
    try:
        result = record_snapshot(Path(args.path), config_file)
    except ConfigError as error:
        print(f"archverify: error: {safe_text(str(error), multiline=True)}", file=sys.stderr)
        return 2
    except SnapshotFailure as error:
        print(f"archverify: error: {safe_text(str(error), multiline=True)}", file=sys.stderr)
        return 1
    what = f"{result.items} items in {result.modules} modules"
    if result.changed:
        print(f"wrote {result.file}: {what}")
    else:
        print(f"{result.file} is up to date: {what}")
    return 0


def record_snapshot(path: Path, config_file: Path | None = None) -> SnapshotResult:
    """Discover, parse once and write the snapshot; raises ConfigError or SnapshotFailure."""
    root = path.resolve()
    if not root.is_dir():
        raise ConfigError(f"{path}: no such directory")
    config = load_config(root, config_file)
    discovery = discover(root, config)
    config = resolve_config_with_discovery(config, discovery)
    packages = _packages(config)
    jobs = os.cpu_count() or 1
    # No facts cache: this command runs rarely and must not depend on a stale cache.
    facts = parse_files(root, discovery.files, jobs=jobs, cache=FactsCache(None, cache_stamp()))
    problems = missing_references(config, frozenset(facts))
    if problems:
        raise problems[0]
    ordered = [facts[f.module] for f in discovery.files if f.module in facts]
    _check_compiles(ordered, packages)
    snapshot = build_snapshot(ordered, packages)
    text = snapshot_text(snapshot)
    file = snapshot_file(config)
    sources = [source.path for source in discovery.files]
    target = configured_destination(root, config, "snapshot", root / file, sources)
    changed = _read(target) != text
    if changed:
        try:
            write_atomic(target, text)
        except OSError as error:
            raise SnapshotFailure(f"cannot write {file}: {error.strerror or error}") from None
    return SnapshotResult(file, len(snapshot.items), len(snapshot.modules), changed)


def _packages(config: Config) -> tuple[str, ...]:
    packages = tuple(str(p) for p in config.tool(STEP).options.get("packages", ()))
    if packages:
        return packages
    if not config.config_file:
        raise ConfigError(
            "no configuration found: add [tool.archverify.snapshots] packages = [...] "
            "to pyproject.toml"
        )
    raise config_error(config, STEP, "no packages to snapshot: set packages = [...]")


def _check_compiles(facts: list[FileFacts], packages: tuple[str, ...]) -> None:
    broken = [
        f for f in facts if f.compile_error is not None and in_any_package(f.module, packages)
    ]
    if not broken:
        return
    lines = [
        f"{f.path}:{f.compile_error.line}: {f.compile_error.message}"
        for f in broken[:_SHOWN_BROKEN]
        if f.compile_error is not None
    ]
    if len(broken) > _SHOWN_BROKEN:
        lines.append(f"... and {len(broken) - _SHOWN_BROKEN} more")
    raise SnapshotFailure(
        "cannot record the API of files that do not compile:\n  " + "\n  ".join(lines)
    )


def _read(target: Path) -> str | None:
    try:
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
