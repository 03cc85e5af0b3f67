"""Where archverify may write: the one list of files a run reads, and the checks every writer
(reports, baseline, snapshot, init) makes before it replaces a file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from archverify.core.config import Config
from archverify.core.snapshots import STEP as SNAPSHOT_STEP
from archverify.core.snapshots import snapshot_file
from archverify.orchestrator.atomic_write import as_written, resolved_inside
from archverify.orchestrator.config.loader import config_error, display_path
from archverify.orchestrator.finding_filters import baseline_path

# Files archverify or the tools it runs read as configuration, at the root or in any folder
# below it (ruff and mypy read a per-folder ``.ruff.toml`` / ``ruff.toml`` / ``pyproject.toml``).
CONFIG_FILE_NAMES = frozenset(
    {
        "pyproject.toml",
        "archverify.toml",
        "setup.cfg",
        ".importlinter",
        "tox.ini",
        "ruff.toml",
        ".ruff.toml",
        "mypy.ini",
        ".mypy.ini",
        "pytest.ini",
        ".coveragerc",
        ".bandit",
    }
)
# The files archverify writes that its configuration names, and the key naming each.
Written = Literal["baseline", "snapshot"]
_KEYS: dict[Written, str] = {"baseline": "baseline", "snapshot": f"{SNAPSHOT_STEP}.file"}
# Version-control metadata: a file there (``.git/config``, a hook) can run commands later.
_VCS_FOLDERS = frozenset({".git", ".hg", ".svn"})


def files_read(
    root: Path, config: Config, sources: Iterable[str], *, writing: Written | None = None
) -> list[Path]:
    """What a run reads from the tree (its configuration, contracts, snapshot and baseline
    files, every source file): nothing archverify writes may replace one of them. ``writing``
    leaves out the one file about to be written (the baseline for ``archverify baseline``),
    only that entry: the same path named for another role, or a source file a link there leads
    to, stays protected."""
    snapshot = snapshot_file(config)
    files = [root / name for name in (config.config_file, config.contracts_file) if name]
    if writing != "snapshot":
        files.append(root / snapshot)
    if writing != "baseline":
        files.append(baseline_path(root, config))
    files.extend(root / source for source in sources)
    return files


def configured_destination(
    root: Path, config: Config, writing: Written, configured: Path, sources: Iterable[str]
) -> Path:
    """Where to write the ``writing`` file the configuration names (``baseline``,
    ``snapshots.file``): ``configured`` with its links followed. Checked just before the write
    (the steps ran the project's code since the configuration was read); raises ``ConfigError``
    naming its key (exit 2) when it leaves the root or would replace a file the run reads, a
    source file through a committed link as much as by name."""
    key = _KEYS[writing]
    shown = display_path(root, configured)
    inside = resolved_inside(root, configured)
    if inside is None:
        raise config_error(
            config,
            key,
            f"{shown} resolves outside the project root; archverify writes only inside the root",
        )
    read = files_read(root, config, sources, writing=writing)
    problem = overwrite_problem(configured, root, read)
    if problem is not None:
        target = display_path(root, inside)
        via = f" (a link to {target})" if target != shown else ""
        raise config_error(config, key, f"cannot write {shown}{via}: {problem}")
    return inside


def overwrite_problem(named: Path, root: Path, protected: Iterable[Path]) -> str | None:
    """Why writing ``named`` (absolute, as given: links not followed, ``..`` not folded) would
    destroy something, or None.

    The write lands at ``as_written(named)`` (links followed before ``..``); ``named`` folded
    as text is where it seems to go. Refused, judged at both: a folder; a file the run reads
    (``protected``), a Python file or a tool's configuration file anywhere under the root, by
    its own name or its link's target (a report named ``.ruff.toml`` would become ruff's
    configuration); anything inside ``.git``, ``.hg`` or ``.svn``; a path that seems to be under
    the root but whose folder a link leads out of it."""
    root = root.resolve()
    seeming = Path(os.path.normpath(named))
    landing = as_written(named)
    target = landing.resolve()
    if target.is_dir():
        return "it is a folder"
    places = (seeming, landing, target)
    if _protects(target, protected) or any(_read_by_the_run(path, root) for path in places):
        return "it is a file of the project that archverify reads"
    if any(_VCS_FOLDERS.intersection(path.parts) for path in places):
        return "it is inside version-control metadata"
    if seeming.is_relative_to(root) and not landing.parent.is_relative_to(root):
        return "a symbolic link leads its folder out of the project"
    return None


def _protects(target: Path, protected: Iterable[Path]) -> bool:
    """Whether ``target`` (resolved) is one of ``protected``, links followed: for a file that
    exists, the same device and inode (one stat a file, where resolving every source file walks
    each of its folders; a hard link or a bind mount of a protected file counts too); for one
    that does not (a baseline not written yet, a dangling link), the same resolved path."""
    try:
        info = os.stat(target)
        wanted: tuple[int, int] | None = (info.st_dev, info.st_ino)
    except OSError:
        wanted = None
    for path in protected:
        try:
            found = os.stat(path)
        except OSError:
            if path.resolve() == target:
                return True
            continue
        if (found.st_dev, found.st_ino) == wanted:
            return True
    return False


def folder_leaves_root(named: Path, root: Path) -> bool:
    """True when ``named``'s folder, links followed, is outside ``root`` (resolved)."""
    return resolves_outside(named.parent, root)


def resolves_outside(path: Path, root: Path) -> bool:
    """True when ``path``, links followed, is outside ``root`` (resolved)."""
    return not path.resolve().is_relative_to(root)


def _read_by_the_run(path: Path, root: Path) -> bool:
    # A Python file under the root, even a new one: the next run would verify it as a module.
    if not path.is_relative_to(root):
        return False
    return path.suffix in {".py", ".pyi"} or path.name in CONFIG_FILE_NAMES
