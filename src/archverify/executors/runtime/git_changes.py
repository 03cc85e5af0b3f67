"""What archverify asks an untrusted repository's git, in one hardened runner: the files
``--changed-since REF`` calls changed, and the HEAD commit a shard's partial names.

The repository's own configuration can run programs: ``core.fsmonitor``, ``diff.external``,
textconv and clean filters, ``core.pager``, hooks, and whatever ``include``/``includeIf``
pulls in. So git is asked only for what it knows without reading the working tree through a
program: the commits (``rev-parse``, ``merge-base``), the base tree's blob ids (``ls-tree``),
the tracked and untracked names (``ls-files``, with the fsmonitor off) and the base blobs
(``cat-file --batch``, no textconv, no filters). The working tree's files are read and hashed
here, and the line ranges come from comparing the texts here (``core.changes``), never from
``git diff``, whose clean filters and drivers the repository chooses. git runs without a
shell, pager or terminal, with no system or global configuration, a clean environment and a
timeout.
"""

from __future__ import annotations

import hashlib
import os
import shutil

# The one program this module runs is git, with fixed arguments and no shell.
import subprocess  # nosec B404
from collections.abc import Mapping, Sequence
from pathlib import Path

from archverify.core.changes import WHOLE, ChangeSet, changed_lines

TIMEOUT_S = 60.0
# Settings given on the command line outrank every configuration file, included ones too.
_SAFE_CONFIG = (
    "core.fsmonitor=false",
    f"core.hooksPath={os.devnull}",
    "core.untrackedCache=false",
    "core.pager=cat",
    "diff.external=",
    "protocol.allow=never",
)


class GitError(ValueError):
    """``--changed-since`` cannot be answered: the message names the cause (a usage error)."""


def changes_since(root: Path, ref: str) -> ChangeSet:
    """The files below ``root`` changed between ``ref``'s merge-base with HEAD and the working
    tree (committed, staged, unstaged, untracked and not ignored), with their line ranges."""
    if not ref or ref.startswith("-"):
        raise GitError(f"--changed-since {ref!r}: not a git revision")
    git = shutil.which("git")
    if git is None:
        raise GitError("--changed-since needs git, which is not installed (not on PATH)")
    run = _Git(git, root)
    if run.ok("rev-parse", "--is-inside-work-tree") != "true":
        raise GitError(f"--changed-since: {root} is not inside a git working tree")
    if not run.ok("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False):
        raise GitError(f"--changed-since: the repository at {root} has no commit yet (HEAD)")
    commit = run.ok("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if not commit:
        raise GitError(f"--changed-since {ref}: no such commit in the repository at {root}")
    base = run.ok("merge-base", commit, "HEAD", check=False)
    if not base:
        raise GitError(f"--changed-since {ref}: it has no common ancestor with HEAD")
    algorithm = run.ok("rev-parse", "--show-object-format", check=False) or "sha1"
    old = _base_blobs(run.out("ls-tree", "-r", "-z", base))
    present = run.out("ls-files", "-z", "--cached", "--others", "--exclude-standard")
    files: dict[str, tuple[tuple[int, int], ...]] = {}
    differing: dict[str, bytes] = {}
    for path in sorted(set(present) | set(old)):
        now = _read(root / path)
        if now is None:
            continue  # deleted (or not a file): nothing of it is there to point at
        if path not in old:
            files[path] = WHOLE
        elif _blob_id(now, algorithm) != old[path]:
            differing[path] = now
    if differing:
        texts = run.blobs([old[p] for p in differing])
        for path, now in differing.items():
            before = texts.get(old[path])
            files[path] = WHOLE if before is None else changed_lines(_text(before), _text(now))
    return ChangeSet(ref=ref, commit=commit, base=base, files=dict(sorted(files.items())))


def head_commit(root: Path) -> str | None:
    """The HEAD commit of the checkout at ``root`` (a sharded run's identity); None outside
    git, without git or without a commit. Asked as every other question here is."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        return _Git(git, root).ok("rev-parse", "--verify", "--quiet", "HEAD^{commit}") or None
    except GitError:
        return None


class _Git:
    """git in ``root`` with the safe settings, a clean environment and a timeout."""

    def __init__(self, program: str, root: Path) -> None:
        self.root = root
        self.prefix = [program, "--no-pager"]
        for setting in _SAFE_CONFIG:
            self.prefix += ["-c", setting]
        self.env = _clean_environment()

    def _run(self, args: Sequence[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(  # nosec B603 - git, fixed arguments, no shell
                [*self.prefix, *args],
                cwd=self.root,
                env=self.env,
                input=stdin,
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"--changed-since: git {args[0]} took over {TIMEOUT_S:g} s") from None
        except OSError as error:
            raise GitError(f"--changed-since: cannot run git: {error}") from None

    def ok(self, *args: str, check: bool = True) -> str:
        """The first line git printed; "" when it failed (``check``: a failure to run at all,
        outside a repository, is reported as such)."""
        done = self._run(args)
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            if check and detail and "not a git repository" in detail[0]:
                raise GitError(f"--changed-since: {self.root} is not inside a git repository")
            if check and detail and "dubious ownership" in detail[0]:
                # safe.directory is read from the global configuration, which is not read here.
                raise GitError(f"--changed-since: git refuses the repository: {detail[0]}")
            return ""
        lines = done.stdout.decode("utf-8", "replace").splitlines()
        return lines[0].strip() if lines else ""

    def out(self, *args: str) -> list[str]:
        """The NUL-separated records git printed; a failure is a ``GitError``."""
        done = self._run(args)
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"--changed-since: git {args[0]} failed: {detail or done.returncode}")
        text = done.stdout.decode("utf-8", "surrogateescape")
        return [record for record in text.split("\0") if record]

    def blobs(self, ids: Sequence[str]) -> dict[str, bytes]:
        """The contents of ``ids`` (``cat-file --batch``: no textconv, no filters)."""
        done = self._run(["cat-file", "--batch"], "".join(f"{i}\n" for i in ids).encode())
        found: dict[str, bytes] = {}
        data, at = done.stdout, 0
        while at < len(data):
            end = data.find(b"\n", at)
            if end < 0:
                break
            header = data[at:end].split()
            at = end + 1
            if len(header) != 3 or not header[2].isdigit():
                continue  # "<id> missing"
            size = int(header[2])
            found[header[0].decode()] = data[at : at + size]
            at += size + 1
        return found


def _clean_environment() -> dict[str, str]:
    """PATH and a locale only: no GIT_DIR, GIT_EXTERNAL_DIFF, pager or editor of the caller's,
    no system or global configuration (a runner's may name programs too)."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "GIT_NO_REPLACE_OBJECTS": "1",
    }


def _base_blobs(records: Sequence[str]) -> Mapping[str, str]:
    """``ls-tree -z`` records (``<mode> <type> <id>\\t<path>``) as path -> blob id."""
    blobs: dict[str, str] = {}
    for record in records:
        meta, _, path = record.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            blobs[path] = parts[2]
    return blobs


def _read(path: Path) -> bytes | None:
    try:
        if path.is_symlink():
            return os.readlink(path).encode("utf-8", "surrogateescape")
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def _blob_id(content: bytes, algorithm: str) -> str:
    """git's object id of a blob with ``content`` (before any filter the repository names)."""
    header = f"blob {len(content)}\0".encode()
    digest = hashlib.new(algorithm if algorithm == "sha256" else "sha1", usedforsecurity=False)
    digest.update(header + content)
    return digest.hexdigest()


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")
