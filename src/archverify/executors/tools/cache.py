"""Cache keys of the tool steps and per-file reuse of a tool's results."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from archverify.core.rerooting import unrooted, unrooted_text
from archverify.executors.base import StepContext
from archverify.executors.runtime.environment import (
    archverify_identity,
    environment_fingerprint,
    environment_variables,
    interpreter_identity,
    root_spellings,
    server_pythonpath,
)

# Configuration files a tool may read from the verified root, the folders above it (and for
# ruff the folders below it): their bytes are cache inputs.
RUFF_CONFIGS: tuple[str, ...] = ("pyproject.toml", "ruff.toml", ".ruff.toml")
MYPY_CONFIGS: tuple[str, ...] = ("pyproject.toml", "mypy.ini", ".mypy.ini", "setup.cfg")
BANDIT_CONFIGS: tuple[str, ...] = ("pyproject.toml", ".bandit")
TESTS_CONFIGS: tuple[str, ...] = (
    "pyproject.toml",
    "pytest.ini",
    "tox.ini",
    "setup.cfg",
    ".coveragerc",
    ".coveragerc.toml",
    # pytest loads every conftest.py from the root down to the tests: project code the tests
    # run, not among the verified files unless inside a package.
    "conftest.py",
)
# Environment variables each tool reads, by prefix (every PYTHON* variable counts for all).
TOOL_VARIABLES: dict[str, tuple[str, ...]] = {
    "ruff": ("RUFF_",),
    "mypy": ("MYPY",),
    "bandit": ("BANDIT",),
    # coverage reads COVERAGE_*; pytest PYTEST_* (ADDOPTS, PLUGINS, DISABLE_PLUGIN_AUTOLOAD) and
    # the colour switches its output and plugins follow.
    "tests": ("PYTEST_", "COVERAGE_", "PY_COLORS", "NO_COLOR", "FORCE_COLOR"),
    "imports": (),
}
# User-level config files a tool falls back to: (folder and names in each config home, names
# in the home folder).
_USER_CONFIGS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "ruff": ("ruff", ("pyproject.toml", "ruff.toml", ".ruff.toml"), ()),
    "mypy": ("mypy", ("config",), (".mypy.ini",)),
}


@cache
def tool_version(distribution: str) -> str:
    """The installed version of a tool's distribution, "" when it is not installed.

    Read from package metadata rather than ``tool --version``: it is the same environment as
    ``sys.executable -m tool`` and costs no process.
    """
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


def config_digest(
    root: Path,
    names: Iterable[str],
    *,
    below: Iterable[str] = (),
    user: Iterable[Path] = (),
) -> str:
    """A digest of the bytes of the config files ``names`` a tool may read.

    Looked up in ``root`` and every folder above it (mypy, pytest and ruff search upwards for
    their configuration; a file there that the tool ignores only costs a miss), in the folders
    between ``root`` and each relative path of ``below`` (ruff's per-folder configuration,
    pytest's ini files and conftest.py beside the test paths), and the user-level files ``user``.

    Each file present counts by its path and bytes, a path inside ``root`` spelled from the root
    (so a copy of the tree in another folder has the same digest); a file that is absent adds
    nothing, so that the folders above two checkouts at different depths, holding no config
    file, do not tell them apart. A config file above the root is named by its absolute path:
    two checkouts see the same one only where it is at the same place.
    """
    digest = hashlib.sha256()
    names = tuple(names)
    spellings = root_spellings(root)
    for folder in _config_folders(root, below):
        for name in names:
            _add_file(digest, folder / name, spellings)
    for path in user:
        _add_file(digest, path, spellings)
    return digest.hexdigest()


def _config_folders(root: Path, below: Iterable[str]) -> list[Path]:
    folders = [root, *root.parents]
    seen = set(folders)
    for rel in sorted(set(below)):
        current = root
        for part in Path(rel).parts[:-1] if rel.endswith(".py") else Path(rel).parts:
            current = current / part
            if current not in seen:
                seen.add(current)
                folders.append(current)
    return folders


def _add_file(digest: Any, path: Path, roots: Sequence[str]) -> None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as error:  # a folder, unreadable: not absent, and not readable either
        data = f"<{type(error).__name__}>".encode()
    digest.update(unrooted_text(str(path), roots).encode("utf-8", "surrogateescape") + b"\0")
    digest.update(hashlib.sha256(data).digest() + b"\0")


def named_files_digest(root: Path, values: Iterable[str]) -> str:
    """A digest of the files that tool arguments or variables name (``--config-file x.ini``,
    ``--config=ruff2.toml``, ``COVERAGE_RCFILE``): any value, or the part after ``=``, that is
    an existing file relative to ``root`` (or absolute)."""
    digest = hashlib.sha256()
    spellings = root_spellings(root)
    for value in values:
        candidates = [value, value.partition("=")[2]] if "=" in value else [value]
        for candidate in candidates:
            if candidate and not candidate.startswith("-") and (root / candidate).is_file():
                _add_file(digest, root / candidate, spellings)
    return digest.hexdigest()


def user_config_files(step_id: str, environ: Mapping[str, str] | None = None) -> list[Path]:
    """The user-level config files the tool behind ``step_id`` falls back to."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or Path.home())
    xdg = env.get("XDG_CONFIG_HOME", "")
    config_homes = [Path(xdg)] if xdg and os.path.isabs(xdg) else []
    config_homes.append(home / ".config")
    folder, names, home_files = _USER_CONFIGS.get(step_id, ("", (), ()))
    in_config_homes = [base / folder / name for base in config_homes for name in names]
    return in_config_homes + [home / name for name in home_files]


def environment_key(
    step_id: str, root: Path, pythonpath: Sequence[str] = ()
) -> dict[str, Any] | None:
    """What the interpreter and environment add to ``step_id``'s results (None: unknowable).

    The interpreter, the installed distributions and the code outside ``root`` on the path
    (``environment_fingerprint``, also over ``pythonpath``: folders a tool searches besides
    ``sys.path``), the variables the tool reads and the files those variables name.
    """
    paths = (*server_pythonpath(), *(os.path.abspath(p) for p in pythonpath if p))
    environment = environment_fingerprint(sys.executable, paths, root=root)
    if environment is None:
        return None
    variables = environment_variables(TOOL_VARIABLES.get(step_id, ()))
    # A virtual environment in the checkout, a variable naming a file of the tree: spelled
    # from the root, like every path inside it in a key.
    value: dict[str, Any] = unrooted(
        {"interpreter": interpreter_identity(), "environment": environment, "variables": variables},
        root_spellings(root),
    )
    return value


def file_hashes(context: StepContext) -> dict[str, str | None]:
    """Every verified file's path with its content hash (None when no facts were extracted)."""
    by_module = context.project.facts
    hashes: dict[str, str | None] = {}
    for source in context.project.files:
        facts = by_module.get(source.module)
        hashes[source.path] = (
            facts.content_hash if facts is not None and facts.path == source.path else None
        )
    return hashes


def step_cache_key(
    context: StepContext,
    step_id: str,
    version: str,
    config_files: Sequence[str],
    extra: Sequence[str] = (),
    *,
    config_below: Iterable[str] = (),
    search_path: Sequence[str] = (),
    with_files: bool = True,
) -> str | None:
    """A digest of everything a whole-project tool run depends on, None when not computable.

    The verified files by content, the tool's version, arguments and options, its config files
    (``config_digest``; ``config_below``: relative folders whose own config files apply), the
    files its arguments name, the interpreter, the installed distributions (also those found
    on ``search_path``) and the variables it reads. A file without a content hash makes the
    key unknowable: the step must run. ``with_files`` False leaves the verified files out (the
    tests step's per-module records judge them one by one).
    """
    hashes = file_hashes(context)
    if any(h is None for h in hashes.values()):
        return None
    environment = environment_key(step_id, context.root, search_path)
    if environment is None:
        return None
    tool = context.config.tool(step_id)
    material: dict[str, Any] = {
        "archverify": archverify_identity(),
        "step": step_id,
        "tool_version": version,
        "args": list(tool.args),
        "options": _canonical(tool.options),
        "config": tool_config_digest(context, step_id, config_files, config_below),
        "packages": list(context.project.packages),
        "source_roots": list(context.config.source_roots),
        "files": sorted(hashes.items()) if with_files else [],
        "extra": list(extra),
        "environment": environment,
    }
    # Paths in the tree (the imports step's source roots, mypy's search path) as relative ones.
    return _digest(unrooted(material, root_spellings(context.root)))


def tool_config_digest(
    context: StepContext, step_id: str, names: Sequence[str], below: Iterable[str] = ()
) -> str:
    """A digest of the config files ``names`` (``config_digest``, with the user's own), and of
    the files the step's arguments and the tool's variables name."""
    tool = context.config.tool(step_id)
    variables = [value for _, value in environment_variables(TOOL_VARIABLES.get(step_id, ()))]
    return _digest(
        [
            config_digest(context.root, names, below=below, user=user_config_files(step_id)),
            named_files_digest(context.root, [*tool.args, *variables]),
        ]
    )


@dataclass
class PerFileCache:
    """Per-file tool results in a ``KeyValueCache`` namespace.

    A file's entry is keyed by its content hash and a salt naming everything else the result
    depends on (tool version, config bytes, arguments), so that only changed files are run.
    """

    context: StepContext
    namespace: str
    salt: str

    @classmethod
    def for_tool(
        cls, context: StepContext, namespace: str, version: str, config_files: Sequence[str]
    ) -> PerFileCache:
        tool = context.config.tool(namespace)
        # Per-folder configuration applies to the files below it (ruff): every verified file's
        # folder is looked at, and a change there re-checks every file.
        below = [source.path for source in context.project.files]
        material = {
            "archverify": archverify_identity(),
            "version": version,
            "config": tool_config_digest(context, namespace, config_files, below),
            "args": list(tool.args),
            "environment": environment_key(namespace, context.root),
        }
        salt = _digest(unrooted(material, root_spellings(context.root)))
        return cls(context=context, namespace=namespace, salt=salt)

    def split(self, hashes: dict[str, str | None]) -> tuple[dict[str, Any], list[str]]:
        """Cached record lists by path, and the paths that must be run (in the given order)."""
        hits: dict[str, Any] = {}
        misses: list[str] = []
        forced = self.namespace in self.context.options.get("rerun", ())  # ``--rerun STEP``
        for path, content_hash in hashes.items():
            value = None
            if content_hash is not None and not forced:
                value = self.context.cache.get(self.namespace, self._key(path, content_hash))
            # Entries are lists of records; anything else is damage, not a result.
            if not isinstance(value, list):
                misses.append(path)
            else:
                hits[path] = value
        return hits, misses

    def store(self, hashes: dict[str, str | None], results: dict[str, Any]) -> None:
        for path, value in results.items():
            content_hash = hashes.get(path)
            if content_hash is not None:
                self.context.cache.put(self.namespace, self._key(path, content_hash), value)

    def _key(self, path: str, content_hash: str) -> str:
        return _digest([self.salt, path, content_hash])


def _canonical(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _digest(material: Any) -> str:
    text = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``path`` if no other run holds it; yields whether held.

    Never waits: a caller that does not get the lock works on something private instead. The
    lock goes with the process, so a run that is killed never leaves it held.
    """
    try:
        import fcntl
    except ImportError:  # no flock (Windows): never share
        yield False
        return
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def folder_digest(folder: Path) -> str:
    """A digest of every file below ``folder`` by relative path and content ("" when absent).

    A symlink anywhere makes the digest unique to this call, so that it never matches.
    """
    digest = hashlib.sha256()
    if not folder.is_dir() or folder.is_symlink():
        return ""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted([*dirnames, *filenames]):
            path = Path(dirpath, name)
            rel = path.relative_to(folder).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                return f"symlink {rel} {os.urandom(8).hex()}"
            if not stat.S_ISREG(info.st_mode):
                continue
            digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
            with open(path, "rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()
