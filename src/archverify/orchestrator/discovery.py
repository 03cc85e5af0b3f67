"""Finds the source roots, packages and Python files to verify, and checks configured names."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from archverify.core.config import Config
from archverify.core.config.errors import ConfigError
from archverify.core.findings import Finding, Rule, Severity
from archverify.core.path_globs import PathGlobs
from archverify.core.patterns import matches_dotted
from archverify.core.project import SourceFile, existing_names
from archverify.core.project import printable_path as shown_path
from archverify.orchestrator.config.loader import config_error

# Folders that never hold the project's own modules (tool caches, environments, build output).
SKIPPED_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        "build",
        "dist",
        "node_modules",
        ".tox",
        ".nox",
        ".archverify_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "site-packages",
    }
)


# The compile step's rules for files discovery finds but no step can verify. Its hint names
# the module Python imports instead, so each finding of it gives its own.
SHADOWED_MODULE = Rule("compile/shadowed-module", Severity.WARNING)
OUTSIDE_LINK = Rule(
    "compile/outside-link",
    Severity.ERROR,
    "Vendor the code (copy it into the tree instead of linking it), or add the "
    "path to [tool.archverify] exclude if it is not part of the project.",
)
LINK_ALIASES = Rule(
    "compile/link-aliases",
    Severity.ERROR,
    "Remove the symbolic links that make the same folder a package under many "
    "names (one import name per folder), or exclude the linked paths.",
)
BYTECODE_WITHOUT_SOURCE = Rule(
    "compile/bytecode-without-source",
    Severity.ERROR,
    "Delete the .pyc file and commit the module's source instead, or add the path "
    "to [tool.archverify] exclude if it is not part of the project.",
)
UNCHECKED_BYTECODE = Rule(
    "compile/unchecked-bytecode",
    Severity.ERROR,
    "Delete the file (Python rebuilds its cache from the source) and keep "
    "__pycache__ out of version control.",
)
# The bytecode caches of a ``name.py`` that this interpreter loads: one per optimization level.
_CACHE_TAG = sys.implementation.cache_tag
_CACHE_SUFFIXES: tuple[str, ...] = (
    ()
    if _CACHE_TAG is None
    else (f".{_CACHE_TAG}.pyc", f".{_CACHE_TAG}.opt-1.pyc", f".{_CACHE_TAG}.opt-2.pyc")
)
# A pyc's header (PEP 552): magic number, flags, then a source mtime and size or a source hash.
# Flags 0b01 is hash-based without check_source: Python runs the code without reading the source.
_PYC_HEADER_SIZE = 16
_UNCHECKED_HASH_FLAGS = 0b01
# A folder is verified under every name Python can import it by, but symbolic links can give
# it exponentially many (folders linking to each other): past this many names reached through
# links, besides its own path, the rest are an error instead of minutes of walking.
MAX_LINKED_NAMES = 16


@dataclass(frozen=True)
class Shadowed:
    """A file or folder that ``import`` never reaches: ``winner`` holds the same module name."""

    path: str  # relative to the root
    winner: str  # what the import system takes instead
    module: str
    why: str
    kind: str = "module"  # what ``winner`` is: "module" or "package"

    def finding(self) -> Finding:
        return SHADOWED_MODULE.at(
            self.path,
            0,
            0,
            f"{self.path} is never imported: {self.module!r} is the {self.kind} "
            f"{self.winner} ({self.why})",
            hint=f"Rename or remove one of the two; Python only ever imports {self.winner}.",
            extra={"module": self.module, "imported": self.winner},
        )


@dataclass(frozen=True)
class Discovery:
    """What a run verifies: resolved roots and packages, and every file, sorted by path.

    The files are exactly what the import system resolves: a package folder wins over a module
    of the same name, a module over a namespace folder, an earlier source root over a later one.
    What loses is in ``shadowed`` (shown as ``compile/shadowed-module`` warnings).
    """

    source_roots: tuple[str, ...]  # relative posix, resolved (auto-detected if config had none)
    packages: tuple[str, ...]  # what is verified
    files: tuple[SourceFile, ...]  # sorted by path
    problems: tuple[str, ...]  # non-fatal notes (e.g. skipped non-identifier dirs)
    shadowed: tuple[Shadowed, ...] = ()  # sorted by path
    # Modules Python imports that archverify cannot verify (a link out of the root, a folder
    # reached under too many names, bytecode that Python runs instead of the source): compile
    # errors, so that the run cannot pass without them.
    unverified: tuple[Finding, ...] = ()  # sorted by path


def is_skipped_dir(name: str) -> bool:
    return name in SKIPPED_DIRS or name.endswith(".egg-info")


def discover(root: Path, config: Config, *, allow_empty: bool = False) -> Discovery:
    """Walk ``config``'s packages under its source roots; raises ``ConfigError`` for a source root
    or a configured package that does not exist, and (unless ``allow_empty``, for ``init``'s own
    message) when there is nothing to verify."""
    walker = _Walker(root, PathGlobs(config.exclude))
    roots = tuple(config.source_roots) or (_detect_source_root(root, config.packages),)
    for source_root in roots:
        if not (root / source_root).is_dir():
            raise config_error(
                config, "source_roots", f"source root {source_root!r} is not a folder", source_root
            )
        if not walker.inside(str(root / source_root)):
            raise config_error(
                config,
                "source_roots",
                f"source root {source_root!r} is a symbolic link to outside the root",
                source_root,
            )
    if config.packages:
        packages = config.packages
        for package in packages:
            if not walker.add_package(roots, package):
                searched = ", ".join(repr(r) for r in roots)
                raise config_error(
                    config,
                    "packages",
                    f"package {package!r} not found under the source roots ({searched})",
                    package,
                )
    else:
        packages = tuple(walker.top_level_packages(roots))
        for package in packages:
            walker.add_package(roots, package)
        if not packages and not allow_empty:
            # Verifying nothing would pass: that is a mistake in the setup, not a success.
            raise config_error(
                config,
                "packages",
                f"no Python package (a folder with __init__.py) under the source roots "
                f"({', '.join(repr(r) for r in roots)}); name what to verify in packages "
                "(a namespace package or a single module is found only when named)",
            )
    walker.check_bytecode_caches()
    files = sorted(walker.files.values(), key=lambda source: source.path)
    if not files and not allow_empty:
        raise config_error(
            config,
            "exclude" if config.exclude else "packages",
            f"no Python file to verify in {', '.join(repr(p) for p in packages)}"
            + (" (exclude skips them all)" if config.exclude else ""),
        )
    return Discovery(
        source_roots=roots,
        packages=tuple(packages),
        files=tuple(files),
        problems=tuple(walker.problems),
        shadowed=tuple(sorted(walker.shadowed.values(), key=lambda s: s.path)),
        unverified=tuple(sorted(walker.unverified.values(), key=Finding.sort_key)),
    )


def resolve_config_with_discovery(config: Config, discovery: Discovery) -> Config:
    """``config`` with the source roots and packages that discovery settled on."""
    return replace(config, source_roots=discovery.source_roots, packages=discovery.packages)


def missing_references(
    config: Config,
    modules: frozenset[str],
    extra: Iterable[tuple[str, str, bool]] = (),
    origins: Mapping[str, str] | None = None,
    imported: Iterable[str] = (),
    *,
    internal: Iterable[tuple[str, str]] = (),
) -> list[ConfigError]:
    """An error for every module name the configuration mentions that names nothing discovered.

    ``extra`` adds (dotted name, key path relative to the archverify table, optional) triples;
    an optional name that is missing is fine. A name with ``*`` must match at least one module.
    ``internal`` adds (dotted name, key path) pairs that must exist when they are inside the
    project (their top-level package is one of its own), as lint-imports requires of a
    contract's forbidden modules. ``origins`` maps a key of ``extra`` or ``internal`` to the
    "file:line" it was read from when that is not the archverify configuration (a contract from
    an import-linter file), so the error points there. ``imported`` holds the modules the
    project imports: a boundary may forbid a third-party module, which must then be imported,
    installed or in the standard library.
    """
    known = set(existing_names(modules))
    internal_tops = _tops(known)
    errors = _unknown_forbidden_imports(config, known, frozenset(imported))
    references: list[tuple[str, str, bool]] = []
    references.extend((name, "purity.packages", False) for name in config.purity.packages)
    for index, rule in enumerate(config.boundaries):
        references.extend((name, f"boundaries[{index}].packages", False) for name in rule.packages)
        references.extend(
            (name, f"boundaries[{index}].except_modules", False) for name in rule.except_modules
        )
    references.extend((name, "cycles.packages", False) for name in config.cycles.packages)
    snapshot_packages = config.tool("snapshots").options.get("packages", ())
    references.extend((str(name), "snapshots.packages", False) for name in snapshot_packages)
    references.extend(extra)
    references.extend(
        (name, key, False) for name, key in internal if name.split(".", 1)[0] in internal_tops
    )

    seen: set[tuple[str, str]] = set()
    for name, key, optional in references:
        if optional or (name, key) in seen or _exists(name, known):
            continue
        seen.add((name, key))
        what = "matches no module" if "*" in name else "names no discovered module or package"
        origin = (origins or {}).get(key)
        if origin:
            file, _, line = origin.rpartition(":")
            number = int(line) if line.isdigit() else 0
            errors.append(ConfigError(f"{key}: {name!r} {what}", file or origin, number))
        else:
            errors.append(config_error(config, key, f"{name!r} {what}", name))
    return errors


def _unknown_forbidden_imports(
    config: Config, known: set[str], imported: frozenset[str]
) -> list[ConfigError]:
    """``forbid_imports`` names that name nothing: inside the project (its top-level name is one
    of the project's) a module that is not there; outside, a module that is neither imported by
    the project, installed, nor in the standard library (a typo such as ``reqeusts``)."""
    internal_tops = _tops(known)
    imported_tops = _tops(imported)
    errors: list[ConfigError] = []
    for index, rule in enumerate(config.boundaries):
        key = f"boundaries[{index}].forbid_imports"
        for name in rule.forbid_imports:
            top = name.split(".", 1)[0]
            if "*" in top or top in internal_tops:
                if not _exists(name, known):
                    what = "matches no module" if "*" in name else "names no module of the project"
                    errors.append(config_error(config, key, f"{name!r} {what}", name))
            elif top not in imported_tops and not _available(top):
                errors.append(
                    config_error(
                        config,
                        key,
                        f"{name!r} is neither a module of the project nor imported by it, "
                        "installed or in the standard library",
                        name,
                    )
                )
    return errors


def _tops(names: Iterable[str]) -> set[str]:
    return {name.split(".", 1)[0] for name in names}


def _available(top: str) -> bool:
    """``top`` is a standard-library or installed top-level module. ``find_spec`` on a top-level
    name only searches ``sys.path``: no code of the module runs."""
    if top in sys.stdlib_module_names:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _exists(name: str, known: set[str]) -> bool:
    if "*" not in name:
        return name in known
    try:
        return any(matches_dotted(name, module) for module in known)
    except ValueError:
        return False


def _detect_source_root(root: Path, packages: tuple[str, ...]) -> str:
    """ "src" when ROOT/src holds a package (or a configured one), else "."."""
    src = root / "src"
    if not src.is_dir():
        return "."
    tops = {package.split(".", 1)[0] for package in packages}
    try:
        with os.scandir(src) as entries:
            for entry in entries:
                if entry.name in tops or entry.name.removesuffix(".py") in tops:
                    return "src"
                if entry.is_dir() and os.path.isfile(os.path.join(entry.path, "__init__.py")):
                    return "src"
    except OSError:
        return "."
    return "."


def _join(*parts: str) -> str:
    """Relative posix join that drops "." parts ("." + "app" -> "app")."""
    kept = [part for part in parts if part and part != "."]
    return "/".join(kept) or "."


def _undecodable(name: str) -> bool:
    """True for a name that reached Python with surrogate escapes (not valid UTF-8)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# One place in a search path: (source root, folder relative to it).
_Entry = tuple[str, str]


@dataclass(frozen=True)
class _Spec:
    """What the import system makes of one name: a module file, a regular package (one folder
    with ``__init__.py``) or a namespace package (every portion folder, in search order)."""

    kind: str  # "module", "bytecode" (a sourceless name.pyc), "package" or "namespace"
    source_root: str
    relative: str  # the module's file, or the package's folder (first portion for a namespace)
    portions: tuple[_Entry, ...] = ()  # where its submodules are searched


@dataclass
class _Listing:
    """One folder's candidates for a child name: folders (with or without ``__init__.py``),
    ``name.py`` files and sourceless ``name.pyc`` files."""

    # name -> has __init__.py (or a sourceless __init__.pyc: Python imports that as the package)
    folders: dict[str, bool] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    bytecode: set[str] = field(default_factory=set)  # sourceless name.pyc, outside __pycache__
    # Importable names that are symbolic links to outside the root: name -> shown path.
    outside: dict[str, str] = field(default_factory=dict)


# A folder's identity, links followed: (device, inode).
_FolderId = tuple[int, int]


class _Walker:
    """Collects files by path as the import system resolves them.

    A folder reached through symbolic links under several module names is walked under each
    of them, since Python imports every one (``app/alias -> core/sub`` makes ``app.alias.x`` and
    ``app.core.sub.x`` two modules with their own imports and contracts); a link back to a
    folder that encloses it ends the walk there, so loops end.
    """

    def __init__(self, root: Path, exclude: PathGlobs) -> None:
        self.root = root
        self._root_text = str(root)
        self.exclude = exclude
        self.files: dict[str, SourceFile] = {}
        self.problems: list[str] = []
        self.shadowed: dict[str, Shadowed] = {}
        self.unverified: dict[str, Finding] = {}
        self._walked: set[tuple[str, _FolderId]] = set()  # (module name, folder)
        self._linked_names: dict[_FolderId, int] = {}  # names walked per folder, beyond its own
        self._over_limit: set[_FolderId] = set()
        self._listings: dict[_Entry, _Listing | None] = {}
        self._real_root: str | None = None

    def _absolute(self, source_root: str, relative: str) -> str:
        # Plain strings, not Path objects: thousands of folders make pathlib's parsing show.
        return os.path.join(self._root_text, _join(source_root, relative))

    def top_level_packages(self, roots: tuple[str, ...]) -> list[str]:
        """Every name a source root holds as a regular package that is also what ``import
        name`` finds (a module or package of that name in an earlier root wins)."""
        names: dict[str, None] = {}
        for source_root in roots:
            listing = self._listing((source_root, "."))
            if listing is None:
                continue
            for name, has_init in sorted(listing.folders.items()):
                if has_init and not self.exclude.matches(_join(source_root, name)):
                    names.setdefault(name)
        search = tuple((source_root, ".") for source_root in roots)
        found: list[str] = []
        for name in names:
            spec = self._resolve(name, name, search)
            if spec is not None and spec.kind == "package":
                found.append(name)
        return found

    def add_package(self, roots: tuple[str, ...], package: str) -> bool:
        """Walk ``package`` as ``import package`` finds it; False when it finds nothing."""
        search: tuple[_Entry, ...] = tuple((source_root, ".") for source_root in roots)
        parts = package.split(".")
        spec: _Spec | None = None
        for index, part in enumerate(parts):
            spec = self._resolve(part, ".".join(parts[: index + 1]), search)
            if spec is None or (spec.kind in ("module", "bytecode") and index < len(parts) - 1):
                return False
            search = spec.portions
        if spec is None:  # an empty package name: nothing to walk
            return False
        self._walk(package, spec)
        return True

    def _resolve(self, name: str, module: str, search: tuple[_Entry, ...]) -> _Spec | None:
        """``name`` in ``search`` as importlib's PathFinder and FileFinder resolve it.

        In each folder in turn, a folder with ``__init__.py`` wins, then ``name.py``, then a
        sourceless ``name.pyc``; a folder without ``__init__.py`` is only a namespace portion,
        kept while no later folder holds a module or a regular package of that name. Whatever
        loses is recorded as shadowed.
        """
        portions: list[_Entry] = []
        winner: _Spec | None = None
        for source_root, folder in search:
            listing = self._listing((source_root, folder))
            if listing is None:
                continue
            relative = f"{folder}/{name}" if folder != "." else name
            if listing.folders.get(name):
                winner = _Spec("package", source_root, relative, ((source_root, relative),))
                break
            if name in listing.files:
                winner = _Spec("module", source_root, f"{relative}.py")
                break
            if name in listing.bytecode:
                winner = _Spec("bytecode", source_root, f"{relative}.pyc")
                break
            if name in listing.folders:
                portions.append((source_root, relative))
        if winner is None:
            if not portions:
                return None
            first_root, first = portions[0]
            return _Spec("namespace", first_root, first, tuple(portions))
        self._record_losers(name, module, search, winner)
        return winner

    def _record_losers(
        self, name: str, module: str, search: tuple[_Entry, ...], winner: _Spec
    ) -> None:
        if len(search) == 1:
            listing = self._listing(search[0])
            if listing is None:
                return
            candidates = (name in listing.files, name in listing.folders, name in listing.bytecode)
            if sum(candidates) < 2:
                return  # one folder holding one candidate: nothing loses
        won = _join(winner.source_root, winner.relative)
        for source_root, folder in search:
            listing = self._listing((source_root, folder))
            if listing is None:
                continue
            relative = _join(folder, name)
            losers: list[tuple[str, bool]] = []
            if name in listing.files:
                losers.append((_join(source_root, f"{relative}.py"), False))
            if name in listing.folders:
                losers.append((_join(source_root, relative), True))
            for path, is_folder in losers:
                if path == won or path in self.shadowed or self.exclude.matches(path):
                    continue
                if is_folder and not self._holds_python(path):
                    continue  # a data folder (templates/) beside templates.py hides nothing
                why = _why(winner, source_root)
                self.shadowed[path] = Shadowed(path, won, module, why, winner.kind)

    def _holds_python(self, path: str) -> bool:
        try:
            with os.scandir(os.path.join(self._root_text, path)) as entries:
                return any(entry.name.endswith(".py") for entry in entries)
        except OSError:
            return False

    def _listing(self, where: _Entry) -> _Listing | None:
        """The candidates of one folder (cached); None when it cannot be listed."""
        if where in self._listings:
            return self._listings[where]
        source_root, folder = where
        shown = _join(source_root, folder)
        found: _Listing | None = _Listing()
        try:
            with os.scandir(self._absolute(source_root, folder)) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            if folder != ".":
                self.problems.append(
                    f"{shown_path(shown)}: cannot list ({error.strerror or error})"
                )
            found = None
            entries = []
        top = folder == "."
        prefix = "" if shown == "." else f"{shown}/"
        for entry in entries:
            if found is None:
                break
            name = entry.name
            if _undecodable(name):
                # Source code is UTF-8: no import statement can name it.
                self.problems.append(
                    f"{shown_path(prefix + name)}: skipped, the name is not valid UTF-8"
                )
                continue
            try:
                is_dir = entry.is_dir()
                is_module = not is_dir and name.endswith(".py") and entry.is_file()
                is_bytecode = not is_dir and name.endswith(".pyc") and entry.is_file()
            except OSError as error:  # a symlink loop (ELOOP), a vanished entry
                self.problems.append(f"{prefix}{name}: skipped, {error.strerror or error}")
                continue
            if (is_dir or is_module) and entry.is_symlink() and not self.inside(entry.path):
                # A repository must not make archverify read (and quote in findings) files
                # elsewhere on the machine, nor walk the whole file system through `x -> /`.
                # Inside a package Python still imports it: an error once its folder is walked.
                importable = _importable_name(name, is_dir=is_dir)
                if not top and importable:
                    found.outside[importable] = prefix + name
                elif name != "__init__.py":  # the package's walk reports a linked __init__.py
                    self.problems.append(
                        f"{prefix}{name}: skipped, a symbolic link to outside the verified root"
                    )
                continue
            if is_dir:
                self._add_folder(found, entry, prefix + name, top=top)
            elif is_module:
                self._add_module_file(found, name, prefix + name, top=top)
            elif is_bytecode:
                _add_bytecode_file(found, name)
        self._listings[where] = found
        return found

    def _add_folder(
        self, listing: _Listing, entry: os.DirEntry[str], shown: str, *, top: bool
    ) -> None:
        # A sourceless __init__.pyc makes the folder a package too: Python imports it.
        has_init = os.path.isfile(os.path.join(entry.path, "__init__.py")) or os.path.isfile(
            os.path.join(entry.path, "__init__.pyc")
        )
        # A tool folder name (build, env, dist...) is still a package when it has an
        # __init__.py: skipping it inside a package would pass silently.
        if is_skipped_dir(entry.name) and (top or not has_init):
            return
        if not entry.name.isidentifier():
            if not top:
                self._note_unimportable_dir(shown, entry.path)
            return
        listing.folders[entry.name] = has_init

    def _add_module_file(self, listing: _Listing, name: str, shown: str, *, top: bool) -> None:
        stem = name[:-3]
        if stem == "__init__" or not stem:
            return
        if "." in stem:
            if not top:
                self.problems.append(f"{shown}: skipped, {stem!r} is not a valid module name")
            return
        # Not always an identifier (Django's ``0001_initial`` migrations), but importlib
        # imports it, so it is compiled and checked like any module.
        listing.files.add(stem)

    def _walk(self, package: str, spec: _Spec) -> None:
        # Each entry carries the folders enclosing it: a link back to one of them is a loop.
        stack: list[tuple[str, _Spec, frozenset[_FolderId]]] = [(package, spec, frozenset())]
        while stack:
            module, current, enclosing = stack.pop()
            if current.kind == "module":
                self._add_file(current.source_root, current.relative, module, is_package=False)
                continue
            if current.kind == "bytecode":
                self._sourceless(_join(current.source_root, current.relative), module)
                continue
            portions: list[_Entry] = []
            inner = set(enclosing)
            for source_root, folder in current.portions:
                if self.exclude.matches(_join(source_root, folder)):
                    continue
                folder_id = self._enter(source_root, folder, module, enclosing)
                if folder_id is not None:
                    portions.append((source_root, folder))
                    inner.add(folder_id)
            if not portions:
                continue
            if current.kind == "package":
                self._add_init(current.source_root, current.relative, module)
            names: dict[str, None] = {}
            for where in portions:
                listing = self._listing(where)
                if listing is not None:
                    names.update(
                        dict.fromkeys(sorted({*listing.folders, *listing.files, *listing.bytecode}))
                    )
                    self._note_outside_links(listing, module)
            below = frozenset(inner)
            for name in sorted(names, reverse=True):
                child = self._resolve(name, f"{module}.{name}", tuple(portions))
                if child is not None:
                    stack.append((f"{module}.{name}", child, below))

    def _enter(
        self, source_root: str, folder: str, module: str, enclosing: frozenset[_FolderId]
    ) -> _FolderId | None:
        """The folder's identity when it is to be walked as ``module``; None for a folder that
        cannot be read, encloses itself (a link loop), was walked under this name already, or
        has been reached through links under too many names."""
        absolute = self._absolute(source_root, folder)
        try:
            info = os.stat(absolute)
        except OSError:
            return None
        folder_id = (info.st_dev, info.st_ino)
        if folder_id in enclosing or (module, folder_id) in self._walked:
            return None
        seen = self._linked_names.get(folder_id)
        if seen is not None and seen >= MAX_LINKED_NAMES and not self._is_own_path(absolute):
            if folder_id not in self._over_limit:  # one error a folder, at the first name over
                self._over_limit.add(folder_id)
                self._too_many_names(_join(source_root, folder), module)
            return None
        self._walked.add((module, folder_id))
        # The first name does not count: it is the folder's own path or a single alias.
        self._linked_names[folder_id] = 0 if seen is None else seen + 1
        return folder_id

    def _is_own_path(self, absolute: str) -> bool:
        """``absolute`` reaches its folder through no symbolic link."""
        self.inside(absolute)  # settles the real root
        real_root = self._real_root or ""
        relative = os.path.relpath(absolute, self._root_text)
        return os.path.realpath(absolute) == os.path.normpath(os.path.join(real_root, relative))

    def _too_many_names(self, path: str, module: str) -> None:
        self.unverified[path] = LINK_ALIASES.at(
            path,
            0,
            0,
            f"not verified as {module!r}: symbolic links make this folder importable "
            f"under more than {MAX_LINKED_NAMES + 1} module names, and archverify verifies it "
            "under that many at most",
            extra={"module": module},
        )

    def _add_init(self, source_root: str, folder: str, module: str) -> None:
        init = _join(folder, "__init__.py")
        absolute = self._absolute(source_root, init)
        if not os.path.lexists(absolute):  # only a sourceless __init__.pyc makes it a package
            self._sourceless(_join(source_root, folder, "__init__.pyc"), module)
            return
        if os.path.islink(absolute) and not self.inside(absolute):
            self._outside_link(_join(source_root, init), module)
            return
        self._add_file(source_root, init, module, is_package=True)

    def _note_outside_links(self, listing: _Listing, package: str) -> None:
        for name, path in listing.outside.items():
            if listing.folders.get(name):
                continue  # a package folder of that name is what Python imports
            if not self.exclude.matches(path):
                self._outside_link(path, f"{package}.{name}")

    def _outside_link(self, path: str, module: str) -> None:
        """A module or package Python imports that is a link out of the root: archverify does not
        read it (see ``_listing``), so it is an error, not a file that silently goes unchecked."""
        if path in self.unverified:
            return
        try:
            target = os.readlink(os.path.join(self._root_text, path))
        except OSError:
            target = "?"
        self.unverified[path] = OUTSIDE_LINK.at(
            path,
            0,
            0,
            f"not verified: a symbolic link to outside the verified root ({target}) "
            f"that Python imports as {module!r}; archverify does not read files outside the root",
            extra={"module": module, "target": target},
        )

    def _sourceless(self, path: str, module: str) -> None:
        """A ``.pyc`` with no source that Python imports as ``module``: no step can check it."""
        if path in self.unverified or self.exclude.matches(path):
            return
        self.unverified[path] = BYTECODE_WITHOUT_SOURCE.at(
            path,
            0,
            0,
            f"not verified: Python imports {module!r} from this bytecode file, which "
            "has no source beside it; archverify checks source code only",
            extra={"module": module},
        )

    def check_bytecode_caches(self) -> None:
        """An error for every ``__pycache__`` file of a verified module that this interpreter
        would run without comparing it with the source (an unchecked hash-based pyc, PEP 552):
        the steps read the source, Python runs the pyc, whatever either says. A timestamp or a
        checked-hash pyc that no longer matches its source is recompiled by Python: left alone.
        Only the 16 header bytes are read, never past them, and never a file outside the root.
        """
        by_folder: dict[str, dict[str, SourceFile]] = {}
        for path, source in self.files.items():
            folder, _, name = path.rpartition("/")
            by_folder.setdefault(folder, {})[name.removesuffix(".py")] = source
        for folder, sources in sorted(by_folder.items()):
            cache = _join(folder, "__pycache__")
            absolute = os.path.join(self._root_text, cache)
            try:
                with os.scandir(absolute) as entries:
                    names = sorted(entry.name for entry in entries)
            except OSError:  # no __pycache__ (the usual case), or unreadable: Python cannot either
                continue
            for name in names:
                cached = sources.get(_cached_stem(name))
                pyc = f"{cache}/{name}"
                if cached is None or self.exclude.matches(pyc):
                    continue
                pyc_absolute = os.path.join(self._root_text, pyc)
                if self.inside(pyc_absolute) and _runs_unchecked(pyc_absolute):
                    self._unchecked(pyc, cached)

    def _unchecked(self, pyc: str, source: SourceFile) -> None:
        self.unverified[pyc] = UNCHECKED_BYTECODE.at(
            pyc,
            0,
            0,
            f"not verified: Python runs this bytecode as {source.module!r} instead of "
            f"{source.path} without looking at the source (an unchecked-hash pyc), so what "
            "runs is not what archverify verified",
            extra={"module": source.module, "source": source.path},
        )

    def inside(self, path: str) -> bool:
        """``path`` resolves (links followed) to a place inside the verified root."""
        if self._real_root is None:
            self._real_root = os.path.realpath(self._root_text)
        real = os.path.realpath(path)
        return real == self._real_root or real.startswith(self._real_root + os.sep)

    def _note_unimportable_dir(self, shown: str, absolute: str) -> None:
        if self.exclude.matches(shown):
            return
        try:
            with os.scandir(absolute) as entries:
                has_python = any(e.name.endswith(".py") for e in entries)
        except OSError:
            return
        # Data folders (templates, static-files) are common; only Python in them is worth a note.
        if has_python:
            self.problems.append(
                f"{shown}: skipped, {shown.rsplit('/', 1)[-1]!r} is not a valid package name"
            )

    def _add_file(self, source_root: str, relative: str, module: str, *, is_package: bool) -> None:
        path = _join(source_root, relative)
        if self.exclude.matches(path) or path in self.files:
            return
        self.files[path] = SourceFile(
            path=path, module=module, is_package=is_package, source_root=source_root
        )


def _add_bytecode_file(listing: _Listing, name: str) -> None:
    """``name.pyc`` beside the sources: a module Python imports when no ``name.py`` or package
    ``name`` comes first (a ``name.CACHE-TAG.pyc`` outside ``__pycache__`` is never imported)."""
    stem = name[:-4]
    if stem and stem != "__init__" and "." not in stem:
        listing.bytecode.add(stem)


def _cached_stem(name: str) -> str:
    """The module name whose cache ``name`` is for this interpreter (``calc`` for
    ``calc.cpython-311.opt-1.pyc``), or "" (another interpreter's cache, not a pyc)."""
    for suffix in _CACHE_SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return ""


def _runs_unchecked(path: str) -> bool:
    """The pyc at ``path`` is one this interpreter loads and runs without checking its source:
    its magic number is this interpreter's (another is recompiled from the source) and its flags
    say hash-based without check_source."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO planted there must not block
    except OSError:
        return False  # Python cannot read it either: it compiles the source
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        header = os.read(fd, _PYC_HEADER_SIZE)
    except OSError:
        return False
    finally:
        os.close(fd)
    return (
        len(header) == _PYC_HEADER_SIZE
        and header[:4] == importlib.util.MAGIC_NUMBER
        and int.from_bytes(header[4:8], "little") == _UNCHECKED_HASH_FLAGS
    )


def _importable_name(name: str, *, is_dir: bool) -> str:
    """The module name a folder or ``.py`` file inside a package is imported by, or ""."""
    if is_dir:
        return name if name.isidentifier() and not is_skipped_dir(name) else ""
    stem = name[:-3]
    return stem if stem and stem != "__init__" and "." not in stem else ""


def _why(winner: _Spec, loser_root: str) -> str:
    if winner.source_root != loser_root:
        return f"source root {winner.source_root!r} comes first on the search path"
    if winner.kind == "package":
        return "a folder with __init__.py wins over a module of the same name"
    return "a module wins over a folder without __init__.py (a namespace portion)"
