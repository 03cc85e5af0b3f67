"""What the environment adds to a cached result: the interpreter, the installed distributions
and the environment variables a tool reads.

One fingerprint of the installed environment serves every replay key (the tool steps' keys,
the per-file tool results, the imports step's per-module verdicts), so that "the environment
changed" means one thing everywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform

# Our own interpreter, asked for its own sys.path: no shell, no user input.
import subprocess  # nosec B404
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import archverify

# Distribution metadata and path hooks in a folder on sys.path: their names carry each installed
# distribution's name and version (``name-1.0.dist-info``).
_DISTRIBUTION_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth", ".egg")
# archverify's own files whose content decides a result: its code and the rule docs it ships.
_OWN_CODE_SUFFIXES = frozenset({".py", ".md"})
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


def environment_fingerprint(executable: str, pythonpath: tuple[str, ...]) -> str | None:
    """The installed environment as seen from ``executable``'s ``sys.path`` plus ``pythonpath``:
    each entry, the time it last changed and the distributions it holds.

    Installing, upgrading or removing a distribution adds or removes entries in its folder,
    which changes the folder's modification time and the list of its ``*.dist-info`` (name and
    version); the list also tells apart two environments restored with their times kept (a CI
    cache). The roots are the project's own files, keyed by content elsewhere. None when it
    cannot be known (no replay then). Costs one ``stat`` and one ``scandir`` per entry.
    """
    entries = _interpreter_path(executable)
    if entries is None:
        return None
    material: list[Any] = [sys.version, executable]
    for entry in [*pythonpath, *entries]:
        material.append([entry, *_path_entry_state(entry)])
    return _digest(material)


def _path_entry_state(entry: str) -> list[Any]:
    try:
        changed = os.stat(entry).st_mtime_ns
    except OSError:
        return [None]
    try:
        with os.scandir(entry) as listing:
            names = sorted(e.name for e in listing if e.name.endswith(_DISTRIBUTION_SUFFIXES))
    except OSError:  # a zip file or an unreadable folder: its time alone
        names = []
    return [changed, names]


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
            [executable, "-I", "-c", script], capture_output=True, timeout=60, check=True
        )
        return [str(p) for p in json.loads(done.stdout) if p]
    except (OSError, ValueError, subprocess.SubprocessError):
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


def _digest(material: Any) -> str:
    text = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
