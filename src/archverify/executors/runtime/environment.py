"""What the environment adds to a cached result: the interpreter, the installed distributions
and the environment variables a tool reads.

One fingerprint of the installed environment serves every replay key (the tool steps' keys,
the per-file tool results, the imports step's per-module verdicts), so that "the environment
changed" means one thing everywhere.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import json
import os
import platform
import stat

# Our own interpreter, asked for its own sys.path: no shell, no user input.
import subprocess  # nosec B404
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import archverify
from archverify.core.rerooting import unrooted
from archverify.executors.runtime.children import WITHHELD_VARIABLES, Stopping, child_env

# Distribution metadata and path hooks in a folder on sys.path: their names carry each installed
# distribution's name and version (``name-1.0.dist-info``).
_DISTRIBUTION_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth", ".egg")
# Below a folder of code edited in place, the files an import or a type checker reads (source,
# stubs, bytecode without source, path files, extension modules), and PEP 561's marker.
_SOURCE_SUFFIXES = (".py", ".pyi", ".pyc", ".pth", ".so", ".pyd")
_SOURCE_NAMES = frozenset({"py.typed"})
# Past this many such files below one folder (~100 ms of stat calls), it is not walked on every
# cache key: no replay instead.
_SOURCE_FILE_LIMIT = 20_000
# archverify's own files whose content decides a result: its code and the rule docs it ships.
_OWN_CODE_SUFFIXES = frozenset({".py", ".md"})
# What a shell sets for each command it runs and each ``cd``: the reference command of an import
# verdict (``cd ROOT && python -c "import M"``) gets its own values from the shell it is typed
# in, not archverify's, so they are no input of the verdict (and would end replay at every cd).
_SHELL_VARIABLES = frozenset({"_", "PWD", "OLDPWD", "SHLVL"})
# Variables a tool sets for itself while it runs: never an input.
_OWN_VARIABLES = frozenset({"PYTEST_CURRENT_TEST", "PYTEST_VERSION", "PYTHONHASHSEED_USED"})


@cache
def archverify_identity() -> str:
    """archverify's version and a digest of its own code and shipped data.

    Every cached result was computed by archverify's code: a changed rule (an editable install,
    a patched copy, a development checkout verifying itself) must not replay what the old code
    said. Reading ~100 small files costs a few milliseconds, once per process.
    """
    package = Path(archverify.__file__).parent
    digest = hashlib.sha256(archverify.__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix not in _OWN_CODE_SUFFIXES or "__pycache__" in path.parts:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            data = b"<unreadable>"
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(data).digest())
    return f"{archverify.__version__}+{digest.hexdigest()[:16]}"


def interpreter_identity() -> dict[str, str]:
    """The interpreter the tools run in: where it is, what it is, which environment it uses."""
    return {
        "executable": sys.executable,
        "realpath": os.path.realpath(sys.executable),
        "version": sys.version,
        "implementation": sys.implementation.name,
        "cache_tag": str(sys.implementation.cache_tag),
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "platform": sys.platform,
        "machine": platform.machine(),
    }


def environment_fingerprint(
    executable: str, pythonpath: tuple[str, ...], *, root: Path
) -> str | None:
    """The installed environment as seen from ``executable``'s ``sys.path`` plus ``pythonpath``:
    each entry, what it holds (``_path_entry_state``) and the distributions it holds; and the
    source files below the folders whose content no distribution's metadata follows.

    Installing, upgrading or removing a distribution adds or removes entries in its folder and
    changes the list of its ``*.dist-info`` (name and version) and their ``RECORD`` files; the
    same distributions installed afresh (another CI runner, the next run) give the same state.
    That is cheap (one ``scandir`` per entry, a few small files read, once per process) and
    enough for site-packages, but not for a folder of code edited in place: a ``pythonpath``
    folder (the user's ``PYTHONPATH``, ``MYPYPATH``) or the source folder of an editable
    install (a ``.pth`` file or an ``.egg-link`` in a site folder). Those are walked
    (``source_state``). Folders inside ``root`` are the project's own files, keyed by content
    elsewhere, and are left out. Paths inside ``root`` (a ``.venv`` in the checkout,
    ``PYTHONPATH=src``) are spelled from the root (``core.rerooting``), so the fingerprint does
    not change with the checkout's folder; paths outside stay absolute (on runners of one image
    they are the same; where they differ, the keys differ). None when it cannot be known (no
    replay then).
    """
    entries = _interpreter_path(executable)
    if entries is None:
        return None
    material: list[Any] = [sys.version, executable]
    editable: list[str] = []
    for entry in [*pythonpath, *entries]:
        changed, names = _path_entry_state(entry)
        material.append([entry, changed, names])
        editable.extend(_editable_sources(entry, names))
    inside = _identity(root)
    for folder in dict.fromkeys([*pythonpath, *editable]):
        if _is_within(folder, root):
            continue
        state = source_state(folder, skip=inside)
        if state is None:
            return None
        material.append([folder, state])
    return _digest(unrooted(material, root_spellings(root)))


def root_spellings(root: Path) -> tuple[str, ...]:
    """The ways a path below ``root`` is written: as given and with its links resolved."""
    return tuple(dict.fromkeys([str(root), os.path.realpath(root)]))


def _path_entry_state(entry: str) -> tuple[str | None, list[str]]:
    """A folder on the path by what it holds, and its distributions' names (``name-1.0``).

    Not by its modification time: every fresh install (each CI run builds its environment
    anew) gives the folder a new one, and the keys of two runners of one image would never
    agree. Instead: the names of every entry (an install, an upgrade or a removal adds or
    removes some), each distribution's ``RECORD`` (the hash of every file it installed: a
    rebuilt wheel of the same version differs) and the bytes of its ``.pth`` files. A file put
    there by hand and edited in place is not seen (nor was it by the folder's time, which only
    adding, removing or renaming an entry moves). A zip file or an egg on the path counts by
    its size and times. Kept per process while the folder's times hold.
    """
    try:
        info = os.stat(entry)
    except OSError:
        return None, []
    if not stat.S_ISDIR(info.st_mode):
        return f"file {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns}", []
    seen = (entry, info.st_mtime_ns, info.st_ctime_ns)
    known = _ENTRY_STATES.get(seen)
    if known is not None:
        return known
    try:
        with os.scandir(entry) as listing:
            found = sorted(listing, key=lambda e: e.name)
    except OSError:  # an unreadable folder: its times alone
        return f"unreadable {info.st_mtime_ns} {info.st_ctime_ns}", []
    digest = hashlib.sha256()
    names: list[str] = []
    for item in found:
        if item.name.startswith("."):
            # No import finds it (the finders look up the part after the last dot) and site
            # skips such .pth files: .git, .archverify_cache, .mypy_cache, .import_linter_cache
            # appearing in a folder on the path (the checkout, often) change no verdict.
            continue
        digest.update(item.name.encode("utf-8", "surrogateescape") + b"\0")
        if item.name.endswith(_DISTRIBUTION_SUFFIXES):
            names.append(item.name)
        try:
            if item.is_dir() and item.name.endswith((".dist-info", ".egg-info")):
                digest.update(_file_bytes_digest(os.path.join(item.path, "RECORD")))
            elif item.name.endswith(".pth") and item.is_file():
                digest.update(_file_bytes_digest(item.path))
            # Any other file by its name alone: a module a distribution installed is in its
            # RECORD, and a stat of each of the standard library's files would cost more than
            # the whole fingerprint did.
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\n")
    state = (digest.hexdigest(), names)
    _ENTRY_STATES[seen] = state
    return state


# (folder, mtime, ctime) -> its state: the tool steps each ask for the environment's fingerprint.
_ENTRY_STATES: dict[tuple[str, int, int], tuple[str, list[str]]] = {}
# A file at the top of a site folder over this size counts by its times (a stray large file).
_TOP_FILE_LIMIT = 4 * 1024 * 1024


def _file_bytes_digest(path: str) -> bytes:
    try:
        info = os.stat(path)
        if info.st_size > _TOP_FILE_LIMIT or not stat.S_ISREG(info.st_mode):
            return f"{info.st_size} {info.st_mtime_ns} {info.st_ctime_ns}".encode()
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").digest()
    except OSError as error:
        return f"<{type(error).__name__}>".encode()


def source_state(path: str, *, skip: tuple[int, int] | None = None) -> str | None:
    """A digest of (relative path, size, modification and change time) of every file below
    ``path`` that an import or a type checker reads (``_SOURCE_SUFFIXES``, ``py.typed``).

    Folders that cannot be a package (``__pycache__``, names that are not identifiers: ``.git``,
    ``node_modules``, a ``.venv``) are not entered, nor a folder seen before (a symlink loop)
    or the folder ``skip`` (``(st_dev, st_ino)``: the verified root, below a ``PYTHONPATH=..``).
    A file's time and size change whenever an editor or ``git checkout`` writes it. None when
    the folder holds more than ``_SOURCE_FILE_LIMIT`` such files (``PYTHONPATH=~``): no replay
    rather than a long walk on every run. Costs one ``stat`` per file.
    """
    try:
        top = os.stat(path)
    except OSError:
        return "absent"
    if not stat.S_ISDIR(top.st_mode):  # a zip file, an egg
        return f"file {top.st_size} {top.st_mtime_ns} {top.st_ctime_ns}"
    digest = hashlib.sha256()
    seen = {_key(top), *([skip] if skip else [])}
    pending = [("", path)]
    count = 0
    while pending:
        rel, folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                found = sorted(listing, key=lambda e: e.name)
        except OSError:
            digest.update(f"{rel}\0<unreadable>\n".encode("utf-8", "surrogateescape"))
            continue
        for item in found:
            try:
                if item.is_dir():
                    if item.name == "__pycache__" or not item.name.isidentifier():
                        continue
                    key = _key(item.stat())
                    if key not in seen:
                        seen.add(key)
                        pending.append((f"{rel}{item.name}/", item.path))
                elif item.name.endswith(_SOURCE_SUFFIXES) or item.name in _SOURCE_NAMES:
                    info = item.stat()
                    # ctime too: ``touch -r``/``cp -p`` restore the mtime, nothing sets ctime back.
                    times = f"{info.st_mtime_ns}\0{info.st_ctime_ns}"
                    line = f"{rel}{item.name}\0{info.st_size}\0{times}\n"
                    digest.update(line.encode("utf-8", "surrogateescape"))
                    count += 1
            except OSError:  # vanished meanwhile, or a dangling link: not importable
                continue
        if count > _SOURCE_FILE_LIMIT:
            return None
    return digest.hexdigest()


def _editable_sources(entry: str, names: list[str]) -> list[str]:
    """The folders (or files) of code that the ``.pth`` and ``.egg-link`` files of the site
    folder ``entry`` put on the path: each path line of a ``.pth`` (as ``site`` reads it), the
    first line of an ``.egg-link``, and the absolute paths written in a module that an
    ``import`` line of a ``.pth`` loads from ``entry`` (setuptools' and hatch's editable finders
    keep their mapping there: ``__editable___name_finder.py``, ``_name.py``)."""
    found: list[str] = []
    for name in names:
        if not name.endswith((".pth", ".egg-link")):
            continue
        try:
            with open(os.path.join(entry, name), encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            continue
        if name.endswith(".egg-link"):
            found.extend(os.path.join(entry, line.strip()) for line in lines[:1] if line.strip())
            continue
        for line in lines:
            if line.startswith(("import ", "import\t")):
                found.extend(_finder_paths(entry, line))
            elif line.strip() and not line.startswith("#"):
                found.append(os.path.join(entry, line.rstrip()))
    return [os.path.normpath(path) for path in found if os.path.exists(path)]


def _finder_paths(entry: str, line: str) -> list[str]:
    # "import a, b as c; a.install()": the top-level modules of the first statement.
    statement = "".join(line.partition(";")[0].split(None, 1)[1:])
    imported = [part.split()[0].split(".")[0] for part in statement.split(",") if part.strip()]
    paths: list[str] = []
    for module in (name for name in imported if name.isidentifier()):
        source = os.path.join(entry, f"{module}.py")
        try:
            with open(source, "rb") as handle:
                tree = ast.parse(handle.read())
        except (OSError, SyntaxError, ValueError):
            continue  # not a module of this folder (``import os``), or not Python
        paths.extend(
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and os.path.isabs(node.value)
        )
    return paths


def _key(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        return _key(os.stat(path))
    except OSError:
        return None


def _is_within(path: str, root: Path) -> bool:
    real = os.path.realpath(path)
    base = os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _interpreter_path(executable: str) -> list[str] | None:
    if os.path.realpath(executable) == os.path.realpath(sys.executable):
        # The same interpreter: ``-I`` drops the script's folder (or the working directory),
        # PYTHONPATH and the user site. Past that first entry this process's path is a superset
        # of the server's, which is enough for a fingerprint (more entries can only make replay
        # rarer, never wrong). The first entry is left out: it is often the project itself,
        # whose folder changes on every run.
        own = sys.path if sys.flags.safe_path else sys.path[1:]
        return [entry for entry in own if entry]
    script = "import json, sys; print(json.dumps(sys.path))"
    try:
        # Another interpreter, with a constant script.
        done = subprocess.run(  # nosec B603
            [executable, "-I", "-c", script],
            capture_output=True,
            timeout=60,
            check=True,
            env=child_env(),
        )
        return [str(p) for p in json.loads(done.stdout) if p]
    except (OSError, ValueError, subprocess.SubprocessError, Stopping):
        return None


def server_pythonpath() -> tuple[str, ...]:
    """The user's PYTHONPATH entries, which an ``-I`` interpreter would otherwise ignore."""
    raw = os.environ.get("PYTHONPATH", "")
    return tuple(os.path.abspath(p) for p in raw.split(os.pathsep) if p)


