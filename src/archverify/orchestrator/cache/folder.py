"""archverify's cache folder: the one place a run writes besides the outputs it was asked for.

A repository can commit a folder under the cache's name, and ``--cache-dir`` can be pointed at
any folder, so the folder is checked before anything is written or deleted in it:

- it must not be a symbolic link, nor hold one (nor anything but plain files and folders), at
  any depth: a link would carry the cache's writes and deletions (the facts pack, kv entries,
  coverage data, mypy's cache) out of it. Such a folder is not used; the run goes on without a
  cache and a notice says why.
- it must carry archverify's ownership tag (``ARCHVERIFY.TAG``, with a random id), or be empty
  or absent (archverify then creates it and tags it), or hold only what an earlier archverify
  created (it is then tagged). A folder holding anything else, or any Python file or project
  configuration whatever its tag says, is somebody's folder: nothing in it is overwritten or
  removed: ``--cache-dir`` at such a folder, at the root or above it, is refused (exit 2); the
  default folder is then not used. The markers (``.gitignore`` with ``*``, ``CACHEDIR.TAG``)
  are written only into a folder archverify creates or adopts, never added to a tagged one.

Every cache user gets its paths from here (``commands.run`` hands :attr:`CacheFolder.path` to the
facts cache, the kv cache and the steps), so none of them can end up elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from archverify.orchestrator.report_outputs import UsageError
from archverify.orchestrator.write_guard import resolves_outside

CACHE_FOLDER = ".archverify_cache"
OWNER_TAG = "ARCHVERIFY.TAG"
_OWNER_SIGNATURE = "archverify cache folder: created by archverify, safe to delete"
_OWNER_ID = re.compile(r"id: ([0-9a-f]{32})")
# https://bford.info/cachedir/: backup tools skip a folder holding this file.
_CACHEDIR_TAG = "CACHEDIR.TAG"
_CACHEDIR_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
_GITIGNORE = ".gitignore"
# What archverify put at the top of its cache folder before it tagged the folder: such a folder
# is adopted (tagged), any other untagged one is not archverify's.
_LEGACY_ENTRIES = frozenset(
    {_GITIGNORE, _CACHEDIR_TAG, "kv", "facts.json", "facts.pack", "coverage", "mypy"}
)
_TEMPORARY = re.compile(r"\..+\.[0-9a-z_]+\.tmp")

# What no cache holds and a user's folder does (a committed tag cannot make such a folder ours).
_SOURCE_SUFFIXES = frozenset({".py", ".pyi", ".pyx", ".toml", ".cfg", ".ini", ".md", ".rst"})
_PROJECT_MARKERS = frozenset({".git", ".hg", "setup.py", "pyproject.toml"})


@dataclass(frozen=True)
class CacheFolder:
    """A checked, tagged cache folder; ``owner_id`` is the tag's random id."""

    path: Path
    owner_id: str


@dataclass(frozen=True)
class CacheChoice:
    """The folder to use, or None with the reason (a notice for the report) when there is one."""

    folder: CacheFolder | None
    notice: str | None = None


def open_cache_folder(root: Path, cache_dir: str | None) -> CacheChoice:
    """Check (and create) the cache folder: ``cache_dir`` from ``--cache-dir``, else the default.

    Raises ``UsageError`` for a ``--cache-dir`` that must not be used as a cache; a default
    folder that cannot be used gives a choice without a folder and a notice.
    """
    explicit = cache_dir is not None
    if cache_dir is not None:
        given = Path(os.path.abspath(cache_dir))  # "." and ".." folded, links kept
        # The folders above are the user's choice (a symlinked /tmp, say); the folder itself is
        # checked below like the default one.
        location = given.parent.resolve() / given.name if given.name else given.resolve()
        if location == root or location in root.parents:
            raise UsageError(
                f"--cache-dir {cache_dir}: the verified folder or a folder above it cannot be "
                "the cache (archverify would hide its files from git); give a folder of its own"
            )
        if _spelled_under(given, root) and resolves_outside(given, root):
            # `.cache -> ../elsewhere` committed in the tree: the cache the user meant to keep in
            # the project would be written where the repository points it.
            raise UsageError(
                f"--cache-dir {cache_dir}: a symbolic link leads it out of the project; give a "
                "folder outside the project explicitly, or one whose path has no link out of it"
            )
    else:
        location = root / CACHE_FOLDER
    shown = cache_dir if cache_dir is not None else CACHE_FOLDER
    try:
        return _open(location, shown, explicit)
    except OSError:
        return CacheChoice(None)  # a read-only tree: run without a cache rather than fail


