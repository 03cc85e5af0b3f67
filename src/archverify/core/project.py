"""The verified project as the static steps see it: every module and its facts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from archverify.core.facts import FileFacts


@dataclass(frozen=True)
class SourceFile:
    """A discovered source file: where it is and which module it is."""

    path: str  # relative to the root, forward slashes
    module: str
    is_package: bool
    source_root: str  # relative to the root ("." or "src")


@dataclass(frozen=True)
class Project:
    """All facts of one run, keyed by module name.

    ``packages`` are the top-level (or configured) dotted names being verified.
    ``files`` are every discovered file, in a stable order (sorted by path).
    """

    root: str
    packages: tuple[str, ...]
    files: tuple[SourceFile, ...]
    facts: Mapping[str, FileFacts] = field(default_factory=dict)

    @property
    def modules(self) -> frozenset[str]:
        return frozenset(self.facts)

    def iter_facts(self) -> Iterator[FileFacts]:
        """Facts in path order, so that findings come out deterministic."""
        for source in self.files:
            found = self.facts.get(source.module)
            if found is not None and found.path == source.path:
                yield found

    def by_path(self, path: str) -> FileFacts | None:
        for facts in self.facts.values():
            if facts.path == path:
                return facts
        return None


def printable_path(text: str) -> str:
    """``text`` safe to print and to encode as UTF-8 (JSON, HTML): a file name that is not valid
    UTF-8 reaches Python with surrogate escapes (``caf\\udce9``); each is shown as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def in_package(module: str, package: str) -> bool:
    """True when ``module`` is ``package`` or inside it (exact names, never a string prefix)."""
    return module == package or module.startswith(package + ".")


def in_any_package(module: str, packages: tuple[str, ...] | list[str]) -> bool:
    return any(in_package(module, p) for p in packages)


def existing_names(modules: Iterable[str]) -> frozenset[str]:
    """Every module or package name that exists when ``modules`` are the discovered modules:
    each of them and every package above it.

    The one answer to "does this name exist" for init, config validation, the contracts and the
    architecture picture: a folder without ``__init__.py`` inside a package (a namespace
    package, ``flask.sansio``) has no module of its own, and exists when a module is inside it,
    as Python imports it (``import flask.sansio`` works).
    """
    found: set[str] = set()
    for module in modules:
        name = module
        while name and name not in found:
            found.add(name)
            name = name.rpartition(".")[0]
    return frozenset(found)