def environment_variables(
    prefixes: Iterable[str], environ: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """The variables whose names start with one of ``prefixes`` (and every ``PYTHON*``, which
    every Python program reads), sorted; those a tool sets for itself are left out."""
    env = os.environ if environ is None else environ
    wanted = ("PYTHON", *prefixes)
    return sorted(
        (name, value)
        for name, value in env.items()
        if name.startswith(wanted) and name not in _OWN_VARIABLES
    )


def import_variables(
    environ: Mapping[str, str] | None = None, unread: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """Every variable a child of ours sees, sorted: what the project's code may read when it is
    imported (from Python, or from C through ``getenv``: the locale, a native library), so no
    subset can be declared. Those withheld from children (the cache secret) and those a tool
    sets for itself are left out; archverify's own run tag is added per child, not here. So are
    those the user names in ``unread`` (``[tool.archverify.imports] unread_variables``: names
    or ``fnmatch`` globs), a promise that no import reads them."""
    env = os.environ if environ is None else environ
    return sorted(
        (name, value)
        for name, value in env.items()
        if name not in _OWN_VARIABLES
        and name not in WITHHELD_VARIABLES
        and name not in _SHELL_VARIABLES
        and not any(fnmatch.fnmatchcase(name, pattern) for pattern in unread)
    )


def _digest(material: Any) -> str:
    text = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