def _spelled_under(given: Path, root: Path) -> bool:
    """``given`` (absolute, links kept) is spelled as a path in ``root`` (resolved): one of the
    folders it names resolves to the root or into it (``/link-to-project/.cache/av`` too)."""
    return any(folder.resolve().is_relative_to(root) for folder in given.parents)


def _open(location: Path, shown: str, explicit: bool) -> CacheChoice:
    try:
        info = location.lstat()
    except FileNotFoundError:
        try:
            location.mkdir(parents=True)
            return CacheChoice(_tagged(location, _new_tag(location)))
        except FileExistsError:
            info = location.lstat()  # a concurrent run made it first: check it like any other
    if stat.S_ISLNK(info.st_mode):
        return _unused(shown, "it is a symbolic link")
    if not stat.S_ISDIR(info.st_mode):
        if explicit:
            raise UsageError(f"--cache-dir {shown}: not a folder")
        return _unused(shown, "it is not a folder")
    odd, source = _inspect(location)
    if odd is not None:
        what = "a symbolic link" if odd.is_symlink() else "something that is not a plain file"
        return _unused(shown, f"it holds {what} ({odd.relative_to(location).as_posix()})")
    if source is not None:
        # No cache holds Python code or a project's configuration: whatever its tag says, this
        # is a folder of the user's.
        reason = f"it holds files archverify did not create (such as {source!r})"
        if explicit:
            raise UsageError(f"--cache-dir {shown}: {reason}; give an empty or new folder")
        return _unused(shown, reason)
    owner_id = _owner_id(location)
    if owner_id is not None:
        # Tagged: the markers are left as they are. They are written only into a folder that
        # archverify made or adopted, so a tag committed into a folder of the user's cannot get
        # a `*` .gitignore written there.
        return CacheChoice(CacheFolder(location, owner_id))
    names = sorted(entry.name for entry in location.iterdir())
    foreign = [name for name in names if not _archverify_name(name)]
    if foreign:
        example = foreign[0]
        reason = f"it holds files archverify did not create (such as {example!r})"
        if explicit:
            raise UsageError(
                f"--cache-dir {shown}: {reason}; give an empty or new folder, or an "
                "archverify cache folder"
            )
        return _unused(shown, reason)
    return CacheChoice(_tagged(location, _new_tag(location)))


def _archverify_name(name: str) -> bool:
    # The owner tag of a concurrent run still being written; a temporary file of write_atomic.
    return name in _LEGACY_ENTRIES or name == OWNER_TAG or bool(_TEMPORARY.fullmatch(name))


def _unused(shown: str, reason: str) -> CacheChoice:
    return CacheChoice(None, f"note: the cache folder {shown} was not used: {reason}")


def _inspect(folder: Path) -> tuple[Path | None, str | None]:
    """The first entry at any depth that is a symbolic link or neither a file nor a folder, and
    the first that no cache holds (source code, a project's configuration), one walk for both."""
    source: str | None = None
    pending = [folder]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if source is None and (
                    Path(entry.name).suffix in _SOURCE_SUFFIXES or entry.name in _PROJECT_MARKERS
                ):
                    source = Path(entry.path).relative_to(folder).as_posix()
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif not entry.is_file(follow_symlinks=False):
                    return Path(entry.path), source
    return None, source


def _owner_id(folder: Path) -> str | None:
    try:
        lines = (folder / OWNER_TAG).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if len(lines) < 2 or lines[0] != _OWNER_SIGNATURE:
        return None
    match = _OWNER_ID.fullmatch(lines[1])
    return match.group(1) if match else None


def _new_tag(folder: Path) -> str:
    owner_id = secrets.token_hex(16)
    _create(folder / OWNER_TAG, f"{_OWNER_SIGNATURE}\nid: {owner_id}\n")
    # A concurrent run may have tagged the folder first: its id is the folder's.
    return _owner_id(folder) or owner_id


def _tagged(folder: Path, owner_id: str) -> CacheFolder:
    """The owned folder, with the markers that keep it out of git and out of backups."""
    # Only this folder is ignored: the `*` stays inside it.
    _create(folder / _GITIGNORE, "# Created by archverify.\n*\n")
    _create(folder / _CACHEDIR_TAG, f"{_CACHEDIR_SIGNATURE}\n# Created by archverify.\n")
    return CacheFolder(folder, owner_id)


def _create(path: Path, text: str) -> None:
    """Make a new file, complete at once (a concurrent run never reads half a tag); an existing
    one (a link planted since the check included) is kept, never written through."""
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path, follow_symlinks=False)  # unlike a rename, fails if path exists
    finally:
        os.unlink(tmp)
