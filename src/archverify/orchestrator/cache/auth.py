"""Authenticated cache entries: what archverify replays, only archverify can have written.

The cache folder lives in the verified tree, so a repository can ship one. Every entry read
back and trusted (step results, per-file tool results, per-module import verdicts, the facts
pack, mypy's incremental cache) carries an HMAC-SHA256 tag over its key and its bytes, made
with a secret the repository cannot know:

- ``ARCHVERIFY_CACHE_SECRET`` when set and not empty, so CI runners that restore a cache
  (actions/cache) can share one secret through the CI's secret store;
- otherwise a random secret kept outside every project, in the user's cache directory
  (``$XDG_CACHE_HOME/archverify/secret``, else ``~/.cache/archverify/secret``), created on
  first use with mode 0600.

An entry without a valid tag is a miss, never an error. A secret file that is a symlink, not
owned by the user, or readable or writable by anyone else is refused (as ssh refuses such a
private key): another local user who can read it could forge entries in any tree the user
verifies. So is a secret file inside the verified tree or the cache folder (an
``XDG_CACHE_HOME`` pointing into the checkout): a repository can ship that file, 0600 and all,
and tag its forged entries with it. Without a usable secret nothing is replayed or written, and
the run says why once.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import os
import secrets
import stat
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from archverify.executors.runtime.children import CACHE_SECRET_VARIABLE

# Names of where the secret is found, not secrets. The variable is withheld from every child.
SECRET_VARIABLE = CACHE_SECRET_VARIABLE
SECRET_FILE = "secret"  # nosec B105
# A secret file archverify made holds 64 hex digits; a shorter one is refused as too guessable.
_MIN_FILE_SECRET = 32
_TAG_CHARS = 64


@dataclass(frozen=True)
class CacheAuth:
    """Tags and checks cache entries. ``key`` None: no secret, so nothing is trusted.

    ``problem`` says why there is no key (empty when there is one, or when a test asked for
    none on purpose).
    """

    key: bytes | None
    problem: str = ""

    @property
    def usable(self) -> bool:
        return self.key is not None

    def tag(self, domain: str, *parts: bytes) -> str:
        """The hex tag of ``parts`` for ``domain``; raises if there is no key (check usable)."""
        if self.key is None:
            raise ValueError("no cache secret: entries cannot be tagged")
        mac = hmac.new(self.key, _framed(domain.encode()), sha256)
        for part in parts:
            # Each part with its length first: ("ab", "c") and ("a", "bc") differ.
            mac.update(_framed(part))
        return mac.hexdigest()

    def verify(self, tag: str | bytes, domain: str, *parts: bytes) -> bool:
        """Whether ``tag`` is this secret's tag of ``parts``; always False without a key."""
        if self.key is None:
            return False
        given = tag.encode("ascii", "replace") if isinstance(tag, str) else tag
        if len(given) != _TAG_CHARS:
            return False
        return hmac.compare_digest(given, self.tag(domain, *parts).encode())


def _framed(part: bytes) -> bytes:
    return len(part).to_bytes(8, "big") + part


