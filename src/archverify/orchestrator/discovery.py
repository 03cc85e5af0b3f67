"""Finds the source roots, packages and Python files to verify, and checks configured names."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from archverify.core.config import Config
from archverify.core.patterns import matches_dotted
from archverify.core.project import SourceFile
from archverify.orchestrator.config_errors import ConfigError
from archverify.orchestrator.config_loader import config_error
from archverify.orchestrator.path_globs import PathGlobs

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


@dataclass(frozen=True)
class Discovery:
    """What a run verifies: resolved roots and packages, and every file, sorted by path."""

    source_roots: tuple[str, ...]  # relative posix, resolved (auto-detected if config had none)
    packages: tuple[str, ...]  # what is verified
    files: tuple[SourceFile, ...]  # sorted by path
    problems: tuple[str, ...]  # non-fatal notes (e.g. skipped non-identifier dirs)


def is_skipped_dir(name: str) -> bool:
    return name in SKIPPED_DIRS or name.endswith(".egg-info")


def discover(root: Path, config: Config) -> Discovery:
    """Walk ``config``'s packages under its source roots; raises ``ConfigError`` for a source root
    or a configured package that does not exist."""
    walker = _Walker(root, PathGlobs(config.exclude))
    roots = config.source_roots or (_detect_source_root(root, config.packages),)
    for source_root in roots:
        if not (root / source_root).is_dir():
            raise config_error(
                config, "source_roots", f"source root {source_root!r} is not a folder", source_root
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
        found = dict.fromkeys(
            name for source_root in roots for name in walker.top_level_packages(source_root)
        )
        packages = tuple(found)
        for package in packages:
            walker.add_package(roots, package)
        if not packages:
            walker.problems.append(
                f"no Python packages (folders with __init__.py) under {', '.join(roots)}; "
                "set packages in [tool.archverify]"
            )
    files = sorted(walker.files.values(), key=lambda source: source.path)
    return Discovery(
        source_roots=tuple(roots),
        packages=tuple(packages),
        files=tuple(files),
        problems=tuple(walker.problems),
    )


def resolve_config_with_discovery(config: Config, discovery: Discovery) -> Config:
    """``config`` with the source roots and packages that discovery settled on."""
    return replace(config, source_roots=discovery.source_roots, packages=discovery.packages)


def missing_references(
    config: Config,
    modules: frozenset[str],
    extra: Iterable[tuple[str, str, bool]] = (),
    origins: Mapping[str, str] | None = None,
) -> list[ConfigError]:
    """An error for every module name the configuration mentions that names nothing discovered.

    ``extra`` adds (dotted name, key path relative to the archverify table, optional) triples;
    an optional name that is missing is fine. A name with ``*`` must match at least one module.
    ``origins`` maps a key of ``extra`` to the "file:line" it was read from when that is not
    the archverify configuration (a contract from an import-linter file), so the error points
    there.
    """
    known = set(modules)
    for module in modules:
        parts = module.split(".")
        known.update(".".join(parts[:size]) for size in range(1, len(parts)))
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

    errors: list[ConfigError] = []
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


class _Walker:
    """Collects files by path; remembers folders already walked so symlink loops end."""

    def __init__(self, root: Path, exclude: PathGlobs) -> None:
        self.root = root
        self._root_text = str(root)
        self.exclude = exclude
        self.files: dict[str, SourceFile] = {}
        self.modules: dict[str, str] = {}  # module -> path, to report duplicates
        self.problems: list[str] = []
        self._visited: set[tuple[int, int]] = set()

    def top_level_packages(self, source_root: str) -> list[str]:
        found: list[str] = []
        try:
            with os.scandir(self.root / source_root) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    if (
                        entry.name.isidentifier()
                        and not is_skipped_dir(entry.name)
                        and entry.is_dir()
                        and os.path.isfile(os.path.join(entry.path, "__init__.py"))
                        and not self.exclude.matches(_join(source_root, entry.name))
                    ):
                        found.append(entry.name)
        except OSError as error:
            self.problems.append(f"{source_root}: cannot list ({error.strerror or error})")
        return found

    def add_package(self, roots: Iterable[str], package: str) -> bool:
        """Walk ``package`` in every source root holding it; False when none does."""
        relative = package.replace(".", "/")
        found = False
        for source_root in roots:
            folder = self.root / source_root / relative
            if folder.is_dir():
                found = True
                self._walk(source_root, relative, package)
            elif (self.root / source_root / f"{relative}.py").is_file():
                found = True
                self._add_file(source_root, f"{relative}.py", package, is_package=False)
        return found

    def _walk(self, source_root: str, start: str, start_module: str) -> None:
        stack = [(start, start_module)]
        while stack:
            relative, module = stack.pop()
            path = _join(source_root, relative)
            # Plain strings, not Path objects: thousands of folders make pathlib's parsing show.
            folder = os.path.join(self._root_text, path)
            if self.exclude.matches(path) or not self._first_visit(folder):
                continue
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError as error:
                self.problems.append(f"{path}: cannot list ({error.strerror or error})")
                continue
            for entry in entries:
                child = f"{relative}/{entry.name}"
                if entry.is_dir():
                    # A tool folder name (build, env, dist...) inside a package is still a
                    # subpackage when it has an __init__.py: skipping it would pass silently.
                    if is_skipped_dir(entry.name) and not os.path.isfile(
                        os.path.join(entry.path, "__init__.py")
                    ):
                        continue
                    if not entry.name.isidentifier():
                        self._note_unimportable_dir(_join(source_root, child), entry.path)
                        continue
                    stack.append((child, f"{module}.{entry.name}"))
                elif entry.name.endswith(".py") and entry.is_file():
                    stem = entry.name[:-3]
                    if stem == "__init__":
                        self._add_file(source_root, child, module, is_package=True)
                    elif stem and "." not in stem:
                        # Not always an identifier (Django's ``0001_initial`` migrations), but
                        # importlib imports it, so it is compiled and checked like any module.
                        self._add_file(source_root, child, f"{module}.{stem}", is_package=False)
                    else:
                        self.problems.append(
                            f"{_join(source_root, child)}: skipped, {stem!r} is not a valid "
                            "module name"
                        )

    def _first_visit(self, folder: str) -> bool:
        try:
            info = os.stat(folder)
        except OSError:
            return False
        key = (info.st_dev, info.st_ino)
        if key in self._visited:
            return False
        self._visited.add(key)
        return True

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
        if module in self.modules:
            self.problems.append(
                f"{path}: skipped, module {module!r} is already defined by {self.modules[module]}"
            )
            return
        self.modules[module] = path
        self.files[path] = SourceFile(
            path=path, module=module, is_package=is_package, source_root=source_root
        )