def user_secret_path(environ: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """Where the secret file lives: the XDG cache directory (an absolute one), else ~/.cache."""
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "archverify" / SECRET_FILE


def load_auth(environ: dict[str, str] | os._Environ[str] | None = None) -> CacheAuth:
    """The secret from the environment, else from (or newly into) the user's cache directory."""
    env = os.environ if environ is None else environ
    value = env.get(SECRET_VARIABLE, "")
    if value:
        return CacheAuth(value.encode("utf-8", "surrogateescape"))
    try:
        path = user_secret_path(env)
    except RuntimeError as exc:  # no home directory to be found
        return CacheAuth(None, f"cache not used: no place for the cache secret ({exc})")
    try:
        return CacheAuth(_read_or_create(path))
    except _Refused as exc:
        return CacheAuth(None, f"cache not used: {exc}; or set {SECRET_VARIABLE}")
    except OSError as exc:
        return CacheAuth(
            None,
            f"cache not used: cannot keep the cache secret in {path}: {exc.strerror or exc}; "
            f"set {SECRET_VARIABLE} instead",
        )


@functools.cache
def default_auth() -> CacheAuth:
    """This process's ``load_auth()``, read once."""
    return load_auth()


def run_auth(shipped: Iterable[Path]) -> CacheAuth:
    """The secret for a run over the folders ``shipped`` (the verified root, the cache folder):
    ``default_auth()``, unless the secret would be read from (or created in) one of them.

    Whatever is below those folders may come from the repository. A secret file there, however
    private its mode, may be one the repository ships; entries tagged with it would be trusted.
    Then no secret is used at all, as for any other refused secret file: a per-run secret kept
    in memory would replay nothing either (a run never reads back what it wrote), it would only
    fill the cache folder with entries no later run can check, and the notice would not tell
    the user that their cache is set up so that it can never be trusted.
    """
    if not os.environ.get(SECRET_VARIABLE):
        problem = _shipped_secret(shipped)
        if problem:
            return CacheAuth(None, problem)
    return default_auth()


def _shipped_secret(shipped: Iterable[Path]) -> str:
    """Why the secret file may not be used for these folders ("" when it may)."""
    try:
        path = user_secret_path()
    except RuntimeError:
        return ""  # no home: load_auth says so
    # The path as named and as resolved, and the folder holding it resolved (a link to a folder
    # of the tree, or from one): inside a shipped folder as named or as resolved.
    places = {os.path.abspath(path), os.path.realpath(path), os.path.realpath(path.parent)}
    for folder in shipped:
        bases = {os.path.abspath(folder), os.path.realpath(folder)}
        if any(_within(place, base) for place in places for base in bases):
            return (
                f"cache not used: the cache secret {path} is inside {folder}, which the "
                f"repository may ship; set XDG_CACHE_HOME outside it, or set {SECRET_VARIABLE}"
            )
    return ""


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class _Refused(Exception):
    """A secret file that exists but must not be used."""


def _read_or_create(path: Path) -> bytes:
    try:
        return _read(path)
    except FileNotFoundError:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _create(path)
    except _Partial:
        pass
    # Another run may have created it first: both then use the one that is in place, once it
    # is whole (only the no-hard-link fallback can show it partial, for a moment).
    for _ in range(20):
        with contextlib.suppress(_Partial):
            return _read(path)
        time.sleep(0.05)
    return _read(path, partial_ok=True)


def _create(path: Path) -> None:
    """Publish a new random secret at ``path`` unless one is there already.

    The secret is written whole into a private temporary file (``mkstemp``: O_EXCL, 0600) and
    then hard-linked into place: ``link`` fails when the name exists, so two runs starting at
    once agree on the first one, and a reader never sees a partial secret. Where hard links are
    not supported, an O_EXCL create of the file itself does the same but for the partial read,
    which ``_read`` waits out.
    """
    text = secrets.token_hex(32).encode("ascii")
    fd, tmp = tempfile.mkstemp(prefix=".secret.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return
        except OSError:
            _create_in_place(path, text)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _create_in_place(path: Path, text: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(text)


class _Partial(Exception):
    """A secret file being written by another run right now."""


def _read(path: Path, *, partial_ok: bool = False) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if path.is_symlink():
            raise _Refused(f"the cache secret {path} is a symlink") from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _Refused(f"the cache secret {path} is not a regular file")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise _Refused(f"the cache secret {path} belongs to another user")
        if info.st_mode & 0o077:
            mode = oct(stat.S_IMODE(info.st_mode))
            raise _Refused(
                f"the cache secret {path} is open to other users (mode {mode}): chmod 600 it"
            )
        value = handle.read().strip()
    if len(value) < _MIN_FILE_SECRET:
        if not partial_ok:
            raise _Partial()
        raise _Refused(
            f"the cache secret {path} is too short (fewer than {_MIN_FILE_SECRET} bytes)"
        )
    return value
